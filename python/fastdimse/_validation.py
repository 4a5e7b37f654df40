"""The rules for AE titles and UIDs (PS3.5 6.2 and 9.1), in one place.

Every check of an AE-like value (AE titles, Move Destination, implementation
version names) and of a UID in the package comes down to these functions,
with pynetdicom 3.0.4's reasons. They read no option: ``_config`` binds the
UID rule to ``ENFORCE_UID_CONFORMANCE``, and ``utils`` raises the errors.
pydicom is imported only by :func:`as_uid`.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydicom.uid import UID

__all__ = [
    "as_optional_uid",
    "as_uid",
    "check_ui",
    "is_acceptable_uid",
    "is_conformant_uid",
    "is_private_uid",
    "is_transfer_syntax_uid",
    "validate_ae",
]

AE_MAX_LENGTH = 16
UID_MAX_LENGTH = 64

_DICOM_ROOT = "1.2.840.10008."
_TRANSFER_SYNTAX_ARC = "1.2.840.10008.1.2"

# Transfer syntaxes newer than pydicom 3.0's UID dictionary: named there when
# pydicom is loaded, so that UID.name and UID.is_transfer_syntax know them (as
# pynetdicom does).
_NEWER_TRANSFER_SYNTAXES = (
    ("1.2.840.10008.1.2.4.110", "JPEG XL Lossless", "JPEGXLLossless"),
    ("1.2.840.10008.1.2.4.111", "JPEG XL JPEG Recompression", "JPEGXLJPEGRecompression"),
    ("1.2.840.10008.1.2.4.112", "JPEG XL", "JPEGXL"),
    ("1.2.840.10008.1.2.8.1", "Deflated Image Frame Compression", "DeflatedImageFrameCompression"),
)

# PS3.5 9.1: components are 0 or start with a non-zero digit, joined by dots
_CONFORMANT_UID = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*")
# PS3.5 6.2, VR AE: the Default Character Repertoire without backslash and
# without control characters, that is the printable ASCII characters 20H-7EH
# (DEL, 7FH, is a control character).
_AE_CHARACTERS = re.compile(r"[ -\[\]-~]*")


def validate_ae(value: Any) -> tuple[bool, str]:
    """Check an AE-like value against PS3.5 6.2 (VR AE): ``(ok, reason)``.

    At most 16 characters of printable ASCII other than backslash. Spaces are
    allowed anywhere (leading and trailing ones are not significant); the
    empty string passes here, callers that need a title refuse it themselves.
    """
    if not isinstance(value, str):
        return False, "must be str"
    if len(value) > AE_MAX_LENGTH:
        return False, f"must not exceed {AE_MAX_LENGTH} characters"
    if not value.isascii():
        return False, "must only contain ASCII characters"
    if _AE_CHARACTERS.fullmatch(value) is None:
        return False, "must not contain control characters or backslashes"
    return True, ""


def check_ui(value: Any, enforce_conformance: bool) -> tuple[bool, str]:
    """Check a UID: ``(ok, reason)``.

    With `enforce_conformance` the UID must conform to PS3.5 9.1; otherwise
    it only has to be 1 to 64 characters. Surrounding spaces are ignored, as
    pydicom's ``UID`` strips them.
    """
    if not isinstance(value, str):
        return False, "must be pydicom.uid.UID"
    value = value.strip()
    if enforce_conformance:
        if is_conformant_uid(value):
            return True, ""
        return False, "UID is non-conformant"
    if not value:
        return False, "must not be an empty str"
    if len(value) > UID_MAX_LENGTH:
        return False, f"must not exceed {UID_MAX_LENGTH} characters"
    return True, ""


def is_acceptable_uid(uid: str, enforce_conformance: bool) -> bool:
    """``True`` if `uid` (taken as it is) passes :func:`check_ui`."""
    if enforce_conformance:
        return is_conformant_uid(uid)
    return 0 < len(uid) <= UID_MAX_LENGTH


def is_conformant_uid(uid: str) -> bool:
    """``True`` if `uid` conforms to PS3.5 9.1: digits and dots, no leading
    zero in a component, 1 to 64 characters."""
    return len(uid) <= UID_MAX_LENGTH and _CONFORMANT_UID.fullmatch(uid) is not None


def is_private_uid(uid: str) -> bool:
    """``True`` unless `uid` is under the DICOM root 1.2.840.10008 (as pydicom's
    ``UID.is_private``)."""
    return not uid.startswith(_DICOM_ROOT)


def is_transfer_syntax_uid(uid: str) -> bool:
    """``True`` if `uid` is in the arc of the standard's transfer syntaxes
    (PS3.6 Annex A: 1.2.840.10008.1.2 and below)."""
    return uid == _TRANSFER_SYNTAX_ARC or uid.startswith(_TRANSFER_SYNTAX_ARC + ".")


def as_uid(value: str) -> UID:
    """`value` as a pydicom ``UID`` (itself if it is exactly one, a new ``UID``
    for a subclass, as pynetdicom's ``set_uid`` gives), without pydicom's own
    check of the value: the callers check it with the rules above, and log and
    raise as pynetdicom does."""
    uid_class, ignore = _pydicom_uid()
    return value if type(value) is uid_class else uid_class(value, validation_mode=ignore)


def as_optional_uid(value: str | None) -> UID | None:
    """:func:`as_uid` of `value`, or None."""
    return None if value is None else as_uid(value)


@functools.cache
def _pydicom_uid() -> tuple[type[UID], int]:
    """pydicom's ``UID`` and its "ignore" validation mode, imported once, when first
    needed (``import fastdimse`` does not load pydicom)."""
    from pydicom import config
    from pydicom._uid_dict import UID_dictionary
    from pydicom.uid import UID

    for uid, name, keyword in _NEWER_TRANSFER_SYNTAXES:
        UID_dictionary.setdefault(uid, (name, "Transfer Syntax", "", "", keyword))
    return UID, config.IGNORE
