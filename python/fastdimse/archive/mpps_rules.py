"""What PS3.4 Annex F lets an SCU create and set in a Modality Performed Procedure
Step: the checks the SCP makes of an N-CREATE's Attribute List (F.7.2.1) and of an
N-SET's Modification List (F.7.2.2), and the merge of a Modification List into the
stored attributes. Pure: data sets in, a refusal or a data set out; no database.

Data sets given here are decoded (``Dataset.decode()``): their text values are
``str``, so values from different character sets compare and merge as text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset

from fastdimse._dimse.answers import PROCESSING_FAILURE
from fastdimse._services.base import STATUS_UNRECOGNISED_OPERATION
from fastdimse._sop_class_table import PROCEDURE_STEP_CLASSES

__all__ = [
    "COMPLETED",
    "DISCONTINUED",
    "DUPLICATE_SOP_INSTANCE",
    "IN_PROGRESS",
    "MPPS",
    "MPPS_RETRIEVE",
    "NO_SUCH_SOP_INSTANCE",
    "Refusal",
    "check_create",
    "check_set",
    "class_refusal",
    "merge",
    "requested",
    "step_status",
]

MPPS = PROCEDURE_STEP_CLASSES["ModalityPerformedProcedureStep"]
MPPS_RETRIEVE = PROCEDURE_STEP_CLASSES["ModalityPerformedProcedureStepRetrieve"]

# PS3.7 Annex C.
NO_SUCH_ATTRIBUTE = 0x0105
INVALID_ATTRIBUTE_VALUE = 0x0106
DUPLICATE_SOP_INSTANCE = 0x0111
NO_SUCH_SOP_INSTANCE = 0x0112
NO_SUCH_SOP_CLASS = 0x0118
MISSING_ATTRIBUTE = 0x0120
MISSING_ATTRIBUTE_VALUE = 0x0121
# PS3.4 F.7.2.2.4 Table F.7.2-2: the Error ID of a 0x0110 answering an N-SET on a
# step already COMPLETED or DISCONTINUED.
MAY_NO_LONGER_BE_UPDATED = 0xA710

# Performed Procedure Step Status (0040,0252), PS3.3 C.4.14.
IN_PROGRESS = "IN PROGRESS"
COMPLETED = "COMPLETED"
DISCONTINUED = "DISCONTINUED"
_STATES = frozenset({IN_PROGRESS, COMPLETED, DISCONTINUED})

_CHARSET = 0x00080005
_STATUS = 0x00400252
_SCHEDULED_STEPS = 0x00400270  # Scheduled Step Attributes Sequence
_STUDY_INSTANCE_UID = 0x0020000D
_SOP_CLASS_UID = 0x00080016
_SOP_INSTANCE_UID = 0x00080018

# Table F.7.2-1: the top-level attributes an N-CREATE must carry with a value
# (usage 1/1). Type 2 attributes (present, possibly empty) are not checked: a
# step is recorded whatever a modality leaves out that may be empty anyway.
_REQUIRED_AT_CREATE = (
    _SCHEDULED_STEPS,
    0x00400253,  # Performed Procedure Step ID
    0x00400241,  # Performed Station AE Title
    0x00400244,  # Performed Procedure Step Start Date
    0x00400245,  # Performed Procedure Step Start Time
    _STATUS,
    0x00080060,  # Modality
)

# Table F.7.2-1: the attributes an N-SET is "Not allowed" to carry (the
# relationship to the scheduled step and patient, and the identity of the
# step, its station and start), and the SOP Class and Instance UIDs the SCP
# assigned. Sent again unchanged they are accepted; a change is refused.
_NOT_SETTABLE = frozenset(
    {
        _SOP_CLASS_UID,
        _SOP_INSTANCE_UID,
        _SCHEDULED_STEPS,
        0x00100010,  # Patient's Name
        0x00100020,  # Patient ID
        0x00100021,  # Issuer of Patient ID
        0x00100024,  # Issuer of Patient ID Qualifiers Sequence
        0x00100030,  # Patient's Birth Date
        0x00100040,  # Patient's Sex
        0x00081120,  # Referenced Patient Sequence
        0x00380010,  # Admission ID
        0x00380014,  # Issuer of Admission ID Sequence
        0x00380060,  # Service Episode ID
        0x00380062,  # Service Episode Description
        0x00380064,  # Issuer of Service Episode ID Sequence
        0x00400253,  # Performed Procedure Step ID
        0x00400241,  # Performed Station AE Title
        0x00400242,  # Performed Station Name
        0x00400243,  # Performed Location
        0x00400244,  # Performed Procedure Step Start Date
        0x00400245,  # Performed Procedure Step Start Time
        0x00080060,  # Modality
        0x00200010,  # Study ID
    }
)

# Error Comment (0000,0902) is LO: 64 characters at most.
_COMMENT_LENGTH = 64


@dataclass(frozen=True)
class Refusal:
    """A failure to answer with: its status, an Error Comment, the elements at fault
    (in ``listed_in``: Offending Element (0000,0901), which any failure may carry,
    PS3.7 C.5; or an N-SET's Attribute Identifier List) and an Error ID."""

    status: int
    comment: str
    elements: tuple[int, ...] = ()
    error_id: int | None = None
    listed_in: str = "OffendingElement"

    def status_dataset(self) -> Dataset:
        """The status as a handler returns it (pynetdicom's status data set)."""
        ds = Dataset()
        ds.Status = self.status
        ds.ErrorComment = self.comment[:_COMMENT_LENGTH]
        if self.error_id is not None:
            ds.ErrorID = self.error_id
        if self.listed_in == "AttributeIdentifierList":
            ds.AttributeIdentifierList = list(self.elements)
        elif self.elements:
            ds.OffendingElement = list(self.elements)
        return ds


def class_refusal(sop_class: str, allowed: Iterable[str]) -> Refusal | None:
    """None if the operation serves ``sop_class``: an MPPS class that does not define
    the operation gets 0x0211 (PS3.4 F.7.1, F.8.1: N-CREATE and N-SET on the MPPS
    SOP Class, N-GET on the Retrieve one), any other class 0x0118."""
    if sop_class in allowed:
        return None
    if sop_class in PROCEDURE_STEP_CLASSES.values():
        return Refusal(STATUS_UNRECOGNISED_OPERATION, "operation not defined for this SOP Class")
    return Refusal(NO_SUCH_SOP_CLASS, "not an MPPS SOP Class")


def step_status(ds: Dataset) -> str:
    """The Performed Procedure Step Status of ``ds`` ("" when absent or empty)."""
    element = ds.get(_STATUS)
    if element is None or element.is_empty:
        return ""
    return str(element.value).strip()


def check_create(attributes: Dataset) -> Refusal | None:
    """The refusal of an N-CREATE's Attribute List, or None (F.7.2.1.3: status IN
    PROGRESS, else 0x0106; PS3.4 5.4.2.1: a required attribute absent 0x0120, present
    without a value 0x0121)."""
    status = step_status(attributes)
    if status and status != IN_PROGRESS:
        return Refusal(INVALID_ATTRIBUTE_VALUE, "a new step must be IN PROGRESS", (_STATUS,))
    absent = tuple(tag for tag in _REQUIRED_AT_CREATE if tag not in attributes)
    if absent:
        return Refusal(MISSING_ATTRIBUTE, "required attributes are missing", absent)
    empty = tuple(tag for tag in _REQUIRED_AT_CREATE if attributes[tag].is_empty)
    if empty:
        return Refusal(MISSING_ATTRIBUTE_VALUE, "required attributes have no value", empty)
    for item in attributes[_SCHEDULED_STEPS].value:
        element = item.get(_STUDY_INSTANCE_UID)
        if element is None:
            return Refusal(
                MISSING_ATTRIBUTE, "a scheduled step has no Study Instance UID", (_SCHEDULED_STEPS,)
            )
        if element.is_empty:
            return Refusal(
                MISSING_ATTRIBUTE_VALUE,
                "a scheduled step's Study Instance UID is empty",
                (_SCHEDULED_STEPS,),
            )
    return None


def check_set(stored: Dataset, modification: Dataset) -> Refusal | None:
    """The refusal of an N-SET's Modification List on the step ``stored``, or None.

    F.7.2.2.3: a step no longer IN PROGRESS is not updated (0x0110, Error ID
    0xA710). The status may go from IN PROGRESS to IN PROGRESS, COMPLETED or
    DISCONTINUED (any other value 0x0106; an empty one 0x0121, PS3.4 5.4.2.1).
    A change of a "Not allowed" attribute is refused as no such attribute of the
    N-SET (0x0105, listed in the Attribute Identifier List)."""
    if step_status(stored) != IN_PROGRESS:
        return Refusal(
            PROCESSING_FAILURE,
            "Performed Procedure Step Object may no longer be updated",
            error_id=MAY_NO_LONGER_BE_UPDATED,
        )
    if _STATUS in modification:
        status = step_status(modification)
        if not status:
            return Refusal(MISSING_ATTRIBUTE_VALUE, "the status may not be emptied", (_STATUS,))
        if status not in _STATES:
            return Refusal(INVALID_ATTRIBUTE_VALUE, f"no such status: {status}", (_STATUS,))
    forbidden = tuple(
        element.tag
        for element in modification
        if element.tag in _NOT_SETTABLE and _changes(stored, element)
    )
    if forbidden:
        return Refusal(
            NO_SUCH_ATTRIBUTE,
            "attributes that N-SET may not change",
            forbidden,
            listed_in="AttributeIdentifierList",
        )
    return None


def merge(stored: Dataset, modification: Dataset) -> Dataset:
    """Apply a checked Modification List to ``stored`` (changed in place); the
    elements set, as the N-SET's reply.

    Each element replaces the stored one whole (a sequence with all its items); an
    element without a value leaves the attribute present and empty. The N-SET's
    Specific Character Set describes its own values only (F.7.2.2.3): when it is
    not the stored one, the step is kept in Unicode (ISO_IR 192), which holds both.
    """
    applied = Dataset()
    for element in modification:
        if element.tag == _CHARSET:
            continue
        if element.tag in _NOT_SETTABLE:
            continue  # unchanged: check_set refused any change
        stored[element.tag] = element
        applied[element.tag] = element
    if _charset(modification) not in ("", _charset(stored)):
        stored.SpecificCharacterSet = "ISO_IR 192"
    if _CHARSET in stored:
        applied.SpecificCharacterSet = stored.SpecificCharacterSet
    return applied


def requested(stored: Dataset, tags: list[int]) -> Dataset:
    """An N-GET's reply (PS3.7 10.1.2): the attributes of ``tags`` the step has, all of
    them when no tag is named; with the Specific Character Set its text is in. An
    attribute the step does not have is left out, as an SCU of PS3.4's other N-GETs
    is told to expect (S.3.2.4.2, CC.2.7.2)."""
    if not tags:
        return stored
    reply = Dataset()
    for tag in (_CHARSET, *tags):
        if tag in stored:
            reply[tag] = stored[tag]
    return reply


def _changes(stored: Dataset, element: DataElement) -> bool:
    """Whether setting ``element`` would change ``stored`` (an empty element where
    there is none changes nothing)."""
    if element.tag not in stored:
        return not element.is_empty
    held = stored[element.tag]
    if held.is_empty and element.is_empty:
        return False
    return bool(held.value != element.value)


def _charset(ds: Dataset) -> str:
    element = ds.get(_CHARSET)
    if element is None or element.is_empty:
        return ""
    value = element.value
    if isinstance(value, str):
        return value.strip()
    return "\\".join(str(v).strip() for v in value)  # several values: ISO 2022 code extensions
