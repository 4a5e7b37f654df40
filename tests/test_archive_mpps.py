"""The archive's Modality Performed Procedure Step SCP (PS3.4 F) from our SCU, served
threaded and under fastdimse.aio, recorded in SQLite and in PostgreSQL: each refusal
PS3.4 and PS3.7 give (each followed by a good request on the same association), a
step created without an instance UID, emptied attributes, character sets merged,
the record surviving a restart, and concurrent N-SETs on one step losing nothing.

A step's whole life to COMPLETED and DISCONTINUED, from pynetdicom's SCU and ours:
tests/interop/test_mpps_pynetdicom.py (tests/mpps_support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from pydicom.dataset import Dataset

import fastdimse
from mpps_support import (
    MPPS,
    MPPS_RETRIEVE,
    STATUS,
    Modality,
    Served,
    dataset,
    expected,
    instance_uid,
    new_step,
    refused,
    serving,
    stored,
)

pytest.importorskip("sqlalchemy")

SCHEDULED_STEPS = 0x00400270


@pytest.fixture
def modality(mpps_served: Served) -> Iterator[Modality]:
    """Our SCU on one association to the archive."""
    with Modality(fastdimse, mpps_served.port) as peer:
        yield peer


def test_a_step_created_without_an_instance_uid_gets_one_from_the_scp(
    modality: Modality, mpps_served: Served
) -> None:
    """PS3.7 10.1.5.1.4: the response names the instance the SCP created."""
    status, reply = modality.assoc.send_n_create(new_step(1), MPPS, None)
    assert status.Status == 0x0000
    [step] = mpps_served.archive.mpps.all()
    assert modality.last_response().AffectedSOPInstanceUID == step.sop_instance_uid
    assert reply == expected(new_step(1), step.sop_instance_uid)
    assert stored(mpps_served, step.sop_instance_uid) == reply


@pytest.mark.parametrize(
    ("change", "status_code", "elements"),
    [
        ({"Modality": None}, 0x0120, (0x00080060,)),
        # Several missing: every one is named.
        ({"PerformedStationAETitle": None, "Modality": None}, 0x0120, (0x00400241, 0x00080060)),
        ({"PerformedStationAETitle": ""}, 0x0121, (0x00400241,)),
        ({"PerformedProcedureStepStatus": None}, 0x0120, (STATUS,)),
        ({"PerformedProcedureStepStatus": "DISCONTINUED"}, 0x0106, (STATUS,)),
        ({"ScheduledStepAttributesSequence": [Dataset()]}, 0x0120, (SCHEDULED_STEPS,)),
    ],
)
def test_n_create_refuses_what_table_f72_1_requires(
    modality: Modality,
    mpps_served: Served,
    change: dict[str, Any],
    status_code: int,
    elements: tuple[int, ...],
) -> None:
    uid = instance_uid(1)
    status, reply = modality.assoc.send_n_create(new_step(1, **change), MPPS, uid)
    refused(modality, status, status_code, *elements)
    assert reply is None
    assert mpps_served.archive.mpps.all() == []
    status, _ = modality.assoc.send_n_create(new_step(1), MPPS, uid)
    assert status.Status == 0x0000


def test_n_set_may_not_change_what_table_f72_1_does_not_allow(
    modality: Modality, mpps_served: Served
) -> None:
    uid = instance_uid(1)
    assert modality.assoc.send_n_create(new_step(1), MPPS, uid)[0].Status == 0x0000
    before = stored(mpps_served, uid)
    for change in (
        dataset(PatientID="OTHER", PerformedProcedureStepDescription="x"),
        dataset(SOPInstanceUID=f"{uid}.2"),
        dataset(PerformedStationAETitle="MR01", Modality="MR"),
    ):
        status, reply = modality.assoc.send_n_set(change, MPPS, uid)
        tags = [e.tag for e in change if e.keyword != "PerformedProcedureStepDescription"]
        refused(modality, status, 0x0105, *tags, field="AttributeIdentifierList")
        assert reply is None
        assert stored(mpps_served, uid) == before
    # Sent again unchanged, they are accepted (and change nothing).
    same = dataset(PatientID="PID1", Modality="CT", PerformedProcedureStepDescription="y")
    status, reply = modality.assoc.send_n_set(same, MPPS, uid)
    assert status.Status == 0x0000
    before.PerformedProcedureStepDescription = "y"
    assert stored(mpps_served, uid) == before


@pytest.mark.parametrize(
    ("value", "status_code"), [("FINISHED", 0x0106), ("", 0x0121), ("IN PROGRESS", 0x0000)]
)
def test_n_set_status_goes_from_in_progress_only_to_the_three_states(
    modality: Modality, mpps_served: Served, value: str, status_code: int
) -> None:
    uid = instance_uid(1)
    assert modality.assoc.send_n_create(new_step(1), MPPS, uid)[0].Status == 0x0000
    status, _ = modality.assoc.send_n_set(dataset(PerformedProcedureStepStatus=value), MPPS, uid)
    if status_code:
        refused(modality, status, status_code, STATUS)
    else:
        assert status.Status == 0x0000
    assert stored(mpps_served, uid).PerformedProcedureStepStatus == "IN PROGRESS"
    status, _ = modality.assoc.send_n_set(
        dataset(PerformedProcedureStepStatus="COMPLETED"), MPPS, uid
    )
    assert status.Status == 0x0000
    assert mpps_served.archive.mpps.all("COMPLETED")[0].sop_instance_uid == uid


def test_an_empty_element_empties_the_attribute(modality: Modality, mpps_served: Served) -> None:
    uid = instance_uid(1)
    step = new_step(1, PerformedProcedureStepDescription="CT chest")
    assert modality.assoc.send_n_create(step, MPPS, uid)[0].Status == 0x0000
    status, reply = modality.assoc.send_n_set(
        dataset(PerformedProcedureStepDescription=""), MPPS, uid
    )
    assert (status.Status, reply) == (0x0000, dataset(PerformedProcedureStepDescription=""))
    record = stored(mpps_served, uid)
    assert "PerformedProcedureStepDescription" in record
    assert record.PerformedProcedureStepDescription == ""


def test_unknown_steps_and_operations_are_refused(modality: Modality, mpps_served: Served) -> None:
    unknown = f"{instance_uid(1)}.404"
    status, reply = modality.assoc.send_n_get([STATUS], MPPS_RETRIEVE, unknown)
    refused(modality, status, 0x0112)
    assert reply is None
    # N-CREATE belongs to the MPPS SOP Class, not to its Retrieve one (PS3.4 F.8.1).
    status, reply = modality.assoc.send_n_create(new_step(1), MPPS_RETRIEVE, instance_uid(1))
    refused(modality, status, 0x0211)
    assert mpps_served.archive.mpps.all() == []
    assert modality.assoc.send_n_create(new_step(1), MPPS, instance_uid(1))[0].Status == 0x0000
    status, reply = modality.assoc.send_n_get([STATUS], MPPS_RETRIEVE, instance_uid(1))
    assert (status.Status, reply) == (0x0000, dataset(PerformedProcedureStepStatus="IN PROGRESS"))


def test_character_sets_of_n_create_and_n_set_are_merged(
    modality: Modality, mpps_served: Served
) -> None:
    """PS3.4 F.7.2.2.3: the N-SET's Specific Character Set describes its own values;
    the step is kept in one that holds both."""
    uid = instance_uid(1)
    step = new_step(1, SpecificCharacterSet="ISO_IR 100", PatientName="Müller^Jürgen")
    assert modality.assoc.send_n_create(step, MPPS, uid)[0].Status == 0x0000
    change = dataset(SpecificCharacterSet="ISO_IR 192", PerformedProcedureStepDescription="Θώρακας")
    status, reply = modality.assoc.send_n_set(change, MPPS, uid)
    assert status.Status == 0x0000
    assert reply.PerformedProcedureStepDescription == "Θώρακας"
    record = stored(mpps_served, uid)
    assert record.SpecificCharacterSet == "ISO_IR 192"
    assert (record.PatientName, record.PerformedProcedureStepDescription) == (
        "Müller^Jürgen",
        "Θώρακας",
    )
    status, reply = modality.assoc.send_n_get([0x00100010, 0x00400254], MPPS_RETRIEVE, uid)
    assert status.Status == 0x0000
    assert (reply.PatientName, reply.PerformedProcedureStepDescription) == (
        "Müller^Jürgen",
        "Θώρακας",
    )


def test_an_index_made_before_the_mpps_table_gets_it(tmp_path: Path, database: str) -> None:
    """A new table on an existing database just appears: no schema version, no re-index."""
    import sqlalchemy

    from fastdimse.archive import database_url
    from fastdimse.archive.mpps_store import MPPS_TABLE

    with serving("threaded", tmp_path / "store", database):
        pass
    engine = sqlalchemy.create_engine(database_url(database))
    MPPS_TABLE.drop(engine)  # as an index made before it had none
    assert not sqlalchemy.inspect(engine).has_table("mpps")
    engine.dispose()
    with serving("threaded", tmp_path / "store", database) as again:
        with Modality(fastdimse, again.port) as modality:
            uid = instance_uid(1)
            assert modality.assoc.send_n_create(new_step(1), MPPS, uid)[0].Status == 0x0000
        assert stored(again, uid).PatientID == "PID1"


def test_the_record_survives_a_restart(tmp_path: Path, database: str) -> None:
    uid = instance_uid(1)
    with serving("threaded", tmp_path / "store", database) as first:
        modality = Modality(fastdimse, first.port)
        assert modality.assoc.send_n_create(new_step(1), MPPS, uid)[0].Status == 0x0000
        change = dataset(PerformedProcedureStepDescription="before the restart")
        assert modality.assoc.send_n_set(change, MPPS, uid)[0].Status == 0x0000
        modality.release()
        record = stored(first, uid)
    with serving("asyncio", tmp_path / "store", database) as second:
        assert stored(second, uid) == record
        modality = Modality(fastdimse, second.port)
        status, reply = modality.assoc.send_n_get([], MPPS_RETRIEVE, uid)
        assert (status.Status, reply) == (0x0000, record)
        end = dataset(PerformedProcedureStepStatus="COMPLETED")
        assert modality.assoc.send_n_set(end, MPPS, uid)[0].Status == 0x0000
        modality.release()
        assert stored(second, uid).PerformedProcedureStepStatus == "COMPLETED"


# Each writer sets its own attribute, again and again.
WRITERS = (
    "PerformedProcedureStepDescription",
    "PerformedProcedureTypeDescription",
    "CommentsOnThePerformedProcedureStep",
    "PatientComments",
)
ROUNDS = 12


def test_concurrent_n_sets_on_one_step_lose_no_update(tmp_path: Path, database: str) -> None:
    """Two archives on one database (as two processes would be), two associations to
    each, every one setting its own attribute: each attribute ends with its writer's
    last value, and the step was replaced once per N-SET."""
    uid = instance_uid(1)
    with (
        serving("threaded", tmp_path / "store", database) as one,
        serving("threaded", tmp_path / "store", database) as two,
    ):
        creator = Modality(fastdimse, one.port)
        assert creator.assoc.send_n_create(new_step(1), MPPS, uid)[0].Status == 0x0000
        creator.release()

        def write(keyword: str, port: int) -> list[int]:
            writer = Modality(fastdimse, port)
            statuses = []
            for n in range(ROUNDS):
                change = dataset(**{keyword: f"{keyword[:8]} {n}"})
                statuses.append(int(writer.assoc.send_n_set(change, MPPS, uid)[0].Status))
            writer.release()
            return statuses

        ports = (one.port, two.port, one.port, two.port)
        with ThreadPoolExecutor(len(WRITERS)) as pool:
            results = list(pool.map(write, WRITERS, ports))
        assert results == [[0x0000] * ROUNDS] * len(WRITERS)
        record = stored(one, uid)
        for keyword in WRITERS:
            assert record[keyword].value == f"{keyword[:8]} {ROUNDS - 1}"
        assert one.archive.mpps.get(uid).version == 1 + ROUNDS * len(WRITERS)
