"""The Archive end to end, on SQLite and on PostgreSQL: instances stored over the
network are indexed before they are acknowledged; C-FIND answers once per matching
entity with the requested and unique keys only, by PS3.4 C.2.2's matching at each
level, hierarchical and relational; C-GET and C-MOVE send the files below the
matches; re-indexing a directory gives the same answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydicom import config, dcmread
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

from fastdimse import AE, build_role, evt
from fastdimse.pdu_primitives import SOPClassExtendedNegotiation
from fastdimse.sop_class import (
    CTImageStorage,
    MRImageStorage,
    PatientRootQueryRetrieveInformationModelFind,
    PatientRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
)
from helpers import DEADLINE, LOCALHOST

sqlalchemy = pytest.importorskip("sqlalchemy")

from fastdimse.archive import Archive  # noqa: E402
from fastdimse.archive.levels import Level  # noqa: E402

P_FIND = PatientRootQueryRetrieveInformationModelFind
P_GET = PatientRootQueryRetrieveInformationModelGet
S_FIND = StudyRootQueryRetrieveInformationModelFind
S_GET = StudyRootQueryRetrieveInformationModelGet
S_MOVE = StudyRootQueryRetrieveInformationModelMove
MODELS = (P_FIND, P_GET, S_FIND, S_GET, S_MOVE)
STORAGE = (CTImageStorage, MRImageStorage)
ROOT = "1.2.826.0.1.3680043.9.7433.13"


def instance(patient: str, study: int, series: int, number: int, **extra: Any) -> Dataset:
    """An instance of the test archive: patient ``patient``'s study, series and number."""
    people = {"PA": ("Doe^Jane", "19700101", "F"), "PB": ("Smith^John", "19601231", "M")}
    name, birth, sex = people[patient]
    ds = Dataset()
    ds.SOPClassUID = MRImageStorage if extra.get("Modality") == "MR" else CTImageStorage
    ds.SOPInstanceUID = f"{ROOT}.{study}.{series}.{number}"
    ds.StudyInstanceUID = f"{ROOT}.{study}"
    ds.SeriesInstanceUID = f"{ROOT}.{study}.{series}"
    ds.PatientID = patient
    ds.PatientName = name
    ds.PatientBirthDate = birth
    ds.PatientSex = sex
    ds.Modality = "CT"
    ds.SeriesNumber = series
    ds.InstanceNumber = number
    for keyword, value in extra.items():
        setattr(ds, keyword, value)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds


def corpus() -> list[Dataset]:
    """Two patients, three studies, four series, seven instances."""
    s1 = {"StudyDate": "20240105", "StudyTime": "101500", "AccessionNumber": "ACC1"}
    s2 = {"StudyDate": "20250210", "StudyTime": "083000", "AccessionNumber": "ACC2"}
    code = Dataset()
    code.CodeValue = "P1"
    code.CodingSchemeDesignator = "99TEST"
    s3 = {
        "StudyDate": "20231231",
        "StudyTime": "235959",
        "AccessionNumber": "ACC3",
        "ProcedureCodeSequence": Sequence([code]),
    }
    axial = {"SeriesDescription": "Axial 5mm", "SeriesDate": "20240105"}
    source = Dataset()
    source.ReferencedSOPClassUID = CTImageStorage
    source.ReferencedSOPInstanceUID = f"{ROOT}.1.1.1"
    return [
        *(
            instance("PA", 1, 1, n, ImageType=["ORIGINAL", "PRIMARY", "AXIAL"], **axial, **s1)
            for n in (1, 2)
        ),
        instance(
            "PA",
            1,
            1,
            3,
            ImageType=["DERIVED", "SECONDARY"],
            SourceImageSequence=Sequence([source]),
            **axial,
            **s1,
        ),
        instance(
            "PA",
            1,
            2,
            1,
            StudyDescription="Chest",
            SeriesDescription="Scout",
            SeriesDate="20240106",
            **s1,
        ),
        *(instance("PA", 2, 1, n, Modality="MR", **s2) for n in (1, 2)),
        instance("PB", 3, 1, 1, **s3),
    ]


class Served:
    """An Archive behind a threaded server of ours, loaded with the corpus."""

    def __init__(self, directory: Path, database: str, destinations: Any = None) -> None:
        self.archive = Archive(directory, database, destinations=destinations)
        ae = qr_ae(AE("ARCHIVE"))
        self.server = ae.start_server(
            (LOCALHOST, 0), block=False, evt_handlers=self.archive.handlers
        )
        self.port = int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.archive.close()


@pytest.fixture
def served(tmp_path: Path, database: str) -> Iterator[Served]:
    served = Served(tmp_path / "store", database)
    assoc = associate(served.port)
    for ds in corpus():
        assert assoc.send_c_store(ds).Status == 0x0000
    assoc.release()
    yield served
    served.close()


def qr_ae(ae: Any) -> Any:
    for model in MODELS:
        ae.add_supported_context(model)
        ae.add_requested_context(model)
    for storage in STORAGE:
        ae.add_supported_context(storage, ExplicitVRLittleEndian, scu_role=True, scp_role=True)
        ae.add_requested_context(storage, ExplicitVRLittleEndian)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    return ae


def associate(port: int, ext_neg: list[Any] | None = None, handlers: Any = None) -> Any:
    roles = [build_role(uid, scu_role=True, scp_role=True) for uid in STORAGE]
    assoc = qr_ae(AE("SCU")).associate(
        LOCALHOST,
        port,
        ae_title="ARCHIVE",
        ext_neg=roles + (ext_neg or []),
        evt_handlers=handlers or [],
    )
    assert assoc.is_established
    return assoc


def find(port: int, model: str, **keys: Any) -> tuple[list[Dataset], int]:
    """The identifiers a C-FIND gets and its final status. Keys are not validated:
    a wild card is no valid CS, DA or UI value, yet a valid key."""
    ident = Dataset()
    for keyword, value in keys.items():
        tag = tag_for_keyword(keyword)
        ident.add(DataElement(tag, dictionary_VR(tag), value, validation_mode=config.IGNORE))
    assoc = associate(port)
    try:
        results = list(assoc.send_c_find(ident, model))
    finally:
        assoc.release()
    final = results[-1][0].Status
    return [ds for status, ds in results if status.Status == 0xFF00], final


# -- storing -------------------------------------------------------------------


def test_an_acknowledged_instance_is_found_at_once(served: Served) -> None:
    extra = instance("PB", 3, 1, 2, StudyDate="20231231")
    assoc = associate(served.port)
    assert assoc.send_c_store(extra).Status == 0x0000
    assoc.release()
    found, final = find(
        served.port,
        P_FIND,
        QueryRetrieveLevel="IMAGE",
        PatientID="PB",
        StudyInstanceUID=f"{ROOT}.3",
        SeriesInstanceUID=f"{ROOT}.3.1",
        SOPInstanceUID="",
    )
    assert final == 0x0000
    assert sorted(ds.SOPInstanceUID for ds in found) == [f"{ROOT}.3.1.1", f"{ROOT}.3.1.2"]
    stored = sorted(p.name for p in (served.archive.directory).iterdir())
    assert f"{ROOT}.3.1.2.dcm" in stored


def test_the_index_lives_outside_the_store(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "instances")
    archive.close()
    assert (tmp_path / "instances.sqlite").is_file()
    assert list((tmp_path / "instances").iterdir()) == []


# -- C-FIND: one response per match, only the keys asked for -----------------------


def test_patient_level_answers_once_per_patient(served: Served) -> None:
    found, final = find(
        served.port, P_FIND, QueryRetrieveLevel="PATIENT", PatientID="", PatientName=""
    )
    assert final == 0x0000
    assert sorted(ds.PatientID for ds in found) == ["PA", "PB"]
    for ds in found:
        keys = {e.keyword for e in ds}
        assert keys == {"PatientID", "PatientName", "QueryRetrieveLevel", "RetrieveAETitle"}
        assert ds.RetrieveAETitle == "ARCHIVE"


def test_study_level_returns_unique_keys_and_computed_attributes(served: Served) -> None:
    found, _ = find(
        served.port,
        S_FIND,
        QueryRetrieveLevel="STUDY",
        StudyDate="",
        ModalitiesInStudy="",
        NumberOfStudyRelatedInstances="",
        NumberOfStudyRelatedSeries="",
    )
    by_uid = {ds.StudyInstanceUID: ds for ds in found}
    assert sorted(by_uid) == [f"{ROOT}.1", f"{ROOT}.2", f"{ROOT}.3"]
    first = by_uid[f"{ROOT}.1"]
    assert first.StudyDate == "20240105"
    assert first.ModalitiesInStudy == "CT"
    assert int(first.NumberOfStudyRelatedInstances) == 4
    assert int(first.NumberOfStudyRelatedSeries) == 2
    assert by_uid[f"{ROOT}.2"].ModalitiesInStudy == "MR"
    assert "PatientID" not in first  # Study Root: no patient level, so not a unique key


def test_series_and_image_levels_under_patient_root(served: Served) -> None:
    series, _ = find(
        served.port,
        P_FIND,
        QueryRetrieveLevel="SERIES",
        PatientID="PA",
        StudyInstanceUID=f"{ROOT}.1",
        SeriesInstanceUID="",
        Modality="",
    )
    assert sorted(ds.SeriesInstanceUID for ds in series) == [f"{ROOT}.1.1", f"{ROOT}.1.2"]
    assert {e.keyword for e in series[0]} == {
        "PatientID",
        "StudyInstanceUID",
        "SeriesInstanceUID",
        "Modality",
        "QueryRetrieveLevel",
        "RetrieveAETitle",
    }
    images, _ = find(
        served.port,
        P_FIND,
        QueryRetrieveLevel="IMAGE",
        PatientID="PA",
        StudyInstanceUID=f"{ROOT}.1",
        SeriesInstanceUID=f"{ROOT}.1.1",
        SOPInstanceUID="",
        InstanceNumber="",
    )
    assert sorted(int(ds.InstanceNumber) for ds in images) == [1, 2, 3]


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({"PatientName": "doe*"}, {"PA"}),  # wildcard, PN regardless of case
        ({"PatientName": "Smith^John"}, {"PB"}),  # single value
        ({"PatientID": "P?"}, {"PA", "PB"}),  # one-character wildcard
        ({"PatientBirthDate": "-19651231"}, {"PB"}),  # range, open start
        ({"PatientSex": "F"}, {"PA"}),
        ({"PatientID": "pa"}, set()),  # LO is case sensitive
    ],
)
def test_patient_level_matching(served: Served, keys: dict[str, str], expected: set[str]) -> None:
    keys = {"PatientID": "", **keys}
    found, final = find(served.port, P_FIND, QueryRetrieveLevel="PATIENT", **keys)
    assert final == 0x0000
    assert {ds.PatientID for ds in found} == expected


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({"StudyDate": "20240101-20241231"}, {1}),  # range
        ({"StudyDate": "20240105"}, {1}),  # single value
        ({"StudyDate": "20240101-"}, {1, 2}),  # range, open end
        ({"StudyTime": "-090000"}, {2}),  # time range
        ({"AccessionNumber": "ACC*"}, {1, 2, 3}),
        ({"StudyInstanceUID": f"{ROOT}.1\\{ROOT}.3"}, {1, 3}),  # list of UIDs
        ({"ModalitiesInStudy": "MR"}, {2}),
        ({"StudyDescription": ""}, {1, 2, 3}),  # universal
    ],
)
def test_study_level_matching(served: Served, keys: dict[str, str], expected: set[int]) -> None:
    keys = {"StudyInstanceUID": "", **keys}
    found, final = find(served.port, S_FIND, QueryRetrieveLevel="STUDY", **keys)
    assert final == 0x0000
    assert {int(ds.StudyInstanceUID.rsplit(".", 1)[1]) for ds in found} == expected


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({"SeriesDescription": "Axial*"}, {"1.1"}),  # wildcard
        ({"SeriesDescription": "axial*"}, set()),  # LO is case sensitive
        ({"SeriesDate": "20240106-"}, {"1.2"}),  # range, open end
        ({"Modality": "CT"}, {"1.1", "1.2", "3.1"}),  # single value
        ({"Modality": "CT\\MR"}, {"1.1", "1.2", "2.1", "3.1"}),  # several values: any
        ({"SeriesDescription": '""'}, {"2.1", "3.1"}),  # empty value
        ({"SeriesNumber": "2"}, {"1.2"}),
        ({"SeriesInstanceUID": f"{ROOT}.1.2\\{ROOT}.2.1"}, {"1.2", "2.1"}),  # list of UIDs
    ],
)
def test_series_level_matching(served: Served, keys: dict[str, str], expected: set[str]) -> None:
    keys = {"SeriesInstanceUID": "", **keys}
    found, final = find(served.port, S_FIND, QueryRetrieveLevel="SERIES", **keys)
    assert final == 0x0000
    assert {ds.SeriesInstanceUID.removeprefix(f"{ROOT}.") for ds in found} == expected


def _source_item(uid: str) -> Sequence:
    item = Dataset()
    item.ReferencedSOPInstanceUID = uid
    return Sequence([item])


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({"SOPInstanceUID": f"{ROOT}.1.1.1\\{ROOT}.1.1.3"}, {1, 3}),  # list of UIDs
        ({"InstanceNumber": "2"}, {2}),  # single value (a column)
        ({"ImageType": "DERIVED"}, {3}),  # a multi-valued stored value: any (in Python)
        ({"ImageType": "PRIM*"}, {1, 2}),  # wildcard on each stored value
        ({"SourceImageSequence": _source_item(f"{ROOT}.1.1.1")}, {3}),  # sequence
        ({"SourceImageSequence": _source_item(f"{ROOT}.9")}, set()),
    ],
)
def test_image_level_matching(served: Served, keys: dict[str, Any], expected: set[int]) -> None:
    found, final = find(
        served.port,
        S_FIND,
        QueryRetrieveLevel="IMAGE",
        StudyInstanceUID=f"{ROOT}.1",
        SeriesInstanceUID=f"{ROOT}.1.1",
        **{"SOPInstanceUID": "", **keys},
    )
    assert final == 0x0000
    assert {int(ds.SOPInstanceUID.rsplit(".", 1)[1]) for ds in found} == expected


def test_sequence_matching(served: Served) -> None:
    item = Dataset()
    item.CodeValue = "P1"
    item.CodingSchemeDesignator = ""
    found, _ = find(
        served.port,
        S_FIND,
        QueryRetrieveLevel="STUDY",
        StudyInstanceUID="",
        ProcedureCodeSequence=Sequence([item]),
    )
    assert [ds.StudyInstanceUID for ds in found] == [f"{ROOT}.3"]
    returned = found[0].ProcedureCodeSequence[0]
    assert returned.CodeValue == "P1"
    assert returned.CodingSchemeDesignator == "99TEST"


def test_a_key_below_the_level_is_refused_in_a_hierarchical_query(served: Served) -> None:
    found, final = find(
        served.port, P_FIND, QueryRetrieveLevel="PATIENT", PatientID="", Modality="MR"
    )
    assert (found, final) == ([], 0xA900)


def test_a_relational_query_matches_keys_below_the_level(served: Served) -> None:
    relational = SOPClassExtendedNegotiation()
    relational.sop_class_uid = P_FIND
    relational.service_class_application_information = b"\x01"
    ident = Dataset()
    ident.QueryRetrieveLevel = "PATIENT"
    ident.PatientID = ""
    ident.Modality = "MR"
    assoc = associate(served.port, ext_neg=[relational])
    results = list(assoc.send_c_find(ident, P_FIND))
    assoc.release()
    assert [ds.PatientID for status, ds in results if status.Status == 0xFF00] == ["PA"]


def test_an_unknown_level_is_refused(served: Served) -> None:
    assert find(served.port, S_FIND, QueryRetrieveLevel="PATIENT", PatientID="") == ([], 0xA900)


# -- C-GET and C-MOVE --------------------------------------------------------------


def test_get_sends_the_files_of_a_study(served: Served) -> None:
    received: list[Dataset] = []

    def on_store(event: Any) -> int:
        received.append(event.dataset)
        return 0x0000

    ident = Dataset()
    ident.QueryRetrieveLevel = "STUDY"
    ident.StudyInstanceUID = f"{ROOT}.1"
    assoc = associate(served.port, handlers=[(evt.EVT_C_STORE, on_store)])
    results = list(assoc.send_c_get(ident, S_GET))
    assoc.release()
    final = results[-1][0]
    assert final.Status == 0x0000
    assert final.NumberOfCompletedSuboperations == 4
    sent = {ds.SOPInstanceUID: ds for ds in corpus()}
    assert len(received) == 4
    for ds in received:
        original = sent[ds.SOPInstanceUID]
        assert ds.PatientName == original.PatientName
        assert ds.StudyDate == original.StudyDate


def test_move_sends_to_a_configured_destination(tmp_path: Path, database: str) -> None:
    received: list[str] = []

    def on_store(event: Any) -> int:
        received.append(event.dataset.SOPInstanceUID)
        return 0x0000

    dest_ae = AE("DEST")
    for storage in STORAGE:
        dest_ae.add_supported_context(storage, ExplicitVRLittleEndian)
    dest = dest_ae.start_server(
        (LOCALHOST, 0), block=False, evt_handlers=[(evt.EVT_C_STORE, on_store)]
    )
    served = Served(
        tmp_path / "store",
        database,
        destinations={"DEST": (LOCALHOST, int(dest.server_address[1]))},
    )
    try:
        assoc = associate(served.port)
        for ds in corpus():
            assoc.send_c_store(ds)
        ident = Dataset()
        ident.QueryRetrieveLevel = "SERIES"
        ident.StudyInstanceUID = f"{ROOT}.2"
        ident.SeriesInstanceUID = f"{ROOT}.2.1"
        results = list(assoc.send_c_move(ident, "DEST", S_MOVE))
        unknown = list(assoc.send_c_move(ident, "NOWHERE", S_MOVE))
        assoc.release()
    finally:
        served.close()
        dest.shutdown()
    assert results[-1][0].Status == 0x0000
    assert sorted(received) == [f"{ROOT}.2.1.1", f"{ROOT}.2.1.2"]
    assert unknown[-1][0].Status == 0xA801


# -- re-indexing ---------------------------------------------------------------------


def test_reindexing_a_directory_gives_the_same_answers(served: Served, tmp_path: Path) -> None:
    before, _ = find(
        served.port,
        S_FIND,
        QueryRetrieveLevel="SERIES",
        StudyInstanceUID=f"{ROOT}.1",
        SeriesInstanceUID="",
        Modality="",
    )
    (served.archive.directory / "notes.txt").write_text("not DICOM")
    fresh = Archive(served.archive.directory, tmp_path / "fresh.sqlite")
    try:
        assert fresh.reindex() == 7
    finally:
        fresh.close()
    served.close()
    again = Served(served.archive.directory, str(tmp_path / "fresh.sqlite"))
    try:
        after, _ = find(
            again.port,
            S_FIND,
            QueryRetrieveLevel="SERIES",
            StudyInstanceUID=f"{ROOT}.1",
            SeriesInstanceUID="",
            Modality="",
        )
    finally:
        again.close()
    assert sorted(ds.SeriesInstanceUID for ds in after) == sorted(
        ds.SeriesInstanceUID for ds in before
    )


def test_storing_again_updates_the_index(served: Served) -> None:
    moved = instance("PB", 3, 1, 1, StudyDate="20231231", AccessionNumber="NEW")
    assoc = associate(served.port)
    assert assoc.send_c_store(moved).Status == 0x0000
    assoc.release()
    found, _ = find(
        served.port,
        S_FIND,
        QueryRetrieveLevel="STUDY",
        StudyInstanceUID=f"{ROOT}.3",
        AccessionNumber="",
    )
    assert [ds.AccessionNumber for ds in found] == ["NEW"]
    stored = dcmread(served.archive.directory / f"{ROOT}.3.1.1.dcm")
    assert stored.AccessionNumber == "NEW"


# -- the rows of an instance, two ways ------------------------------------------------


def test_rows_cut_from_bytes_are_those_of_the_decoded_data_set(tmp_path: Path) -> None:
    """``records_from_spans`` (the store path: bytes) and ``records_of`` (pydicom, for
    other transfer syntaxes) give the same rows: columns and decoded attributes."""
    from fastdimse.archive.reading import read_records
    from fastdimse.archive.records import decode_attributes, records_of

    latin = instance("PA", 60, 1, 1, SpecificCharacterSet="ISO_IR 100")
    latin.PatientName = "Müller^Jürgen"
    latin.add_new(0x00091010, "LO", "private")
    latin.add_new(0x00091011, "OB", b"\x00" * 2048)  # bulk: never indexed
    latin.PixelData = b"\x00" * 64
    latin["PixelData"].VR = "OW"
    for number, ds in enumerate([*corpus(), latin]):
        path = tmp_path / f"{number}.dcm"
        ds.save_as(path, enforce_file_format=True)
        from_bytes, syntax = read_records(path)
        decoded = records_of(dcmread(path, stop_before_pixels=True))
        assert syntax == ExplicitVRLittleEndian
        for level, record in from_bytes.items():
            assert record.columns == decoded[level].columns
            assert decode_attributes(record.attributes) == decode_attributes(
                decoded[level].attributes
            )
    rows = read_records(tmp_path / f"{len(corpus())}.dcm")[0]
    assert rows[Level.PATIENT].columns["patient_name_folded"] == "müller^jürgen"
    image = decode_attributes(rows[Level.IMAGE].attributes)
    assert 0x00091010 in image and 0x00091011 not in image and "PixelData" not in image


# -- indexes: a query does not scan the archive -----------------------------------------


@pytest.mark.parametrize(
    ("level", "keys"),
    [
        ("PATIENT", {"PatientID": "PA"}),
        ("PATIENT", {"PatientName": "doe*"}),
        ("STUDY", {"StudyDate": "20240101-20241231"}),
        ("STUDY", {"AccessionNumber": "ACC1"}),
        ("STUDY", {"StudyInstanceUID": f"{ROOT}.1"}),
        ("SERIES", {"StudyInstanceUID": f"{ROOT}.1", "Modality": "CT"}),
        ("IMAGE", {"SOPInstanceUID": f"{ROOT}.1.1.1"}),
    ],
)
def test_queries_use_an_index(
    served: Served, database: str, level: str, keys: dict[str, str]
) -> None:
    """The plan of a query on a key with a column searches an index, never scans the
    table of the query level (PostgreSQL is told to avoid scans where it can, as its
    planner would on a large archive)."""
    from fastdimse.archive.levels import PATIENT_ROOT
    from fastdimse.archive.query import _select, plan

    ident = Dataset()
    ident.QueryRetrieveLevel = level
    for keyword, value in keys.items():
        setattr(ident, keyword, value)
    statement, python = _select(plan(ident, PATIENT_ROOT))
    assert python == []
    assert_searches_an_index(served.archive.index.engine, statement, Level[level].table)


def assert_searches_an_index(engine: Any, statement: Any, table: str) -> None:
    """The plan of ``statement`` searches an index and never scans ``table`` (PostgreSQL
    is told to avoid scans where it can, as its planner would on a large archive)."""
    with engine.connect() as connection:
        compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
        if engine.dialect.name == "sqlite":
            explained = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
            steps = [row[-1] for row in explained]
            assert not any(step.startswith(f"SCAN {table}") for step in steps), steps
            assert any("USING" in step and "INDEX" in step for step in steps), steps
        else:
            connection.exec_driver_sql("SET enable_seqscan = off")
            steps = [row[0] for row in connection.exec_driver_sql(f"EXPLAIN {compiled}")]
            assert not any(f"Seq Scan on {table}" in s for s in steps), steps


def test_fsync_makes_each_stored_instance_durable_before_its_answer(tmp_path: Path) -> None:
    """With fsync, every acknowledged instance's file and directory were synced (the
    store's counters) and SQLite commits with synchronous=FULL."""
    archive = Archive(tmp_path / "store", tmp_path / "index.sqlite", fsync=True)
    ae = qr_ae(AE("ARCHIVE"))
    server = ae.start_server((LOCALHOST, 0), block=False, evt_handlers=archive.handlers)
    try:
        assoc = associate(int(server.server_address[1]))
        for ds in corpus()[:3]:
            assert assoc.send_c_store(ds).Status == 0x0000
        assoc.release()
        stats = archive.files.stats
        with archive.index.engine.connect() as connection:
            synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
    finally:
        server.shutdown()
        archive.close()
    assert stats.file_syncs >= 3 and stats.commits >= 3
    assert synchronous == 2  # FULL
