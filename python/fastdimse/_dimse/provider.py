"""The DIMSE service provider of one association: messages in and out.

Outgoing: a DIMSE primitive becomes a command set (the core encodes it) and the
core fragments command and data set into one buffer of P-DATA-TF PDUs for the
peer's maximum PDU length, which leaves in one write (a file's data set is
read and sent in chunks instead). Incoming, on the association's reading
thread: a response goes to the waiter of the request it answers (by Message
ID Being Responded To), a C-CANCEL marks its request, and a request is
performed by a worker of the AE (``_io.workers``) within the negotiated
asynchronous operations window (``_dimse.window``), so the reader reads on
while handlers run. A C-STORE request's data set is written by the core to a
spool file as it arrives (``spool.py``) and never held in memory; any other
data set is held in memory up to ``_config.MAX_IN_MEMORY_DATA_SET`` (beyond it
the core drops it, and a request is answered 0xA700 (an N-service's 0x0213), a
response aborts). A
request lacking mandatory elements (the core names them) is not performed but
refused with the status for them (``_dimse.incomplete``), its data set kept nowhere.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from fastdimse import _core
from fastdimse import events as evt
from fastdimse._dimse.answers import failure_status, resource_status, status_response
from fastdimse._dimse.incomplete import refusal_of_incomplete, tags_text
from fastdimse._dimse.primitives.c_services import (
    C_ECHO,
    C_FIND,
    C_GET,
    C_MOVE,
    C_STORE,
)
from fastdimse._dimse.primitives.command_set import (
    command_field_of,
    data_set_of,
    from_command_set,
    to_command_set,
)
from fastdimse._dimse.primitives.n_services import (
    N_ACTION,
    N_CREATE,
    N_DELETE,
    N_EVENT_REPORT,
    N_GET,
    N_SET,
)
from fastdimse._dimse.responses import ThreadResponses
from fastdimse._dimse.window import Invoked, Performed, Verdict
from fastdimse._files.spool import (
    KEEP_IN_MEMORY,
    Spool,
    discarding_spool,
    open_spool,
    spool_directory_of,
)
from fastdimse._logging import log_dimse
from fastdimse._upper.codes import DEFAULT_MAX_LENGTH
from fastdimse.errors import DataSetTooLargeError
from fastdimse.events import (
    EVT_C_STORE,
    EVT_DIMSE_RECV,
    EVT_DIMSE_SENT,
    get_default_handler,
    implementation_ids,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

    from fastdimse._upper.contexts import PresentationContext

__all__ = ["DIMSEServiceProvider"]

LOGGER = logging.getLogger("fastdimse.dimse")

# The intervention event of each request's service.
_SERVICE_EVENT: dict[type, evt.InterventionEvent] = {
    C_ECHO: evt.EVT_C_ECHO,
    C_STORE: evt.EVT_C_STORE,
    C_FIND: evt.EVT_C_FIND,
    C_GET: evt.EVT_C_GET,
    C_MOVE: evt.EVT_C_MOVE,
    N_EVENT_REPORT: evt.EVT_N_EVENT_REPORT,
    N_GET: evt.EVT_N_GET,
    N_SET: evt.EVT_N_SET,
    N_ACTION: evt.EVT_N_ACTION,
    N_CREATE: evt.EVT_N_CREATE,
    N_DELETE: evt.EVT_N_DELETE,
}

_C_STORE_RQ = 0x0001
_C_CANCEL_RQ = 0x0FFF
# The command field's bit of a response (PS3.7 E.1).
_RESPONSE = 0x8000
# PS3.7 C.5: a response status is final unless Pending (0xFF00, 0xFF01).
_PENDING = frozenset({0xFF00, 0xFF01})
# 0x0210: Duplicate Invocation (PS3.7 C.5.5): the Message ID is already in use.
_DUPLICATE_INVOCATION = 0x0210


class Request(NamedTuple):
    """A request from the peer waiting to be performed by its service class."""

    primitive: Any
    context_id: int


def _finish_spool(primitive: Any, spool: Spool, length: int | None) -> None:
    """Keep a small data set in memory, then delete its spool file (unless the
    handler moved it into place)."""
    if _keep_small_data_set(primitive, length):
        spool.discard()
    else:
        spool.close()  # moved away: nothing left to delete


def _keep_small_data_set(primitive: Any, length: int | None) -> bool:
    """Read a small spooled data set into ``primitive.DataSet`` before its file goes,
    for handlers that keep the event (see ``spool.KEEP_IN_MEMORY``); False when the
    file is known to be gone already."""
    spooled = primitive.__dict__.get("_spooled")
    if spooled is None or length is None or length > KEEP_IN_MEMORY:
        return True
    try:
        _ = primitive.DataSet  # reads the file once, unless already read
    except FileNotFoundError:
        return False  # the handler moved it away: it stored it, and took what it needed
    del primitive.__dict__["_spooled"]
    return True


class MessageSink(Protocol):
    """Where messages go: the upper layer's P-DATA request (``dul.UpperLayer``)."""

    def send_message(
        self, encoded: bytes, *, stream: object | None = None, last: bool = True
    ) -> bool: ...


class DimseUser(Protocol):
    """What the provider needs of the association above it, and nothing more."""

    @property
    def dimse_timeout(self) -> float | None: ...

    @property
    def is_established(self) -> bool: ...

    def get_handlers(self, event: Any) -> Any: ...

    def notify(self, event: Any, message: Any) -> None:
        """Tell EVT_DIMSE_RECV/SENT handlers, if any are bound, of ``message``."""

    def serve_request(self, primitive: Any, context_id: int) -> None:
        """Serve a request here, in this thread (its default answer: no user code)."""

    def start_request(self, request: Request, done: Callable[[], None]) -> None:
        """Perform a request off the reading thread, then call ``done()``."""

    def abort(self) -> None: ...


class DIMSEServiceProvider:
    """Sends and receives DIMSE messages for one association."""

    def __init__(
        self,
        user: DimseUser,
        sink: MessageSink,
        contexts: Mapping[int, PresentationContext],
    ) -> None:
        # The association above, the upper layer below, the accepted contexts by ID
        # (filled in when the association is negotiated); the peer's maximum PDU
        # length is set then too.
        self.user = user
        self.sink = sink
        self.contexts = contexts
        self.peer_max_pdu = DEFAULT_MAX_LENGTH
        # The clock of the DIMSE timer: the driver's (an event loop's under asyncio).
        self.clock: Callable[[], float] = time.monotonic
        # Our requests awaiting responses, and the peer's requests we perform;
        # both windows are 1 until negotiation says otherwise.
        self.invoked = Invoked()
        self.performed = Performed(self._start)
        # The C-STORE data set being received, if any (one at a time per association).
        self._spool: Spool | None = None
        # What to do for a request just before its response is sent (by Message ID).
        # Each with the request it belongs to: a Message ID is used again as soon
        # as its response has left, maybe before the worker that sent it is done.
        self._before_response: dict[int, tuple[Any, Callable[[], None]]] = {}
        self._before_lock = threading.Lock()
        # The last buffer sent, kept until the next one exists: freeing a large block
        # and then allocating another of the same size makes glibc trim the heap and
        # fault the pages back in, which cost ~0.4 ms per 0.5 MB message here.
        self._last_chunk: bytes | None = None
        # Our requests whose responses go on after some non-Pending statuses.
        self._continuing: dict[int, frozenset[int]] = {}
        self._file_sending = threading.Lock()

    @property
    def dimse_timeout(self) -> float | None:
        return self.user.dimse_timeout

    def send_msg(
        self,
        primitive: Any,
        context_id: int,
        data_set: bytes | None = None,
        *,
        answers_request: bool = True,
    ) -> None:
        """Send ``primitive`` (with its encoded data set, if any) on ``context_id``.

        A final response ends its request (``answers_request``: not for a
        0x0210 that refuses a duplicate while the original still runs).
        """
        primitive._context_id = context_id
        try:
            command = to_command_set(primitive)
            encoded = command.encode()
        except (TypeError, ValueError) as error:
            if getattr(primitive, "MessageIDBeingRespondedTo", None) is None:
                raise  # a request of ours: the caller hears of it
            # A response the handler made unencodable (an Error Comment too long, ...):
            # the peer still gets an answer, the failure the service has for it.
            primitive = self._unencodable(primitive, error)
            primitive._context_id = context_id
            command = to_command_set(primitive)
            encoded = command.encode()
            data_set = None
        final = bool(command.command_field & _RESPONSE) and (command.status or 0) not in _PENDING
        if final:
            # The final answer: done with the request before the peer can see it,
            # so that it finds no spool file of ours, and its Message ID is free
            # again for its next request.
            answered = int(command.message_id_being_responded_to or 0)
            if self._before_response and answers_request:
                self._finish_request(answered)
            if answers_request and self.performed.busy:
                self.performed.answered(answered)
        if data_set is None:
            stream = data_set_of(primitive, command.command_field)
            data_set = None if stream is None else stream.getvalue()
        payload = _core.fragment_message(self.peer_max_pdu, context_id, encoded, data_set)
        self._last_chunk = payload  # see __init__
        log_dimse(LOGGER, primitive, sent=True)
        sent = self.sink.send_message(payload)
        if final and answers_request and self.performed.busy:
            self.performed.start_next()  # after this response: answers keep their order
        if not sent:
            LOGGER.warning(
                "The association ended before %s could be sent", type(primitive).__name__
            )
            return
        self.user.notify(EVT_DIMSE_SENT, primitive)

    def _unencodable(self, rsp: Any, error: Exception) -> Any:
        """The response sent in place of ``rsp``, which cannot be encoded: its IDs and
        0x0110 (Processing failure) for an N-service, 0xC000 (Unable to process) for a
        C-service (PS3.7 Annex C, PS3.4)."""
        status = failure_status(command_field_of(rsp, True))
        LOGGER.error(
            "The %s response could not be encoded (%s): answering 0x%04X instead",
            type(rsp).__name__.replace("_", "-"),
            error,
            status,
        )
        fallback = type(rsp)()
        fallback.MessageIDBeingRespondedTo = rsp.MessageIDBeingRespondedTo
        fallback.Status = status
        return fallback

    def send_file_msg(self, message: FileMessage) -> None:
        """Send a message whose data set is read from its file (``file_message``),
        part by part as the core reads and fragments it."""
        with self._file_sending:  # one message in parts at a time (the connection holds others)
            for chunk, last, stream in message:
                if not self.sink.send_message(chunk, stream=stream, last=last):
                    LOGGER.error("The association ended while sending %s", message.path)
                    return
        self.user.notify(EVT_DIMSE_SENT, message.primitive)

    def file_message(
        self,
        primitive: Any,
        context_id: int,
        path: Path,
        offset: int,
        length: int,
        *,
        pad_odd_length: bool = False,
    ) -> FileMessage:
        """The message whose data set is read from ``path``, its first part read
        now (so a caller may do it while it waits for a slot of the window):
        ``OSError`` here when the file cannot be read, before anything is sent."""
        command = to_command_set(primitive).encode()
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            # The core reads its own duplicate of the descriptor.
            sender = _core.FileDataSetSender(
                self.peer_max_pdu,
                context_id,
                command,
                fd,
                offset,
                length,
                pad_odd_length=pad_odd_length,
            )
        finally:
            os.close(fd)
        chunks = iter(sender)
        return FileMessage(self, primitive, path, chunks, next(chunks))

    def expect(
        self, message_id: int, *, continuing: frozenset[int] = frozenset()
    ) -> ThreadResponses | None:
        """Register request ``message_id`` before it is sent, waiting for a slot of
        the window, and start its DIMSE timer; the waiter of its responses, or None
        if the association ended (or no slot came within the DIMSE timeout).
        ``continuing``: statuses besides Pending after which more responses come."""
        self.continue_after(message_id, continuing)
        responses = ThreadResponses()
        self.invoked.dimse_timeout = self.dimse_timeout
        if not self.invoked.register(message_id, responses, self.dimse_timeout, self.clock):
            return None
        return responses

    def get_response(self, message_id: int, responses: ThreadResponses) -> Any:
        """The next response to ``message_id``, or None when its DIMSE timer ran out
        (``invoked.expire`` decides, in the clock passed in) or the association ended."""
        while True:
            deadline = self.invoked.deadline_of(message_id)
            wait = None if deadline is None else max(0.0, deadline - self.clock())
            rsp = responses.get(wait)
            if rsp is not None or responses.done:
                return rsp
            if message_id in self.invoked.expire(self.clock()):
                return None  # else a pending response pushed the deadline back

    def data_set_destination(self, start: _core.DataSetStart) -> int | None:
        """Where the data set announced by ``start`` goes: a spool file for a
        C-STORE request, memory (capped by the core) for anything else
        (identifiers, N-service lists).

        Called on the association's thread when the command set has arrived.
        """
        command = start.command
        if command.missing_elements():
            # Refused when complete (``_refuse_incomplete``): nothing of it is kept.
            self._spool = discarding_spool()
            return self._spool.fd
        if command.command_field != _C_STORE_RQ:
            return None
        context = self.contexts.get(start.context_id)
        if context is None:
            # Refused (aborted) when complete; meanwhile it must not grow in memory.
            self._spool = discarding_spool()
            return self._spool.fd
        handler = self.user.get_handlers(EVT_C_STORE)[0]
        self._spool = open_spool(
            spool_directory_of(handler),
            command.affected_sop_class_uid or "",
            command.affected_sop_instance_uid or "",
            context.transfer_syntax_str[0],
            implementation_ids(),
        )
        return self._spool.fd

    def receive(self, message: _core.Message) -> None:
        """A whole message from the peer (called on the association's thread)."""
        command = message.command
        data = message.data_set
        spool, self._spool = self._spool, None
        missing = command.missing_elements()
        if missing:  # a request the core could deliver but which cannot be performed
            if spool is not None:
                spool.discard()
            self._refuse_incomplete(message, missing)
            return
        if spool is not None:
            spool.close()
            error = spool.error or message.data_set_error
            if error is not None:
                spool.discard()
                reason = error.strerror if isinstance(error, OSError) else None
                self._refuse_data_set(
                    message, f"could not be written: {error}", reason or "data set not stored"
                )
                return
        elif isinstance(message.data_set_error, DataSetTooLargeError):
            self._drop_too_large(message, message.data_set_error)
            return
        primitive = from_command_set(
            command, None if data is None else bytes(data), message.context_id
        )
        if spool is not None and spool.path is not None:
            primitive._dataset_path = spool.path
            primitive.__dict__["_spooled"] = (spool.path, spool.data_offset)
        cancel = command.command_field == _C_CANCEL_RQ
        if cancel:  # in effect from the moment it is read
            self.performed.cancel(int(command.message_id_being_responded_to or 0))
        log_dimse(LOGGER, primitive, sent=False)
        self.user.notify(EVT_DIMSE_RECV, primitive)
        if command.command_field & _RESPONSE:
            self._route_response(primitive)
        elif not cancel:
            self._perform_later(primitive, message.context_id, spool, message.data_set_length)

    def continue_after(self, message_id: int, statuses: frozenset[int]) -> None:
        """Responses to our request ``message_id`` with one of ``statuses`` are not
        its last (a Repository Query's 0xB001)."""
        if statuses:
            self._continuing[message_id] = statuses
        else:
            self._continuing.pop(message_id, None)

    def _route_response(self, primitive: Any) -> None:
        message_id = int(primitive.MessageIDBeingRespondedTo)
        status = int(getattr(primitive, "Status", 0) or 0)
        final = status not in _PENDING
        if final and self._continuing:
            final = status not in self._continuing.get(message_id, ())
            if final:
                self._continuing.pop(message_id, None)
        if not self.invoked.deliver(message_id, primitive, final, self.clock()):
            LOGGER.warning(
                "Ignored a %s for Message ID %d, which no request of ours is waiting for",
                type(primitive).__name__.replace("_", "-"),
                message_id,
            )

    def _perform_later(
        self, primitive: Any, context_id: int, spool: Spool | None, length: int | None
    ) -> None:
        """Hand a request to a worker within the window (or answer it here)."""
        if self._answered_inline(primitive, context_id):
            if spool is not None:
                _finish_spool(primitive, spool, length)
            return
        finish = _nothing
        if spool is not None:
            finish = partial(_finish_spool, primitive, spool, length)
            # Done before the response leaves: the peer that has its answer
            # finds no spool file of ours left behind.
            # Not in the place of a request outstanding under the same ID (a
            # duplicate is refused below, and its spool dropped).
            with self._before_lock:
                self._before_response.setdefault(int(primitive.MessageID), (primitive, finish))
        drop = spool.discard if spool is not None else _nothing
        request = Request(primitive, context_id)
        verdict = self.performed.receive(int(primitive.MessageID), request, drop)
        if verdict is Verdict.DUPLICATE:
            drop()
            LOGGER.error(
                "Message ID %d is already outstanding: answering 0x%04X",
                primitive.MessageID,
                _DUPLICATE_INVOCATION,
            )
            refusal = status_response(primitive, _DUPLICATE_INVOCATION)
            self.send_msg(refusal, context_id, answers_request=False)
        elif verdict is Verdict.OVERFLOW:
            drop()
            LOGGER.error(
                "The peer has more requests outstanding than its window of %d allows: aborting",
                self.performed.window,
            )
            self.user.abort()

    def _answered_inline(self, primitive: Any, context_id: int) -> bool:
        """A request with no user handler bound gets its default answer on the
        reading thread (a C-ECHO's Success, 0xC211 or 0x0211 otherwise): no user
        code runs, so no worker is needed, and the answer leaves before anything
        the peer sent after it is taken. Only when nothing else is performed, so
        answers keep their order."""
        event = _SERVICE_EVENT.get(type(primitive))
        if event is None or self.performed.busy:
            return False
        if self.user.get_handlers(event)[0] is not get_default_handler(event):
            return False
        self.user.serve_request(primitive, context_id)
        return True

    def finish_request(self, request: Request) -> None:
        """After a request's service ran, whether or not it answered (the handler
        released or aborted): what was left to do before its response."""
        self._finish_request(int(request.primitive.MessageID), request.primitive)

    def _finish_request(self, message_id: int, owner: Any = None) -> None:
        """Do what was left before the response to ``message_id`` (of ``owner`` only,
        when given: the ID may belong to the peer's next request already)."""
        with self._before_lock:
            entry = self._before_response.get(message_id)
            if entry is None or (owner is not None and entry[0] is not owner):
                return
            del self._before_response[message_id]
        entry[1]()

    def _start(self, request: Request, done: Callable[[], None]) -> None:
        self.user.start_request(request, done)

    def end(self) -> None:
        """The association is over: wake everyone waiting for a response, forget
        the requests not started, and delete the spool of a data set that will
        never be complete."""
        spool, self._spool = self._spool, None
        if spool is not None:
            spool.discard()
        self.performed.drop_held()
        self.invoked.end()

    def _refuse_data_set(self, message: _core.Message, problem: str, comment: str) -> None:
        """Answer a request whose data set was not kept (its spool file failed, or it
        was larger than the in-memory limit) with Out of Resources (an N-service's:
        Resource Limitation): no handler sees it, and nothing of it is held."""
        command = message.command
        request = from_command_set(command, None, message.context_id)
        status = resource_status(command.command_field)
        LOGGER.error(
            "The data set of %s request %s %s: answering 0x%04X",
            type(request).__name__.replace("_", "-"),
            command.message_id,
            problem,
            status,
        )
        rsp = status_response(request, status)
        rsp.ErrorComment = comment[:64]  # LO: at most 64 characters
        # Never performed, so it ends nothing: a request still running under the same
        # Message ID keeps its place and its clean-up.
        self.send_msg(rsp, message.context_id, answers_request=False)

    def _refuse_incomplete(self, message: _core.Message, missing: list[int]) -> None:
        """Answer a request whose command set lacks the ``missing`` mandatory
        elements with the status for them (``_dimse.incomplete``): no handler sees
        it, and, never performed, it ends nothing (as ``_refuse_data_set``)."""
        command = message.command
        if message.context_id not in self.contexts:
            self._abort_unanswerable(message, f"lacks mandatory {tags_text(missing)}")
            return
        request = from_command_set(command, None, message.context_id)
        rsp = refusal_of_incomplete(request, command.command_field, missing)
        LOGGER.error(
            "%s request %s lacks mandatory %s: answering 0x%04X",
            type(request).__name__.replace("_", "-"),
            command.message_id,
            tags_text(missing, named=True),
            rsp.Status,
        )
        self.send_msg(rsp, message.context_id, answers_request=False)

    def _drop_too_large(self, message: _core.Message, error: DataSetTooLargeError) -> None:
        """A data set received into memory passed the limit (and was dropped as it
        came): a request is refused; a response cannot be, so the association is
        aborted and the request it answers ends with it (as is a request on a
        context never accepted, where nothing may be sent)."""
        command = message.command
        response = bool(command.command_field & 0x8000)
        if not response and message.context_id in self.contexts:
            comment = f"Data set larger than the limit of {error.limit} bytes"
            self._refuse_data_set(message, f"was dropped: {error}", comment)
            return
        self._abort_unanswerable(message, f"had its data set dropped ({error})")

    def _abort_unanswerable(self, message: _core.Message, problem: str) -> None:
        """A message that must be refused where no answer may go (a response, or a
        request on a context never accepted): the association is aborted."""
        command = message.command
        response = bool(command.command_field & _RESPONSE)
        LOGGER.error(
            "%s %s (context %d) %s; aborting the association",
            command.command_name,
            command.message_id_being_responded_to if response else command.message_id,
            message.context_id,
            problem,
        )
        self.user.abort()


class FileMessage:
    """A message whose data set is read from a file, its first part read already:
    iterated, its parts as (P-DATA bytes, whether it is the last, the message's
    stream token), for a driver to send one by one. A message left unfinished
    (the file failed midway) cannot be taken back: the association is aborted."""

    def __init__(
        self,
        provider: DIMSEServiceProvider,
        primitive: Any,
        path: Path,
        chunks: Iterator[bytes],
        first: bytes,
    ) -> None:
        self._provider = provider
        self.primitive = primitive
        self.path = path
        self._chunks = chunks
        self._first = first

    def __iter__(self) -> Iterator[tuple[bytes, bool, object]]:
        provider = self._provider
        log_dimse(LOGGER, self.primitive, sent=True)
        stream = object()
        finished = False
        try:
            chunk = self._first
            for following in self._chunks:
                provider._last_chunk = chunk
                yield chunk, False, stream
                chunk = following
            provider._last_chunk = chunk
            finished = True
            yield chunk, True, stream
        finally:
            if not finished and provider.user.is_established:
                LOGGER.error("A message could not be sent whole: aborting the association")
                provider.user.abort()


def _nothing() -> None:
    pass
