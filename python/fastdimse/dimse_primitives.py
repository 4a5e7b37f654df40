"""DIMSE service primitives (PS3.7 9.1 and 10.1) with pynetdicom 3.0.4's
attribute names and validation, and their conversion to and from the Rust
core's ``CommandSet``.

A primitive holds one message's parameters: the command set elements under
their DICOM keywords (``MessageID``, ``AffectedSOPClassUID``, ``Status``,
...) and the data set, still encoded, as an ``io.BytesIO`` under the
parameter's name (``DataSet``, ``Identifier``, ``AttributeList``, ...).
Assigning a value checks it and raises ``TypeError`` or ``ValueError`` with
pynetdicom's messages.

Conversion: :func:`to_command_set` gives the ``_core.CommandSet`` to encode
(the data set is sent separately: :func:`data_set_of`), and
:func:`from_command_set` builds the primitive from a received command set
and its data set bytes.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar, overload

from fastdimse import _config
from fastdimse.utils import decode_bytes, set_ae, set_uid

if TYPE_CHECKING:
    from pydicom.tag import BaseTag
    from pydicom.uid import UID

    from fastdimse._core import CommandSet

__all__ = [
    "C_CANCEL",
    "C_ECHO",
    "C_FIND",
    "C_GET",
    "C_MOVE",
    "C_STORE",
    "N_ACTION",
    "N_CREATE",
    "N_DELETE",
    "N_EVENT_REPORT",
    "N_GET",
    "N_SET",
    "DIMSEPrimitive",
    "DimsePrimitiveType",
    "DimseServiceType",
    "command_field_of",
    "data_set_of",
    "from_command_set",
    "to_command_set",
]

LOGGER = logging.getLogger("fastdimse.dimse_primitives")

_G = TypeVar("_G")
_S = TypeVar("_S")


# Checked attributes. Each stores its value under a private name on the
# instance; several data-set parameters share one slot, as in pynetdicom.
class _Checked(Generic[_G, _S]):
    def __init__(self, slot: str, default: Any = None) -> None:
        self.slot = slot
        self.default = default

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> _Checked[_G, _S]: ...
    @overload
    def __get__(self, obj: object, owner: type[Any]) -> _G: ...
    def __get__(self, obj: object | None, owner: type[Any]) -> _Checked[_G, _S] | _G:
        if obj is None:
            return self
        value: _G = obj.__dict__.get(self.slot, self.default)
        return value

    def __set__(self, obj: object, value: _S) -> None:
        obj.__dict__[self.slot] = self.check(value)

    def check(self, value: _S) -> _G:
        raise NotImplementedError


class _UInt16(_Checked["int | None", "int | None"]):
    """A message ID: an int in 0..65535, or None."""

    def __init__(self, slot: str, label: str) -> None:
        super().__init__(slot)
        self.label = label

    def check(self, value: int | None) -> int | None:
        if value is None:
            return None
        if not isinstance(value, int):
            raise TypeError(f"{self.label} must be an int")
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"{self.label} must be between 0 and 65535, inclusive")
        return value


class _Count(_Checked["int | None", "int | None"]):
    """A number of sub-operations: an int >= 0, or None."""

    def __init__(self, slot: str, label: str) -> None:
        super().__init__(slot)
        self.label = label

    def check(self, value: int | None) -> int | None:
        if value is None:
            return None
        if not isinstance(value, int):
            raise TypeError(f"{self.label} must be an int")
        if value < 0:
            raise ValueError(f"{self.label} must be greater than or equal to 0")
        return value


class _Int(_Checked["int | None", "int | None"]):
    """Any int (Status, Event Type ID, Action Type ID), or None."""

    def __init__(self, slot: str, message: str) -> None:
        super().__init__(slot)
        self.message = message

    def check(self, value: int | None) -> int | None:
        if value is None or isinstance(value, int):
            return value
        raise TypeError(self.message)


class _Uid(_Checked["UID | None", "str | bytes | None"]):
    """A UID (str, bytes or pydicom UID), stored as a pydicom UID; an empty
    value is stored as None."""

    def __init__(self, slot: str, label: str) -> None:
        super().__init__(slot)
        self.label = label

    def check(self, value: str | bytes | None) -> UID | None:
        return set_uid(value, self.label) or None


class _Priority(_Checked[int, int]):
    def __init__(self) -> None:
        super().__init__("_priority", 0x02)

    def check(self, value: int) -> int:
        if value in (0, 1, 2):
            return value
        LOGGER.warning("Attempted to set Priority parameter to an invalid value")
        raise ValueError("Priority must be 0, 1, or 2")


class _DataSet(_Checked["BytesIO | None", "BytesIO | bytes | bytearray | memoryview | None"]):
    """An encoded data set: a BytesIO (bytes-like values are wrapped, bytes
    without a copy), or None."""

    def __init__(self, keyword: str) -> None:
        super().__init__("_dataset")
        self.keyword = keyword

    def __get__(self, obj: object | None, owner: type[Any]) -> Any:
        value = super().__get__(obj, owner)
        if obj is None or value is not None:
            return value
        # A received C-STORE data set lives in its spool file: read only if asked for.
        spooled: tuple[Path, int] | None = obj.__dict__.get("_spooled")
        if spooled is None:
            return None
        path, offset = spooled
        with open(path, "rb") as file:
            file.seek(offset)
            stream = BytesIO(file.read())
        obj.__dict__[self.slot] = stream
        return stream

    def check(self, value: BytesIO | bytes | bytearray | memoryview | None) -> BytesIO | None:
        if value is None or isinstance(value, BytesIO):
            return value
        if isinstance(value, bytes | bytearray | memoryview):
            return BytesIO(value)
        raise TypeError(f"'{self.keyword}' parameter must be a BytesIO object")


class _MoveDestination(_Checked["str | None", "str | bytes | None"]):
    def __init__(self) -> None:
        super().__init__("_move_destination")

    def check(self, value: str | bytes | None) -> str | None:
        if isinstance(value, bytes):
            warnings.warn(
                "The use of bytes with 'Move Destination' is deprecated, use an ASCII str instead",
                DeprecationWarning,
                stacklevel=3,
            )
            value = decode_bytes(value).strip()
        return set_ae(value, "Move Destination", allow_empty=False)


class _MoveOriginatorAE(_Checked["str | None", "str | bytes | None"]):
    """An invalid title is logged and stored as None (the C-STORE still
    proceeds: the element is optional)."""

    def __init__(self) -> None:
        super().__init__("_move_originator_application_entity_title")

    def check(self, value: str | bytes | None) -> str | None:
        if isinstance(value, bytes):
            warnings.warn(
                "The use of bytes with 'Move Originator AE Title' is deprecated, use "
                "an ASCII str instead",
                DeprecationWarning,
                stacklevel=3,
            )
            value = decode_bytes(value).strip()
        try:
            return set_ae(value, "Move Originator AE Title")
        except ValueError:
            LOGGER.error("Invalid 'Move Originator AE Title' in C-STORE request")
            return None


_TagList: TypeAlias = "BaseTag | list[BaseTag] | None"


class _AttributeIdentifiers(_Checked[_TagList, Any]):
    """Tags: one value gives a single tag, a sequence of two or more a list
    (pynetdicom's convention, including a 2-tuple read as two tags)."""

    def __init__(self) -> None:
        super().__init__("_attribute_identifier_list")

    def check(self, value: Any) -> BaseTag | list[BaseTag] | None:
        if value is None:
            return None
        from pydicom.tag import Tag

        try:
            if isinstance(value, Sequence):
                if len(value) == 1:
                    return Tag(value[0])
                return [Tag(tag) for tag in value]
            return Tag(value)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(
                "Attribute Identifier List must be convertible to a pydicom BaseTag "
                "or list of BaseTag"
            ) from None


class DIMSEPrimitive:
    """Parameters common to every DIMSE service primitive."""

    STATUS_OPTIONAL_KEYWORDS: tuple[str, ...] = ()
    REQUEST_KEYWORDS: tuple[str, ...] = ()
    RESPONSE_KEYWORDS: tuple[str, ...] = ("MessageIDBeingRespondedTo", "Status")

    MessageID = _UInt16("_message_id", "Message ID")
    MessageIDBeingRespondedTo = _UInt16(
        "_message_id_being_responded_to", "Message ID Being Responded To"
    )
    AffectedSOPClassUID = _Uid("_affected_sop_class_uid", "Affected SOP Class UID")
    Status = _Int("_status", "DIMSE primitive's 'Status' must be an int")

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


# DIMSE-C
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

    AffectedSOPInstanceUID = _Uid("_affected_sop_instance_uid", "Affected SOP Instance UID")
    Priority = _Priority()
    MoveOriginatorApplicationEntityTitle = _MoveOriginatorAE()
    MoveOriginatorMessageID = _UInt16("_move_originator_message_id", "Move Originator Message ID")
    DataSet = _DataSet("DataSet")

    def __init__(self) -> None:
        self.OffendingElement: int | list[int] | None = None
        self.ErrorComment: str | None = None


class C_FIND(DIMSEPrimitive):
    """C-FIND (PS3.7 9.1.2)."""

    STATUS_OPTIONAL_KEYWORDS = ("OffendingElement", "ErrorComment")
    REQUEST_KEYWORDS = ("MessageID", "AffectedSOPClassUID", "Priority", "Identifier")

    Priority = _Priority()
    Identifier = _DataSet("Identifier")

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

    Priority = _Priority()
    Identifier = _DataSet("Identifier")
    NumberOfRemainingSuboperations = _Count(
        "_number_of_remaining_suboperations", "Number of Remaining Suboperations"
    )
    NumberOfCompletedSuboperations = _Count(
        "_number_of_completed_suboperations", "Number of Completed Suboperations"
    )
    NumberOfFailedSuboperations = _Count(
        "_number_of_failed_suboperations", "Number of Failed Suboperations"
    )
    NumberOfWarningSuboperations = _Count(
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

    MoveDestination = _MoveDestination()


class C_ECHO(DIMSEPrimitive):
    """C-ECHO (PS3.7 9.1.5)."""

    STATUS_OPTIONAL_KEYWORDS = ("ErrorComment",)
    REQUEST_KEYWORDS = ("MessageID", "AffectedSOPClassUID")

    def __init__(self) -> None:
        self.ErrorComment: str | None = None


class C_CANCEL:
    """C-CANCEL (PS3.7 9.3.2.3): only *Message ID Being Responded To*."""

    MessageIDBeingRespondedTo = _UInt16(
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


# DIMSE-N
class _Normalized(DIMSEPrimitive):
    """Parameters shared by the DIMSE-N primitives."""

    STATUS_OPTIONAL_KEYWORDS: tuple[str, ...] = ("ErrorComment", "ErrorID")

    AffectedSOPInstanceUID = _Uid("_affected_sop_instance_uid", "Affected SOP Instance UID")

    def __init__(self) -> None:
        self.ErrorComment: str | None = None
        self.ErrorID: int | None = None


class _Requested(_Normalized):
    """DIMSE-N primitives addressed by Requested SOP Class/Instance UID."""

    RequestedSOPClassUID = _Uid("_requested_sop_class_uid", "Requested SOP Class UID")
    RequestedSOPInstanceUID = _Uid("_requested_sop_instance_uid", "Requested SOP Instance UID")


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

    EventTypeID = _Int("_event_type_id", "'N_EVENT_REPORT.EventTypeID' must be an int.")
    EventInformation = _DataSet("EventInformation")
    EventReply = _DataSet("EventReply")


class N_GET(_Requested):
    """N-GET (PS3.7 10.1.2)."""

    STATUS_OPTIONAL_KEYWORDS = ("AttributeIdentifierList", "ErrorComment", "ErrorID")
    REQUEST_KEYWORDS = ("MessageID", "RequestedSOPClassUID", "RequestedSOPInstanceUID")

    AttributeIdentifierList = _AttributeIdentifiers()
    AttributeList = _DataSet("AttributeList")


class N_SET(_Requested):
    """N-SET (PS3.7 10.1.3)."""

    STATUS_OPTIONAL_KEYWORDS = ("ErrorComment", "ErrorID", "AttributeIdentifierList")
    REQUEST_KEYWORDS = (
        "MessageID",
        "RequestedSOPClassUID",
        "RequestedSOPInstanceUID",
        "ModificationList",
    )

    AttributeIdentifierList = _AttributeIdentifiers()
    ModificationList = _DataSet("ModificationList")
    AttributeList = _DataSet("AttributeList")


class N_ACTION(_Requested):
    """N-ACTION (PS3.7 10.1.4)."""

    STATUS_OPTIONAL_KEYWORDS = ("ErrorComment", "ErrorID", "AttributeIdentifierList")
    REQUEST_KEYWORDS = (
        "MessageID",
        "RequestedSOPClassUID",
        "RequestedSOPInstanceUID",
        "ActionTypeID",
    )

    ActionTypeID = _Int("_action_type_id", "'N_ACTION.ActionTypeID' must be an int.")
    ActionInformation = _DataSet("ActionInformation")
    ActionReply = _DataSet("ActionReply")


class N_CREATE(_Normalized):
    """N-CREATE (PS3.7 10.1.5)."""

    REQUEST_KEYWORDS = ("MessageID", "AffectedSOPClassUID")

    AttributeList = _DataSet("AttributeList")


class N_DELETE(_Requested):
    """N-DELETE (PS3.7 10.1.6)."""

    REQUEST_KEYWORDS = ("MessageID", "RequestedSOPClassUID", "RequestedSOPInstanceUID")


DimseServiceType: TypeAlias = (
    C_ECHO
    | C_FIND
    | C_GET
    | C_MOVE
    | C_STORE
    | N_ACTION
    | N_CREATE
    | N_DELETE
    | N_EVENT_REPORT
    | N_GET
    | N_SET
)
DimsePrimitiveType: TypeAlias = C_CANCEL | DimseServiceType


# Conversion to and from the core's CommandSet
def command_field_of(primitive: DimsePrimitiveType, is_response: bool | None = None) -> int:
    """The *Command Field* for `primitive` as a request or a response.

    `is_response` ``None``: a response if *Message ID Being Responded To*
    or *Status* is set (always a request for C-CANCEL).
    """
    base = _COMMAND_FIELDS[type(primitive)]
    if isinstance(primitive, C_CANCEL):
        return base
    if is_response is None:
        is_response = _looks_like_response(primitive)
    return base | 0x8000 if is_response else base


def to_command_set(primitive: DimsePrimitiveType, is_response: bool | None = None) -> CommandSet:
    """The ``_core.CommandSet`` for `primitive`.

    Only the elements PS3.7 defines for the message (request or response,
    see :func:`command_field_of`) are included, each when its parameter is
    set. *Command Data Set Type* is 0x0001 when the message's data-set
    parameter holds bytes (or a file path is set for a C-STORE), 0x0101
    otherwise; the data set itself is :func:`data_set_of`.
    Raises ``ValueError`` (``fastdimse.EncodeError``) from the core for a
    value that cannot be encoded.
    """
    from fastdimse._core import CommandSet

    field = command_field_of(primitive, is_response)
    kwargs: dict[str, Any] = {}
    for keyword, arg in _ELEMENTS[field]:
        value = getattr(primitive, keyword, None)
        if value is None:
            continue
        if arg in _TAG_LIST_ARGS:
            value = [int(v) for v in value] if isinstance(value, list) else [int(value)]
        elif arg in _AE_ARGS:
            value = value if _config.USE_SHORT_DIMSE_AET else value.ljust(16)
        elif arg in _UID_ARGS:
            value = str(value)
        kwargs[arg] = value
    has_data = data_set_of(primitive, field) is not None or (
        field == 0x0001 and getattr(primitive, "_dataset_path", None) is not None
    )
    return CommandSet(field, command_data_set_type=0x0001 if has_data else 0x0101, **kwargs)


def data_set_of(primitive: DimsePrimitiveType, command_field: int | None = None) -> BytesIO | None:
    """The encoded data set the message for `primitive` carries, or ``None``
    when it has none or it is empty. `command_field` defaults to
    :func:`command_field_of`."""
    if command_field is None:
        command_field = command_field_of(primitive)
    keyword = _DATA_SET_KEYWORDS.get(command_field)
    if keyword is None:
        return None
    stream: BytesIO | None = getattr(primitive, keyword, None)
    if stream is None or not stream.getvalue():
        return None
    return stream


def from_command_set(
    cmd: CommandSet,
    data_set: BytesIO | bytes | bytearray | memoryview | None = None,
    context_id: int | None = None,
) -> DimsePrimitiveType:
    """The primitive for a received command set (and its data set).

    Values were checked by the core when it decoded the command set, so
    they are stored without re-validation: UIDs become pydicom ``UID``
    (pydicom is imported on first use), AE titles lose their padding, a
    one-tag *Offending Element* or *Attribute Identifier List* becomes a
    single value as pynetdicom does. `data_set` (bytes are wrapped without a
    copy) goes to the message's data-set parameter; ``_context_id`` is set
    to `context_id`. Raises ``ValueError`` for a Command Field that is no
    DIMSE message.
    """
    field = cmd.command_field
    try:
        cls = _CLASS_OF_FIELD[field & 0x7FFF]
        elements = _ELEMENTS[field]
    except KeyError:
        raise ValueError(f"Unknown DIMSE Command Field 0x{field:04X}") from None
    primitive: DimsePrimitiveType = cls()
    slots = primitive.__dict__
    for keyword, arg in elements:
        value = getattr(cmd, arg)
        if value is None:
            continue
        if arg in _UID_ARGS:
            value = _uid(value)
        elif arg in _AE_ARGS:
            value = value.strip()
        elif arg == "offending_element":
            value = value[0] if len(value) == 1 else value
        elif arg == "attribute_identifier_list":
            from pydicom.tag import Tag

            value = Tag(value[0]) if len(value) == 1 else [Tag(v) for v in value]
        descriptor = getattr(cls, keyword, None)
        if isinstance(descriptor, _Checked):
            slots[descriptor.slot] = value
        else:
            setattr(primitive, keyword, value)
    data_keyword = _DATA_SET_KEYWORDS.get(field)
    if data_keyword is not None and data_set is not None:
        setattr(primitive, data_keyword, data_set)
    primitive._context_id = context_id
    return primitive


def _looks_like_response(primitive: DIMSEPrimitive) -> bool:
    return primitive.MessageIDBeingRespondedTo is not None or primitive.Status is not None


def _uid(value: str) -> UID:
    from pydicom.uid import UID

    return UID(value)


_COMMAND_FIELDS: dict[type[Any], int] = {
    C_STORE: 0x0001,
    C_GET: 0x0010,
    C_FIND: 0x0020,
    C_MOVE: 0x0021,
    C_ECHO: 0x0030,
    N_EVENT_REPORT: 0x0100,
    N_GET: 0x0110,
    N_SET: 0x0120,
    N_ACTION: 0x0130,
    N_CREATE: 0x0140,
    N_DELETE: 0x0150,
    C_CANCEL: 0x0FFF,
}
_CLASS_OF_FIELD: dict[int, type[Any]] = {v: k for k, v in _COMMAND_FIELDS.items()}

# Keyword -> CommandSet argument
_ARG = {
    "AffectedSOPClassUID": "affected_sop_class_uid",
    "RequestedSOPClassUID": "requested_sop_class_uid",
    "MessageID": "message_id",
    "MessageIDBeingRespondedTo": "message_id_being_responded_to",
    "MoveDestination": "move_destination",
    "Priority": "priority",
    "Status": "status",
    "OffendingElement": "offending_element",
    "ErrorComment": "error_comment",
    "ErrorID": "error_id",
    "AffectedSOPInstanceUID": "affected_sop_instance_uid",
    "RequestedSOPInstanceUID": "requested_sop_instance_uid",
    "EventTypeID": "event_type_id",
    "AttributeIdentifierList": "attribute_identifier_list",
    "ActionTypeID": "action_type_id",
    "NumberOfRemainingSuboperations": "number_of_remaining_suboperations",
    "NumberOfCompletedSuboperations": "number_of_completed_suboperations",
    "NumberOfFailedSuboperations": "number_of_failed_suboperations",
    "NumberOfWarningSuboperations": "number_of_warning_suboperations",
    "MoveOriginatorApplicationEntityTitle": "move_originator_application_entity_title",
    "MoveOriginatorMessageID": "move_originator_message_id",
}
_UID_ARGS = frozenset(a for k, a in _ARG.items() if k.endswith("UID"))
_AE_ARGS = frozenset(("move_destination", "move_originator_application_entity_title"))
_TAG_LIST_ARGS = frozenset(("offending_element", "attribute_identifier_list"))

_STATUS_ELEMENTS = ("MessageIDBeingRespondedTo", "Status")
_SUBOPERATIONS = (
    "NumberOfRemainingSuboperations",
    "NumberOfCompletedSuboperations",
    "NumberOfFailedSuboperations",
    "NumberOfWarningSuboperations",
)
# The elements of each message besides Command Field and Command Data Set
# Type (PS3.7 9.3 and 10.3)
_KEYWORDS: dict[int, tuple[str, ...]] = {
    0x0001: (
        "AffectedSOPClassUID",
        "MessageID",
        "Priority",
        "AffectedSOPInstanceUID",
        "MoveOriginatorApplicationEntityTitle",
        "MoveOriginatorMessageID",
    ),
    0x8001: (
        "AffectedSOPClassUID",
        *_STATUS_ELEMENTS,
        "AffectedSOPInstanceUID",
        "OffendingElement",
        "ErrorComment",
    ),
    0x0020: ("AffectedSOPClassUID", "MessageID", "Priority"),
    0x8020: ("AffectedSOPClassUID", *_STATUS_ELEMENTS, "OffendingElement", "ErrorComment"),
    0x0010: ("AffectedSOPClassUID", "MessageID", "Priority"),
    0x8010: (
        "AffectedSOPClassUID",
        *_STATUS_ELEMENTS,
        *_SUBOPERATIONS,
        "OffendingElement",
        "ErrorComment",
    ),
    0x0021: ("AffectedSOPClassUID", "MessageID", "Priority", "MoveDestination"),
    0x8021: (
        "AffectedSOPClassUID",
        *_STATUS_ELEMENTS,
        *_SUBOPERATIONS,
        "OffendingElement",
        "ErrorComment",
    ),
    0x0030: ("AffectedSOPClassUID", "MessageID"),
    0x8030: ("AffectedSOPClassUID", *_STATUS_ELEMENTS, "ErrorComment"),
    0x0FFF: ("MessageIDBeingRespondedTo",),
    0x0100: ("AffectedSOPClassUID", "MessageID", "AffectedSOPInstanceUID", "EventTypeID"),
    0x8100: (
        "AffectedSOPClassUID",
        *_STATUS_ELEMENTS,
        "AffectedSOPInstanceUID",
        "EventTypeID",
        "ErrorID",
        "ErrorComment",
    ),
    0x0110: (
        "RequestedSOPClassUID",
        "MessageID",
        "RequestedSOPInstanceUID",
        "AttributeIdentifierList",
    ),
    0x8110: (
        "AffectedSOPClassUID",
        *_STATUS_ELEMENTS,
        "AffectedSOPInstanceUID",
        "AttributeIdentifierList",
        "ErrorComment",
        "ErrorID",
    ),
    0x0120: ("RequestedSOPClassUID", "MessageID", "RequestedSOPInstanceUID"),
    0x8120: (
        "AffectedSOPClassUID",
        *_STATUS_ELEMENTS,
        "AffectedSOPInstanceUID",
        "AttributeIdentifierList",
        "ErrorComment",
        "ErrorID",
    ),
    0x0130: ("RequestedSOPClassUID", "MessageID", "RequestedSOPInstanceUID", "ActionTypeID"),
    0x8130: (
        "AffectedSOPClassUID",
        *_STATUS_ELEMENTS,
        "AffectedSOPInstanceUID",
        "ActionTypeID",
        "ErrorID",
        "ErrorComment",
    ),
    0x0140: ("AffectedSOPClassUID", "MessageID", "AffectedSOPInstanceUID"),
    0x8140: (
        "AffectedSOPClassUID",
        *_STATUS_ELEMENTS,
        "AffectedSOPInstanceUID",
        "ErrorID",
        "ErrorComment",
    ),
    0x0150: ("RequestedSOPClassUID", "MessageID", "RequestedSOPInstanceUID"),
    0x8150: (
        "AffectedSOPClassUID",
        *_STATUS_ELEMENTS,
        "AffectedSOPInstanceUID",
        "ErrorComment",
        "ErrorID",
    ),
}
_ELEMENTS: dict[int, tuple[tuple[str, str], ...]] = {
    field: tuple((k, _ARG[k]) for k in keywords) for field, keywords in _KEYWORDS.items()
}

# The data-set parameter of each message that has one
_DATA_SET_KEYWORDS: dict[int, str] = {
    0x0001: "DataSet",
    0x0020: "Identifier",
    0x8020: "Identifier",
    0x0010: "Identifier",
    0x8010: "Identifier",
    0x0021: "Identifier",
    0x8021: "Identifier",
    0x0100: "EventInformation",
    0x8100: "EventReply",
    0x8110: "AttributeList",
    0x0120: "ModificationList",
    0x8120: "AttributeList",
    0x0130: "ActionInformation",
    0x8130: "ActionReply",
    0x0140: "AttributeList",
    0x8140: "AttributeList",
}

_SHOWN_KEYWORDS = (
    "MessageID",
    "MessageIDBeingRespondedTo",
    "AffectedSOPClassUID",
    "RequestedSOPClassUID",
    "Status",
)
