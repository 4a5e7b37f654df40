"""DIMSE status codes: categories, per-service meanings, and the ``Status`` enum.

Every ``*_STATUS`` dict maps a status code to ``(category, description)``,
with pynetdicom 3.0.4's names and contents: the service's own codes (PS3.4)
plus the general codes of PS3.7 Annex C, which take precedence. pydicom is
imported only by :func:`code_to_status`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

__all__ = [
    "APPLICATION_EVENT_LOGGING_SERVICE_CLASS_STATUS",
    "GENERAL_STATUS",
    "MEDIA_CREATION_MANAGEMENT_SERVICE_CLASS_STATUS",
    "MODALITY_WORKLIST_SERVICE_CLASS_STATUS",
    "NON_PATIENT_SERVICE_CLASS_STATUS",
    "PRINT_JOB_MANAGEMENT_SERVICE_CLASS_STATUS",
    "PROCEDURE_STEP_STATUS",
    "QR_FIND_SERVICE_CLASS_STATUS",
    "QR_GET_SERVICE_CLASS_STATUS",
    "QR_MOVE_SERVICE_CLASS_STATUS",
    "RELEVANT_PATIENT_SERVICE_CLASS_STATUS",
    "RT_MACHINE_VERIFICATION_SERVICE_CLASS_STATUS",
    "STATUS_CANCEL",
    "STATUS_FAILURE",
    "STATUS_PENDING",
    "STATUS_SUCCESS",
    "STATUS_UNKNOWN",
    "STATUS_WARNING",
    "STORAGE_COMMITMENT_SERVICE_CLASS_STATUS",
    "STORAGE_MANAGEMENT_SERVICE_CLASS_STATUS",
    "STORAGE_SERVICE_CLASS_STATUS",
    "SUBSTANCE_ADMINISTRATION_SERVICE_CLASS_STATUS",
    "UNIFIED_PROCEDURE_STEP_SERVICE_CLASS_STATUS",
    "VERIFICATION_SERVICE_CLASS_STATUS",
    "Status",
    "StatusDictType",
    "code_to_category",
    "code_to_status",
]

STATUS_SUCCESS = "Success"
STATUS_FAILURE = "Failure"
STATUS_WARNING = "Warning"
STATUS_CANCEL = "Cancel"
STATUS_PENDING = "Pending"
STATUS_UNKNOWN = "Unknown"

StatusDictType = dict[int, tuple[str, str]]


class Status(IntEnum):
    """Named status codes for handler return values.

    ``Status.add(name, code)`` adds a name at run time (as a plain ``int``
    class attribute, as pynetdicom does).
    """

    SUCCESS = 0x0000
    CANCEL = 0xFE00
    PENDING = 0xFF00
    MOVE_DESTINATION_UNKNOWN = 0xA801

    @classmethod
    def add(cls, name: str, code: int) -> None:
        """Make ``Status.<name>`` evaluate to `code`."""
        setattr(cls, name, code)


def code_to_status(code: int) -> Dataset:
    """A pydicom ``Dataset`` holding only ``Status = code``.

    Raises ``ValueError`` unless `code` is a non-negative ``int``.
    """
    if not isinstance(code, int) or code < 0:
        raise ValueError("'code' must be a positive integer.")
    from pydicom.dataset import Dataset

    ds = Dataset()
    ds.Status = code
    return ds


def code_to_category(code: int) -> str:
    """The category of a status code (PS3.7 Annex C): one of the
    ``STATUS_*`` strings, ``"Unknown"`` when the code is in no known range.

    Raises ``ValueError`` unless `code` is a non-negative ``int``.
    """
    if not isinstance(code, int) or code < 0:
        raise ValueError("'code' must be a positive integer.")
    if code == 0x0000:
        return STATUS_SUCCESS
    if code in (0xFF00, 0xFF01):
        return STATUS_PENDING
    if code == 0xFE00:
        return STATUS_CANCEL
    if code in _GENERAL_FAILURES or 0xA000 <= code < 0xB000 or 0xC000 <= code < 0xD000:
        return STATUS_FAILURE
    if code in (0x0001, 0x0107, 0x0116) or 0xB000 <= code < 0xC000:
        return STATUS_WARNING
    return STATUS_UNKNOWN


# Table building: ranged codes first, then the service's own codes, then the
# general codes, so that later entries win.
def _table(
    specific: Mapping[int, tuple[str, str]],
    ranges: Iterable[tuple[int, int, tuple[str, str]]] = (),
) -> StatusDictType:
    table: StatusDictType = {}
    for first, last, meaning in ranges:
        for code in range(first, last + 1):
            table[code] = meaning
    table.update(specific)
    table.update(GENERAL_STATUS)
    return table


_F, _W, _P = STATUS_FAILURE, STATUS_WARNING, STATUS_PENDING
_UNABLE_TO_PROCESS = (0xC000, 0xCFFF, (_F, "Unable to Process"))

# PS3.7 Annex C
GENERAL_STATUS: StatusDictType = {
    0x0000: (STATUS_SUCCESS, ""),
    0x0105: (_F, "No Such Attribute"),
    0x0106: (_F, "Invalid Attribute Value"),
    0x0107: (_W, "Attribute List Error"),
    0x0110: (_F, "Processing Failure"),
    0x0111: (_F, "Duplication SOP Instance"),
    0x0112: (_F, "No Such SOP Instance"),
    0x0113: (_F, "No Such Event Type"),
    0x0114: (_F, "No Such Argument"),
    0x0115: (_F, "Invalid Argument Value"),
    0x0116: (_W, "Attribute Value Out of Range"),
    0x0117: (_F, "Invalid Object Instance"),
    0x0118: (_F, "No Such SOP Class"),
    0x0119: (_F, "Class-Instance Conflict"),
    0x0120: (_F, "Missing Attribute"),
    0x0121: (_F, "Missing Attribute Value"),
    0x0122: (_F, "Refused: SOP Class Not Supported"),
    0x0123: (_F, "No Such Action"),
    0x0124: (_F, "Refused: Not Authorised"),
    0x0210: (_F, "Duplicate Invocation"),
    0x0211: (_F, "Unrecognised Operation"),
    0x0212: (_F, "Mistyped Argument"),
    0x0213: (_F, "Resource Limitation"),
    0xFE00: (STATUS_CANCEL, ""),
}
_GENERAL_FAILURES = frozenset(c for c, (cat, _) in GENERAL_STATUS.items() if cat == _F)

VERIFICATION_SERVICE_CLASS_STATUS = GENERAL_STATUS
STORAGE_COMMITMENT_SERVICE_CLASS_STATUS = GENERAL_STATUS

# PS3.4 B.2.3
STORAGE_SERVICE_CLASS_STATUS = _table(
    {
        0xB000: (_W, "Coercion of Data Elements"),
        0xB007: (_W, "Data Set Does Not Match SOP Class"),
        0xB006: (_W, "Element Discarded"),
    },
    [
        (0xA700, 0xA7FF, (_F, "Refused: Out of Resources")),
        (0xA900, 0xA9FF, (_F, "Data Set Does Not Match SOP Class")),
        (0xC000, 0xCFFF, (_F, "Cannot Understand")),
    ],
)

# PS3.4 C.4.1.1.4, C.6.4.3 (and the Hanging Protocol, Color Palette, Implant
# Template and Defined Procedure Protocol FIND services)
QR_FIND_SERVICE_CLASS_STATUS = _table(
    {
        0xA700: (_F, "Refused: Out of Resources"),
        0xA710: (_F, "Invalid Prior Record Key"),
        0xA900: (_F, "Identifier Does Not Match SOP Class"),
        0xB001: (
            _W,
            "Matching reached response limit, subsequent request may return additional matches",
        ),
        0xFF00: (_P, "Matches are continuing, current match supplied"),
        0xFF01: (_P, "Matches are continuing, warning"),
    },
    [_UNABLE_TO_PROCESS],
)

_RETRIEVE_COMMON: dict[int, tuple[str, str]] = {
    0xA701: (_F, "Refused: Out of resources, unable to calculate number of matches"),
    0xA702: (_F, "Refused: Out of resources, unable to perform sub-operations"),
    0xA900: (_F, "Identifier does not match SOP class"),
    0xAA00: (_F, "None of the frames requested were found in the SOP instance"),
    0xAA01: (_F, "Unable to create new object for this SOP class"),
    0xAA02: (_F, "Unable to extract frames"),
    0xAA03: (
        _F,
        "Time-based request received for a non-time-based original SOP Instance",
    ),
    0xAA04: (_F, "Invalid request"),
    0xFF00: (_P, "Sub-operations are continuing"),
}

# PS3.4 C.4.2.1.5, Y.4.1.1.4
QR_MOVE_SERVICE_CLASS_STATUS = _table(
    {
        **_RETRIEVE_COMMON,
        0xA801: (_F, "Move destination unknown"),
        0xB000: (_W, "Sub-operations completed, one or more failures"),
    },
    [_UNABLE_TO_PROCESS],
)

# PS3.4 C.4.3.1.4, Y.4.2.1.4
QR_GET_SERVICE_CLASS_STATUS = _table(
    {
        **_RETRIEVE_COMMON,
        0xB000: (_W, "Sub-operations complete, one or more failures or warnings"),
    },
    [_UNABLE_TO_PROCESS],
)

_OPTIONAL_KEYS_SUPPORTED = (
    "current match is supplied and any Optional Keys were supported in the same "
    "manner as Required Keys"
)
_OPTIONAL_KEYS_UNSUPPORTED = (
    "warning that one or more Optional Keys were not supported for existence for this Identifier"
)

# PS3.4 K
MODALITY_WORKLIST_SERVICE_CLASS_STATUS = _table(
    {
        0xA700: (_F, "Refused: Out of resources"),
        0xA900: (_F, "Identifier does not match SOP class"),
        0xFF00: (_P, f"Matches are continuing - {_OPTIONAL_KEYS_SUPPORTED}"),
        0xFF01: (_P, f"Matches are continuing - {_OPTIONAL_KEYS_UNSUPPORTED}"),
    },
    [_UNABLE_TO_PROCESS],
)

# PS3.4 Q
RELEVANT_PATIENT_SERVICE_CLASS_STATUS = _table(
    {
        0xA700: (_F, "Out of resources"),
        0xA900: (_F, "Identifier doesn't match SOP Class"),
        0xC000: (_F, "Unable to process"),
        0xC100: (_F, "More than one match found"),
        0xC200: (_F, "Unable to support requested template"),
        0xFF00: (_P, "Current match is supplied"),
    }
)

# PS3.4 V
SUBSTANCE_ADMINISTRATION_SERVICE_CLASS_STATUS = _table(
    {
        0xA700: (_F, "Out of resources"),
        0xA900: (_F, "Data set doesn't match SOP Class"),
        0xFF00: (_P, f"Matches are continuing, {_OPTIONAL_KEYS_SUPPORTED}"),
        0xFF01: (_P, f"Matches are continuing, {_OPTIONAL_KEYS_UNSUPPORTED}"),
    },
    [_UNABLE_TO_PROCESS],
)

# PS3.4 GG
NON_PATIENT_SERVICE_CLASS_STATUS = _table(
    {
        0xA700: (_F, "Out of resources"),
        0xA900: (_F, "Data set doesn't match SOP Class"),
        0xC000: (_F, "Cannot understand"),
    }
)

# Modality Performed Procedure Step (PS3.4 F); the general 0x0110 wins
PROCEDURE_STEP_STATUS = _table(
    {
        0x0001: (_W, "Requested optional attributes are not supported"),
        0x0110: (_F, "Performed Procedure Step object may no longer be updated"),
    }
)

# PS3.4 H
PRINT_JOB_MANAGEMENT_SERVICE_CLASS_STATUS = _table(
    {
        0xB600: (_W, "Memory allocation not supported"),
        0xB601: (_W, "Film session printing (collation) is not supported"),
        0xB602: (
            _W,
            "Film Session SOP Instance hierarchy does not contain Image Box SOP "
            "Instances (empty page)",
        ),
        0xB603: (
            _W,
            "Film Box SOP Instance hierarchy does not contain Image Box SOP Instances (empty page)",
        ),
        0xB604: (
            _W,
            "Image size is larger than image box size, the image has been demagnified",
        ),
        0xB605: (
            _W,
            "Requested minimum density or maximum density outside of printer's "
            "operating range. The print will use its respective minimum or maximum "
            "density value instead",
        ),
        0xB609: (
            _W,
            "Image size is larger than the image box size, the image has been cropped to fit",
        ),
        0xB60A: (
            _W,
            "Image size or Combined Print Image size is larger than the image box "
            "size, image or combined print image has been decimated to fit",
        ),
        0xC600: (
            _F,
            "Film Session SOP Instance hierarchy does not contain Film Box SOP Instances",
        ),
        0xC601: (_F, "Unable to create Print Job SOP Instance; print queue is full"),
        0xC602: (_F, "Unable to create Print Job SOP instance; print queue is full"),
        0xC603: (_F, "Image size is larger than image box size"),
        0xC605: (_F, "Insufficient memory in printer to store the image"),
        0xC613: (_F, "Combined print image size is larger than the image box size"),
        0xC616: (
            _F,
            "There is an existing film box that has not been printed and N-ACTION "
            "at the film session level is not supported. A new film box will not be "
            "created when a previous film box has not been printed",
        ),
    }
)

# PS3.4 KK
STORAGE_MANAGEMENT_SERVICE_CLASS_STATUS = _table(
    {
        0xB010: (
            _W,
            "Attribute list error - One or more of Key Attributes are not supported for matching",
        ),
    }
)

# PS3.4 P
APPLICATION_EVENT_LOGGING_SERVICE_CLASS_STATUS = _table(
    {
        0xB101: (
            _W,
            "Specified Synchronisation Frame of Reference UID doesn't match SCP "
            "Synchronization Frame of Reference",
        ),
        0xB102: (
            _W,
            "Study Instance UID coercion; event logged under a different Study Instance UID",
        ),
        0xB104: (_W, "IDs inconsistent in matching a current study; event logged"),
        0xC101: (
            _F,
            "Procedural logging not available for specified Study Instance UID",
        ),
        0xC102: (_F, "Event Information doesn't match template"),
        0xC103: (_F, "Cannot match event to a current study"),
        0xC104: (_F, "IDs inconsistent in matching a current study; event not logged"),
        0xC10E: (
            _F,
            "Operator not authorised to add entry to Medication Administration Record",
        ),
        0xC110: (
            _F,
            "Patient cannot be identified from Patient ID (0010,0020) or Admission ID (0038,0010)",
        ),
        0xC111: (_F, "Update of Medication Administration Record failed"),
    }
)

# PS3.4 S
MEDIA_CREATION_MANAGEMENT_SERVICE_CLASS_STATUS = _table(
    {
        0x0001: (_W, "Requested optional Attributes are not supported"),
        0xA510: (
            _F,
            "An Initiate Media Creation action has already been received for this SOP Instance",
        ),
        0xC201: (_F, "Media creation request already completed"),
        0xC202: (
            _F,
            "Media creation request already in progress and cannot be interrupted",
        ),
        0xC203: (_F, "Cancellation denied for unspecified reason"),
    }
)

# PS3.4 CC (pynetdicom's texts of 0xFF00/0xFF01 read "supplied an any")
UNIFIED_PROCEDURE_STEP_SERVICE_CLASS_STATUS = _table(
    {
        0x0001: (_W, "Requested optional attributes are not supported"),
        0xA700: (_F, "Out of resources"),
        0xA900: (_F, "Identifier doesn't match SOP Class"),
        0xB300: (_W, "The UPS was created with modifications"),
        0xB301: (_W, "Deletion lock not granted"),
        0xB304: (_W, "The UPS is already in the requested state of CANCELED"),
        0xB305: (_W, "Coerced invalid values to valid values"),
        0xB306: (_W, "The UPS is already in the requested state of COMPLETED"),
        0xC300: (_F, "The UPS may no longer be updated"),
        0xC301: (_F, "The correct Transaction UID was not provided"),
        0xC302: (_F, "The UPS is already IN PROGRESS"),
        0xC303: (
            _F,
            "The UPS may only become SCHEDULED via N-CREATE, not N-SET or N-ACTION",
        ),
        0xC304: (
            _F,
            "The UPS has not met final state requirements for the requested state change",
        ),
        0xC307: (
            _F,
            "Specified SOP Instance UID does not exist or is not a UPS Instance "
            "managed by this SCP",
        ),
        0xC308: (_F, "Receiving AE-TITLE is unknown to this SCP"),
        0xC309: (_F, "The provided value of UPS State was not SCHEDULED"),
        0xC310: (_F, "The UPS is not yet in the IN PROGRESS state"),
        0xC311: (_F, "The UPS is already COMPLETED"),
        0xC312: (_F, "The performer cannot be contacted"),
        0xC313: (_F, "Performer chooses not to cancel"),
        0xC314: (_F, "Specified action is not appropriate for specified instance"),
        0xC315: (_F, "SCP does not support Event Reports"),
        0xFF00: (
            _P,
            "Matches are continuing - current match is supplied an any Optional "
            "Keys were supported in the same manner as Required Keys",
        ),
        0xFF01: (
            _P,
            "Matches are continuing - current match is supplied an any Optional "
            "Keys were not supported for existence for this Identifier",
        ),
    },
    [_UNABLE_TO_PROCESS],
)

# PS3.4 DD
RT_MACHINE_VERIFICATION_SERVICE_CLASS_STATUS = _table(
    {
        0xC112: (
            _F,
            "No such object instance - applicable Machine Verification instance not found",
        ),
        0xC221: (
            _F,
            "The Referenced Fraction Group Number does not exist in the referenced plan",
        ),
        0xC222: (_F, "No beams exist within the referenced fraction group"),
        0xC223: (_F, "SCU already verifying and cannot currently process this request"),
        0xC224: (
            _F,
            "Referenced Beam Number not found within the referenced Fraction Group",
        ),
        0xC225: (_F, "Referenced device or accessory not supported"),
        0xC226: (
            _F,
            "Referenced device or accessory not found within the referenced beam",
        ),
        0xC227: (_F, "No such object instance - Referenced RT Plan not found"),
    }
)
