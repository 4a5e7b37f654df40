"""Test data for the Query/Retrieve interop tests: a small synthetic archive, its queries, and
larger data for benchmarks.

``write_archive`` writes 17 small CT instances (32x32 pixels, Explicit VR Little Endian,
Part 10) of 3 patients, 5 studies and 8 series, each with a distinct, known Patient ID,
Patient's Name, Study Instance UID, Study Date, Accession Number, Series Instance UID,
Series Number and SOP Instance UID. The same bytes every run: every UID and every pixel is
derived from names. The returned ``QRData`` knows what was written, so a test compares what a
peer returns with what it holds (counts and sets of keys), and a received file with its
original element by element (``store_data.assert_same_instance``).

Benchmarks reuse ``write_ct_instances`` (N CT instances of about 0.5 MB) and ``find_records``
(10,000 study-level records to answer a C-FIND from, e.g. with ``qr_scp.Archive``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benches.synthetic import ct_dataset, write_instance, write_study
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from .conftest import EXPLICIT

ROWS = COLUMNS = 32
PIXEL_BYTES = ROWS * COLUMNS * 2

# Patient ID, Patient's Name, then per study its Study Date and the instances of each series.
LAYOUT: tuple[tuple[str, str, tuple[tuple[str, tuple[int, ...]], ...]], ...] = (
    ("QR-PAT-1", "ALPHA^ANNA", (("20240105", (3, 2)), ("20240212", (2,)))),
    ("QR-PAT-2", "BRAVO^BEN", (("20240301", (2, 2)),)),
    ("QR-PAT-3", "CHARLIE^CHRIS", (("20231120", (1,)), ("20240418", (2, 3)))),
)
MODALITY = "CT"


@dataclass(frozen=True)
class Instance:
    """One instance written by ``write_archive``: its file and the keys a query can ask for."""

    path: Path
    patient_id: str
    patient_name: str
    study_uid: str
    study_date: str
    accession_number: str
    series_uid: str
    series_number: int
    modality: str
    sop_uid: str
    instance_number: int


@dataclass(frozen=True)
class QRData:
    """What ``write_archive`` wrote."""

    instances: tuple[Instance, ...]

    @property
    def paths(self) -> list[Path]:
        return [instance.path for instance in self.instances]

    def patients(self) -> dict[str, str]:
        """Patient ID -> Patient's Name."""
        return {i.patient_id: i.patient_name for i in self.instances}

    def studies(self, patient_id: str | None = None) -> dict[str, Instance]:
        """Study Instance UID -> its first instance (of one patient, or all)."""
        found: dict[str, Instance] = {}
        for i in self.instances:
            if patient_id is None or i.patient_id == patient_id:
                found.setdefault(i.study_uid, i)
        return found

    def series(self, study_uid: str) -> dict[str, Instance]:
        """Series Instance UID -> its first instance, for the series of one study."""
        found: dict[str, Instance] = {}
        for i in self.instances:
            if i.study_uid == study_uid:
                found.setdefault(i.series_uid, i)
        return found

    def all_series(self) -> dict[str, Instance]:
        found: dict[str, Instance] = {}
        for i in self.instances:
            found.setdefault(i.series_uid, i)
        return found

    def of_study(self, study_uid: str) -> list[Instance]:
        return [i for i in self.instances if i.study_uid == study_uid]

    def of_series(self, series_uid: str) -> list[Instance]:
        return [i for i in self.instances if i.series_uid == series_uid]

    def of_patient(self, patient_id: str) -> list[Instance]:
        return [i for i in self.instances if i.patient_id == patient_id]

    def by_sop_uid(self) -> dict[str, Instance]:
        return {i.sop_uid: i for i in self.instances}

    def largest_study(self) -> str:
        """The Study Instance UID with the most instances (a retrieve with several series)."""
        return max(self.studies(), key=lambda uid: len(self.of_study(uid)))

    def datasets(self) -> list[Dataset]:
        """Every instance read back (pixels included), in the order written."""
        return [dcmread(path) for path in self.paths]


def write_archive(directory: Path) -> QRData:
    """Write the instances of ``LAYOUT`` into ``directory`` (created); what was written."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Instance] = []
    for patient_id, patient_name, studies in LAYOUT:
        for study_number, (study_date, series_sizes) in enumerate(studies, start=1):
            study_uid = _uid(patient_id, f"study-{study_number}")
            accession = f"ACC-{patient_id[-1]}{study_number}"
            for series_number, size in enumerate(series_sizes, start=1):
                series_uid = _uid(study_uid, f"series-{series_number}")
                for number in range(1, size + 1):
                    sop_uid = _uid(series_uid, f"instance-{number}")
                    instance = Instance(
                        path=directory / f"{sop_uid}.dcm",
                        patient_id=patient_id,
                        patient_name=patient_name,
                        study_uid=study_uid,
                        study_date=study_date,
                        accession_number=accession,
                        series_uid=series_uid,
                        series_number=series_number,
                        modality=MODALITY,
                        sop_uid=sop_uid,
                        instance_number=number,
                    )
                    write_instance(_dataset(instance), instance.path, EXPLICIT)
                    written.append(instance)
    return QRData(tuple(written))


def _dataset(instance: Instance) -> Dataset:
    pixels = random.Random(instance.sop_uid).randbytes(PIXEL_BYTES)
    ds = ct_dataset(
        pixels,
        rows=ROWS,
        columns=COLUMNS,
        study_uid=instance.study_uid,
        series_uid=instance.series_uid,
        instance_uid=instance.sop_uid,
        instance_number=instance.instance_number,
    )
    ds.PatientID = instance.patient_id
    ds.PatientName = instance.patient_name
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = instance.study_date
    ds.AccessionNumber = instance.accession_number
    ds.StudyID = instance.accession_number[-2:]
    ds.SeriesNumber = instance.series_number
    ds.Modality = instance.modality
    ds.SeriesDescription = f"fastdimse Q/R series {instance.series_number}"
    return ds


def _uid(*names: str) -> str:
    return str(generate_uid(entropy_srcs=["fastdimse qr", *names]))


# -- identifiers ----------------------------------------------------------------------------


def identifier(level: str, **keys: object) -> Dataset:
    """A query/retrieve identifier: Query/Retrieve Level ``level`` and ``keys`` (keyword=value;
    "" asks for the attribute: universal matching)."""
    ds = Dataset()
    ds.QueryRetrieveLevel = level
    for keyword, value in keys.items():
        setattr(ds, keyword, value)
    return ds


def patient_query() -> Dataset:
    """Every patient (Patient Root)."""
    return identifier("PATIENT", PatientID="", PatientName="")


def study_query(patient_id: str = "", **keys: object) -> Dataset:
    """Every study (Study Root), or those of one patient."""
    fields: dict[str, object] = {
        "StudyInstanceUID": "",
        "PatientID": patient_id,
        "PatientName": "",
        "StudyDate": "",
        "AccessionNumber": "",
    }
    return identifier("STUDY", **{**fields, **keys})


def series_query(study_uid: str) -> Dataset:
    """The series of one study (Study Root)."""
    return identifier(
        "SERIES", StudyInstanceUID=study_uid, SeriesInstanceUID="", Modality="", SeriesNumber=""
    )


def image_query(study_uid: str, series_uid: str) -> Dataset:
    """The instances of one series (Study Root)."""
    return identifier(
        "IMAGE",
        StudyInstanceUID=study_uid,
        SeriesInstanceUID=series_uid,
        SOPInstanceUID="",
        InstanceNumber="",
    )


def study_retrieve(*study_uids: str) -> Dataset:
    """A C-MOVE/C-GET identifier for whole studies (several: a list of UIDs)."""
    return identifier("STUDY", StudyInstanceUID="\\".join(study_uids))


def series_retrieve(study_uid: str, series_uid: str) -> Dataset:
    return identifier("SERIES", StudyInstanceUID=study_uid, SeriesInstanceUID=series_uid)


@dataclass(frozen=True)
class FindLevel:
    """A C-FIND at one level of the archive: the information model ("patient" or "study"
    root), the query, the unique key of the level, and the values it must return."""

    root: str
    query: Callable[[QRData], Dataset]
    key: str
    expected: Callable[[QRData], set[str]]


def _one_series(data: QRData) -> Instance:
    return data.of_study(data.largest_study())[0]


# One query per level, each with a known set of matches.
FIND_LEVELS: dict[str, FindLevel] = {
    "PATIENT": FindLevel(
        "patient", lambda d: patient_query(), "PatientID", lambda d: set(d.patients())
    ),
    "STUDY": FindLevel(
        "study", lambda d: study_query(), "StudyInstanceUID", lambda d: set(d.studies())
    ),
    "SERIES": FindLevel(
        "study",
        lambda d: series_query(d.largest_study()),
        "SeriesInstanceUID",
        lambda d: set(d.series(d.largest_study())),
    ),
    "IMAGE": FindLevel(
        "study",
        lambda d: image_query(_one_series(d).study_uid, _one_series(d).series_uid),
        "SOPInstanceUID",
        lambda d: {i.sop_uid for i in d.of_series(_one_series(d).series_uid)},
    ),
}


def patient_retrieve(patient_id: str) -> Dataset:
    """A C-MOVE/C-GET identifier for every instance of a patient (Patient Root)."""
    return identifier("PATIENT", PatientID=patient_id)


def received_uids(paths: Iterable[Path]) -> set[str]:
    return {str(dcmread(path, stop_before_pixels=True).SOPInstanceUID) for path in paths}


# -- for benchmarks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchStudy:
    """``count`` CT instances of one study and series, about 0.5 MB each (512x512, 16 bits)."""

    directory: Path
    paths: tuple[Path, ...]
    study_uid: str
    series_uid: str


def write_ct_instances(directory: Path, count: int, *, seed: int = 1) -> BenchStudy:
    """Write ``count`` CT instances of ~0.5 MB each into ``directory`` (one study, one series;
    the same bytes for the same seed), for a C-MOVE or C-GET benchmark."""
    paths = write_study(directory, count, seed=seed)
    first = dcmread(paths[0], stop_before_pixels=True)
    return BenchStudy(
        directory, tuple(paths), str(first.StudyInstanceUID), str(first.SeriesInstanceUID)
    )


def find_records(count: int = 10_000, *, patients: int = 100) -> list[Dataset]:
    """``count`` study-level records (no pixels) over ``patients`` patients, for an SCP to
    answer a C-FIND from: ``study_query()`` matches all of them, one response each."""
    records: list[Dataset] = []
    for number in range(count):
        patient = number % patients
        ds = Dataset()
        ds.PatientID = f"BENCH-{patient:05d}"
        ds.PatientName = f"BENCH^PATIENT{patient:05d}"
        ds.StudyInstanceUID = _uid("bench-find", str(number))
        ds.StudyDate = f"2024{1 + number % 12:02d}{1 + number % 28:02d}"
        ds.AccessionNumber = f"B{number:07d}"
        ds.Modality = MODALITY
        records.append(ds)
    return records


def unique(items: Sequence[str]) -> set[str]:
    """``items`` as a set, failing on a duplicate (a peer that answered one match twice)."""
    found = set(items)
    if len(found) != len(items):
        raise AssertionError(f"duplicates among {sorted(items)}")
    return found
