"""The archive's Modality Performed Procedure Step SCP under test, shared by
tests/test_archive_mpps.py (our SCU) and tests/interop/test_mpps_pynetdicom.py
(pynetdicom's): the SCP served over an Archive (the ``mpps_served`` fixture,
registered by tests/conftest.py: threaded or under fastdimse.aio, on SQLite or
PostgreSQL), the steps a modality reports, and the sequences of requests run
against it with the stored record checked after each.

Our association and pynetdicom's have the same ``send_n_create/send_n_set/send_n_get``,
so each sequence is written once and run from both SCUs (``Modality``). Neither puts
a failure's Offending Element in the status it returns (pynetdicom's N-services have
no such parameter), so refusals are checked on the response's command set.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag

from helpers import DEADLINE, LOCALHOST
from hostile_peer import running_scp

MPPS = "1.2.840.10008.3.1.2.3.3"
MPPS_RETRIEVE = "1.2.840.10008.3.1.2.3.4"
CONTEXTS = (MPPS, MPPS_RETRIEVE)
ROOT = "1.2.826.0.1.3680043.9.7433.15"
STATUS = 0x00400252
# PS3.4 F.7.2.2.4: the Error ID of an N-SET refused because the step is final.
MAY_NO_LONGER_BE_UPDATED = 0xA710


def dataset(**elements: Any) -> Dataset:
    ds = Dataset()
    for keyword, value in elements.items():
        setattr(ds, keyword, value)
    return ds


def code(value: str, meaning: str) -> Dataset:
    return dataset(CodeValue=value, CodingSchemeDesignator="DCM", CodeMeaning=meaning)


def new_step(n: int, **changes: Any) -> Dataset:
    """The Attribute List of a modality's N-CREATE (PS3.4 Table F.7.2-1): every
    attribute of usage 1/1 with its value, those of 2/2 present (mostly empty)."""
    scheduled = dataset(
        StudyInstanceUID=f"{ROOT}.{n}",
        ReferencedStudySequence=Sequence(),
        AccessionNumber=f"ACC{n}",
        RequestedProcedureID=f"RP{n}",
        RequestedProcedureDescription="CT chest",
        ScheduledProcedureStepID=f"SPS{n}",
        ScheduledProcedureStepDescription="CT chest",
        ScheduledProtocolCodeSequence=Sequence(),
    )
    step = dataset(
        ScheduledStepAttributesSequence=Sequence([scheduled]),
        PatientName="Doe^Jane",
        PatientID=f"PID{n}",
        PatientBirthDate="19700101",
        PatientSex="F",
        ReferencedPatientSequence=Sequence(),
        PerformedProcedureStepID=f"PPS{n}",
        PerformedStationAETitle="CT01",
        PerformedStationName="",
        PerformedLocation="",
        PerformedProcedureStepStartDate="20250102",
        PerformedProcedureStepStartTime="101500",
        PerformedProcedureStepStatus="IN PROGRESS",
        PerformedProcedureStepDescription="",
        PerformedProcedureTypeDescription="",
        ProcedureCodeSequence=Sequence(),
        PerformedProcedureStepEndDate="",
        PerformedProcedureStepEndTime="",
        Modality="CT",
        StudyID="",
        PerformedProtocolCodeSequence=Sequence(),
        PerformedSeriesSequence=Sequence(),
    )
    for keyword, value in changes.items():
        if value is None:
            delattr(step, keyword)
        else:
            setattr(step, keyword, value)
    return step


def performed_series(n: int) -> Sequence:
    image = dataset(
        ReferencedSOPClassUID="1.2.840.10008.5.1.4.1.1.2",
        ReferencedSOPInstanceUID=f"{ROOT}.{n}.1.1",
    )
    series = dataset(
        PerformingPhysicianName="",
        ProtocolName="Chest",
        OperatorsName="",
        SeriesInstanceUID=f"{ROOT}.{n}.1",
        SeriesDescription="Axial",
        RetrieveAETitle="",
        ReferencedImageSequence=Sequence([image]),
        ReferencedNonImageCompositeSOPInstanceSequence=Sequence(),
    )
    return Sequence([series])


def instance_uid(n: int) -> str:
    return f"{ROOT}.9.{n}"


@dataclass
class Served:
    """An Archive behind our SCP: its port and its records (``archive.mpps``)."""

    archive: Any
    port: int


def configure(ae: Any) -> None:
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    for uid in CONTEXTS:
        ae.add_supported_context(uid)


@contextmanager
def serving(kind: str, directory: Path, database: str) -> Iterator[Served]:
    """An Archive on ``database`` served by our SCP, ``"threaded"`` or ``"asyncio"``."""
    from fastdimse.archive import Archive

    with Archive(directory, database) as archive:
        with running_scp(kind, configure, archive.handlers, "ARCHIVE") as (port, _):
            yield Served(archive, port)


@pytest.fixture(params=["threaded", "asyncio"])
def mpps_served(request: pytest.FixtureRequest, tmp_path: Path, database: str) -> Iterator[Served]:
    """The archive's SCP, threaded and under fastdimse.aio, on each database."""
    pytest.importorskip("sqlalchemy")
    with serving(str(request.param), tmp_path / "store", database) as running:
        yield running


class Modality:
    """One association to ``port`` from ``library`` (fastdimse or pynetdicom, the same
    API), keeping each response's command set."""

    def __init__(self, library: Any, port: int) -> None:
        self.responses: list[Dataset] = []
        ae = library.AE("MODALITY")
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
        for uid in CONTEXTS:
            ae.add_requested_context(uid)
        handlers = [(library.evt.EVT_DIMSE_RECV, self._keep)]
        self.assoc = ae.associate(LOCALHOST, port, ae_title="ARCHIVE", evt_handlers=handlers)
        assert self.assoc.is_established

    def _keep(self, event: Any) -> None:
        self.responses.append(event.message.command_set)

    def last_response(self) -> Dataset:
        """The command set of the last response received."""
        return self.responses[-1]

    def release(self) -> None:
        self.assoc.release()

    def __enter__(self) -> Modality:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def stored(served: Served, uid: str) -> Dataset:
    """The step's record: its indexed keys agree with its attributes, which are returned."""
    step = served.archive.mpps.get(uid)
    assert step is not None, f"no record of {uid}"
    ds = step.dataset
    assert step.sop_instance_uid == uid == ds.SOPInstanceUID
    assert ds.SOPClassUID == MPPS
    assert step.status == ds.PerformedProcedureStepStatus
    assert step.patient_id == ds.PatientID
    assert step.study_instance_uid == ds.ScheduledStepAttributesSequence[0].StudyInstanceUID
    assert step.performed_station_ae_title == ds.PerformedStationAETitle
    assert step.start_date == ds.PerformedProcedureStepStartDate
    assert step.created <= step.updated
    return ds


def expected(sent: Dataset, uid: str) -> Dataset:
    """What the SCP records of an N-CREATE: its attributes and the SOP UIDs it assigned."""
    record = Dataset(sent)
    record.SOPClassUID = MPPS
    record.SOPInstanceUID = uid
    return record


def refused(
    modality: Modality, status: Dataset, code_: int, *elements: int, field: str = "OffendingElement"
) -> None:
    """A refusal with its status, an Error Comment and, in the response's command set,
    the elements at fault."""
    assert status.Status == code_, f"0x{status.Status:04X} is not 0x{code_:04X}"
    assert status.ErrorComment
    named = modality.last_response().get(field)
    tags = [] if named is None else [named] if isinstance(named, int) else list(named)
    assert [Tag(t) for t in tags] == [Tag(e) for e in elements]


def run_to_the_end(modality: Modality, served: Served, n: int, final: str) -> None:
    """A step's whole life from ``modality``: N-CREATE IN PROGRESS, an N-SET that
    updates it, an N-SET that ends it ``final``, a refused N-SET after, N-GETs; the
    record checked after each step."""
    assoc = modality.assoc
    uid = instance_uid(n)
    sent = new_step(n)
    status, reply = assoc.send_n_create(sent, MPPS, uid)
    assert status.Status == 0x0000
    record = expected(sent, uid)
    assert reply == record
    assert stored(served, uid) == record
    assert served.archive.mpps.get(uid).version == 1

    update = dataset(
        PerformedProcedureStepDescription="CT chest, contrast",
        PerformedSeriesSequence=performed_series(n),
    )
    status, reply = assoc.send_n_set(update, MPPS, uid)
    assert (status.Status, reply) == (0x0000, update)
    record.update(update)
    assert stored(served, uid) == record

    if final == "COMPLETED":
        end = dataset(
            PerformedProcedureStepStatus="COMPLETED",
            PerformedProcedureStepEndDate="20250102",
            PerformedProcedureStepEndTime="103000",
        )
    else:
        end = dataset(
            PerformedProcedureStepStatus="DISCONTINUED",
            PerformedProcedureStepDiscontinuationReasonCodeSequence=Sequence(
                [code("110514", "Incorrect worklist entry selected")]
            ),
            PerformedProcedureStepEndDate="20250102",
            PerformedProcedureStepEndTime="102000",
        )
    status, reply = assoc.send_n_set(end, MPPS, uid)
    assert (status.Status, reply) == (0x0000, end)
    record.update(end)
    assert stored(served, uid) == record
    assert served.archive.mpps.get(uid).version == 3

    late = dataset(PerformedProcedureStepDescription="too late")
    status, reply = assoc.send_n_set(late, MPPS, uid)
    refused(modality, status, 0x0110)
    assert (status.ErrorID, reply) == (MAY_NO_LONGER_BE_UPDATED, None)
    assert stored(served, uid) == record
    assert served.archive.mpps.get(uid).version == 3

    keys = [0x00400252, 0x00100020, 0x00400340]
    status, reply = assoc.send_n_get(keys, MPPS_RETRIEVE, uid)
    assert status.Status == 0x0000
    assert reply == dataset(
        PatientID=record.PatientID,
        PerformedProcedureStepStatus=final,
        PerformedSeriesSequence=record.PerformedSeriesSequence,
    )
    status, reply = assoc.send_n_get([], MPPS, uid)
    assert (status.Status, reply) == (0x0000, record)


def run_hostile(modality: Modality, served: Served, n: int) -> None:
    """Refusals, each followed by a good request on the same association."""
    assoc = modality.assoc
    good = instance_uid(n)
    status, reply = assoc.send_n_set(dataset(PatientComments="x"), MPPS, f"{ROOT}.404")
    refused(modality, status, 0x0112)
    assert reply is None
    status, _ = assoc.send_n_create(new_step(n), MPPS, good)
    assert status.Status == 0x0000

    status, reply = assoc.send_n_create(new_step(n, PatientID="OTHER"), MPPS, good)
    refused(modality, status, 0x0111)
    assert reply is None
    assert stored(served, good).PatientID == f"PID{n}"  # the first one stands
    status, _ = assoc.send_n_set(dataset(PerformedProcedureStepDescription="ok"), MPPS, good)
    assert status.Status == 0x0000

    other = instance_uid(n + 1)
    finished = new_step(n + 1, PerformedProcedureStepStatus="COMPLETED")
    status, reply = assoc.send_n_create(finished, MPPS, other)
    refused(modality, status, 0x0106, STATUS)
    assert reply is None
    assert served.archive.mpps.get(other) is None
    status, _ = assoc.send_n_create(new_step(n + 1), MPPS, other)
    assert status.Status == 0x0000
    assert stored(served, other).PerformedProcedureStepStatus == "IN PROGRESS"
