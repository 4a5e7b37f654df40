"""``fastdimse.aio.Association``: the asyncio driver's association.

``AssociationCore`` with an ``AsyncUpperLayer``: the same negotiation,
windows, events and service classes as the threaded ``Association``, with
its sending methods made awaitable. A request from the peer is performed by a
task: an ``async def`` handler is awaited on the loop, a plain one runs on a
worker thread of the AE (never on the loop), both within the negotiated
window and the AE's ``maximum_workers``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastdimse import _core
from fastdimse import events as evt
from fastdimse._dimse.primitives.c_services import C_ECHO, C_FIND, C_GET, C_MOVE
from fastdimse._dimse.provider import Request
from fastdimse._dimse.responses import MAX_QUEUED_RESPONSES
from fastdimse._engine.core import AssociationCore
from fastdimse._io.aio_driver import AsyncUpperLayer
from fastdimse._services import n_scu
from fastdimse._services.base import Serve
from fastdimse._services.qr_scu import QueryRequest, prepare_query
from fastdimse._services.steps import (
    EXHAUSTED,
    Associate,
    AwaitStore,
    HandlerCall,
    NextResult,
    Release,
    SubmitStore,
)
from fastdimse._services.store_scu import StoreRequest, prepare_c_store, prepare_file_message
from fastdimse._upper.state_table import Event, State

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from types import TracebackType

    from pydicom.dataset import Dataset

    from fastdimse._dimse.provider import FileMessage
    from fastdimse._engine.ae_base import AEBase

__all__ = ["Association"]

LOGGER = logging.getLogger("fastdimse.assoc")

VERIFICATION_SOP_CLASS = "1.2.840.10008.1.1"


class Association(AssociationCore):
    """One association under asyncio, as requestor (``await ae.associate``) or acceptor."""

    def __init__(self, ae: AEBase, mode: str, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        AssociationCore.__init__(self, ae, mode)
        self.dimse.clock = loop.time
        self.dul: AsyncUpperLayer
        self._window: asyncio.Semaphore | None = None
        self._file_sending = asyncio.Lock()
        # Tasks performing the peer's requests, and tasks awaiting our responses.
        self._tasks: set[asyncio.Task[None]] = set()
        self._exchanges: set[asyncio.Task[Any]] = set()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop the association runs on (for code on other threads)."""
        return self._loop

    # -- sending --------------------------------------------------------------

    async def send_c_echo(self, msg_id: int = 1) -> Dataset:
        """Send a C-ECHO request; the response's status elements, or an empty Dataset."""
        self._check_established("C-ECHO")
        context = self._get_valid_context(VERIFICATION_SOP_CLASS, "", "scu")
        primitive = C_ECHO()
        primitive.MessageID = msg_id
        primitive.AffectedSOPClassUID = VERIFICATION_SOP_CLASS

        async def send() -> None:
            self.dimse.send_msg(primitive, int(context.context_id or 0))

        rsp = await self._exchange(msg_id, send)
        return self._status_or_empty(rsp)

    async def send_c_store(
        self,
        dataset: str | os.PathLike[str] | Dataset,
        msg_id: int = 1,
        priority: int = 2,
        originator_aet: str | None = None,
        originator_id: int | None = None,
        *,
        status_only: bool = False,
    ) -> Any:
        """Send a C-STORE request and wait for its response, as the threaded
        ``Association.send_c_store`` (a file is streamed from disk unchanged when
        its transfer syntax was accepted). Several may be awaited at once (e.g.
        with ``asyncio.gather``) up to the negotiated window; give each its own
        ``msg_id``."""
        self._check_established("C-STORE")
        request = prepare_c_store(self, dataset, msg_id, priority, originator_aet, originator_id)
        message = prepare_file_message(self.dimse, request)  # OSError before anything is sent
        rsp = await self._exchange(msg_id, lambda: self._send_store(request, message))
        if status_only:
            if rsp is None:
                return -1
            if getattr(rsp, "is_valid_response", False):
                return int(rsp.Status)
            return int(self._check_received_status(rsp).get("Status", -1))
        return self._status_or_empty(rsp)

    def send_c_find(
        self, dataset: Dataset, query_model: str, msg_id: int = 1, priority: int = 2
    ) -> AsyncIterator[tuple[Dataset, Dataset | None]]:
        """A C-FIND request, as the threaded ``send_c_find``: ``async for status,
        identifier in assoc.send_c_find(...)``. It is sent when iteration starts
        (within the window); ``ValueError`` here, before anything is sent, when
        no context for ``query_model`` is accepted or ``dataset`` cannot be encoded."""
        self._check_established("C-FIND")
        return self._query(prepare_query(self, C_FIND, dataset, query_model, msg_id, priority))

    def send_c_get(
        self, dataset: Dataset, query_model: str, msg_id: int = 1, priority: int = 2
    ) -> AsyncIterator[tuple[Dataset, Dataset | None]]:
        """A C-GET request, as ``send_c_find``; the peer's C-STORE sub-operations go
        to the EVT_C_STORE handler (``async def`` ones awaited on the loop)."""
        self._check_established("C-GET")
        return self._query(prepare_query(self, C_GET, dataset, query_model, msg_id, priority))

    def send_c_move(
        self,
        dataset: Dataset,
        move_aet: str,
        query_model: str,
        msg_id: int = 1,
        priority: int = 2,
    ) -> AsyncIterator[tuple[Dataset, Dataset | None]]:
        """A C-MOVE request to ``move_aet``, as ``send_c_find``."""
        self._check_established("C-MOVE")
        request = prepare_query(self, C_MOVE, dataset, query_model, msg_id, priority, move_aet)
        return self._query(request)

    async def _query(self, request: QueryRequest) -> AsyncIterator[tuple[Dataset, Dataset | None]]:
        """Send ``request`` within the window; its responses as they come (the
        connection stops reading while too many wait to be taken)."""
        from pydicom.dataset import Dataset

        message_id = request.message_id
        window = self._window_slots()
        await window.acquire()
        task = asyncio.current_task()
        if task is not None:
            self._exchanges.add(task)
        responses = _AsyncResponses(self._loop, self.dul.pause_reading, self.dul.resume_reading)
        try:
            invoked = self.dimse.invoked
            invoked.dimse_timeout = self.dimse_timeout
            self.dimse.continue_after(message_id, request.continuing)
            if not invoked.register(message_id, responses, 0, self._loop.time):
                yield Dataset(), None
                return
            self.dimse.send_msg(request.primitive, request.context_id)
            number = 1
            while True:
                rsp = await self._response(message_id, responses)
                if rsp is None:
                    invoked.withdraw(message_id)
                status, identifier, final = self._query_outcome(rsp, request, number)
                yield status, identifier
                if final:
                    return
                number += 1
        finally:
            responses.abandon()  # ended, or dropped by the caller
            window.release()
            self._exchanges.discard(task)

    # -- the DIMSE-N services (as the threaded Association's; _services/n_scu.py) ---

    async def send_n_action(
        self,
        dataset: Dataset | None,
        action_type: int,
        class_uid: str,
        instance_uid: str,
        msg_id: int = 1,
        meta_uid: str | None = None,
    ) -> tuple[Dataset, Dataset | None]:
        """Send an N-ACTION request; (status, Action Reply)."""
        self._check_established("N-ACTION")
        return await self._n_exchange(
            n_scu.prepare_n_action(
                self, dataset, action_type, class_uid, instance_uid, msg_id, meta_uid
            )
        )

    async def send_n_create(
        self,
        dataset: Dataset | None,
        class_uid: str,
        instance_uid: str | None = None,
        msg_id: int = 1,
        meta_uid: str | None = None,
    ) -> tuple[Dataset, Dataset | None]:
        """Send an N-CREATE request; (status, Attribute List)."""
        self._check_established("N-CREATE")
        return await self._n_exchange(
            n_scu.prepare_n_create(self, dataset, class_uid, instance_uid, msg_id, meta_uid)
        )

    async def send_n_delete(
        self, class_uid: str, instance_uid: str, msg_id: int = 1, meta_uid: str | None = None
    ) -> Dataset:
        """Send an N-DELETE request; its status."""
        self._check_established("N-DELETE")
        request = n_scu.prepare_n_delete(self, class_uid, instance_uid, msg_id, meta_uid)
        return self._status_or_empty(await self._n_response(request))

    async def send_n_event_report(
        self,
        dataset: Dataset | None,
        event_type: int,
        class_uid: str,
        instance_uid: str,
        msg_id: int = 1,
        meta_uid: str | None = None,
    ) -> tuple[Dataset, Dataset | None]:
        """Send an N-EVENT-REPORT request; (status, Event Reply)."""
        self._check_established("N-EVENT-REPORT")
        return await self._n_exchange(
            n_scu.prepare_n_event_report(
                self, dataset, event_type, class_uid, instance_uid, msg_id, meta_uid
            )
        )

    async def send_n_get(
        self,
        identifier_list: Any,
        class_uid: str,
        instance_uid: str,
        msg_id: int = 1,
        meta_uid: str | None = None,
    ) -> tuple[Dataset, Dataset | None]:
        """Send an N-GET request; (status, Attribute List)."""
        self._check_established("N-GET")
        return await self._n_exchange(
            n_scu.prepare_n_get(self, identifier_list, class_uid, instance_uid, msg_id, meta_uid)
        )

    async def send_n_set(
        self,
        dataset: Dataset,
        class_uid: str,
        instance_uid: str,
        msg_id: int = 1,
        meta_uid: str | None = None,
    ) -> tuple[Dataset, Dataset | None]:
        """Send an N-SET request; (status, Attribute List)."""
        self._check_established("N-SET")
        return await self._n_exchange(
            n_scu.prepare_n_set(self, dataset, class_uid, instance_uid, msg_id, meta_uid)
        )

    async def _n_exchange(self, request: n_scu.NRequest) -> tuple[Dataset, Dataset | None]:
        """(status, the response's data set); an empty status and None when no response came."""
        rsp = await self._n_response(request)
        if rsp is None:
            return self._status_or_empty(None), None
        status = self._check_received_status(rsp)
        return status, n_scu.reply_of(request, status, rsp)

    async def _n_response(self, request: n_scu.NRequest) -> Any:
        primitive = request.primitive

        async def send() -> None:
            self.dimse.send_msg(primitive, request.context_id)

        return await self._exchange(primitive.MessageID, send)

    async def _exchange(self, message_id: int, send: Callable[[], Any]) -> Any:
        """Send a request within the window and wait for its final response (or None)."""
        window = self._window_slots()
        await window.acquire()
        task = asyncio.current_task()
        if task is not None:
            self._exchanges.add(task)
        try:
            responses = _AsyncResponses(self._loop)
            invoked = self.dimse.invoked
            invoked.dimse_timeout = self.dimse_timeout
            if not invoked.register(message_id, responses, 0, self._loop.time):
                return None
            try:
                await send()
                rsp = await self._response(message_id, responses)
            except asyncio.CancelledError:
                # A message half sent cannot be taken back, and a response would
                # find no one: the association ends here.
                self.abort()
                raise
            if rsp is None:
                invoked.withdraw(message_id)
                self._handle_no_response()
            return rsp
        finally:
            window.release()
            self._exchanges.discard(task)

    async def _response(self, message_id: int, responses: _AsyncResponses) -> Any:
        """The final response, or None when the DIMSE timer ran out (the window book
        decides, in the loop's clock) or the association ended."""
        invoked = self.dimse.invoked
        while True:
            deadline = invoked.deadline_of(message_id)
            wait = None if deadline is None else max(0.0, deadline - self._loop.time())
            try:
                return await asyncio.wait_for(responses.get(), wait)
            except TimeoutError:
                if message_id in invoked.expire(self._loop.time()):
                    return None

    async def _send_store(self, request: StoreRequest, message: FileMessage | None) -> None:
        if message is None:
            self.dimse.send_msg(request.primitive, request.context_id)
            return
        async with self._file_sending:  # one message in parts at a time
            for chunk, last, stream in message:
                if not self.dul.send_message(chunk, stream=stream, last=last):
                    LOGGER.error("The association ended while sending %s", request.path)
                    return
                await self.dul.drain()

    def _window_slots(self) -> asyncio.Semaphore:
        if self._window is None:
            self._window = asyncio.Semaphore(self.dimse.invoked.window or 0xFFFF)
        return self._window

    def _status_or_empty(self, rsp: Any) -> Dataset:
        if rsp is None:
            from pydicom.dataset import Dataset

            return Dataset()
        return self._check_received_status(rsp)

    # -- release and abort ----------------------------------------------------

    async def release(self) -> None:
        """Release the association (A-RELEASE), answering outstanding requests first."""
        if not self.is_established:
            return
        await self._outstanding_done()
        if self.dul.state is State.STA6:
            LOGGER.info("Releasing Association")
            self.dul.request(Event.EVT11, _core.ReleaseRq())
        await self._released.wait_async()
        if not self.is_aborted:
            self.is_established = False
            self.is_released = True
        await self._ended.wait_async()

    def abort(self) -> None:
        """Abort the association (A-ABORT, service-user source) and close the connection."""
        self._request_abort()

    async def wait_closed(self) -> None:
        """Wait until the connection is over."""
        await self._ended.wait_async()

    async def __aenter__(self) -> Association:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None and self.is_established:
            await self.release()
        elif self.is_established:
            self.abort()

    async def _outstanding_done(self) -> None:
        """Wait until our requests are answered and the peer's are (but the calling
        handler's own): each task in flight, again while new ones start."""
        current = asyncio.current_task()
        while True:
            waiting = [t for t in (*self._tasks, *self._exchanges) if t is not current]
            if not waiting or self._ended.is_set():
                return
            await asyncio.wait(waiting, timeout=self.dimse_timeout)

    # -- establishing ----------------------------------------------------------

    async def _request(self, connect: Callable[[Callable[[], asyncio.Protocol]], Any]) -> None:
        """Connect, send the A-ASSOCIATE-RQ and wait for the answer (ACSE timeout)."""
        rq = self._associate_rq()
        await self.dul.request_association(rq, connect)
        if self.dul.closed.is_set() and not self._negotiated.is_set():
            self.is_aborted = True
            self._on_ended()
            return
        self.dul.closed.on_set(self._on_closed)
        await self._negotiated.wait_async()

    def _on_closed(self) -> None:
        self._loop.call_soon_threadsafe(self._on_ended)

    def _make_upper_layer(self) -> AsyncUpperLayer:
        return AsyncUpperLayer(
            loop=self._loop,
            requestor=self.is_requestor,
            on_indication=self._on_indication,
            local_max_pdu=self._ae.maximum_pdu_size,
            artim_timeout=self._acse_timeout,
            acse_timeout=self._acse_timeout,
            network_timeout=self._network_timeout,
            on_transition=self._on_transition,
        )

    # -- performing the peer's requests ----------------------------------------

    def start_request(self, request: Request, done: Callable[[], None]) -> None:
        task = self._loop.create_task(self._perform(request, done))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _perform(self, request: Request, done: Callable[[], None]) -> None:
        try:
            with self.dimse.performed.performing():
                found = self._service_for(request.primitive, request.context_id)
                if found is None:
                    return
                service, context = found
                async with self._handler_slot():
                    rsp = await run_serve_async(
                        service.serve(request.primitive, context), self._perform_step
                    )
                if rsp is not None:
                    self.dimse.send_msg(rsp, request.context_id)
        except Exception:
            LOGGER.exception("Serving a request failed")
        finally:
            self.dimse.finish_request(request)
            done()

    def _handler_slot(self) -> asyncio.Semaphore:
        ae: Any = self._ae
        slots: asyncio.Semaphore = ae._handler_slots()
        return slots

    async def _perform_step(self, step: Any) -> Any:
        """Perform a service's step (``_services.steps``) without blocking the loop."""
        kind = type(step)
        if kind is HandlerCall:
            return await self._call_handler(step)
        if kind is NextResult:
            return await self._next_result(step.results)
        if kind is SubmitStore:
            return self._loop.create_task(
                step.target.send_c_store(
                    step.dataset,
                    msg_id=step.message_id,
                    originator_aet=step.originator_aet,
                    originator_id=step.originator_id,
                )
            )
        if kind is AwaitStore:
            return await step.handle
        if kind is Associate:
            ae: Any = self._ae  # the asyncio AE: its associate is awaitable
            return await ae.associate(step.address, step.port, **step.kwargs)
        if kind is Release:
            return await step.target.release()
        raise TypeError(f"not a service step: {step!r}")

    async def _call_handler(self, call: HandlerCall) -> Any:
        """Await an ``async def`` handler here; run a plain one on a worker thread."""
        handler = self.get_handlers(call.event)[0]
        if _is_async(handler):
            result = evt.trigger(self, call.event, call.attrs)
        else:
            result = await self._on_worker(lambda: evt.trigger(self, call.event, call.attrs))
        return await result if inspect.isawaitable(result) else result

    async def _next_result(self, results: Any) -> Any:
        """The next of a handler's results: an async generator's on the loop, a plain
        one's on a worker thread (its code may block); EXHAUSTED after the last."""
        if hasattr(results, "__anext__"):
            try:
                return await results.__anext__()
            except StopAsyncIteration:
                return EXHAUSTED
        return await self._on_worker(lambda: next(results, EXHAUSTED))

    async def _on_worker(self, call: Callable[[], Any]) -> Any:
        """``call()`` on a worker thread of the AE; its result (or exception) here."""
        future: asyncio.Future[Any] = self._loop.create_future()

        def job() -> None:
            try:
                value = call()
            except BaseException as error:
                self._loop.call_soon_threadsafe(_settle_future, future, None, error)
            else:
                self._loop.call_soon_threadsafe(_settle_future, future, value, None)

        self._ae._workers().submit(job)
        return await future


async def run_serve_async(serve: Serve, call: Callable[[Any], Any]) -> Any:
    """``service_class.run_serve`` for asyncio: each step is awaited."""
    try:
        request = next(serve)
        while True:
            try:
                result = await call(request)
            except Exception as error:
                request = serve.throw(error)
            else:
                request = serve.send(result)
    except StopIteration as stop:
        return stop.value


def _is_async(handler: Any) -> bool:
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
        getattr(handler, "__call__", None)  # noqa: B004 (an instance with async __call__)
    )


def _settle_future(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


class _AsyncResponses:
    """The responses to one request, for a task to await (a ``ResponseWaiter``).

    As the threaded ``ThreadResponses``: at most ``MAX_QUEUED_RESPONSES`` wait to be
    taken; beyond that the connection stops reading (``pause``) until the task takes
    half of them, ``abandon``s them or the association ends (``resume``)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        pause: Callable[[], None] | None = None,
        resume: Callable[[], None] | None = None,
    ) -> None:
        self._loop = loop
        self._items: deque[object] = deque()
        self._ended = False
        self._abandoned = False
        self._paused = False
        self._pause = pause
        self._resume = resume
        self._arrived = asyncio.Event()

    def put(self, response: object, final: bool) -> None:
        if self._abandoned:
            return
        self._items.append(response)
        if len(self._items) > MAX_QUEUED_RESPONSES and not self._paused and self._pause:
            self._paused = True
            self._pause()
        self._wake()

    def end(self) -> None:
        self._ended = True
        self._unpause()
        self._wake()

    def abandon(self) -> None:
        """The task takes no more: drop what is held and whatever comes."""
        self._abandoned = True
        self._items.clear()
        self._unpause()

    async def get(self) -> object | None:
        while not self._items:
            if self._ended:
                return None
            await self._arrived.wait()
            self._arrived.clear()
        item = self._items.popleft()
        if self._paused and len(self._items) <= MAX_QUEUED_RESPONSES // 2:
            self._unpause()
        return item

    def _unpause(self) -> None:
        if self._paused:
            self._paused = False
            if self._resume is not None:
                self._resume()

    def _wake(self) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._arrived.set()
        else:
            self._loop.call_soon_threadsafe(self._arrived.set)
