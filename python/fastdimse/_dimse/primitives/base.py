"""What every DIMSE service primitive has: ``DIMSEPrimitive``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastdimse._dimse.primitives import checked

if TYPE_CHECKING:
    from pathlib import Path

    from pydicom.dataset import Dataset

__all__ = ["DIMSEPrimitive"]

# Command sets are always in Implicit VR Little Endian (PS3.7 6.3.1).
_IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"

# A primitive's core CommandSet: ``command_set.to_command_set``, registered by that
# module (it imports every primitive class, so this one cannot import it).
_COMMAND_SET_ENCODER: list[Callable[[Any], Any]] = []


def register_command_set_encoder(encode: Callable[[Any], Any]) -> None:
    _COMMAND_SET_ENCODER[:] = [encode]


class DIMSEPrimitive:
    """Parameters common to every DIMSE service primitive."""

    STATUS_OPTIONAL_KEYWORDS: tuple[str, ...] = ()
    REQUEST_KEYWORDS: tuple[str, ...] = ()
    RESPONSE_KEYWORDS: tuple[str, ...] = ("MessageIDBeingRespondedTo", "Status")

    MessageID = checked.UInt16("_message_id", "Message ID")
    MessageIDBeingRespondedTo = checked.UInt16(
        "_message_id_being_responded_to", "Message ID Being Responded To"
    )
    AffectedSOPClassUID = checked.Uid("_affected_sop_class_uid", "Affected SOP Class UID")
    Status = checked.Int("_status", "DIMSE primitive's 'Status' must be an int")

    # The presentation context the message used (set on receipt)
    _context_id: int | None = None
    # C-STORE data set kept in a file rather than in memory: when sending,
    # (path, offset) of the encoded data set; when receiving, the path of the
    # file written and its open temporary file object
    _dataset_path: Path | tuple[Path, int] | None = None
    _dataset_file: Any = None

    @property
    def is_valid_request(self) -> bool:
        """``True`` if every mandatory request parameter is set."""
        return all(getattr(self, k) is not None for k in self.REQUEST_KEYWORDS)

    @property
    def is_valid_response(self) -> bool:
        """``True`` if every mandatory response parameter is set."""
        return all(getattr(self, k) is not None for k in self.RESPONSE_KEYWORDS)

    @property
    def command_set(self) -> Dataset:
        """The message's command set as a pydicom Dataset (what pynetdicom's DIMSE
        message has), built from the parameters when asked for."""
        from fastdimse._files.encoding import decode_data_set

        command = _COMMAND_SET_ENCODER[0](self)
        return decode_data_set(command.encode(), _IMPLICIT_VR_LITTLE_ENDIAN)

    @property
    def msg_type(self) -> str:
        """``"C-ECHO"``, ``"N-EVENT-REPORT"``, ..."""
        return type(self).__name__.replace("_", "-")

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{k}={getattr(self, k)!r}"
            for k in _SHOWN_KEYWORDS
            if getattr(self, k, None) is not None
        )
        return f"{type(self).__name__}({shown})"


_SHOWN_KEYWORDS = (
    "MessageID",
    "MessageIDBeingRespondedTo",
    "AffectedSOPClassUID",
    "RequestedSOPClassUID",
    "Status",
)
