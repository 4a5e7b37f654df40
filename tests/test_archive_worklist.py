"""The Archive's Modality Worklist, on SQLite and on PostgreSQL: items added through the
API and imported from ``.wl`` files that DCMTK's dump2dcm made (with and without File
Meta Information); C-FIND of the Modality Worklist model over the network, matching by
PS3.4 K.2.2.1 and C.2.2.2 (date and time ranges, station AE titles among several,
modality, wild cards, keys of the Scheduled Procedure Step Sequence's Item, keys without
a column), responses holding the requested keys, and the refusals: 0xA900 for an
identifier with no meaning, 0xFE00 on C-CANCEL, 0xC001 when the database fails.

The items and queries are those of ``worklist_data``; DCMTK's findscu and wlmscpfs
answer the same queries in ``interop/test_worklist_dcmtk.py``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

import test_archive
from fastdimse import AE, evt
from fastdimse.sop_class import (
    ModalityWorklistInformationFind,
    StudyRootQueryRetrieveInformationModelFind,
)
from helpers import DEADLINE, LOCALHOST, wait_until
from worklist_data import (
    CASES,
    STEPS,
    Case,
    dump_text,
    expected_summary,
    identifier,
    item,
    items,
    set_key,
    step_id,
    summary,
    write_wl,
    write_worklist,
)

sqlalchemy = pytest.importorskip("sqlalchemy")

from fastdimse.archive import Archive  # noqa: E402
from fastdimse.archive.worklist import WorklistKey  # noqa: E402
from fastdimse.archive.worklist_query import plan, statement_of  # noqa: E402
from fastdimse.archive.worklist_tables import WORKLIST  # noqa: E402

MWL = ModalityWorklistInformationFind
S_FIND = StudyRootQueryRetrieveInformationModelFind


@pytest.fixture
def archive(tmp_path: Path, database: str) -> Iterator[Archive]:
    with Archive(tmp_path / "store", database) as opened:
        yield opened


@pytest.fixture
def port(archive: Archive) -> Iterator[int]:
    """Our threaded server in front of ``archive``, loaded with every item."""
    for ds in items():
        archive.add_worklist_item(ds)
    server = serve(archive.handlers)
    yield int(server.server_address[1])
    server.shutdown()


def serve(handlers: list[Any]) -> Any:
    ae = AE("ARCHIVE")
    ae.add_supported_context(MWL)
    ae.add_supported_context(S_FIND)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    return ae.start_server((LOCALHOST, 0), block=False, evt_handlers=handlers)


def associate(port: int) -> Any:
    ae = AE("MODALITY")
    ae.add_requested_context(MWL)
    ae.add_requested_context(S_FIND)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    assoc = ae.associate(LOCALHOST, port, ae_title="ARCHIVE")
    assert assoc.is_established
    return assoc


def find(port: int, query: Dataset, model: str = MWL) -> tuple[list[Dataset], list[int]]:
    """The identifiers a C-FIND gets, and every status it got (the final one last)."""
    assoc = associate(port)
    try:
        results = list(assoc.send_c_find(query, model))
    finally:
        assoc.release()
    statuses = [int(status.Status) for status, _ in results]
    return [ds for status, ds in results if int(status.Status) == 0xFF00], statuses


def step_ids(found: list[Dataset]) -> list[str]:
    return sorted(step_id(ds) for ds in found)


def keywords(ds: Dataset) -> set[str]:
    return {element.keyword for element in ds}


# -- loading ----------------------------------------------------------------------------


def test_items_added_through_the_api_are_listed_by_scheduled_start(archive: Archive) -> None:
    keys = [archive.add_worklist_item(ds) for ds in reversed(items())]
    assert keys[0] == WorklistKey("ACC6", "RP6", "SPS6")
    listed = archive.worklist_items()
    assert [step_id(ds) for ds in listed] == [step.step_id for step in STEPS]
    assert [dump_text(ds) for ds in listed] == [dump_text(ds) for ds in items()]


def test_adding_an_item_of_a_known_key_replaces_it(archive: Archive) -> None:
    first = item(STEPS[0])
    archive.add_worklist_item(first)
    changed = item(STEPS[0])
    changed.ScheduledProcedureStepSequence[0].Modality = "MR"
    assert archive.add_worklist_item(changed) == WorklistKey.of(first)
    listed = archive.worklist_items()
    assert len(listed) == 1
    assert listed[0].ScheduledProcedureStepSequence[0].Modality == "MR"


def test_items_are_removed_by_key_or_by_item(archive: Archive) -> None:
    for ds in items():
        archive.add_worklist_item(ds)
    assert archive.remove_worklist_item(WorklistKey("ACC4", "RP4", "SPS4"))
    assert archive.remove_worklist_item(item(STEPS[4]))
    assert not archive.remove_worklist_item(WorklistKey("ACC4", "RP4", "SPS4"))
    assert [step_id(ds) for ds in archive.worklist_items()] == ["SPS1", "SPS2", "SPS3", "SPS6"]
    assert archive.worklist.clear() == 4
    assert archive.worklist_items() == []


def test_what_is_no_worklist_item_is_refused(archive: Archive) -> None:
    without_steps = item(STEPS[0])
    del without_steps.ScheduledProcedureStepSequence
    two_steps = item(STEPS[0])
    two_steps.ScheduledProcedureStepSequence.append(
        item(STEPS[1]).ScheduledProcedureStepSequence[0]
    )
    without_id = item(STEPS[0])
    del without_id.ScheduledProcedureStepSequence[0].ScheduledProcedureStepID
    for refused in (without_steps, two_steps, without_id):
        with pytest.raises(ValueError, match="Scheduled Procedure Step"):
            archive.add_worklist_item(refused)
    assert archive.worklist_items() == []


def test_wl_files_are_imported_with_and_without_file_meta(
    archive: Archive, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "worklist" / "WLMSCP"
    files = write_worklist(directory, items())
    assert {path.read_bytes()[128:132] == b"DICM" for path in files} == {True, False}
    write_wl(items()[-1], files[-1], meta=False, implicit=True)
    (directory / "notes.txt").write_text("not a worklist file")
    (directory / "broken.wl").write_bytes(b"\x00" * 16)
    with caplog.at_level(logging.WARNING, logger="fastdimse.archive"):
        assert archive.import_worklist(tmp_path / "worklist") == len(STEPS)
    assert "broken.wl" in caplog.text
    listed = archive.worklist_items()
    assert [dump_text(ds) for ds in listed] == [dump_text(ds) for ds in items()]
    assert listed[2].PatientName == "Müller^Hans"


def test_reimporting_a_file_updates_its_item(archive: Archive, tmp_path: Path) -> None:
    directory = tmp_path / "worklist"
    files = write_worklist(directory, items())
    archive.import_worklist(directory)
    changed = item(STEPS[0])
    changed.ScheduledProcedureStepSequence[0].Modality = "MR"
    write_wl(changed, files[0])
    assert archive.import_worklist(files[0]) == 1
    listed = archive.worklist_items()
    assert len(listed) == len(STEPS)
    assert listed[0].ScheduledProcedureStepSequence[0].Modality == "MR"
    # The file now holds another step: the one it held is gone.
    changed.ScheduledProcedureStepSequence[0].ScheduledProcedureStepID = "SPS1B"
    write_wl(changed, files[0], meta=False)
    archive.import_worklist([files[0]])
    assert sorted(step_id(ds) for ds in archive.worklist_items()) == sorted(
        ["SPS1B", "SPS2", "SPS3", "SPS4", "SPS5", "SPS6"]
    )


def test_pruning_forgets_the_items_of_files_gone(archive: Archive, tmp_path: Path) -> None:
    directory = tmp_path / "worklist"
    files = write_worklist(directory, items()[:3])
    archive.add_worklist_item(item(STEPS[5]))  # through the API: no file of its own
    archive.import_worklist(directory)
    files[1].unlink()
    assert archive.import_worklist(directory) == 2
    assert len(archive.worklist_items()) == 4  # without prune, nothing is forgotten
    assert archive.import_worklist(directory, prune=True) == 2
    assert [step_id(ds) for ds in archive.worklist_items()] == ["SPS1", "SPS3", "SPS6"]


def test_the_worklist_table_appears_in_an_existing_index(tmp_path: Path, database: str) -> None:
    """An index made before the worklist existed gets its table when next opened."""
    with Archive(tmp_path / "store", database) as before:
        WORKLIST.drop(before.index.engine)
    with Archive(tmp_path / "store", database) as after:
        after.add_worklist_item(item(STEPS[0]))
        assert len(after.worklist_items()) == 1


# -- C-FIND: matching ---------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_matching(port: int, case: Case) -> None:
    found, statuses = find(port, identifier(case))
    assert statuses == [0xFF00] * len(found) + [0x0000]
    assert step_ids(found) == sorted(case.expected)
    by_id = {step.step_id: step for step in STEPS}
    for ds in found:
        assert summary(ds) == expected_summary(by_id[step_id(ds)])


def test_responses_hold_the_requested_keys_only(port: int) -> None:
    query = Dataset()
    query.PatientName = ""
    sps = Dataset()
    sps.Modality = ""
    sps.ScheduledStationAETitle = "CT2"
    query.ScheduledProcedureStepSequence = Sequence([sps])
    found, _ = find(port, query)
    assert sorted(str(ds.PatientName) for ds in found) == ["Doe^John", "Poe^Edgar"]
    for ds in found:
        assert keywords(ds) == {
            "SpecificCharacterSet",
            "PatientName",
            "ScheduledProcedureStepSequence",
        }
        assert len(ds.ScheduledProcedureStepSequence) == 1
        assert keywords(ds.ScheduledProcedureStepSequence[0]) == {
            "Modality",
            "ScheduledStationAETitle",
        }
        assert ds.ScheduledProcedureStepSequence[0].Modality == "CT"


@pytest.mark.parametrize("empty_item", [False, True], ids=["zero-length", "empty-item"])
def test_a_sequence_key_without_keys_returns_the_whole_sequence(
    port: int, empty_item: bool
) -> None:
    """K.2.2.1.2 note 4: a sequence return key is zero length or holds one empty Item."""
    query = Dataset()
    query.PatientID = "P3"
    query.ScheduledProcedureStepSequence = Sequence([Dataset()] if empty_item else [])
    found, _ = find(port, query)
    assert len(found) == 1
    stored = item(STEPS[2]).ScheduledProcedureStepSequence
    assert dump_text(found[0]) == dump_text(_with(ScheduledProcedureStepSequence=stored))


def test_requested_keys_the_item_lacks_come_back_empty(port: int) -> None:
    query = Dataset()
    query.PatientID = "P1"
    query.PatientWeight = None
    sps = Dataset()
    sps.ScheduledStationName = ""
    sps.PreMedication = ""
    code = Dataset()
    code.CodeValue = ""
    sps.ScheduledProtocolCodeSequence = Sequence([code])
    query.ScheduledProcedureStepSequence = Sequence([sps])
    found, _ = find(port, query)
    assert len(found) == 1
    ds = found[0]
    assert "PatientWeight" in ds and ds.PatientWeight is None
    step = ds.ScheduledProcedureStepSequence[0]
    assert step.ScheduledStationName == "CTROOM1"
    assert "PreMedication" in step and not step.PreMedication
    assert [keywords(one) for one in step.ScheduledProtocolCodeSequence] == [{"CodeValue"}]
    assert step.ScheduledProtocolCodeSequence[0].CodeValue == "CODE1"


def test_the_same_server_answers_query_retrieve_and_worklist(port: int) -> None:
    study = Dataset()
    study.QueryRetrieveLevel = "STUDY"
    study.StudyInstanceUID = ""
    found, statuses = find(port, study, S_FIND)
    assert (found, statuses) == ([], [0x0000])  # no instance stored
    found, statuses = find(port, identifier(CASES[0]))
    assert len(found) == len(STEPS)


# -- C-FIND: refusals -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "keyword", "value"),
    [
        ("step", "ScheduledProcedureStepStartDate", "2024*"),  # DA holds no wild card
        ("step", "ScheduledProcedureStepStartTime", "25x"),  # no time, nor a range
        ("top", "StudyInstanceUID", "1.2.*"),  # UI holds no wild card
        ("top", "PatientID", "P" * 65),  # longer than LO allows
        ("two-items", "Modality", "CT"),  # a sequence key of one Item (C.2.2.2.6)
    ],
)
def test_an_identifier_without_meaning_is_refused(
    port: int, where: str, keyword: str, value: str
) -> None:
    query = identifier(CASES[0])
    owner = query if where == "top" else query.ScheduledProcedureStepSequence[0]
    set_key(owner, keyword, value)
    if where == "two-items":
        query.ScheduledProcedureStepSequence.append(Dataset())
    found, statuses = find(port, query)
    assert (found, statuses) == ([], [0xA900])
    # The association and the server go on.
    found, _ = find(port, identifier(CASES[0]))
    assert len(found) == len(STEPS)


def test_cancel_stops_the_query_at_the_next_response(archive: Archive) -> None:
    """The handler holds each match after the first until the C-CANCEL is read: the
    final status is Cancel, after one match (no sleep decides it)."""
    for ds in items():
        archive.add_worklist_item(ds)

    def find_after_cancel(event: Any) -> Iterator[Any]:
        answers = archive.find(event)
        yield next(answers)
        assert wait_until(lambda: event.is_cancelled)
        yield from answers

    server = serve([(evt.EVT_C_FIND, find_after_cancel)])
    try:
        assoc = associate(int(server.server_address[1]))
        responses = assoc.send_c_find(identifier(CASES[0]), MWL, msg_id=7)
        first, _ = next(responses)
        assert first.Status == 0xFF00
        assoc.send_c_cancel(7, query_model=MWL)
        rest = [int(status.Status) for status, _ in responses]
        assoc.release()
    finally:
        server.shutdown()
    assert rest == [0xFE00]


def test_a_failed_database_is_answered_with_c001(archive: Archive, port: int) -> None:
    WORKLIST.drop(archive.index.engine)
    found, statuses = find(port, identifier(CASES[0]))
    assert (found, statuses) == ([], [0xC001])


# -- the SQL --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("top", "step"),
    [
        ({"PatientName": "DOE*"}, {}),
        ({"PatientID": "P1"}, {}),
        ({"AccessionNumber": "ACC4"}, {}),
        ({}, {"ScheduledStationAETitle": "CT1"}),
        ({}, {"Modality": "MR"}),
        ({}, {"ScheduledProcedureStepStartDate": "20240105-20240106"}),
    ],
)
def test_worklist_queries_use_an_index(
    archive: Archive, top: dict[str, str], step: dict[str, str]
) -> None:
    """A query on a key with a column searches an index, never scans the table."""
    query = plan(identifier(Case("plan", top, step, frozenset())))
    assert query.python == ()
    statement = statement_of(query)
    test_archive.assert_searches_an_index(archive.index.engine, statement, WORKLIST.name)


# -- helpers ----------------------------------------------------------------------------------


def _with(**elements: Any) -> Dataset:
    """The response expected for SPS3 when only its Patient ID and ``elements`` are asked
    for: those, and its character set."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.PatientID = "P3"
    for keyword, value in elements.items():
        setattr(ds, keyword, value)
    return ds
