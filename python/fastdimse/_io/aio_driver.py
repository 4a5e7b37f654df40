"""The asyncio driver of one association's upper layer: an ``asyncio.Protocol``
around the sans-IO ``UpperLayerConnection``.

The counterpart of ``dul.UpperLayer`` (threads), with the same methods for
``AssociationCore`` and no protocol logic: bytes from the transport go to the
connection, the connection's outputs are written to the transport, delivered
as indications, or armed as one ``loop.call_at`` timer at its next deadline.
Everything runs on the event loop's thread; a call from another thread (a
plain handler running on a worker calls ``abort``) is handed to the loop and
waited for. It works with any event loop that implements asyncio's transports
(the standard one, uvloop), with TLS as the loop provides it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

from fastdimse import _core
from fastdimse._engine.signal import Signal
from fastdimse._upper.connection import (
    Connect,
    DataSetRouter,
    Deliver,
    Disconnect,
    Observe,
    Output,
    Transitioned,
    UpperLayerConnection,
    Write,
)
from fastdimse._upper.state_table import Event, Indication, InvalidEventError, State, Transition

__all__ = ["AsyncUpperLayer"]

LOGGER = logging.getLogger("fastdimse.dul")

IndicationHandler = Callable[[Indication, "object | None"], None]
T = TypeVar("T")


class AsyncUpperLayer(asyncio.Protocol):
    """One association's transport under asyncio, driving its ``UpperLayerConnection``."""

    def __init__(
        self,
        *,
        loop: asyncio.AbstractEventLoop,
        requestor: bool,
        on_indication: IndicationHandler,
        local_max_pdu: int,
        artim_timeout: float | None,
        network_timeout: float | None = None,
        acse_timeout: float | None = None,
        on_transition: Callable[[Transition], None] | None = None,
    ) -> None:
        self.requestor = requestor
        self._loop = loop
        self._connection = UpperLayerConnection(
            requestor=requestor,
            local_max_pdu=local_max_pdu,
            artim_timeout=artim_timeout,
            acse_timeout=acse_timeout,
            network_timeout=network_timeout,
        )
        self._on_indication = on_indication
        self._on_pdu: Callable[[bytes, bool], None] | None = None
        self._on_transition = on_transition
        self._transport: asyncio.Transport | None = None
        # Requests whose responses wait to be taken, holding the reading paused.
        self._pausers = 0
        self._closed = Signal()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._writable = asyncio.Event()
        self._writable.set()
        self._on_accepted: Callable[[], None] | None = None

    # -- the core's view (UpperLayerDriver) ----------------------------------

    @property
    def network_timeout(self) -> float | None:
        return self._connection.network_timeout

    @network_timeout.setter
    def network_timeout(self, value: float | None) -> None:
        self._on_loop(lambda: self._set_timeout("network_timeout", value))

    @property
    def acse_timeout(self) -> float | None:
        return self._connection.acse_timeout

    @acse_timeout.setter
    def acse_timeout(self, value: float | None) -> None:
        self._on_loop(lambda: self._set_timeout("acse_timeout", value))

    @property
    def report_transitions(self) -> bool:
        return self._connection.report_transitions

    @report_transitions.setter
    def report_transitions(self, value: bool) -> None:
        self._connection.report_transitions = value

    @property
    def state(self) -> State:
        return self._connection.state

    @property
    def closed(self) -> Signal:
        """Set once the transport connection is closed (by either side)."""
        return self._closed

    @property
    def transport(self) -> asyncio.Transport | None:
        """The connection's transport (``get_extra_info`` tells its TLS state)."""
        return self._transport

    @property
    def transport_socket(self) -> socket.socket | None:
        if self._transport is None:
            return None
        sock = self._transport.get_extra_info("socket")
        return sock if isinstance(sock, socket.socket) else None

    def observe(self, on_pdu: Callable[[bytes, bool], None]) -> None:
        """Report every PDU's bytes (sent True, received False): EVT_PDU_*/EVT_DATA_*."""
        self._on_pdu = on_pdu
        self._connection.observe_pdus()

    def route_data_sets(self, destination: DataSetRouter) -> None:
        self._connection.route_data_sets(destination)

    def request(self, event: Event, pdu: object | None = None) -> bool:
        """A local primitive (Evt7, 8, 9, 11, 14, 15) from the loop or any thread;
        False when it cannot occur in the current state."""
        try:
            self._on_loop(lambda: self._run(lambda now: self._connection.request(event, pdu, now)))
        except InvalidEventError as error:
            LOGGER.debug("Ignored %s: %s", event.name, error)
            return False
        return True

    def send_message(
        self, encoded: bytes, *, stream: object | None = None, last: bool = True
    ) -> bool:
        """P-DATA request (Evt9), as ``dul.UpperLayer.send_message``; a sender of many
        parts awaits ``drain`` between them."""
        try:
            self._on_loop(
                lambda: self._run(
                    lambda now: self._connection.send_message(
                        encoded, now, stream=stream, last=last
                    )
                )
            )
        except InvalidEventError as error:
            LOGGER.debug("Ignored a P-DATA request: %s", error)
            return False
        return True

    async def drain(self) -> None:
        """Wait while the transport's write buffer is over its high-water mark."""
        await self._writable.wait()

    def expire(self) -> None:
        self._timer = self._timer_at = None
        self._run(self._connection.expire)

    def kill(self) -> None:
        """Close the connection without a word to the peer."""
        self._on_loop(self._abort_transport)

    # -- establishing --------------------------------------------------------

    async def request_association(
        self,
        rq: _core.AssociateRq,
        connect: Callable[[Callable[[], asyncio.Protocol]], Awaitable[object]],
    ) -> None:
        """Evt1: connect with ``connect(protocol_factory)`` and send ``rq`` (AE-1, AE-2)."""
        self._run(lambda now: self._connection.associate(rq, now))
        try:
            await connect(lambda: self)
        except (TimeoutError, OSError) as error:
            LOGGER.error("Association request failed: unable to connect to remote")
            LOGGER.error("TCP Initialisation Error: %s", error)
            self._closed.set()
            self._run(self._connection.transport_failed)
            return
        self._run(self._connection.transport_open)

    def accept_with(self, on_accepted: Callable[[], None]) -> None:
        """Acceptor: call ``on_accepted`` when the peer's connection is made (Evt5 follows)."""
        self._on_accepted = on_accepted

    # -- asyncio.Protocol ----------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses: any stream transport.
        self._transport = cast(asyncio.Transport, transport)
        if not self.requestor:
            if self._on_accepted is not None:
                self._on_accepted()
            self._run(self._connection.transport_accepted)

    def pause_reading(self) -> None:
        """Stop reading (a request's responses wait to be taken); counted, so each
        pause needs its ``resume_reading``."""
        self._pausers += 1
        transport = self._transport
        if self._pausers == 1 and transport is not None and not transport.is_closing():
            transport.pause_reading()

    def resume_reading(self) -> None:
        self._pausers = max(0, self._pausers - 1)
        transport = self._transport
        if self._pausers == 0 and transport is not None and not transport.is_closing():
            transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        self._run(lambda now: self._connection.receive(data, now))
        while self._connection.pending and not self._connection.closed:
            self._run(self._connection.poll)

    def eof_received(self) -> bool:
        return False  # close our end too: connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = self._timer_at = None
        if not self._connection.closed or self.state is not State.STA1:
            self._run(self._connection.transport_closed)
        self._closed.set()
        self._writable.set()

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    # -- executing the connection's outputs ----------------------------------

    def _run(self, call: Callable[[float], list[Output]]) -> None:
        """Call the connection and execute its outputs, in order (on the loop)."""
        deliveries: list[Deliver] = []
        for output in call(self._loop.time()):
            if isinstance(output, Write):
                if self._transport is not None and not self._transport.is_closing():
                    self._transport.write(output.data)
            elif isinstance(output, Deliver):
                deliveries.append(output)
            elif isinstance(output, Disconnect):
                self._close_transport()
            elif isinstance(output, Observe):
                if self._on_pdu is not None:
                    self._on_pdu(output.data, output.sent)
            elif isinstance(output, Transitioned):
                if self._on_transition is not None:
                    self._on_transition(output.transition)
            elif isinstance(output, Connect):
                pass  # request_association connects
        self._arm()
        for delivery in deliveries:
            self._on_indication(delivery.kind, delivery.pdu)

    def _arm(self) -> None:
        """One timer, at the connection's next deadline."""
        deadline = self._connection.next_deadline
        if deadline == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = deadline
        self._timer = None if deadline is None else self._loop.call_at(deadline, self.expire)

    def _set_timeout(self, name: str, value: float | None) -> None:
        setattr(self._connection, name, value)
        self._arm()

    def _close_transport(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()
        self._closed.set()

    def _abort_transport(self) -> None:
        if self._transport is not None:
            self._transport.abort()
        self._closed.set()

    def _on_loop(self, call: Callable[[], T]) -> T:
        """Run ``call`` on the event loop's thread, from whichever thread, and return
        its result (raising its exception)."""
        if _running_loop() is self._loop:
            return call()
        if self._loop.is_closed():
            raise InvalidEventError("the event loop of this association is closed")
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(call())
            except BaseException as error:
                future.set_exception(error)

        self._loop.call_soon_threadsafe(run)
        return future.result()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
