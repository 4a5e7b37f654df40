"""The DIMSE-N service primitives (PS3.7 10.1): N-EVENT-REPORT, N-GET, N-SET,
N-ACTION, N-CREATE and N-DELETE."""

from __future__ import annotations

from fastdimse._dimse.primitives import checked
from fastdimse._dimse.primitives.base import DIMSEPrimitive

__all__ = ["N_ACTION", "N_CREATE", "N_DELETE", "N_EVENT_REPORT", "N_GET", "N_SET"]


class _Normalized(DIMSEPrimitive):
    """Parameters shared by the DIMSE-N primitives."""

    STATUS_OPTIONAL_KEYWORDS: tuple[str, ...] = ("ErrorComment", "ErrorID")

    AffectedSOPInstanceUID = checked.Uid("_affected_sop_instance_uid", "Affected SOP Instance UID")

    def __init__(self) -> None:
        self.ErrorComment: str | None = None
        self.ErrorID: int | None = None
        # Not in pynetdicom's: any failure may name its elements (PS3.7 C.4.2), as
        # the provider's refusal of a request lacking mandatory ones does.
        self.OffendingElement: int | list[int] | None = None


class _Requested(_Normalized):
    """DIMSE-N primitives addressed by Requested SOP Class/Instance UID."""

    RequestedSOPClassUID = checked.Uid("_requested_sop_class_uid", "Requested SOP Class UID")
    RequestedSOPInstanceUID = checked.Uid(
        "_requested_sop_instance_uid", "Requested SOP Instance UID"
    )


class N_EVENT_REPORT(_Normalized):
    """N-EVENT-REPORT (PS3.7 10.1.1)."""

    STATUS_OPTIONAL_KEYWORDS = (
        "AffectedSOPClassUID",
        "AffectedSOPInstanceUID",
        "EventTypeID",
        "ErrorComment",
        "ErrorID",
    )
    REQUEST_KEYWORDS = (
        "MessageID",
        "AffectedSOPClassUID",
        "EventTypeID",
        "AffectedSOPInstanceUID",
    )

    EventTypeID = checked.Int("_event_type_id", "'N_EVENT_REPORT.EventTypeID' must be an int.")
    EventInformation = checked.DataSet("EventInformation")
    EventReply = checked.DataSet("EventReply")


class N_GET(_Requested):
    """N-GET (PS3.7 10.1.2)."""

    STATUS_OPTIONAL_KEYWORDS = ("AttributeIdentifierList", "ErrorComment", "ErrorID")
    REQUEST_KEYWORDS = ("MessageID", "RequestedSOPClassUID", "RequestedSOPInstanceUID")

    AttributeIdentifierList = checked.AttributeIdentifiers()
    AttributeList = checked.DataSet("AttributeList")


class N_SET(_Requested):
    """N-SET (PS3.7 10.1.3)."""

    STATUS_OPTIONAL_KEYWORDS = ("ErrorComment", "ErrorID", "AttributeIdentifierList")
    REQUEST_KEYWORDS = (
        "MessageID",
        "RequestedSOPClassUID",
        "RequestedSOPInstanceUID",
        "ModificationList",
    )

    AttributeIdentifierList = checked.AttributeIdentifiers()
    ModificationList = checked.DataSet("ModificationList")
    AttributeList = checked.DataSet("AttributeList")


class N_ACTION(_Requested):
    """N-ACTION (PS3.7 10.1.4)."""

    STATUS_OPTIONAL_KEYWORDS = ("ErrorComment", "ErrorID", "AttributeIdentifierList")
    REQUEST_KEYWORDS = (
        "MessageID",
        "RequestedSOPClassUID",
        "RequestedSOPInstanceUID",
        "ActionTypeID",
    )

    ActionTypeID = checked.Int("_action_type_id", "'N_ACTION.ActionTypeID' must be an int.")
    ActionInformation = checked.DataSet("ActionInformation")
    ActionReply = checked.DataSet("ActionReply")


class N_CREATE(_Normalized):
    """N-CREATE (PS3.7 10.1.5)."""

    REQUEST_KEYWORDS = ("MessageID", "AffectedSOPClassUID")

    AttributeList = checked.DataSet("AttributeList")


class N_DELETE(_Requested):
    """N-DELETE (PS3.7 10.1.6)."""

    REQUEST_KEYWORDS = ("MessageID", "RequestedSOPClassUID", "RequestedSOPInstanceUID")
