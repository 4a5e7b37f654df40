"""Our Q/R SCU against real archives: Debian's Orthanc and DCMTK's dcmqrscp.

Both hold the 17 instances of ``qr_data`` and know our move destination (``QRMOVEDEST``, a
storage SCP of ours). Every test runs against each: C-FIND at the PATIENT, STUDY, SERIES and
IMAGE levels must return exactly the keys loaded (counts and sets), C-MOVE and C-GET (with
SCP/SCU role selection) must bring back exactly the instances asked for, each the original
element by element. The library is chosen by ``qr_api`` (FASTDIMSE_QR_REFERENCE=pynetdicom
runs the same tests with pynetdicom as the reference).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .conftest import QR_MOVE_AET, ArchivePeer
from .qr_api import sop_class
from .qr_data import (
    QRData,
    image_query,
    patient_query,
    patient_retrieve,
    series_query,
    series_retrieve,
    study_query,
    study_retrieve,
    unique,
)
from .qr_support import (
    assert_complete,
    collect,
    find,
    keys,
    written,
)
from .store_data import EncodedWriter

PATIENT_FIND = str(sop_class.PatientRootQueryRetrieveInformationModelFind)
STUDY_FIND = str(sop_class.StudyRootQueryRetrieveInformationModelFind)
STUDY_MOVE = str(sop_class.StudyRootQueryRetrieveInformationModelMove)
STUDY_GET = str(sop_class.StudyRootQueryRetrieveInformationModelGet)
PATIENT_GET = str(sop_class.PatientRootQueryRetrieveInformationModelGet)


# -- C-FIND -------------------------------------------------------------------------------


def test_find_patients(
    archive: ArchivePeer, qr_connect: Callable[..., Any], qr_data: QRData
) -> None:
    assoc = qr_connect(archive.port, archive.aet)
    outcome = find(assoc, patient_query(), PATIENT_FIND)
    outcome.assert_success()
    found = dict(zip(keys(outcome, "PatientID"), keys(outcome, "PatientName"), strict=True))
    assert len(outcome.matches) == len(qr_data.patients())
    assert found == qr_data.patients()


def test_find_studies(
    archive: ArchivePeer, qr_connect: Callable[..., Any], qr_data: QRData
) -> None:
    assoc = qr_connect(archive.port, archive.aet)
    outcome = find(assoc, study_query(), STUDY_FIND)
    outcome.assert_success()
    studies = qr_data.studies()
    assert unique(keys(outcome, "StudyInstanceUID")) == set(studies)
    for match in outcome.matches:
        first = studies[str(match.StudyInstanceUID)]
        assert str(match.PatientID) == first.patient_id
        assert str(match.PatientName) == first.patient_name
        assert str(match.StudyDate) == first.study_date
        assert str(match.AccessionNumber) == first.accession_number


def test_find_studies_of_each_patient(
    archive: ArchivePeer, qr_connect: Callable[..., Any], qr_data: QRData
) -> None:
    """Patient Root at the STUDY level, the patient's ID given (a single value match)."""
    assoc = qr_connect(archive.port, archive.aet)
    for patient_id in qr_data.patients():
        outcome = find(assoc, study_query(patient_id), PATIENT_FIND)
        outcome.assert_success()
        assert unique(keys(outcome, "StudyInstanceUID")) == set(qr_data.studies(patient_id))
        assert set(keys(outcome, "PatientID")) == {patient_id}


def test_find_series(archive: ArchivePeer, qr_connect: Callable[..., Any], qr_data: QRData) -> None:
    assoc = qr_connect(archive.port, archive.aet)
    total = 0
    for study_uid in qr_data.studies():
        outcome = find(assoc, series_query(study_uid), STUDY_FIND)
        outcome.assert_success()
        series = qr_data.series(study_uid)
        assert unique(keys(outcome, "SeriesInstanceUID")) == set(series)
        for match in outcome.matches:
            first = series[str(match.SeriesInstanceUID)]
            assert str(match.Modality) == first.modality
            assert int(match.SeriesNumber) == first.series_number
        total += len(outcome.matches)
    assert total == len(qr_data.all_series())


def test_find_images(archive: ArchivePeer, qr_connect: Callable[..., Any], qr_data: QRData) -> None:
    assoc = qr_connect(archive.port, archive.aet)
    found: list[str] = []
    for series_uid, first in qr_data.all_series().items():
        outcome = find(assoc, image_query(first.study_uid, series_uid), STUDY_FIND)
        outcome.assert_success()
        expected = {i.sop_uid: i.instance_number for i in qr_data.of_series(series_uid)}
        numbers = [int(n) for n in keys(outcome, "InstanceNumber")]
        assert dict(zip(keys(outcome, "SOPInstanceUID"), numbers, strict=True)) == expected
        found.extend(keys(outcome, "SOPInstanceUID"))
    assert unique(found) == set(qr_data.by_sop_uid())


def test_find_wildcard_and_date_range(
    archive: ArchivePeer, qr_connect: Callable[..., Any], qr_data: QRData
) -> None:
    """Patient's Name with a wildcard, Study Date as a range: the studies that match both."""
    assoc = qr_connect(archive.port, archive.aet)
    outcome = find(assoc, study_query(PatientName="C*", StudyDate="20240101-20241231"), STUDY_FIND)
    outcome.assert_success()
    expected = {
        uid
        for uid, first in qr_data.studies().items()
        if first.patient_name.startswith("C") and "20240101" <= first.study_date <= "20241231"
    }
    assert len(expected) == 1
    assert unique(keys(outcome, "StudyInstanceUID")) == expected


def test_find_no_match(archive: ArchivePeer, qr_connect: Callable[..., Any]) -> None:
    assoc = qr_connect(archive.port, archive.aet)
    outcome = find(assoc, study_query("NOBODY"), STUDY_FIND)
    outcome.assert_success()
    assert outcome.matches == []


# -- C-MOVE -------------------------------------------------------------------------------


def test_move_study(
    archive: ArchivePeer, qr_connect: Callable[..., Any], qr_data: QRData, moved: EncodedWriter
) -> None:
    study_uid = qr_data.largest_study()
    assoc = qr_connect(archive.port, archive.aet)
    outcome = collect(assoc.send_c_move(study_retrieve(study_uid), QR_MOVE_AET, STUDY_MOVE))
    assert_complete(outcome, written(moved), qr_data.of_study(study_uid), archive.log_tail())


def test_move_series(
    archive: ArchivePeer, qr_connect: Callable[..., Any], qr_data: QRData, moved: EncodedWriter
) -> None:
    first = qr_data.of_study(qr_data.largest_study())[0]
    assoc = qr_connect(archive.port, archive.aet)
    identifier = series_retrieve(first.study_uid, first.series_uid)
    outcome = collect(assoc.send_c_move(identifier, QR_MOVE_AET, STUDY_MOVE))
    assert_complete(outcome, written(moved), qr_data.of_series(first.series_uid))


def test_move_to_unknown_destination(
    archive: ArchivePeer, qr_connect: Callable[..., Any], qr_data: QRData, moved: EncodedWriter
) -> None:
    assoc = qr_connect(archive.port, archive.aet)
    identifier = study_retrieve(qr_data.largest_study())
    outcome = collect(assoc.send_c_move(identifier, "NOSUCHDEST", STUDY_MOVE))
    assert outcome.final_status == archive.unknown_destination
    assert written(moved) == []


# -- C-GET ---------------------------------------------------------------------------------


def test_get_study(
    archive: ArchivePeer, qr_connect: Callable[..., Any], qr_data: QRData, tmp_path: Path
) -> None:
    study_uid = qr_data.largest_study()
    receiver = EncodedWriter(tmp_path / "got")
    assoc = qr_connect(archive.port, archive.aet, receiver=receiver)
    outcome = collect(assoc.send_c_get(study_retrieve(study_uid), STUDY_GET))
    assert_complete(outcome, written(receiver), qr_data.of_study(study_uid), archive.log_tail())


def test_get_patient(
    archive: ArchivePeer, qr_connect: Callable[..., Any], qr_data: QRData, tmp_path: Path
) -> None:
    """Patient Root at the PATIENT level: every study of the patient, in one C-GET."""
    patient_id = qr_data.instances[0].patient_id
    receiver = EncodedWriter(tmp_path / "got")
    assoc = qr_connect(archive.port, archive.aet, receiver=receiver)
    outcome = collect(assoc.send_c_get(patient_retrieve(patient_id), PATIENT_GET))
    assert_complete(outcome, written(receiver), qr_data.of_patient(patient_id))
