"""The Q/R test data and the in-memory archive's matching, without a network: what the other
test_qr_* files and the benchmarks build on."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydicom import dcmread

from .qr_data import (
    FIND_LEVELS,
    QRData,
    find_records,
    identifier,
    study_query,
    study_retrieve,
    unique,
    write_archive,
    write_ct_instances,
)
from .qr_scp import Archive, value_matches


def test_archive_layout(qr_data: QRData, tmp_path: Path) -> None:
    assert (len(qr_data.patients()), len(qr_data.studies()), len(qr_data.all_series())) == (3, 5, 8)
    assert len(qr_data.instances) == len(unique([i.sop_uid for i in qr_data.instances])) == 17
    assert len(unique([i.study_date for i in qr_data.studies().values()])) == 5
    # Deterministic: written again elsewhere, the same UIDs and the same bytes.
    again = write_archive(tmp_path)
    assert [i.sop_uid for i in again.instances] == [i.sop_uid for i in qr_data.instances]
    assert again.paths[0].read_bytes() == qr_data.paths[0].read_bytes()
    first = dcmread(qr_data.paths[0])
    assert (first.PatientID, first.StudyInstanceUID) == (
        qr_data.instances[0].patient_id,
        qr_data.instances[0].study_uid,
    )


@pytest.mark.parametrize("level", list(FIND_LEVELS))
def test_archive_find(level: str, qr_data: QRData) -> None:
    spec = FIND_LEVELS[level]
    responses = Archive(qr_data.datasets()).find(spec.query(qr_data))
    assert unique([str(r.get(spec.key)) for r in responses]) == spec.expected(qr_data)
    assert {str(r.QueryRetrieveLevel) for r in responses} == {level}
    assert all("PixelData" not in r for r in responses)


def test_archive_retrieve(qr_data: QRData) -> None:
    archive = Archive(qr_data.datasets())
    two = list(qr_data.studies())[:2]
    found = {str(ds.SOPInstanceUID) for ds in archive.retrieve(study_retrieve(*two))}
    assert found == {i.sop_uid for uid in two for i in qr_data.of_study(uid)}
    assert archive.retrieve(identifier("NOLEVEL", StudyInstanceUID=two[0])) == []


@pytest.mark.parametrize(
    ("vr", "wanted", "have", "matches"),
    [
        ("UI", "1.2\\1.3", "1.3", True),
        ("UI", "1.2\\1.3", "1.23", False),
        ("DA", "20240101-20241231", "20240418", True),
        ("DA", "-20231231", "20240418", False),
        ("DA", "20240101-", "20240101", True),
        ("PN", "BRAVO*", "BRAVO^BEN", True),
        ("PN", "?RAVO^BEN", "BRAVO^BEN", True),
        ("LO", "QR-PAT-1", "QR-PAT-10", False),
    ],
)
def test_value_matches(vr: str, wanted: str, have: str, matches: bool) -> None:
    assert value_matches(vr, wanted, have) is matches


def test_benchmark_instances(tmp_path: Path) -> None:
    study = write_ct_instances(tmp_path, 3)
    assert len(study.paths) == 3
    sizes = [path.stat().st_size for path in study.paths]
    assert all(500_000 < size < 600_000 for size in sizes), sizes
    read = [dcmread(path, stop_before_pixels=True) for path in study.paths]
    assert {str(ds.StudyInstanceUID) for ds in read} == {study.study_uid}
    assert len({str(ds.SOPInstanceUID) for ds in read}) == 3


def test_benchmark_find_records() -> None:
    records = find_records()
    assert len(unique([str(r.StudyInstanceUID) for r in records])) == 10_000
    one_patient = Archive(records).find(study_query("BENCH-00007"))
    assert len(one_patient) == 100
