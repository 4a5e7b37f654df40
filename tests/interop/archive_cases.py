"""The C-FIND cases of the archive interop tests (``test_archive_interop.py``), and the check
of their responses against what was loaded.

``records`` lists each patient, study, series or image of ``qr_data`` with the values a C-FIND
response carries (counts included); ``selected`` is the test's own, plain reading of PS3.4
C.2.2.2 for the keys the cases use; each ``FindCase`` knows how many entities of the layout it
matches, so that a wrong expectation fails too.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydicom.datadict import dictionary_VR
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from .archive_peers import QRSCP_AET
from .conftest import CT_STORAGE
from .qr_data import Instance, QRData, identifier

# The keys an SCP adds to every C-FIND response itself (PS3.4 C.4.1.1.3.2, C.6.1.1.1).
SCP_KEYS = frozenset({"QueryRetrieveLevel", "RetrieveAETitle"})
UNIQUE_KEYS = {
    "PATIENT": "PatientID",
    "STUDY": "StudyInstanceUID",
    "SERIES": "SeriesInstanceUID",
    "IMAGE": "SOPInstanceUID",
}
LEVELS = tuple(UNIQUE_KEYS)
TOP_LEVEL = {"patient": "PATIENT", "study": "STUDY"}

# -- what was loaded, entity by entity ----------------------------------------------------------

Record = dict[str, str]


def records(data: QRData, level: str) -> list[Record]:
    """Each entity of ``level`` in the loaded data, with its attributes and those of the
    entities above it, as the text a C-FIND response carries (counts included)."""
    if level == "PATIENT":
        return [_patient(data, patient_id) for patient_id in data.patients()]
    if level == "STUDY":
        return [_study(data, first) for first in data.studies().values()]
    if level == "SERIES":
        return [_series(data, first) for first in data.all_series().values()]
    return [_image(data, instance) for instance in data.instances]


def _patient(data: QRData, patient_id: str) -> Record:
    held = data.of_patient(patient_id)
    return {
        "PatientID": patient_id,
        "PatientName": held[0].patient_name,
        "NumberOfPatientRelatedStudies": str(len({i.study_uid for i in held})),
        "NumberOfPatientRelatedSeries": str(len({i.series_uid for i in held})),
        "NumberOfPatientRelatedInstances": str(len(held)),
    }


def _study(data: QRData, first: Instance) -> Record:
    held = data.of_study(first.study_uid)
    return {
        **_patient(data, first.patient_id),
        "StudyInstanceUID": first.study_uid,
        "StudyDate": first.study_date,
        "AccessionNumber": first.accession_number,
        "NumberOfStudyRelatedSeries": str(len({i.series_uid for i in held})),
        "NumberOfStudyRelatedInstances": str(len(held)),
        "ModalitiesInStudy": "\\".join(sorted({i.modality for i in held})),
    }


def _series(data: QRData, first: Instance) -> Record:
    return {
        **_study(data, first),
        "SeriesInstanceUID": first.series_uid,
        "SeriesNumber": str(first.series_number),
        "Modality": first.modality,
        "NumberOfSeriesRelatedInstances": str(len(data.of_series(first.series_uid))),
    }


def _image(data: QRData, instance: Instance) -> Record:
    return {
        **_series(data, instance),
        "SOPInstanceUID": instance.sop_uid,
        "SOPClassUID": CT_STORAGE,
        "InstanceNumber": str(instance.instance_number),
    }


def selected(record: Record, keys: dict[str, Any]) -> bool:
    """The test's own reading of PS3.4 C.2.2.2 for the keys used here: a list of UIDs, a
    date range, wildcards (PN regardless of case, as the archive matches it), else equality;
    an empty key matches everything."""
    for keyword, key in keys.items():
        value = record[keyword]
        if isinstance(key, list):
            if value not in key:
                return False
        elif not key:
            continue
        elif dictionary_VR(keyword) == "DA" and "-" in key:
            low, _, high = key.partition("-")
            if not (low or value) <= value <= (high or value):
                return False
        elif dictionary_VR(keyword) == "PN":
            if not fnmatch.fnmatchcase(value.casefold(), key.casefold()):
                return False
        elif not fnmatch.fnmatchcase(value, key):
            return False
    return True


# -- the queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindCase:
    """A C-FIND: its model ("patient" or "study" root), level and keys (keyword -> value,
    "" to ask for an attribute, a list for UID list matching), and how many entities of
    ``qr_data``'s LAYOUT it matches (so that the expectation is checked too)."""

    name: str
    model: str
    level: str
    keys: Callable[[QRData], dict[str, Any]]
    count: int

    def identifier(self, data: QRData) -> Dataset:
        return identifier(self.level, **self.keys(data))

    def expected(self, data: QRData) -> set[tuple[str, ...]]:
        keys = self.keys(data)
        wanted = [r for r in records(data, self.level) if selected(r, keys)]
        assert len(wanted) == self.count, f"{self.name}: the layout gives {len(wanted)}"
        return {tuple(r[k] for k in sorted(keys)) for r in wanted}


PATIENT_1, PATIENT_3 = "QR-PAT-1", "QR-PAT-3"


def _studies_of(patient_id: str) -> Callable[[QRData], list[str]]:
    return lambda data: sorted(data.studies(patient_id))


def _series_of(patient_id: str) -> Callable[[QRData], list[str]]:
    return lambda data: sorted({i.series_uid for i in data.of_patient(patient_id)})


def _all_studies(data: QRData) -> list[str]:
    return sorted(data.studies())


def _all_series(data: QRData) -> list[str]:
    return sorted(data.all_series())


STUDY_KEYS = {"StudyInstanceUID": "", "PatientID": "", "PatientName": "", "StudyDate": ""}

CASES = (
    # Every entity of each level, in each model (UID lists name every entity above).
    FindCase(
        "patients", "patient", "PATIENT",
        lambda d: {
            "PatientID": "", "PatientName": "", "NumberOfPatientRelatedStudies": "",
            "NumberOfPatientRelatedSeries": "", "NumberOfPatientRelatedInstances": "",
        },
        3,
    ),
    FindCase(
        "studies-of-a-patient", "patient", "STUDY",
        lambda d: {
            "PatientID": PATIENT_3, "StudyInstanceUID": "", "StudyDate": "",
            "AccessionNumber": "", "NumberOfStudyRelatedSeries": "",
        },
        2,
    ),
    FindCase(
        "series-of-a-patient", "patient", "SERIES",
        lambda d: {
            "PatientID": PATIENT_3, "StudyInstanceUID": _studies_of(PATIENT_3)(d),
            "SeriesInstanceUID": "", "SeriesNumber": "", "Modality": "",
        },
        3,
    ),
    FindCase(
        "images-of-a-patient", "patient", "IMAGE",
        lambda d: {
            "PatientID": PATIENT_1, "StudyInstanceUID": _studies_of(PATIENT_1)(d),
            "SeriesInstanceUID": _series_of(PATIENT_1)(d), "SOPInstanceUID": "",
            "InstanceNumber": "",
        },
        7,
    ),
    FindCase(
        "studies", "study", "STUDY",
        lambda d: {
            **STUDY_KEYS, "AccessionNumber": "", "NumberOfStudyRelatedInstances": "",
            "ModalitiesInStudy": "",
        },
        5,
    ),
    FindCase(
        "series", "study", "SERIES",
        lambda d: {
            "StudyInstanceUID": _all_studies(d), "SeriesInstanceUID": "", "Modality": "",
            "SeriesNumber": "", "NumberOfSeriesRelatedInstances": "",
        },
        8,
    ),
    FindCase(
        "images", "study", "IMAGE",
        lambda d: {
            "StudyInstanceUID": _all_studies(d), "SeriesInstanceUID": _all_series(d),
            "SOPInstanceUID": "", "SOPClassUID": "", "InstanceNumber": "",
        },
        17,
    ),
    # Matching (PS3.4 C.2.2.2): wildcards, ranges, UID lists, single values.
    FindCase("name-wildcard", "study", "STUDY", lambda d: {**STUDY_KEYS, "PatientName": "*R*"}, 3),
    FindCase(
        "name-question-mark", "patient", "PATIENT",
        lambda d: {"PatientID": "", "PatientName": "?RAVO^*"},
        1,
    ),
    FindCase(
        "name-any-case", "patient", "PATIENT",
        lambda d: {"PatientID": "", "PatientName": "charlie*"},
        1,
    ),
    FindCase(
        "date-range", "study", "STUDY",
        lambda d: {**STUDY_KEYS, "StudyDate": "20240101-20240331"},
        3,
    ),
    FindCase("date-until", "study", "STUDY", lambda d: {**STUDY_KEYS, "StudyDate": "-20231231"}, 1),
    FindCase(
        "name-and-date-from", "study", "STUDY",
        lambda d: {**STUDY_KEYS, "PatientName": "*R*", "StudyDate": "20240201-"},
        2,
    ),
    FindCase(
        "study-uid-list", "study", "STUDY",
        lambda d: {**STUDY_KEYS, "StudyInstanceUID": _all_studies(d)[1:3]},
        2,
    ),
    FindCase(
        "accession-number", "study", "STUDY",
        lambda d: {**STUDY_KEYS, "AccessionNumber": "ACC-32"},
        1,
    ),
    FindCase(
        "series-number", "study", "SERIES",
        lambda d: {
            "StudyInstanceUID": _all_studies(d), "SeriesInstanceUID": "", "SeriesNumber": "2",
        },
        3,
    ),
)  # fmt: skip


def text_of(response: Dataset, keyword: str) -> str:
    """The value of ``keyword`` in a response as a record has it (values joined by "\\")."""
    value = response.get(keyword, "")
    if isinstance(value, MultiValue):
        return "\\".join(str(v) for v in value)
    return "" if value is None else str(value)


def assert_found(case: FindCase, responses: list[Dataset], data: QRData) -> None:
    """One response per matching entity, each with that entity's values, and exactly the
    requested keys plus the unique keys of the query level and those above it."""
    keys = case.keys(data)
    got = [tuple(text_of(r, k) for k in sorted(keys)) for r in responses]
    expected = case.expected(data)
    assert len(got) == len(set(got)), f"an entity answered twice: {sorted(got)}"
    assert set(got) == expected, f"missing {expected - set(got)}, unexpected {set(got) - expected}"
    levels = LEVELS[LEVELS.index(TOP_LEVEL[case.model]) : LEVELS.index(case.level) + 1]
    returned = set(keys) | {UNIQUE_KEYS[level] for level in levels} | SCP_KEYS
    for response in responses:
        assert {e.keyword for e in response} == returned, response
        assert response.QueryRetrieveLevel == case.level
        assert response.RetrieveAETitle == QRSCP_AET
