"""Modality Worklist items and queries for the worklist tests (``test_archive_worklist.py``
and ``interop/test_worklist_dcmtk.py``).

The same six items serve every test: as pydicom Datasets (``item``) for the API, and as
DCMTK dump text (``dump_text``) made into ``.wl`` files by DCMTK's dump2dcm
(``write_wl``), which the archive imports and DCMTK's wlmscpfs serves. Each item is
complete in wlmscpfs's sense (every return key of type 1 in PS3.4 Table K.6-1 has a
value), so that wlmscpfs serves every one of them.

A ``Case`` is a query and the Scheduled Procedure Step IDs of the items it must find,
worked out by hand from the items below, not by any code under test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydicom import config
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence

from helpers import run_dcmtk

# The character set of every item's file (one patient's name is not ASCII).
CHARSET = "ISO_IR 100"
ENCODING = "latin-1"


@dataclass(frozen=True)
class Step:
    """One worklist item: its patient, request, requested procedure and scheduled step."""

    step_id: str
    patient: str
    patient_id: str
    sex: str
    birth_date: str
    accession: str
    procedure_id: str
    station: str | list[str]
    modality: str
    date: str
    time: str
    physician: str | None
    station_name: str | None = None
    protocol: str | None = None


STEPS = (
    Step("SPS1", "Doe^Jane", "P1", "F", "19700101", "ACC1", "RP1", "CT1", "CT", "20240105",
         "0800", "Smith^Anna", "CTROOM1", "CODE1"),
    Step("SPS2", "Doe^John", "P2", "M", "19650315", "ACC2", "RP2", ["CT1", "CT2"], "CT",
         "20240105", "133000", "Smith^Anna", "CTROOM2"),
    Step("SPS3", "Müller^Hans", "P3", "M", "19801224", "ACC3", "RP3", "MR1", "MR", "20240106",
         "091500", "Jones^Bob", None, "CODE2"),
    Step("SPS4", "Roe^Richard", "P4", "M", "19501111", "ACC4", "RP4", "US1", "US", "20240107",
         "1000", "Jones^Bob"),
    Step("SPS5", "Roe^Richard", "P4", "M", "19501111", "ACC4", "RP5", "MR1", "MR", "20240110",
         "080000", "Smith^Anna"),
    Step("SPS6", "Poe^Edgar", "P6", "M", "19090119", "ACC6", "RP6", "CT2", "CT", "20240201",
         "2300", None),
)  # fmt: skip
STEP_IDS = frozenset(step.step_id for step in STEPS)


def item(step: Step) -> Dataset:
    """The worklist item of ``step``."""
    ds = Dataset()
    ds.SpecificCharacterSet = CHARSET
    ds.AccessionNumber = step.accession
    ds.ReferencedStudySequence = Sequence()
    ds.ReferencedPatientSequence = Sequence()
    ds.PatientName = step.patient
    ds.PatientID = step.patient_id
    ds.PatientBirthDate = step.birth_date
    ds.PatientSex = step.sex
    ds.StudyInstanceUID = f"1.2.826.0.1.3680043.9.7433.15.{step.step_id[3:]}"
    ds.RequestedProcedureDescription = f"Procedure {step.procedure_id}"
    sps = Dataset()
    sps.Modality = step.modality
    sps.ScheduledStationAETitle = step.station
    sps.ScheduledProcedureStepStartDate = step.date
    sps.ScheduledProcedureStepStartTime = step.time
    if step.physician is not None:
        sps.ScheduledPerformingPhysicianName = step.physician
    sps.ScheduledProcedureStepDescription = f"Step {step.step_id}"
    if step.protocol is not None:
        code = Dataset()
        code.CodeValue = step.protocol
        code.CodingSchemeDesignator = "99TEST"
        code.CodeMeaning = f"Protocol {step.protocol}"
        sps.ScheduledProtocolCodeSequence = Sequence([code])
    sps.ScheduledProcedureStepID = step.step_id
    if step.station_name is not None:
        sps.ScheduledStationName = step.station_name
    ds.ScheduledProcedureStepSequence = Sequence([sps])
    ds.RequestedProcedureID = step.procedure_id
    return ds


def items() -> list[Dataset]:
    return [item(step) for step in STEPS]


# -- .wl files ------------------------------------------------------------------------------


def dump_text(ds: Dataset) -> str:
    """``ds`` in DCMTK's dump format, which dump2dcm reads."""
    lines: list[str] = []
    _dump(ds, lines)
    return "\n".join(lines) + "\n"


def _dump(ds: Dataset, lines: list[str]) -> None:
    for element in ds:
        tag = f"({element.tag.group:04x},{element.tag.element:04x})"
        if element.VR == "SQ":
            lines.append(f"{tag} SQ")
            for one in element.value:
                lines.append("(fffe,e000) -")
                _dump(one, lines)
                lines.append("(fffe,e00d) -")
            lines.append("(fffe,e0dd) -")
            continue
        value = element.value
        text = "\\".join(map(str, value)) if isinstance(value, MultiValue) else str(value)
        lines.append(f"{tag} {element.VR} [{text}]")


def write_wl(ds: Dataset, path: Path, *, meta: bool = True, implicit: bool = False) -> Path:
    """``ds`` as a worklist file made by dump2dcm: a DICOM file, or with ``meta=False``
    a bare data set (``-F``, no preamble nor File Meta Information); in Explicit VR
    Little Endian, or Implicit with ``implicit``."""
    dump = path.with_suffix(".dump")
    dump.write_bytes(dump_text(ds).encode(ENCODING))
    options = ([] if meta else ["-F"]) + (["+ti"] if implicit else ["+te"])
    result = run_dcmtk("dump2dcm", *options, str(dump), str(path))
    assert result.returncode == 0, result.stdout
    dump.unlink()
    return path


def write_worklist(directory: Path, datasets: list[Dataset]) -> list[Path]:
    """Each item into ``directory`` as ``<SPS ID>.wl``, every other one without File Meta
    Information (both kinds wlmscpfs reads), and wlmscpfs's empty ``lockfile``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "lockfile").touch()
    return [
        write_wl(ds, directory / f"{step_id(ds)}.wl", meta=number % 2 == 0)
        for number, ds in enumerate(datasets)
    ]


def step_id(ds: Dataset) -> str:
    return str(ds.ScheduledProcedureStepSequence[0].ScheduledProcedureStepID)


# -- queries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A worklist query: keys of the top level and of the Scheduled Procedure Step
    Sequence's Item ("" asks for the value), and the SPS IDs of the items it finds.
    ``dcmtk``: wlmscpfs matches it as we do (it matches PN case-sensitively, knows a
    fixed set of matching keys, and matches a date range with a time range as one)."""

    name: str
    top: dict[str, Any]
    step: dict[str, Any]
    expected: frozenset[str]
    dcmtk: bool = True
    nested: dict[str, Any] = field(default_factory=dict)


# The keys every case asks for besides its own, so that responses can be compared.
RETURNED_TOP = ("PatientName", "PatientID", "AccessionNumber", "RequestedProcedureID")
RETURNED_STEP = (
    "ScheduledProcedureStepID",
    "ScheduledStationAETitle",
    "Modality",
    "ScheduledProcedureStepStartDate",
    "ScheduledProcedureStepStartTime",
)

CASES = (
    Case("universal", {}, {}, STEP_IDS),
    Case("date-range", {}, {"ScheduledProcedureStepStartDate": "20240105-20240106"},
         frozenset({"SPS1", "SPS2", "SPS3"})),
    Case("date-from", {}, {"ScheduledProcedureStepStartDate": "20240107-"},
         frozenset({"SPS4", "SPS5", "SPS6"})),
    Case("date-until", {}, {"ScheduledProcedureStepStartDate": "-20240105"},
         frozenset({"SPS1", "SPS2"})),
    Case("single-date", {}, {"ScheduledProcedureStepStartDate": "20240110"},
         frozenset({"SPS5"})),
    Case("time-range", {}, {"ScheduledProcedureStepStartTime": "1200-"},
         frozenset({"SPS2", "SPS6"})),
    Case("date-and-time", {}, {"ScheduledProcedureStepStartDate": "20240105",
                               "ScheduledProcedureStepStartTime": "0700-0900"},
         frozenset({"SPS1"})),
    Case("station", {}, {"ScheduledStationAETitle": "CT1"}, frozenset({"SPS1", "SPS2"})),
    Case("station-of-several", {}, {"ScheduledStationAETitle": "CT2"},
         frozenset({"SPS2", "SPS6"})),
    Case("modality", {}, {"Modality": "MR"}, frozenset({"SPS3", "SPS5"})),
    Case("station-and-modality", {}, {"ScheduledStationAETitle": "MR1", "Modality": "MR",
                                      "ScheduledProcedureStepStartDate": "20240101-20240108"},
         frozenset({"SPS3"})),
    Case("name-wildcard", {"PatientName": "Doe*"}, {}, frozenset({"SPS1", "SPS2"})),
    Case("name-question-mark", {"PatientName": "?oe^*"}, {},
         frozenset({"SPS1", "SPS2", "SPS4", "SPS5", "SPS6"})),
    Case("name-any-case", {"PatientName": "doe*"}, {}, frozenset({"SPS1", "SPS2"}),
         dcmtk=False),
    Case("patient-id", {"PatientID": "P4"}, {}, frozenset({"SPS4", "SPS5"})),
    Case("accession", {"AccessionNumber": "ACC4"}, {}, frozenset({"SPS4", "SPS5"})),
    Case("procedure-id", {"RequestedProcedureID": "RP5"}, {}, frozenset({"SPS5"})),
    Case("physician", {}, {"ScheduledPerformingPhysicianName": "Jones^Bob"},
         frozenset({"SPS3", "SPS4"})),
    # An item without the value matches nothing but universal matching (K.2.2.1.1.1).
    Case("physician-wildcard", {}, {"ScheduledPerformingPhysicianName": "*^*"},
         STEP_IDS - {"SPS6"}),
    Case("sex", {"PatientSex": "F"}, {}, frozenset({"SPS1"})),
    Case("birth-date", {"PatientBirthDate": "19600101-19801231"}, {},
         frozenset({"SPS1", "SPS2", "SPS3"})),
    # Keys wlmscpfs does not match on: it would return every item.
    Case("step-id", {}, {"ScheduledProcedureStepID": "SPS3"}, frozenset({"SPS3"}),
         dcmtk=False),
    Case("station-name", {}, {"ScheduledStationName": "CTROOM*"},
         frozenset({"SPS1", "SPS2"}), dcmtk=False),
    Case("description", {"RequestedProcedureDescription": "Procedure RP?"}, {},
         STEP_IDS, dcmtk=False),
    Case("protocol-code", {}, {}, frozenset({"SPS3"}), dcmtk=False,
         nested={"CodeValue": "CODE2"}),
    Case("no-match", {"PatientID": "P9"}, {}, frozenset()),
)  # fmt: skip


def identifier(case: Case) -> Dataset:
    """The query of ``case``, with the keys every case asks for."""
    ds = Dataset()
    for keyword in RETURNED_TOP:
        set_key(ds, keyword, "")
    for keyword, value in case.top.items():
        set_key(ds, keyword, value)
    sps = Dataset()
    for keyword in RETURNED_STEP:
        set_key(sps, keyword, "")
    for keyword, value in case.step.items():
        set_key(sps, keyword, value)
    if case.nested:
        code = Dataset()
        for keyword, value in case.nested.items():
            set_key(code, keyword, value)
        sps.ScheduledProtocolCodeSequence = Sequence([code])
    ds.ScheduledProcedureStepSequence = Sequence([sps])
    return ds


def set_key(ds: Dataset, keyword: str, value: Any) -> None:
    """``ds.<keyword> = value``, not validated: a wild card or a range is no valid value
    of most VRs, yet a valid key."""
    tag = tag_for_keyword(keyword)
    assert tag is not None, keyword
    ds.add(DataElement(tag, dictionary_VR(tag), value, validation_mode=config.IGNORE))


def findscu_keys(case: Case) -> list[str]:
    """The query of ``case`` as findscu's ``-k`` options (the Item's keys by path)."""
    query = identifier(case)
    options: list[str] = []
    assert not case.nested, "findscu's paths here name the Item's own keys only"
    for element in query:
        if element.VR == "SQ":
            for inner in element.value[0]:
                path = f"{element.keyword}[0].{inner.keyword}"
                options += ["-k", f"{path}={inner.value}" if inner.value else path]
            continue
        value = "" if element.value is None else str(element.value)
        options += ["-k", f"{element.keyword}={value}" if value else element.keyword]
    return options


def summary(response: Dataset) -> tuple[str, ...]:
    """What a response says of the keys every case asks for, for comparing two peers'."""
    sps = response.ScheduledProcedureStepSequence[0]
    values = [_text(response.get(keyword)) for keyword in RETURNED_TOP]
    values += [_text(sps.get(keyword)) for keyword in RETURNED_STEP]
    return tuple(values)


def expected_summary(step: Step) -> tuple[str, ...]:
    """``summary`` of the response that finds ``step``."""
    stations = "\\".join(step.station) if isinstance(step.station, list) else step.station
    return (
        step.patient, step.patient_id, step.accession, step.procedure_id,
        step.step_id, stations, step.modality, step.date, step.time,
    )  # fmt: skip


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, MultiValue):
        return "\\".join(map(str, value))
    return str(value)
