"""The DIMSE-C service primitives (PS3.7 9.1): C-STORE, C-FIND, C-GET, C-MOVE,
C-ECHO and C-CANCEL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastdimse._dimse.primitives import checked
from fastdimse._dimse.primitives.base import DIMSEPrimitive

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["C_CANCEL", "C_ECHO", "C_FIND", "C_GET", "C_MOVE", "C_STORE"]


class C_STORE(DIMSEPrimitive):
    """C-STORE (PS3.7 9.1.1)."""

    STATUS_OPTIONAL_KEYWORDS = ("OffendingElement", "ErrorComment")
    REQUEST_KEYWORDS = (
        "MessageID",
        "AffectedSOPClassUID",
        "AffectedSOPInstanceUID",
        "Priority",
        "DataSet",
    )

    AffectedSOPInstanceUID = checked.Uid("_affected_sop_instance_uid", "Affected SOP Instance UID")
    Priority = checked.Priority()
    MoveOriginatorApplicationEntityTitle = checked.MoveOriginatorAE()
    MoveOriginatorMessageID = checked.UInt16(
        "_move_originator_message_id", "Move Originator Message ID"
    )
    DataSet = checked.DataSet("DataSet")

    def __init__(self) -> None:
        self.OffendingElement: int | list[int] | None = None
        self.ErrorComment: str | None = None


class C_FIND(DIMSEPrimitive):
    """C-FIND (PS3.7 9.1.2)."""

    STATUS_OPTIONAL_KEYWORDS = ("OffendingElement", "ErrorComment")
    REQUEST_KEYWORDS = ("MessageID", "AffectedSOPClassUID", "Priority", "Identifier")

    Priority = checked.Priority()
    Identifier = checked.DataSet("Identifier")

    def __init__(self) -> None:
        self.OffendingElement: int | list[int] | None = None
        self.ErrorComment: str | None = None


class _Retrieve(DIMSEPrimitive):
    """Parameters shared by C-GET and C-MOVE."""

    STATUS_OPTIONAL_KEYWORDS = (
        "ErrorComment",
        "OffendingElement",
        "NumberOfRemainingSuboperations",
        "NumberOfCompletedSuboperations",
        "NumberOfFailedSuboperations",
        "NumberOfWarningSuboperations",
    )

    Priority = checked.Priority()
    Identifier = checked.DataSet("Identifier")
    NumberOfRemainingSuboperations = checked.Count(
        "_number_of_remaining_suboperations", "Number of Remaining Suboperations"
    )
    NumberOfCompletedSuboperations = checked.Count(
        "_number_of_completed_suboperations", "Number of Completed Suboperations"
    )
    NumberOfFailedSuboperations = checked.Count(
        "_number_of_failed_suboperations", "Number of Failed Suboperations"
    )
    NumberOfWarningSuboperations = checked.Count(
        "_number_of_warning_suboperations", "Number of Warning Suboperations"
    )

    def __init__(self) -> None:
        self.ErrorComment: str | None = None
        self.OffendingElement: int | list[int] | None = None


class C_GET(_Retrieve):
    """C-GET (PS3.7 9.1.3)."""

    REQUEST_KEYWORDS = ("MessageID", "AffectedSOPClassUID", "Priority", "Identifier")


class C_MOVE(_Retrieve):
    """C-MOVE (PS3.7 9.1.4)."""

    REQUEST_KEYWORDS = (
        "MessageID",
        "AffectedSOPClassUID",
        "Priority",
        "Identifier",
        "MoveDestination",
    )

    MoveDestination = checked.MoveDestination()


class C_ECHO(DIMSEPrimitive):
    """C-ECHO (PS3.7 9.1.5)."""

    STATUS_OPTIONAL_KEYWORDS = ("ErrorComment",)
    REQUEST_KEYWORDS = ("MessageID", "AffectedSOPClassUID")

    def __init__(self) -> None:
        self.ErrorComment: str | None = None
        # Not in pynetdicom's: any failure may name its elements (PS3.7 C.4.2), as
        # the provider's refusal of a request lacking mandatory ones does.
        self.OffendingElement: int | list[int] | None = None


class C_CANCEL:
    """C-CANCEL (PS3.7 9.3.2.3): only *Message ID Being Responded To*."""

    MessageIDBeingRespondedTo = checked.UInt16(
        "_message_id_being_responded_to", "Message ID Being Responded To"
    )
    _context_id: int | None = None
    _dataset_path: Path | tuple[Path, int] | None = None
    _dataset_file: Any = None

    @property
    def msg_type(self) -> str:
        return "C-CANCEL"

    def __repr__(self) -> str:
        return f"C_CANCEL(MessageIDBeingRespondedTo={self.MessageIDBeingRespondedTo!r})"
