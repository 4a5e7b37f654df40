"""The threaded driver of one association's upper layer: a socket around the
sans-IO ``UpperLayerConnection``.

Every decision is the connection's (``fastdimse._upper.connection``); this
module only moves bytes and time. The association's own thread reads
(``serve``), blocking in ``recv`` until the connection's next deadline: no
polling, no sleeps. Other threads (the user's, the handlers' workers) enter
through ``request`` and ``send_message``. One lock serialises the calls into
the connection; the bytes they produce go to an outbox that is written in
order under a second lock, so that no thread holds the connection while it
waits for the socket. Indications are delivered with both locks released.
"""

from __future__ import annotations

import logging
import os
import select
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeGuard

from fastdimse import _core
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

if TYPE_CHECKING:
    import ssl

__all__ = ["Clock", "DataSetRouter", "IndicationHandler", "UpperLayer"]

LOGGER = logging.getLogger("fastdimse.dul")

Clock = Callable[[], float]
IndicationHandler = Callable[[Indication, "object | None"], None]

# One recv gets this much at most, as when the core reads (plain TCP).
_RECV_SIZE = _core.READ_SIZE

# In the outbox: close the socket once what precedes it is written.
_CLOSE = None


class UpperLayer:
    """One association's transport, driving its ``UpperLayerConnection``."""

    def __init__(
        self,
        *,
        requestor: bool,
        on_indication: IndicationHandler,
        local_max_pdu: int,
        artim_timeout: float | None,
        network_timeout: float | None = None,
        acse_timeout: float | None = None,
        clock: Clock = time.monotonic,
        on_transition: Callable[[Transition], None] | None = None,
    ) -> None:
        self.requestor = requestor
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
        self._clock = clock
        self._lock = threading.RLock()
        # Held by the reading thread while it feeds what it read and delivers
        # the indications (``between_messages``).
        self._reading = threading.RLock()
        self._write_lock = threading.Lock()
        self._outbox: deque[bytes | None] = deque()
        self._sock: socket.socket | None = None
        self._closed = threading.Event()
        self._connect: Callable[[], socket.socket] | None = None
        # Under TLS: the one thread that reads and writes the socket, the pipe that
        # wakes it to write, and where other threads wait until it has.
        self._io_thread: int | None = None
        self._wake_w: int | None = None
        self._drained = threading.Condition()
        self._timer: threading.Timer | None = None

    # -- public API ---------------------------------------------------------

    @property
    def network_timeout(self) -> float | None:
        return self._connection.network_timeout

    @network_timeout.setter
    def network_timeout(self, value: float | None) -> None:
        """A new network timeout; a shorter one also cuts short a read already waiting.

        The reading thread's ``recv`` keeps the timeout it started with, so a
        one-off timer wakes the connection at the new deadline (rare: only when
        another thread shortens the timeout of a live association).
        """
        with self._lock:
            self._connection.network_timeout = value
            deadline = self._connection.next_deadline
        if value is None or deadline is None or self._sock is None or self._closed.is_set():
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(max(0.0, deadline - self._clock()), self.expire)
        self._timer.daemon = True
        self._timer.start()

    @property
    def acse_timeout(self) -> float | None:
        return self._connection.acse_timeout

    @acse_timeout.setter
    def acse_timeout(self, value: float | None) -> None:
        with self._lock:
            self._connection.acse_timeout = value

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
    def closed(self) -> threading.Event:
        """Set once the transport connection is closed (by either side)."""
        return self._closed

    @property
    def transport_socket(self) -> socket.socket | None:
        return self._sock

    def observe(self, on_pdu: Callable[[bytes, bool], None]) -> None:
        """Report every PDU's bytes, sent (True) and received (False), to ``on_pdu``.

        Only for EVT_PDU_*/EVT_DATA_* handlers: call it before the connection
        carries anything.
        """
        self._on_pdu = on_pdu
        with self._lock:
            self._connection.observe_pdus()

    def route_data_sets(self, destination: DataSetRouter) -> None:
        """Ask ``destination`` where each data set goes when its command set arrives.

        Called on the reading thread, before any byte of that data set is taken;
        without it every data set is received into memory.
        """
        with self._lock:
            self._connection.route_data_sets(destination)

    def accept(self, sock: socket.socket) -> None:
        """A peer connected to us (Evt5): wait for its A-ASSOCIATE-RQ under ARTIM."""
        self._sock = sock
        if self._closed.is_set():
            # Killed (the server stops) before this thread took the connection over:
            # kill() found no socket to close, so close it here. (If both saw it, it is
            # closed twice, which is harmless.)
            _shut(sock)
            return
        self._run(self._connection.transport_accepted)

    def request_association(
        self, rq: _core.AssociateRq, connect: Callable[[], socket.socket]
    ) -> None:
        """Evt1: connect with ``connect`` and send ``rq`` (AE-1, AE-2)."""
        self._connect = connect
        self._run(lambda now: self._connection.associate(rq, now))

    def request(self, event: Event, pdu: object | None = None) -> bool:
        """A local primitive (Evt7, 8, 9, 11, 14, 15) from any thread.

        False when the primitive cannot occur in the current state (PS3.8
        leaves the cell blank), e.g. an abort racing the peer's close: the
        state machine is then left as it is.
        """
        try:
            self._run(lambda now: self._connection.request(event, pdu, now))
        except InvalidEventError as error:
            LOGGER.debug("Ignored %s: %s", event.name, error)
            return False
        return True

    def send_message(
        self, encoded: bytes, *, stream: object | None = None, last: bool = True
    ) -> bool:
        """P-DATA request (Evt9): a run of P-DATA-TF PDUs of one message (in parts:
        ``UpperLayerConnection.send_message``).

        False when the association can no longer carry it (it was released or
        aborted meanwhile, e.g. while a handler worked on the request).
        """
        try:
            self._run(
                lambda now: self._connection.send_message(encoded, now, stream=stream, last=last)
            )
        except InvalidEventError as error:
            LOGGER.debug("Ignored a P-DATA request: %s", error)
            return False
        return True

    def expire(self) -> None:
        """Run whatever timer of the connection has passed (from any thread)."""
        self._run(self._connection.expire)

    def wait(self, flag: threading.Event) -> None:
        """Wait until ``flag`` is set, running the connection's timers meanwhile.

        For a thread that waits for the peer's answer (association, release):
        it wakes at the connection's deadlines, so an ACSE timeout armed after
        the reading thread started its ``recv`` is still kept to time.
        """
        while not flag.is_set():
            deadline = self._connection.next_deadline
            timeout = None if deadline is None else max(0.0, deadline - self._clock())
            if not flag.wait(timeout):
                self.expire()

    def kill(self) -> None:
        """Close the connection without a word to the peer (used on shutdown)."""
        self._close_socket()

    @contextmanager
    def between_messages(self) -> Iterator[bool]:
        """Keep the reading thread between two reads for the ``with`` block;
        yields whether nothing the peer sent is part-received or undelivered.

        When it yields True, every message the peer completed has been handed
        to the association (``on_indication`` returned), so a decision taken in
        the block (to end the association when idle) misses no request.
        """
        with self._reading:
            with self._lock:
                quiet = not self._connection.receiving
            yield quiet

    def serve(self) -> None:
        """Read and dispatch until the connection is closed. Run by the association thread."""
        sock = self._sock
        if sock is None:
            return
        if type(sock) is socket.socket:
            self._serve_in_core(sock)
        elif _is_tls(sock):
            self._serve_tls(sock)
        else:
            self._serve_python(sock)

    def _serve_in_core(self, sock: socket.socket) -> None:
        """``serve`` on a plain socket: the core reads it, with the GIL released,
        and comes back once the bytes complete events (a command set, a
        message), not once per read."""
        fd = sock.fileno()
        connection = self._connection
        while not self._closed.is_set():
            try:
                # Outside the locks: the wait may be long, and other threads
                # send, abort or look for a quiet moment (between_messages) meanwhile.
                read = connection.read_socket(fd, self._clock())
            except TimeoutError:
                self.expire()
                continue
            except (OSError, ValueError):
                # Reset, or closed under us by kill()/abort from another thread
                # (ValueError: its descriptor was already -1).
                read = None
            if read is None:
                self._take(b"")
                return
            self._deliver(connection.received)

    def _serve_python(self, sock: socket.socket) -> None:
        """``serve`` reading in Python: a socket of another kind (a subclass)."""
        current: float | None = -1.0
        while not self._closed.is_set():
            deadline = self._connection.next_deadline
            # Never 0: settimeout(0) would make the socket non-blocking.
            timeout = None if deadline is None else max(0.001, deadline - self._clock())
            try:
                # settimeout is a system call: skip it while the timeout is within a
                # millisecond of the one set (the usual case in data transfer).
                if not _about_equal(timeout, current):
                    sock.settimeout(timeout)
                    current = timeout
                data = sock.recv(_RECV_SIZE)
            except TimeoutError:
                self.expire()
                continue
            except OSError:
                # Reset, or closed under us by kill()/abort from another thread.
                data = b""
            if not self._take(data):
                return

    def _serve_tls(self, sock: ssl.SSLSocket) -> None:
        """``serve`` for TLS: an SSL connection may not be used by two threads at once
        (OpenSSL), so this thread does all its reading and writing. Other threads
        queue their bytes and wake it through a pipe (``_flush``), and wait until
        it has written them."""
        wake_r, self._wake_w = os.pipe()
        self._io_thread = threading.get_ident()
        sock.settimeout(None)
        try:
            self._flush()  # what was queued before this thread took over
            while not self._closed.is_set():
                if not sock.pending():
                    deadline = self._connection.next_deadline
                    timeout = None if deadline is None else max(0.0, deadline - self._clock())
                    try:
                        ready, _, _ = select.select([sock.fileno(), wake_r], [], [], timeout)
                    except (OSError, ValueError):
                        ready = [sock.fileno()]  # closed under us: recv says so
                    if not ready:
                        self.expire()
                        continue
                    if wake_r in ready:
                        os.read(wake_r, 4096)
                        self._flush()
                    if wake_r in ready and len(ready) == 1:
                        continue
                try:
                    data = sock.recv(_RECV_SIZE)
                except OSError:
                    data = b""
                if not self._take(data):
                    return
        finally:
            wake_w, self._wake_w = self._wake_w, None
            with self._drained:
                self._io_thread = None
                self._drained.notify_all()
            os.close(wake_r)
            if wake_w is not None:
                os.close(wake_w)

    def _take(self, data: bytes) -> bool:
        """Feed what ``recv`` gave; False when it was the end of the stream."""
        if not data:
            self._run(self._connection.transport_closed)
            self._close_socket()
            return False
        self._receive(data)
        return True

    def _receive(self, data: bytes) -> None:
        """Feed ``data``; each indication is delivered before the next PDU is taken."""
        self._deliver(lambda now: self._connection.receive(data, now))

    def _deliver(self, take: Callable[[float], list[Output]]) -> None:
        """Run ``take`` (what was read, fed) and then the events it left, one
        indication at a time, all under the reading lock (``between_messages``)."""
        with self._reading:
            self._run(take)
            while self._connection.pending:
                self._run(self._connection.poll)

    # -- executing the connection's outputs ---------------------------------

    def _run(self, call: Callable[[float], list[Output]]) -> None:
        """Call the connection (under the lock) and execute what it returns.

        Notifications (transitions, observed PDUs) run under the lock, in wire
        order; bytes are written in order after it; indications are delivered
        next, with no lock held, so a handler may call back from any thread;
        the socket is closed last.
        """
        deliveries: list[Deliver] = []
        connect = close = False
        with self._lock:
            for output in call(self._clock()):
                kind = type(output)
                if kind is Write:
                    self._outbox.append(output.data)  # type: ignore[union-attr]
                elif kind is Transitioned:
                    if self._on_transition is not None:
                        self._on_transition(output.transition)  # type: ignore[union-attr]
                elif kind is Deliver:
                    deliveries.append(output)  # type: ignore[arg-type]
                elif kind is Disconnect:
                    close = True
                elif kind is Observe:
                    if self._on_pdu is not None:
                        self._on_pdu(output.data, output.sent)  # type: ignore[union-attr]
                elif kind is Connect:
                    connect = True
        self._flush()
        if connect:
            self._open()
        for delivery in deliveries:
            self._on_indication(delivery.kind, delivery.pdu)
        if close:
            # After the indications: whoever sees the connection close (the peer that
            # aborted, waiting for it) finds this association already told.
            self._outbox.append(_CLOSE)
            self._flush()

    def _flush(self) -> None:
        """Write the outbox in order (whoever holds the write lock writes all of it;
        under TLS only the reading thread writes, and others wait for it)."""
        if not self._outbox:
            return
        io_thread = self._io_thread
        if io_thread is not None and io_thread != threading.get_ident():
            self._hand_to_io_thread()
            return
        with self._write_lock:
            while self._outbox:
                data = self._outbox.popleft()
                if data is _CLOSE:
                    self._close_socket()
                else:
                    self._write(data)
        if io_thread is not None:
            with self._drained:
                self._drained.notify_all()

    def _hand_to_io_thread(self) -> None:
        """Wake the TLS connection's thread to write the outbox; wait until it has."""
        wake_w = self._wake_w
        if wake_w is not None:
            try:
                os.write(wake_w, b"w")
            except OSError:
                pass  # the reading thread is ending: the connection is closing
        with self._drained:
            while self._outbox and self._io_thread is not None and not self._closed.is_set():
                self._drained.wait()

    def _write(self, data: bytes) -> None:
        sock = self._sock
        if sock is None or self._closed.is_set():
            return
        try:
            sock.sendall(data)
        except OSError as error:
            LOGGER.debug("Send failed: %s", error)
            self._close_socket()

    def _open(self) -> None:
        if self._connect is None:
            raise RuntimeError("no way to connect: request_association() was not used")
        try:
            self._sock = self._connect()
        except OSError as error:
            LOGGER.error("Association request failed: unable to connect to remote")
            LOGGER.error("TCP Initialisation Error: %s", error)
            self._closed.set()
            self._run(self._connection.transport_failed)
            return
        self._run(self._connection.transport_open)

    def _close_socket(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        if self._timer is not None:
            self._timer.cancel()
        if self._sock is not None:
            _shut(self._sock)


def _shut(sock: socket.socket) -> None:
    """Shut the connection down (the peer sees the end, a blocked reader wakes) and close it."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def _is_tls(sock: socket.socket) -> TypeGuard[ssl.SSLSocket]:
    # ssl is imported only by those who use TLS: a socket of its kind means it is loaded.
    ssl_module = sys.modules.get("ssl")
    return ssl_module is not None and isinstance(sock, ssl_module.SSLSocket)


def _about_equal(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 0.001
