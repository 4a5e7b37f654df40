"""The DICOM Upper Layer service provider: one connection's I/O around the state machine.

``fsm.StateMachine`` decides (pure, sans-IO); this module executes its effects on
a real socket and turns bytes from the peer into state-machine events through
the core's ``Receiver``. One ``UpperLayer`` serves one association and is driven
by that association's own thread (``serve``), which blocks in ``recv`` with a
timeout taken from the nearest deadline (ARTIM, network timeout): no polling,
no sleeps. Other threads (the user's, for requests, release and abort) enter
through ``request``; a re-entrant lock keeps the state machine and the socket
writes consistent, and indications are delivered with the lock released.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from fastdimse import _core
from fastdimse.errors import AbortAnswer, DecodeError, RejectAnswer
from fastdimse.fsm import (
    Close,
    Connect,
    Event,
    Indicate,
    Indication,
    InvalidEventError,
    Send,
    State,
    StateMachine,
    Transition,
    classify_pdu,
)

__all__ = ["Clock", "IndicationHandler", "UpperLayer"]

LOGGER = logging.getLogger("fastdimse.dul")

Clock = Callable[[], float]

# One recv gets this much at most: large enough that a 16 KiB PDU or a run of
# them arrives in one feed, small enough to stay in cache.
_RECV_SIZE = 256 * 1024

# A-ABORT source 2 (service-provider), reason 0 (not specified): our answer to a
# peer that goes quiet past the network timeout.
_PROVIDER_ABORT = (2, 0)


class IndicationHandler(Protocol):
    def __call__(self, kind: Indication, pdu: object | None) -> None: ...


# Where a data set announced by the peer goes: a file descriptor the core
# writes it to as it arrives, or None for memory.
DataSetDestination = Callable[[_core.DataSetStart], "int | None"]


class UpperLayer:
    """One association's transport, receiver and state machine."""

    def __init__(
        self,
        *,
        requestor: bool,
        on_indication: IndicationHandler,
        local_max_pdu: int,
        artim_timeout: float | None,
        network_timeout: float | None = None,
        clock: Clock = time.monotonic,
        on_transition: Callable[[Transition], None] | None = None,
    ) -> None:
        self.requestor = requestor
        self._network_timeout = network_timeout
        self._timer: threading.Timer | None = None
        self._on_indication = on_indication
        self._on_pdu: Callable[[bytes, bool], None] | None = None
        self._on_transition = on_transition
        self._local_max_pdu = local_max_pdu
        self._clock = clock
        self._lock = threading.RLock()
        # ARTIM: pynetdicom uses the ACSE timeout for it; None means never.
        self._machine = StateMachine(
            requestor=requestor,
            artim_timeout=artim_timeout if artim_timeout is not None else float("inf"),
        )
        self._destination: DataSetDestination | None = None
        self._receiver = self._new_receiver(observe=False)
        self._sock: socket.socket | None = None
        self._closed = threading.Event()
        self._connect: Callable[[], socket.socket] | None = None
        self._last_rx = clock()

    # -- public API ---------------------------------------------------------

    @property
    def network_timeout(self) -> float | None:
        return self._network_timeout

    @network_timeout.setter
    def network_timeout(self, value: float | None) -> None:
        """A new network timeout; a shorter one also cuts short a read already waiting.

        The reading thread's ``recv`` keeps the timeout it started with, so a
        one-off timer checks the new deadline (rare: only when another thread
        shortens the timeout of a live association).
        """
        self._network_timeout = value
        if value is None or self._sock is None or self._closed.is_set():
            return
        if self._timer is not None:
            self._timer.cancel()
        delay = max(0.0, self._last_rx + value - self._clock())
        self._timer = threading.Timer(delay, self._on_timeout)
        self._timer.daemon = True
        self._timer.start()

    @property
    def state(self) -> State:
        return self._machine.state

    @property
    def closed(self) -> threading.Event:
        """Set once the transport connection is closed (by either side)."""
        return self._closed

    @property
    def transport_socket(self) -> socket.socket | None:
        return self._sock

    def observe(self, on_pdu: Callable[[bytes, bool], None]) -> None:
        """Report every PDU's bytes, sent (True) and received (False), to ``on_pdu``.

        Only for EVT_PDU_*/EVT_DATA_* handlers: call it before the connection
        carries anything, since it replaces the receiver with one that keeps
        each PDU's bytes.
        """
        self._on_pdu = on_pdu
        self._receiver = self._new_receiver(observe=True)

    def route_data_sets(self, destination: DataSetDestination) -> None:
        """Ask ``destination`` where each data set goes when its command set arrives.

        Called on the reading thread, before any byte of that data set is taken;
        without it every data set is received into memory.
        """
        self._destination = destination

    def accept(self, sock: socket.socket) -> None:
        """A peer connected to us (Evt5): wait for its A-ASSOCIATE-RQ under ARTIM."""
        self._sock = sock
        self._step(Event.EVT5)

    def request_association(
        self, rq: _core.AssociateRq, connect: Callable[[], socket.socket]
    ) -> None:
        """Evt1: connect with ``connect`` and send ``rq`` (AE-1, AE-2)."""
        self._connect = connect
        self._step(Event.EVT1, rq)

    def request(self, event: Event, pdu: object | None = None) -> bool:
        """A local primitive (Evt7, 8, 9, 11, 14, 15) from any thread.

        False when the primitive cannot occur in the current state (PS3.8
        leaves the cell blank), e.g. an abort racing the peer's close: the
        state machine is then left as it is.
        """
        try:
            self._step(event, pdu)
        except InvalidEventError as error:
            LOGGER.debug("Ignored %s: %s", event.name, error)
            return False
        return True

    def send_message(self, encoded: bytes) -> None:
        """P-DATA request (Evt9): ``encoded`` is one message's run of P-DATA-TF PDUs."""
        self._step(Event.EVT9, encoded)

    def kill(self) -> None:
        """Close the connection without a word to the peer (used on shutdown)."""
        self._close_socket()

    def serve(self) -> None:
        """Read and dispatch until the connection is closed. Run by the association thread."""
        sock = self._sock
        if sock is None:
            return
        current: float | None = -1.0
        while not self._closed.is_set():
            timeout = self._next_timeout()
            try:
                # settimeout is a system call: skip it while the timeout is within a
                # millisecond of the one set (the usual case in data transfer).
                if not _about_equal(timeout, current):
                    sock.settimeout(timeout)
                    current = timeout
                data = sock.recv(_RECV_SIZE)
            except TimeoutError:
                self._on_timeout()
                continue
            except OSError:
                # Reset, or closed under us by kill()/abort from another thread.
                data = b""
            if not data:
                self._on_transport_closed()
                return
            self._last_rx = self._clock()
            self._on_bytes(data)

    # -- incoming -----------------------------------------------------------

    def _on_bytes(self, data: bytes) -> None:
        """Feed ``data`` and dispatch what it completes, in stream order.

        The receiver pauses after each ``DataSetStart`` (always the last event of
        a call) until it is told where that data set goes; the bytes it kept are
        then processed by ``resume``, which may pause again: hence the loop.
        """
        start = self._deliver(self._receiver.feed, data)
        while start is not None:
            start = self._deliver(self._receiver.resume, self._data_set_destination(start))

    def _deliver(
        self, call: Callable[[Any], Sequence[object]], arg: Any
    ) -> _core.DataSetStart | None:
        """Dispatch the events of ``call(arg)``; the DataSetStart it paused at, if any."""
        try:
            events = call(arg)
        except DecodeError as error:
            for event in error.events:
                self._dispatch(event)
            self._on_decode_error(error)
            return None
        for event in events:
            if isinstance(event, _core.DataSetStart):
                return event  # always the last: the receiver is paused
            self._dispatch(event)
        return None

    def _data_set_destination(self, start: _core.DataSetStart) -> int | None:
        # Outside data transfer the message is refused anyway: memory, bounded by
        # what actually arrives before the close.
        if self._destination is None or self._machine.state not in (State.STA6, State.STA7):
            return None
        return self._destination(start)

    def _dispatch(self, item: object) -> None:
        if isinstance(item, _core.RawPdu):
            if self._on_pdu is not None:
                self._on_pdu(item.data, False)
            return
        event = classify_pdu(item)
        if isinstance(item, _core.PDataTfHeader):
            # Only the state machine outside data transfer needs each P-DATA-TF
            # (Sta6/Sta7 treat them all alike), so a whole message is one event there.
            if self._machine.state in (State.STA6, State.STA7):
                return
        elif isinstance(item, _core.Message) and self._machine.state not in (
            State.STA6,
            State.STA7,
        ):
            return  # its P-DATA-TF was already the event (reported above)
        self._step(event, item)

    def _on_decode_error(self, error: DecodeError) -> None:
        answer = error.answer
        LOGGER.error("Malformed PDU from the peer: %s", error)
        if isinstance(answer, RejectAnswer) and self._machine.state is State.STA2:
            # A broken A-ASSOCIATE-RQ that the standard answers with A-ASSOCIATE-RJ
            # (e.g. protocol version): AE-6's "not acceptable" branch.
            rj = _core.AssociateRj(answer.result, answer.source, answer.reason)
            self._step(Event.EVT6, None, reject=rj)
            return
        if isinstance(answer, AbortAnswer):
            abort = _core.Abort(answer.source, answer.reason)
        else:
            abort = _core.Abort(2, 2)
        self._step(Event.EVT19, abort)

    def _on_timeout(self) -> None:
        now = self._clock()
        deadline = self._machine.artim_deadline
        if deadline is not None and now >= deadline:
            LOGGER.info("ARTIM timer expired")
            self._run(lambda: self._machine.handle_timeout(now))
            return
        if (
            self._network_timeout is not None
            and now - self._last_rx >= self._network_timeout
            and self._machine.state not in (State.STA1, State.STA13)
        ):
            LOGGER.error("Network timeout reached")
            self._step(Event.EVT15, _core.Abort(*_PROVIDER_ABORT))

    def _on_transport_closed(self) -> None:
        try:
            self._receiver.finish()
        except DecodeError as error:
            LOGGER.debug("Connection closed inside a PDU: %s", error)
        if self._machine.state is not State.STA1:
            self._step(Event.EVT17)
        self._close_socket()

    def _next_timeout(self) -> float | None:
        now = self._clock()
        candidates: list[float] = []
        deadline = self._machine.artim_deadline
        if deadline is not None:
            candidates.append(deadline - now)
        if self._network_timeout is not None:
            candidates.append(self._last_rx + self._network_timeout - now)
        if not candidates:
            return None
        # Never 0: settimeout(0) would make the socket non-blocking.
        return max(0.001, min(candidates))

    # -- the state machine and its effects ----------------------------------

    def _step(
        self, event: Event, pdu: object | None = None, *, reject: object | None = None
    ) -> None:
        self._run(lambda: self._machine.handle(event, self._clock(), pdu, reject=reject))

    def _run(self, produce: Callable[[], Sequence[object]]) -> None:
        """Step the machine with ``produce`` (run under the lock) and execute its effects.

        Indications are delivered after the lock is released, so a handler may
        call back into ``request`` from any thread.
        """
        indications: list[Indicate] = []
        with self._lock:
            before = self._machine.last_transition
            effects = produce()
            transition = self._machine.last_transition
            if (
                self._on_transition is not None
                and transition is not None
                and transition is not before
            ):
                self._on_transition(transition)
            self._sync_receiver()
            for effect in effects:
                if isinstance(effect, Indicate):
                    indications.append(effect)
                else:
                    self._execute(effect)
        for indication in indications:
            self._on_indication(indication.kind, indication.pdu)

    def _sync_receiver(self) -> None:
        report = self._machine.state not in (State.STA6, State.STA7)
        if self._receiver.report_pdata != report:
            self._receiver.report_pdata = report

    def _execute(self, effect: object) -> None:
        if isinstance(effect, Send):
            self._send(effect.pdu)
        elif isinstance(effect, Close):
            self._close_socket()
        elif isinstance(effect, Connect):
            self._open()

    def _open(self) -> None:
        if self._connect is None:
            raise RuntimeError("no way to connect: request_association() was not used")
        try:
            self._sock = self._connect()
        except OSError as error:
            LOGGER.error("Association request failed: unable to connect to remote")
            LOGGER.error("TCP Initialisation Error: %s", error)
            # Transport connect failed: Evt17 in Sta4 (AA-4, A-P-ABORT indication).
            self._closed.set()
            self._run(lambda: self._machine.handle(Event.EVT17, self._clock()))
            return
        self._last_rx = self._clock()
        self._run(lambda: self._machine.handle(Event.EVT2, self._clock()))

    def _send(self, pdu: object) -> None:
        sock = self._sock
        if sock is None or self._closed.is_set():
            return
        data = pdu if isinstance(pdu, bytes) else _encode(pdu)
        if self._on_pdu is not None:
            self._on_pdu(data, True)
        try:
            sock.sendall(data)
        except OSError as error:
            LOGGER.debug("Send failed: %s", error)
            self._close_socket()

    def _close_socket(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        if self._timer is not None:
            self._timer.cancel()
        sock = self._sock
        if sock is None:
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def _new_receiver(self, *, observe: bool) -> _core.Receiver:
        return _core.Receiver(
            self._local_max_pdu,
            observe_pdus=observe,
            report_pdata=True,
            announce_data_sets=True,
        )


def _about_equal(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 0.001


def _encode(pdu: object) -> bytes:
    encode = getattr(pdu, "encode", None)
    if encode is None:
        raise TypeError(f"cannot send {type(pdu).__name__}")
    data = encode()
    if not isinstance(data, bytes):
        raise TypeError(f"{type(pdu).__name__}.encode() did not return bytes")
    return data
