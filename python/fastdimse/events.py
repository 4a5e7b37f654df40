"""User-facing events (``fastdimse.evt``): what they are, how handlers are
bound, and the ``Event`` object handlers receive.

Two kinds of event, as in pynetdicom 3.0.4:

* **notification** events (``NotificationEvent``) tell handlers something
  happened. Any number of handlers may be bound; their return values are
  ignored, and an exception raised by one is logged and does not reach the
  association.
* **intervention** events (``InterventionEvent``) ask the single bound
  handler for a decision (a status, a negotiation answer). Every
  association has a default handler bound for each; an exception raised by
  the handler propagates to the caller, which answers the peer accordingly.

Handlers are called as ``handler(event)`` or, when bound with extra
arguments, ``handler(event, *args)``.

Data sets reach handlers still encoded; ``Event.dataset`` and its siblings
decode them with pydicom on first access (pydicom is imported then, not
when this module is).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from io import BytesIO
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias, cast

from fastdimse import _config
from fastdimse._files.encoding import decode_data_set
from fastdimse._files.part10 import encode_file_meta
from fastdimse._implementation import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME

if TYPE_CHECKING:
    from pathlib import Path

    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.tag import BaseTag

__all__ = [
    "EVT_ABORTED",
    "EVT_ACCEPTED",
    "EVT_ACSE_RECV",
    "EVT_ACSE_SENT",
    "EVT_ASYNC_OPS",
    "EVT_CONN_CLOSE",
    "EVT_CONN_OPEN",
    "EVT_C_ECHO",
    "EVT_C_FIND",
    "EVT_C_GET",
    "EVT_C_MOVE",
    "EVT_C_STORE",
    "EVT_DATA_RECV",
    "EVT_DATA_SENT",
    "EVT_DIMSE_RECV",
    "EVT_DIMSE_SENT",
    "EVT_ESTABLISHED",
    "EVT_FSM_TRANSITION",
    "EVT_N_ACTION",
    "EVT_N_CREATE",
    "EVT_N_DELETE",
    "EVT_N_EVENT_REPORT",
    "EVT_N_GET",
    "EVT_N_SET",
    "EVT_PDU_RECV",
    "EVT_PDU_SENT",
    "EVT_REJECTED",
    "EVT_RELEASED",
    "EVT_REQUESTED",
    "EVT_SOP_COMMON",
    "EVT_SOP_EXTENDED",
    "EVT_USER_ID",
    "Event",
    "EventHandlerType",
    "EventType",
    "InterventionEvent",
    "NotificationEvent",
    "get_default_handler",
    "is_bound",
    "trigger",
]

LOGGER = logging.getLogger("fastdimse.events")


class NotificationEvent(NamedTuple):
    """An event that handlers are told about (any number of handlers)."""

    name: str
    description: str
    is_intervention: bool = False
    is_notification: bool = True

    def __str__(self) -> str:
        return self.name


class InterventionEvent(NamedTuple):
    """An event whose single handler decides the outcome."""

    name: str
    description: str
    is_intervention: bool = True
    is_notification: bool = False

    def __str__(self) -> str:
        return self.name


EventType: TypeAlias = NotificationEvent | InterventionEvent
Handler: TypeAlias = Callable[..., Any]
EventHandlerType: TypeAlias = tuple[EventType, Handler] | tuple[EventType, Handler, list[Any]]
# How an association records its bindings (what its get_handlers returns):
#   notification event -> list of (handler, args or None)
#   intervention event -> (handler, args or None)
_HandlerBase: TypeAlias = tuple[Handler, list[Any] | None]
HandlerArgType: TypeAlias = list[_HandlerBase] | _HandlerBase
_HandlerAttr: TypeAlias = dict[EventType, HandlerArgType]

# Notification events
EVT_ABORTED = NotificationEvent("EVT_ABORTED", "Association aborted")
EVT_ACCEPTED = NotificationEvent("EVT_ACCEPTED", "Association request accepted")
EVT_ACSE_RECV = NotificationEvent("EVT_ACSE_RECV", "ACSE primitive received from DUL")
EVT_ACSE_SENT = NotificationEvent("EVT_ACSE_SENT", "ACSE primitive sent to DUL")
EVT_CONN_CLOSE = NotificationEvent("EVT_CONN_CLOSE", "Connection closed")
EVT_CONN_OPEN = NotificationEvent("EVT_CONN_OPEN", "Connection opened")
EVT_DATA_RECV = NotificationEvent("EVT_DATA_RECV", "PDU data received from remote")
EVT_DATA_SENT = NotificationEvent("EVT_DATA_SENT", "PDU data sent to remote")
EVT_DIMSE_RECV = NotificationEvent("EVT_DIMSE_RECV", "Complete DIMSE message received and decoded")
EVT_DIMSE_SENT = NotificationEvent(
    "EVT_DIMSE_SENT", "DIMSE message encoded and P-DATA primitives sent to DUL"
)
EVT_ESTABLISHED = NotificationEvent("EVT_ESTABLISHED", "Association established")
EVT_FSM_TRANSITION = NotificationEvent("EVT_FSM_TRANSITION", "State machine about to transition")
EVT_PDU_RECV = NotificationEvent("EVT_PDU_RECV", "PDU received and decoded")
EVT_PDU_SENT = NotificationEvent("EVT_PDU_SENT", "PDU encoded and sent")
EVT_REJECTED = NotificationEvent("EVT_REJECTED", "Association request rejected")
EVT_RELEASED = NotificationEvent("EVT_RELEASED", "Association released")
EVT_REQUESTED = NotificationEvent("EVT_REQUESTED", "Association requested")

# Intervention events
EVT_ASYNC_OPS = InterventionEvent("EVT_ASYNC_OPS", "Asynchronous operations negotiation requested")
EVT_SOP_COMMON = InterventionEvent(
    "EVT_SOP_COMMON", "SOP class common extended negotiation requested"
)
EVT_SOP_EXTENDED = InterventionEvent("EVT_SOP_EXTENDED", "SOP class extended negotiation requested")
EVT_USER_ID = InterventionEvent("EVT_USER_ID", "User identity negotiation requested")
EVT_C_ECHO = InterventionEvent("EVT_C_ECHO", "C-ECHO request received")
EVT_C_FIND = InterventionEvent("EVT_C_FIND", "C-FIND request received")
EVT_C_GET = InterventionEvent("EVT_C_GET", "C-GET request received")
EVT_C_MOVE = InterventionEvent("EVT_C_MOVE", "C-MOVE request received")
EVT_C_STORE = InterventionEvent("EVT_C_STORE", "C-STORE request received")
EVT_N_ACTION = InterventionEvent("EVT_N_ACTION", "N-ACTION request received")
EVT_N_CREATE = InterventionEvent("EVT_N_CREATE", "N-CREATE request received")
EVT_N_DELETE = InterventionEvent("EVT_N_DELETE", "N-DELETE request received")
EVT_N_EVENT_REPORT = InterventionEvent("EVT_N_EVENT_REPORT", "N-EVENT-REPORT request received")
EVT_N_GET = InterventionEvent("EVT_N_GET", "N-GET request received")
EVT_N_SET = InterventionEvent("EVT_N_SET", "N-SET request received")

# Sorted by name, as pynetdicom lists them
_NOTIFICATION_EVENTS: list[NotificationEvent] = sorted(
    (v for v in list(globals().values()) if isinstance(v, NotificationEvent)),
    key=lambda e: e.name,
)
_INTERVENTION_EVENTS: list[InterventionEvent] = sorted(
    (v for v in list(globals().values()) if isinstance(v, InterventionEvent)),
    key=lambda e: e.name,
)


def trigger(assoc: Any, event: EventType, attrs: dict[str, Any] | None = None) -> Any:
    """Call the handler(s) bound to `event` on `assoc` and return the
    intervention handler's result (``None`` for notification events or
    when nothing is bound).

    `attrs` become attributes of the :class:`Event` passed to the handlers
    (``request``, ``context``, ``_is_cancelled``, ``pdu``, ``data``, ...).
    An exception from an intervention handler propagates; one from a
    notification handler is logged at ERROR with its traceback and the
    remaining handlers still run.

    While notification handlers run, ``assoc.abort`` is replaced by
    ``assoc._abort_nonblocking`` when the association has one (so that a
    handler calling ``abort()`` from the association's own thread does not
    wait for itself) and set back to ``assoc._abort_blocking`` afterwards.
    """
    handlers = assoc.get_handlers(event)
    if not handlers or handlers[0] is None:
        return None

    evt = Event(assoc, event, attrs)
    if event.is_intervention:
        func, args = cast(_HandlerBase, handlers)
        return func(evt, *args) if args else func(evt)

    nonblocking = getattr(assoc, "_abort_nonblocking", None)
    if nonblocking is not None:
        assoc.abort = nonblocking
    try:
        # a copy: a handler may bind or unbind while we iterate
        for func, args in list(cast(list[_HandlerBase], handlers)):
            try:
                if args:
                    func(evt, *args)
                else:
                    func(evt)
            except Exception:
                name = getattr(func, "__name__", repr(func))
                LOGGER.exception(
                    f"Exception raised in user's 'evt.{event.name}' event handler '{name}'"
                )
    finally:
        if nonblocking is not None:
            assoc.abort = assoc._abort_blocking
    return None


def is_bound(assoc: Any, event: EventType) -> bool:
    """``True`` if a handler is bound to `event` on `assoc`.

    One dictionary lookup: the association calls this before building the
    attributes of a per-PDU event (``EVT_PDU_RECV``, ``EVT_DATA_SENT``,
    ``EVT_FSM_TRANSITION``, ...) so those events cost nothing when unbound.
    Intervention events always have at least their default handler.
    """
    handlers = assoc.get_handlers(event)
    return bool(handlers) and handlers[0] is not None


def get_default_handler(event: InterventionEvent) -> Handler:
    """The handler an association binds to `event` by default (and puts
    back when the user's handler is unbound). ``KeyError`` for any event
    that is not an intervention event."""
    return _DEFAULT_HANDLERS[event]


def _add_handler(event: EventType, handlers_attr: _HandlerAttr, handler_arg: _HandlerBase) -> None:
    """Record the binding ``handler_arg = (handler, args or None)`` of `event`
    in an association's or AE's `handlers_attr`.

    Notification events keep a list (a binding already present is not added
    twice); an intervention event's binding replaces the previous one.
    """
    if isinstance(event, NotificationEvent):
        bound = cast(list[_HandlerBase], handlers_attr.setdefault(event, []))
        if handler_arg not in bound:
            bound.append(handler_arg)
    elif isinstance(event, InterventionEvent):
        handlers_attr[event] = handler_arg


def _remove_handler(event: EventType, handlers_attr: _HandlerAttr, handler: Handler) -> None:
    """Remove `handler` from `event` in `handlers_attr`.

    A notification event whose last handler goes is dropped from the
    record; an intervention event gets its default handler back (only if
    `handler` was the one bound).
    """
    if event not in handlers_attr:
        return
    if isinstance(event, NotificationEvent):
        kept = [h for h in cast(list[_HandlerBase], handlers_attr[event]) if h[0] != handler]
        if kept:
            handlers_attr[event] = kept
        else:
            del handlers_attr[event]
    elif isinstance(event, InterventionEvent):
        if handler in cast(_HandlerBase, handlers_attr[event]):
            handlers_attr[event] = (get_default_handler(event), None)


class Event:
    """What a handler receives.

    Always present: ``assoc`` (the association, ``None`` in some tests),
    ``event`` (the ``NotificationEvent``/``InterventionEvent``) and
    ``timestamp`` (when the object was made). The rest depend on the event
    and are set from the ``attrs`` given to :func:`trigger`, for instance
    ``request`` and ``context`` for the service events, ``pdu`` for
    ``EVT_PDU_*``, ``data`` for ``EVT_DATA_*``, ``message`` for
    ``EVT_DIMSE_*``, ``current_state``/``fsm_event``/``action``/
    ``next_state`` for ``EVT_FSM_TRANSITION``.
    """

    # Set per event from `attrs`; declared for type checkers only
    request: Any
    context: Any
    message: Any
    pdu: Any
    data: bytes
    current_state: str
    fsm_event: str
    next_state: str
    action: str
    _is_cancelled: Callable[[int], bool]

    def __init__(self, assoc: Any, event: EventType, attrs: dict[str, Any] | None = None) -> None:
        self.assoc = assoc
        self._event = event
        from datetime import datetime  # here: an app that binds no handler never needs it

        self.timestamp = datetime.now()
        # the last decoded data set and the hash of the buffer it came from
        self._hash: int | None = None
        self._decoded: Dataset | None = None
        for name, value in (attrs or {}).items():
            if hasattr(self, name):
                raise AttributeError(f"'Event' object already has an attribute '{name}'")
            setattr(self, name, value)

    @property
    def event(self) -> EventType:
        """The event that occurred."""
        return self._event

    @property
    def message_id(self) -> int:
        """The request's *Message ID*."""
        try:
            return cast(int, self.request.MessageID)
        except AttributeError:
            raise AttributeError(
                "The corresponding event is not a DIMSE service request and "
                "has no 'Message ID' parameter"
            ) from None

    @property
    def is_cancelled(self) -> bool:
        """``True`` once a C-CANCEL naming this request's *Message ID* has
        arrived (C-FIND, C-GET and C-MOVE); ``False`` otherwise and for
        every other event."""
        try:
            return self._is_cancelled(self.request.MessageID)
        except AttributeError:
            return False

    @property
    def dataset(self) -> Dataset:
        """A C-STORE request's *Data Set*, decoded by pydicom when first asked for.

        A received data set is read from its spool file. One over 16 MiB is read
        with values over 1 MB deferred until touched, which must then happen
        within the handler (the file is deleted when it returns); a smaller one
        stays readable afterwards, as with pynetdicom. As pynetdicom, it carries
        its ``file_meta`` only under ``STORE_RECV_CHUNKED_DATASET``.
        """
        spooled = self._spooled()
        if spooled is not None:
            if self._decoded is None or self._hash != id(spooled):
                from pydicom import dcmread

                from fastdimse._files.spool import KEEP_IN_MEMORY

                path, offset = spooled
                large = path.stat().st_size - offset > KEEP_IN_MEMORY
                decoded = dcmread(path, defer_size="1 MB" if large else None)
                if not _config.STORE_RECV_CHUNKED_DATASET:
                    del decoded.file_meta
                self._decoded = decoded
                self._hash = id(spooled)
            return self._decoded
        return self._get_dataset(
            "DataSet",
            "The corresponding event is not a C-STORE request and has no 'Data Set' parameter",
        )

    @property
    def dataset_path(self) -> Path:
        """The DICOM file (preamble, file meta, data set) holding a received C-STORE
        request's data set, when ``_config.STORE_RECV_CHUNKED_DATASET`` is set
        (the file exists in every case; pynetdicom shows it only then)."""
        from pathlib import Path  # here: an SCU never needs pathlib for its events

        path = getattr(getattr(self, "request", None), "_dataset_path", None)
        if not isinstance(path, Path) or not _config.STORE_RECV_CHUNKED_DATASET:
            raise AttributeError(
                "The corresponding event is either not a C-STORE request or "
                "'STORE_RECV_CHUNKED_DATASET' is not True."
            )
        return path

    def encoded_dataset(self, include_meta: bool = True) -> bytes:
        """A C-STORE request's data set exactly as the peer encoded it.

        With `include_meta` (the default) it is preceded by the 128-byte
        preamble, ``DICM`` and the encoded :attr:`file_meta`, which makes a
        complete DICOM file without decoding the data set.
        """
        spooled = self._spooled()
        if spooled is not None and "_dataset" not in self.request.__dict__:
            path, offset = spooled
            with open(path, "rb") as file:
                if include_meta:
                    # The spool begins with the same preamble and file meta.
                    return file.read()
                file.seek(offset)
                return file.read()
        try:
            stream = self.request.DataSet
            raw = stream.getvalue() if isinstance(stream, BytesIO) else bytes(stream)
        except (AttributeError, TypeError):
            raise AttributeError(
                "The corresponding event is not a C-STORE request and has no 'Data Set' parameter"
            ) from None
        if not include_meta:
            return raw
        return encode_file_header(self) + raw

    @property
    def file_meta(self) -> FileMetaDataset:
        """File Meta Information (PS3.10 7.1) for a C-STORE request's data
        set: group length 0 (computed when written), version 00\\01, the
        request's SOP class and instance, the context's transfer syntax and
        our implementation class UID and version name."""
        # On the class: an instance lookup would read a spooled data set.
        if not hasattr(type(self.request), "DataSet"):
            raise AttributeError("The corresponding event is not a C-STORE request")
        from pydicom.dataset import FileMetaDataset
        from pydicom.uid import UID

        impl_uid, impl_version = implementation_ids()
        meta = FileMetaDataset()
        meta.FileMetaInformationGroupLength = 0
        meta.FileMetaInformationVersion = b"\x00\x01"
        meta.MediaStorageSOPClassUID = self.request.AffectedSOPClassUID
        meta.MediaStorageSOPInstanceUID = self.request.AffectedSOPInstanceUID
        meta.TransferSyntaxUID = UID(self.context.transfer_syntax)
        meta.ImplementationClassUID = UID(impl_uid)
        meta.ImplementationVersionName = impl_version
        meta.set_original_encoding(False, True)
        return meta

    @property
    def identifier(self) -> Dataset:
        """A C-FIND, C-GET or C-MOVE request's *Identifier*, decoded."""
        return self._get_dataset(
            "Identifier",
            "The corresponding event is not a C-FIND, C-GET or C-MOVE request "
            "and has no 'Identifier' parameter",
        )

    @property
    def move_destination(self) -> str | None:
        """A C-MOVE request's *Move Destination* (``None`` if the peer sent
        none or an invalid one)."""
        try:
            return cast("str | None", self.request.MoveDestination)
        except AttributeError:
            raise AttributeError(
                "The corresponding event is not a C-MOVE request and has no "
                "'Move Destination' parameter"
            ) from None

    @property
    def action_information(self) -> Dataset:
        """An N-ACTION request's *Action Information*, decoded."""
        return self._get_dataset(
            "ActionInformation",
            "The corresponding event is not an N-ACTION request and has no "
            "'Action Information' parameter",
        )

    @property
    def action_type(self) -> int | None:
        """An N-ACTION request's *Action Type ID*."""
        try:
            return cast("int | None", self.request.ActionTypeID)
        except AttributeError:
            raise AttributeError(
                "The corresponding event is not an N-ACTION request and has no "
                "'Action Type ID' parameter"
            ) from None

    @property
    def attribute_identifiers(self) -> list[BaseTag]:
        """An N-GET request's *Attribute Identifier List* (empty when the
        request has none)."""
        try:
            tags = self.request.AttributeIdentifierList
        except AttributeError:
            raise AttributeError(
                "The corresponding event is not an N-GET request and has no "
                "'Attribute Identifier List' parameter"
            ) from None
        if tags is None:
            return []
        return list(tags) if isinstance(tags, list) else [tags]

    @property
    def attribute_list(self) -> Dataset:
        """An N-CREATE request's *Attribute List*, decoded."""
        return self._get_dataset(
            "AttributeList",
            "The corresponding event is not an N-CREATE request and has no "
            "'Attribute List' parameter",
        )

    @property
    def event_information(self) -> Dataset:
        """An N-EVENT-REPORT request's *Event Information*, decoded."""
        return self._get_dataset(
            "EventInformation",
            "The corresponding event is not an N-EVENT-REPORT request and has no "
            "'Event Information' parameter",
        )

    @property
    def event_type(self) -> int | None:
        """An N-EVENT-REPORT request's *Event Type ID*."""
        try:
            return cast("int | None", self.request.EventTypeID)
        except AttributeError:
            raise AttributeError(
                "The corresponding event is not an N-EVENT-REPORT request and "
                "has no 'Event Type ID' parameter"
            ) from None

    @property
    def modification_list(self) -> Dataset:
        """An N-SET request's *Modification List*, decoded."""
        return self._get_dataset(
            "ModificationList",
            "The corresponding event is not an N-SET request and has no "
            "'Modification List' parameter",
        )

    def _spooled(self) -> tuple[Path, int] | None:
        """(spool file, data set offset) of a received C-STORE request, if any."""
        request = getattr(self, "request", None)
        return cast("tuple[Path, int] | None", getattr(request, "__dict__", {}).get("_spooled"))

    def _get_dataset(self, attr: str, missing: str) -> Dataset:
        """Decode the request's data-set-like parameter `attr` with the
        context's transfer syntax, once per buffer: the same Dataset object
        is returned (and may be changed in place) until the request's buffer
        is replaced. An absent or empty parameter gives an empty Dataset."""
        try:
            stream = getattr(self.request, attr)
        except AttributeError:
            raise AttributeError(missing) from None
        key = hash(stream)
        if self._decoded is not None and self._hash == key:
            return self._decoded

        from pydicom.dataset import Dataset

        raw = _raw_bytes(stream)
        if raw:
            try:
                transfer_syntax = self.context.transfer_syntax
            except AttributeError:
                raise AttributeError(missing) from None
            decoded = decode_data_set(raw, transfer_syntax)
        else:
            decoded = Dataset()
        self._decoded = decoded
        self._hash = key
        return decoded


# Default intervention handlers
def _async_ops_handler(event: Event) -> tuple[int, int]:
    """No handler bound: no Asynchronous Operations Window reply is sent."""
    raise NotImplementedError(
        "No handler has been bound to 'evt.EVT_ASYNC_OPS', so no Asynchronous "
        "Operations Window Negotiation response will be sent"
    )


def _sop_common_handler(event: Event) -> dict[str, Any]:
    """No handler bound: no SOP Class Common Extended Negotiation is accepted."""
    return {}


def _sop_extended_handler(event: Event) -> dict[str, bytes]:
    """No handler bound: no SOP Class Extended Negotiation reply is sent."""
    return {}


def _user_identity_handler(event: Event) -> tuple[bool, bytes | None]:
    """No handler bound: the user identity item is ignored."""
    raise NotImplementedError(
        "No handler has been bound to 'evt.EVT_USER_ID', so the User Identity "
        "Negotiation will be ignored and the association accepted (unless "
        "rejected for another reason)"
    )


def _c_echo_handler(event: Event) -> int:
    """No handler bound: a C-ECHO succeeds."""
    return 0x0000


def _unbound(event_name: str) -> Handler:
    def handler(event: Event) -> Any:
        raise NotImplementedError(f"No handler has been bound to 'evt.{event_name}'")

    handler.__name__ = handler.__qualname__ = f"_{event_name[4:].lower()}_handler"
    handler.__doc__ = f"No handler bound to {event_name}: the request fails."
    return handler


_c_find_handler = _unbound("EVT_C_FIND")
_c_get_handler = _unbound("EVT_C_GET")
_c_move_handler = _unbound("EVT_C_MOVE")
_c_store_handler = _unbound("EVT_C_STORE")
_n_action_handler = _unbound("EVT_N_ACTION")
_n_create_handler = _unbound("EVT_N_CREATE")
_n_delete_handler = _unbound("EVT_N_DELETE")
_n_event_report_handler = _unbound("EVT_N_EVENT_REPORT")
_n_get_handler = _unbound("EVT_N_GET")
_n_set_handler = _unbound("EVT_N_SET")

_DEFAULT_HANDLERS: dict[InterventionEvent, Handler] = {
    EVT_ASYNC_OPS: _async_ops_handler,
    EVT_SOP_COMMON: _sop_common_handler,
    EVT_SOP_EXTENDED: _sop_extended_handler,
    EVT_USER_ID: _user_identity_handler,
    EVT_C_ECHO: _c_echo_handler,
    EVT_C_FIND: _c_find_handler,
    EVT_C_GET: _c_get_handler,
    EVT_C_MOVE: _c_move_handler,
    EVT_C_STORE: _c_store_handler,
    EVT_N_ACTION: _n_action_handler,
    EVT_N_CREATE: _n_create_handler,
    EVT_N_DELETE: _n_delete_handler,
    EVT_N_EVENT_REPORT: _n_event_report_handler,
    EVT_N_GET: _n_get_handler,
    EVT_N_SET: _n_set_handler,
}


# Helpers
def _raw_bytes(stream: Any) -> bytes:
    if stream is None:
        return b""
    if isinstance(stream, BytesIO):
        return stream.getvalue()
    return bytes(stream)


def encode_file_header(event: Event) -> bytes:
    """Preamble, ``DICM`` and the C-STORE request event's :attr:`Event.file_meta`,
    encoded without pydicom: what a DICOM file of its data set starts with."""
    request = event.request
    return encode_file_meta(
        str(request.AffectedSOPClassUID or ""),
        str(request.AffectedSOPInstanceUID or ""),
        str(event.context.transfer_syntax),
        *implementation_ids(),
    )


def implementation_ids() -> tuple[str, str]:
    """Our implementation class UID and version name (the package exports them
    under pynetdicom's names, ``PYNETDICOM_IMPLEMENTATION_UID`` and ``_VERSION``)."""
    return IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME
