"""The Query/Retrieve information models as the archive sees them (PS3.4 C.6).

Which level each attribute belongs to, the unique key of each level, which
attributes the index keeps in a column of their own (those it matches in SQL),
and which query models start at which level. One table of each: the schema,
the indexer and the query builder all read them from here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
    "COLUMNS",
    "COUNTS",
    "Column",
    "Level",
    "Model",
    "attributes_of",
    "level_of",
    "model_of",
    "served_sop_classes",
]


class Level(enum.IntEnum):
    """A level of the hierarchy, top first (PS3.4 C.3)."""

    PATIENT = 0
    STUDY = 1
    SERIES = 2
    IMAGE = 3

    @property
    def unique_key(self) -> str:
        """The keyword of the level's unique key (PS3.4 C.6.1.1)."""
        return _UNIQUE_KEYS[self]

    @property
    def table(self) -> str:
        """The name of the index's table for the level."""
        return _TABLES[self]

    @classmethod
    def named(cls, name: str) -> Level | None:
        """The level of a Query/Retrieve Level (0008,0052) value, if it is one."""
        return _BY_NAME.get(name.strip().upper())


_UNIQUE_KEYS = {
    Level.PATIENT: "PatientID",
    Level.STUDY: "StudyInstanceUID",
    Level.SERIES: "SeriesInstanceUID",
    Level.IMAGE: "SOPInstanceUID",
}
_TABLES = {
    Level.PATIENT: "patient",
    Level.STUDY: "study",
    Level.SERIES: "series",
    Level.IMAGE: "instance",
}
_BY_NAME = {level.name: level for level in Level}


@dataclass(frozen=True)
class Model:
    """A Query/Retrieve information model: its top level (Patient Root starts at
    PATIENT, Study Root at STUDY) and its lowest (Patient/Study Only stops at STUDY)."""

    name: str
    top: Level
    bottom: Level = Level.IMAGE

    def allows(self, level: Level) -> bool:
        return self.top <= level <= self.bottom

    def level_of(self, keyword: str) -> Level:
        """The level of an attribute in this model: a patient attribute belongs to
        the study level of a model without a patient level (PS3.4 C.6.2.1)."""
        return max(level_of(keyword), self.top)


PATIENT_ROOT = Model("Patient Root", Level.PATIENT)
STUDY_ROOT = Model("Study Root", Level.STUDY)
PATIENT_STUDY_ONLY = Model("Patient/Study Only", Level.PATIENT, Level.STUDY)

# The models by the SOP Class UIDs of their FIND, MOVE, GET (and GET without bulk data).
_MODELS = {
    **dict.fromkeys(
        (
            "1.2.840.10008.5.1.4.1.2.1.1",
            "1.2.840.10008.5.1.4.1.2.1.2",
            "1.2.840.10008.5.1.4.1.2.1.3",
        ),
        PATIENT_ROOT,
    ),
    **dict.fromkeys(
        (
            "1.2.840.10008.5.1.4.1.2.2.1",
            "1.2.840.10008.5.1.4.1.2.2.2",
            "1.2.840.10008.5.1.4.1.2.2.3",
        ),
        STUDY_ROOT,
    ),
    **dict.fromkeys(
        (
            "1.2.840.10008.5.1.4.1.2.3.1",
            "1.2.840.10008.5.1.4.1.2.3.2",
            "1.2.840.10008.5.1.4.1.2.3.3",
        ),
        PATIENT_STUDY_ONLY,
    ),
}


def model_of(sop_class_uid: str) -> Model | None:
    """The information model of a Q/R SOP class, None for one the archive does not serve."""
    return _MODELS.get(str(sop_class_uid))


def served_sop_classes() -> list[str]:
    """The FIND, MOVE and GET SOP Class UIDs of the models the archive serves."""
    return list(_MODELS)


# Attributes of the patient, study and series levels: the keys PS3.4 C.6.1.1.2-4
# lists for each level and the attributes of the modules at that level in PS3.3
# (Patient; General Study, Patient Study; General Series and the common series
# modules). Every other attribute of an instance belongs to the image level.
_PATIENT = (
    "PatientName",
    "PatientID",
    "IssuerOfPatientID",
    "IssuerOfPatientIDQualifiersSequence",
    "TypeOfPatientID",
    "ReferencedPatientSequence",
    "PatientBirthDate",
    "PatientBirthTime",
    "PatientBirthDateInAlternativeCalendar",
    "PatientDeathDateInAlternativeCalendar",
    "PatientAlternativeCalendar",
    "PatientSex",
    "QualityControlSubject",
    "StrainDescription",
    "StrainNomenclature",
    "StrainStockSequence",
    "StrainAdditionalInformation",
    "StrainCodeSequence",
    "GeneticModificationsSequence",
    "OtherPatientIDsSequence",
    "OtherPatientNames",
    "PatientBreedDescription",
    "PatientBreedCodeSequence",
    "BreedRegistrationSequence",
    "PatientSpeciesDescription",
    "PatientSpeciesCodeSequence",
    "ResponsiblePerson",
    "ResponsiblePersonRole",
    "ResponsibleOrganization",
    "EthnicGroup",
    "PatientComments",
    "PatientIdentityRemoved",
    "DeidentificationMethod",
    "DeidentificationMethodCodeSequence",
    "SourcePatientGroupIdentificationSequence",
    "GroupOfPatientsIdentificationSequence",
    "NumberOfPatientRelatedStudies",
    "NumberOfPatientRelatedSeries",
    "NumberOfPatientRelatedInstances",
)
_STUDY = (
    "StudyDate",
    "StudyTime",
    "AccessionNumber",
    "IssuerOfAccessionNumberSequence",
    "StudyID",
    "StudyInstanceUID",
    "ModalitiesInStudy",
    "SOPClassesInStudy",
    "AnatomicRegionsInStudyCodeSequence",
    "ReferringPhysicianName",
    "ReferringPhysicianIdentificationSequence",
    "ConsultingPhysicianName",
    "ConsultingPhysicianIdentificationSequence",
    "StudyDescription",
    "ProcedureCodeSequence",
    "NameOfPhysiciansReadingStudy",
    "PhysiciansReadingStudyIdentificationSequence",
    "PhysiciansOfRecord",
    "PhysiciansOfRecordIdentificationSequence",
    "AdmittingDiagnosesDescription",
    "AdmittingDiagnosesCodeSequence",
    "ReferencedStudySequence",
    "RequestingService",
    "RequestingServiceCodeSequence",
    "ReasonForPerformedProcedureCodeSequence",
    "PatientAge",
    "PatientSize",
    "PatientSizeCodeSequence",
    "PatientWeight",
    "PatientBodyMassIndex",
    "MeasuredAPDimension",
    "MeasuredLateralDimension",
    "MedicalAlerts",
    "Allergies",
    "SmokingStatus",
    "PregnancyStatus",
    "LastMenstrualDate",
    "PatientState",
    "Occupation",
    "AdditionalPatientHistory",
    "AdmissionID",
    "IssuerOfAdmissionIDSequence",
    "ServiceEpisodeID",
    "ServiceEpisodeDescription",
    "IssuerOfServiceEpisodeIDSequence",
    "PatientSexNeutered",
    "OtherStudyNumbers",
    "NumberOfStudyRelatedSeries",
    "NumberOfStudyRelatedInstances",
    "TimezoneOffsetFromUTC",
)
_SERIES = (
    "Modality",
    "SeriesNumber",
    "SeriesInstanceUID",
    "SeriesDate",
    "SeriesTime",
    "SeriesDescription",
    "SeriesDescriptionCodeSequence",
    "Laterality",
    "PerformingPhysicianName",
    "PerformingPhysicianIdentificationSequence",
    "ProtocolName",
    "OperatorsName",
    "OperatorIdentificationSequence",
    "ReferencedPerformedProcedureStepSequence",
    "RelatedSeriesSequence",
    "BodyPartExamined",
    "PatientPosition",
    "SmallestPixelValueInSeries",
    "LargestPixelValueInSeries",
    "RequestAttributesSequence",
    "PerformedProcedureStepID",
    "PerformedProcedureStepStartDate",
    "PerformedProcedureStepStartTime",
    "PerformedProcedureStepEndDate",
    "PerformedProcedureStepEndTime",
    "PerformedProcedureStepDescription",
    "PerformedProtocolCodeSequence",
    "CommentsOnThePerformedProcedureStep",
    "AnatomicalOrientationType",
    "Manufacturer",
    "InstitutionName",
    "InstitutionAddress",
    "StationName",
    "InstitutionalDepartmentName",
    "ManufacturerModelName",
    "DeviceSerialNumber",
    "SoftwareVersions",
    "NumberOfSeriesRelatedInstances",
)
_LEVEL_OF = {
    **dict.fromkeys(_PATIENT, Level.PATIENT),
    **dict.fromkeys(_STUDY, Level.STUDY),
    **dict.fromkeys(_SERIES, Level.SERIES),
}


def level_of(keyword: str) -> Level:
    """The level an attribute belongs to (the image level unless listed above)."""
    return _LEVEL_OF.get(keyword, Level.IMAGE)


def attributes_of(level: Level) -> frozenset[str]:
    """The keywords listed for a level above the image level (empty for IMAGE)."""
    return frozenset(k for k, v in _LEVEL_OF.items() if v is level)


@dataclass(frozen=True)
class Column:
    """An attribute the index keeps in a column of its level's table (in the
    matching module's stored form), matched in SQL. ``folded``: a second column
    keeps its case-folded form too (PN, matched regardless of case)."""

    keyword: str
    name: str
    vr: str
    folded: bool = False

    @property
    def folded_name(self) -> str:
        return f"{self.name}_folded"


# The index's columns: the required and unique keys of each level (PS3.4
# C.6.1.1.2-5) and the optional keys most queries use. Other keys are matched on
# the level's stored attributes, in Python, after the SQL has narrowed the rows.
COLUMNS: dict[Level, tuple[Column, ...]] = {
    Level.PATIENT: (
        Column("PatientID", "patient_id", "LO"),
        Column("IssuerOfPatientID", "issuer_of_patient_id", "LO"),
        Column("PatientName", "patient_name", "PN", folded=True),
        Column("PatientBirthDate", "patient_birth_date", "DA"),
        Column("PatientSex", "patient_sex", "CS"),
    ),
    Level.STUDY: (
        Column("StudyInstanceUID", "study_instance_uid", "UI"),
        Column("StudyDate", "study_date", "DA"),
        Column("StudyTime", "study_time", "TM"),
        Column("AccessionNumber", "accession_number", "SH"),
        Column("StudyID", "study_id", "SH"),
        Column("ReferringPhysicianName", "referring_physician_name", "PN", folded=True),
        Column("StudyDescription", "study_description", "LO"),
    ),
    Level.SERIES: (
        Column("SeriesInstanceUID", "series_instance_uid", "UI"),
        Column("Modality", "modality", "CS"),
        Column("SeriesNumber", "series_number", "IS"),
        Column("SeriesDate", "series_date", "DA"),
        Column("SeriesDescription", "series_description", "LO"),
        Column("BodyPartExamined", "body_part_examined", "CS"),
    ),
    Level.IMAGE: (
        Column("SOPInstanceUID", "sop_instance_uid", "UI"),
        Column("SOPClassUID", "sop_class_uid", "UI"),
        Column("InstanceNumber", "instance_number", "IS"),
    ),
}

# Attributes the archive computes from what it holds (PS3.4 C.6.1.1.2-4), by the
# level whose records they describe.
COUNTS: dict[str, Level] = {
    "NumberOfPatientRelatedStudies": Level.PATIENT,
    "NumberOfPatientRelatedSeries": Level.PATIENT,
    "NumberOfPatientRelatedInstances": Level.PATIENT,
    "NumberOfStudyRelatedSeries": Level.STUDY,
    "NumberOfStudyRelatedInstances": Level.STUDY,
    "ModalitiesInStudy": Level.STUDY,
    "SOPClassesInStudy": Level.STUDY,
    "NumberOfSeriesRelatedInstances": Level.SERIES,
}
