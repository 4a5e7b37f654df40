"""DIMSE primitives to and from the core's ``CommandSet`` (PS3.7 9.3, 10.3, E.1).

:func:`to_command_set` gives the ``_core.CommandSet`` to encode (the data set
is sent separately: :func:`data_set_of`), and :func:`from_command_set` builds
the primitive from a received command set and its data set bytes.

The core names the Command Fields it knows (``CommandSet.command_name``) but
exposes no table of them, so :data:`REQUEST_FIELDS` is the one table here:
every other table is keyed by message type and derived from it.
"""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING, Any, TypeAlias

from fastdimse import _config
from fastdimse._dimse.primitives import checked
from fastdimse._dimse.primitives.base import DIMSEPrimitive, register_command_set_encoder
from fastdimse._dimse.primitives.c_services import (
    C_CANCEL,
    C_ECHO,
    C_FIND,
    C_GET,
    C_MOVE,
    C_STORE,
)
from fastdimse._dimse.primitives.n_services import (
    N_ACTION,
    N_CREATE,
    N_DELETE,
    N_EVENT_REPORT,
    N_GET,
    N_SET,
)

if TYPE_CHECKING:
    from fastdimse._core import CommandSet

# ELEMENTS, DATA_SET_KEYWORDS and REQUEST_FIELDS serve the package; not pynetdicom API.
__all__ = [
    "DimsePrimitiveType",
    "DimseServiceType",
    "command_field_of",
    "data_set_of",
    "from_command_set",
    "to_command_set",
]

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


def command_field_of(primitive: DimsePrimitiveType, is_response: bool | None = None) -> int:
    """The *Command Field* for `primitive` as a request or a response.

    `is_response` ``None``: a response if *Message ID Being Responded To*
    or *Status* is set (always a request for C-CANCEL).
    """
    base = REQUEST_FIELDS[type(primitive)]
    if isinstance(primitive, C_CANCEL):
        return base
    if is_response is None:
        is_response = _looks_like_response(primitive)
    return base | _RESPONSE if is_response else base


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
    cls = type(primitive)
    for keyword, arg in ELEMENTS[field]:
        descriptor = getattr(cls, keyword, None)
        if isinstance(descriptor, checked.Uid):
            uid = descriptor.raw(primitive)  # no pydicom UID made for it
            if uid is not None:
                kwargs[arg] = str(uid)
            continue
        value = getattr(primitive, keyword, None)
        if value is None:
            continue
        if arg in _TAG_LIST_ARGS:
            # One tag, or several (a list, or the MultiValue pydicom makes of them).
            value = [int(value)] if isinstance(value, int) else [int(v) for v in value]
        elif arg in _AE_ARGS:
            value = value if _config.USE_SHORT_DIMSE_AET else value.ljust(16)
        kwargs[arg] = value
    has_data = data_set_of(primitive, field) is not None or (
        field == REQUEST_FIELDS[C_STORE] and getattr(primitive, "_dataset_path", None) is not None
    )
    return CommandSet(field, command_data_set_type=0x0001 if has_data else 0x0101, **kwargs)


def data_set_of(primitive: DimsePrimitiveType, command_field: int | None = None) -> BytesIO | None:
    """The encoded data set the message for `primitive` carries, or ``None``
    when it has none or it is empty. `command_field` defaults to
    :func:`command_field_of`."""
    if command_field is None:
        command_field = command_field_of(primitive)
    keyword = DATA_SET_KEYWORDS.get(command_field)
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
        cls = _CLASS_OF_FIELD[field & ~_RESPONSE]
        elements = ELEMENTS[field]
    except KeyError:
        raise ValueError(f"Unknown DIMSE Command Field 0x{field:04X}") from None
    primitive: DimsePrimitiveType = cls()
    slots = primitive.__dict__
    for keyword, arg in elements:
        value = getattr(cmd, arg)
        if value is None:
            continue
        # A UID stays the core's str: the descriptor makes a pydicom UID if it is read.
        if arg in _AE_ARGS:
            value = value.strip()
        elif arg == "offending_element":
            value = value[0] if len(value) == 1 else value
        elif arg == "attribute_identifier_list":
            from pydicom.tag import Tag

            value = Tag(value[0]) if len(value) == 1 else [Tag(v) for v in value]
        descriptor = getattr(cls, keyword, None)
        if isinstance(descriptor, checked.Checked):
            slots[descriptor.slot] = value
        else:
            setattr(primitive, keyword, value)
    data_keyword = DATA_SET_KEYWORDS.get(field)
    if data_keyword is not None and data_set is not None:
        setattr(primitive, data_keyword, data_set)
    primitive._context_id = context_id
    return primitive


def _looks_like_response(primitive: DIMSEPrimitive) -> bool:
    return primitive.MessageIDBeingRespondedTo is not None or primitive.Status is not None


# The Command Field of each message type's request (PS3.7 E.1); a response's
# has bit 15 set as well. C-CANCEL has no response.
REQUEST_FIELDS: dict[type[Any], int] = {
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
_RESPONSE = 0x8000
_CLASS_OF_FIELD: dict[int, type[Any]] = {v: k for k, v in REQUEST_FIELDS.items()}

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
_AE_ARGS = frozenset(("move_destination", "move_originator_application_entity_title"))
_TAG_LIST_ARGS = frozenset(("offending_element", "attribute_identifier_list"))

_STATUS_ELEMENTS = ("MessageIDBeingRespondedTo", "Status")
_SUBOPERATIONS = (
    "NumberOfRemainingSuboperations",
    "NumberOfCompletedSuboperations",
    "NumberOfFailedSuboperations",
    "NumberOfWarningSuboperations",
)
# The elements of each message type's (request, response) besides Command
# Field and Command Data Set Type (PS3.7 9.3 and 10.3); every response may name
# Offending Element as a failure's (PS3.7 C.4.2), where pynetdicom's C-ECHO and
# N-services do not
_KEYWORDS: dict[type[Any], tuple[tuple[str, ...], tuple[str, ...] | None]] = {
    C_STORE: (
        (
            "AffectedSOPClassUID",
            "MessageID",
            "Priority",
            "AffectedSOPInstanceUID",
            "MoveOriginatorApplicationEntityTitle",
            "MoveOriginatorMessageID",
        ),
        (
            "AffectedSOPClassUID",
            *_STATUS_ELEMENTS,
            "AffectedSOPInstanceUID",
            "OffendingElement",
            "ErrorComment",
        ),
    ),
    C_FIND: (
        ("AffectedSOPClassUID", "MessageID", "Priority"),
        ("AffectedSOPClassUID", *_STATUS_ELEMENTS, "OffendingElement", "ErrorComment"),
    ),
    C_GET: (
        ("AffectedSOPClassUID", "MessageID", "Priority"),
        (
            "AffectedSOPClassUID",
            *_STATUS_ELEMENTS,
            *_SUBOPERATIONS,
            "OffendingElement",
            "ErrorComment",
        ),
    ),
    C_MOVE: (
        ("AffectedSOPClassUID", "MessageID", "Priority", "MoveDestination"),
        (
            "AffectedSOPClassUID",
            *_STATUS_ELEMENTS,
            *_SUBOPERATIONS,
            "OffendingElement",
            "ErrorComment",
        ),
    ),
    C_ECHO: (
        ("AffectedSOPClassUID", "MessageID"),
        ("AffectedSOPClassUID", *_STATUS_ELEMENTS, "OffendingElement", "ErrorComment"),
    ),
    C_CANCEL: (("MessageIDBeingRespondedTo",), None),
    N_EVENT_REPORT: (
        ("AffectedSOPClassUID", "MessageID", "AffectedSOPInstanceUID", "EventTypeID"),
        (
            "AffectedSOPClassUID",
            *_STATUS_ELEMENTS,
            "OffendingElement",
            "AffectedSOPInstanceUID",
            "EventTypeID",
            "ErrorID",
            "ErrorComment",
        ),
    ),
    N_GET: (
        (
            "RequestedSOPClassUID",
            "MessageID",
            "RequestedSOPInstanceUID",
            "AttributeIdentifierList",
        ),
        (
            "AffectedSOPClassUID",
            *_STATUS_ELEMENTS,
            "OffendingElement",
            "AffectedSOPInstanceUID",
            "AttributeIdentifierList",
            "ErrorComment",
            "ErrorID",
        ),
    ),
    N_SET: (
        ("RequestedSOPClassUID", "MessageID", "RequestedSOPInstanceUID"),
        (
            "AffectedSOPClassUID",
            *_STATUS_ELEMENTS,
            "OffendingElement",
            "AffectedSOPInstanceUID",
            "AttributeIdentifierList",
            "ErrorComment",
            "ErrorID",
        ),
    ),
    N_ACTION: (
        ("RequestedSOPClassUID", "MessageID", "RequestedSOPInstanceUID", "ActionTypeID"),
        (
            "AffectedSOPClassUID",
            *_STATUS_ELEMENTS,
            "OffendingElement",
            "AffectedSOPInstanceUID",
            "ActionTypeID",
            "ErrorID",
            "ErrorComment",
        ),
    ),
    N_CREATE: (
        ("AffectedSOPClassUID", "MessageID", "AffectedSOPInstanceUID"),
        (
            "AffectedSOPClassUID",
            *_STATUS_ELEMENTS,
            "OffendingElement",
            "AffectedSOPInstanceUID",
            "ErrorID",
            "ErrorComment",
        ),
    ),
    N_DELETE: (
        ("RequestedSOPClassUID", "MessageID", "RequestedSOPInstanceUID"),
        (
            "AffectedSOPClassUID",
            *_STATUS_ELEMENTS,
            "OffendingElement",
            "AffectedSOPInstanceUID",
            "ErrorComment",
            "ErrorID",
        ),
    ),
}
# The data-set parameter of each message type's (request, response), None
# where that message carries no data set
_DATA_SETS: dict[type[Any], tuple[str | None, str | None]] = {
    C_STORE: ("DataSet", None),
    C_FIND: ("Identifier", "Identifier"),
    C_GET: ("Identifier", "Identifier"),
    C_MOVE: ("Identifier", "Identifier"),
    N_EVENT_REPORT: ("EventInformation", "EventReply"),
    N_GET: (None, "AttributeList"),
    N_SET: ("ModificationList", "AttributeList"),
    N_ACTION: ("ActionInformation", "ActionReply"),
    N_CREATE: ("AttributeList", "AttributeList"),
}


def _by_field() -> tuple[dict[int, tuple[tuple[str, str], ...]], dict[int, str]]:
    """The tables above keyed by Command Field: (keyword, CommandSet argument)
    of each element, and the data-set parameter of each message with one."""
    elements: dict[int, tuple[tuple[str, str], ...]] = {}
    data_sets: dict[int, str] = {}
    for cls, request in REQUEST_FIELDS.items():
        fields = (request, request | _RESPONSE)
        for field, names in zip(fields, _KEYWORDS[cls], strict=True):
            if names is not None:
                elements[field] = tuple((k, _ARG[k]) for k in names)
        for field, name in zip(fields, _DATA_SETS.get(cls, (None, None)), strict=True):
            if name is not None:
                data_sets[field] = name
    return elements, data_sets


# Command Field -> ((keyword, CommandSet argument), ...) of the message's elements
ELEMENTS: dict[int, tuple[tuple[str, str], ...]]
# Command Field -> the message's data-set parameter, for messages that carry one
DATA_SET_KEYWORDS: dict[int, str]
ELEMENTS, DATA_SET_KEYWORDS = _by_field()


register_command_set_encoder(to_command_set)
