"""A hostile DICOM peer over a raw socket, and the SCP it attacks.

Shared by tests/test_hostile_peers_*.py and benches/hostile_times.py. The peer
speaks bytes, not the library: it builds PDUs with the core's encoders (or by
hand) and reads the server's answer with a fresh ``_core.Receiver``, so what
the tests see is exactly what went over the wire.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastdimse import AE, _core, evt
from fastdimse.errors import DecodeError

__all__ = [
    "IMPLICIT",
    "VERIFICATION",
    "Answer",
    "CloseTracker",
    "CrashLog",
    "Peer",
    "associate_rq",
    "crash_log",
    "describe",
    "echo_rq",
    "echo_works",
    "hostile_scp",
    "pdu",
    "running_scp",
]

VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT = "1.2.840.10008.1.2"
APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1"

_UserItem = _core.MaximumLength | _core.ImplementationClassUid | _core.UnknownUserItem


def pdu(pdu_type: int, body: bytes, *, length: int | None = None) -> bytes:
    """A PDU header (type, reserved, length) and ``body``; ``length`` may lie."""
    return struct.pack(">BBI", pdu_type, 0, len(body) if length is None else length) + body


def associate_rq(
    *,
    called: str = "HOSTILE-SCP",
    calling: str = "HOSTILE",
    contexts: Sequence[tuple[int, str, Sequence[str]]] = ((1, VERIFICATION, (IMPLICIT,)),),
    user_items: Sequence[_UserItem] | None = None,
    application_context: str = APPLICATION_CONTEXT,
    protocol_version: int = 1,
) -> bytes:
    """A well-formed A-ASSOCIATE-RQ (by default for Verification), encoded by the core."""
    items: list[_UserItem] = (
        [_core.MaximumLength(16382), _core.ImplementationClassUid("1.2.826.0.1.3680043.9.7433.1")]
        if user_items is None
        else list(user_items)
    )
    return _core.AssociateRq(
        called,
        calling,
        [_core.PresentationContextRq(i, a, list(ts)) for i, a, ts in contexts],
        items,
        application_context,
        protocol_version,
    ).encode()


def echo_rq(context_id: int = 1, message_id: int = 7) -> bytes:
    """One P-DATA-TF carrying a whole C-ECHO-RQ command set."""
    command = _core.CommandSet(
        0x0030, affected_sop_class_uid=VERIFICATION, message_id=message_id
    ).encode()
    return _core.fragment_message(16382, context_id, command)


@dataclass
class Answer:
    """What the server sent back on one connection, and how it ended."""

    pdus: list[object] = field(default_factory=list)
    closed: bool = False  # the server closed (EOF or reset) before the deadline
    garbage: str | None = None  # the server's bytes did not decode (never expected)
    elapsed: float = 0.0  # from the end of our last send to the first PDU, or to the close
    closed_after: float | None = None  # from the end of our last send to the close

    @property
    def first(self) -> object | None:
        return self.pdus[0] if self.pdus else None


def describe(item: object | None) -> str:
    """A short, comparable name for an answer PDU: ``A-ABORT(2,1)``, ``AC``, ..."""
    if item is None:
        return "nothing"
    if isinstance(item, _core.Abort):
        return f"A-ABORT({item.source},{item.reason})"
    if isinstance(item, _core.AssociateRj):
        return f"RJ({item.result},{item.source},{item.reason})"
    if isinstance(item, _core.AssociateAc):
        return "AC"
    if isinstance(item, _core.ReleaseRp):
        return "RELEASE-RP"
    if isinstance(item, _core.ReleaseRq):
        return "RELEASE-RQ"
    if isinstance(item, _core.Message):
        return f"P-DATA({item.command.command_name})"
    return type(item).__name__


class Peer:
    """One raw TCP connection to the SCP, driven byte by byte by a test."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # No maximum: the peer must see whatever the server sends.
        self._receiver = _core.Receiver(0)
        self._sent_at = time.monotonic()

    def __enter__(self) -> Peer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, data: bytes) -> bool:
        """Send ``data``; False if the server already closed (reset or broken pipe)."""
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        finally:
            self._sent_at = time.monotonic()
        return True

    def half_close(self) -> None:
        """No more bytes from us (FIN): the server sees the stream end."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        self.sock.close()

    def associate(self, rq: bytes | None = None) -> _core.AssociateAc:
        """Send a valid A-ASSOCIATE-RQ and return the server's A-ASSOCIATE-AC."""
        self.send(associate_rq() if rq is None else rq)
        answer = self.read(count=1, deadline=10)
        if not isinstance(answer.first, _core.AssociateAc):
            raise AssertionError(f"association refused: {describe(answer.first)}")
        return answer.first

    def read(self, *, count: int | None = None, deadline: float = 10.0) -> Answer:
        """PDUs from the server until it closes, ``count`` PDUs arrived, or ``deadline`` s."""
        answer = Answer()
        end = time.monotonic() + deadline
        while count is None or len(answer.pdus) < count:
            left = end - time.monotonic()
            if left <= 0:
                break
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                break
            except ConnectionResetError:
                data = b""
            if not data:
                answer.closed = True
                answer.closed_after = time.monotonic() - self._sent_at
                break
            try:
                events: list[object] = list(self._receiver.feed(data))
            except DecodeError as error:
                answer.garbage = str(error)
                events = list(error.events)
            for event in events:
                if not answer.pdus:
                    answer.elapsed = time.monotonic() - self._sent_at
                answer.pdus.append(event)
        if not answer.pdus:
            answer.elapsed = time.monotonic() - self._sent_at
        return answer


class CloseTracker:
    """Counts the server's ended connections (EVT_CONN_CLOSE), to wait on without polling."""

    def __init__(self) -> None:
        self.closed = 0
        self._cond = threading.Condition()

    def handler(self, event: Any) -> None:
        with self._cond:
            self.closed += 1
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        """True once ``count`` connections have ended in total."""
        with self._cond:
            return self._cond.wait_for(lambda: self.closed >= count, timeout)


@contextmanager
def hostile_scp(
    *,
    acse_timeout: float = 1.0,
    network_timeout: float = 2.0,
    maximum_associations: int = 1,
    maximum_pdu_size: int = 16382,
) -> Iterator[tuple[AE, Any, CloseTracker]]:
    """A Verification SCP on an ephemeral loopback port with short timers."""
    ae = AE("HOSTILE-SCP")
    tracker = _configure(ae, acse_timeout, network_timeout, maximum_associations, maximum_pdu_size)
    server = ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_CONN_CLOSE, tracker.handler)]
    )
    try:
        yield ae, server, tracker
    finally:
        ae.shutdown()


@contextmanager
def hostile_aio_scp(
    *,
    acse_timeout: float = 1.0,
    network_timeout: float = 2.0,
    maximum_associations: int = 1,
    maximum_pdu_size: int = 16382,
) -> Iterator[tuple[Any, Any, CloseTracker]]:
    """``hostile_scp`` served by ``fastdimse.aio`` on an event loop of its own thread."""
    from fastdimse import aio

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="hostile-aio-loop", daemon=True)
    thread.start()
    ae = aio.AE("HOSTILE-SCP")
    tracker = _configure(ae, acse_timeout, network_timeout, maximum_associations, maximum_pdu_size)
    starting = ae.start_server(
        ("127.0.0.1", 0), evt_handlers=[(evt.EVT_CONN_CLOSE, tracker.handler)]
    )
    server = asyncio.run_coroutine_threadsafe(starting, loop).result(10)
    try:
        yield ae, server, tracker
    finally:
        asyncio.run_coroutine_threadsafe(ae.shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@contextmanager
def running_scp(
    kind: str,
    configure: Callable[[Any], object],
    handlers: Sequence[tuple[Any, Any]],
    ae_title: str = "HOSTILE-SCP",
) -> Iterator[tuple[int, Any]]:
    """An SCP on an ephemeral loopback port, ``"threaded"`` or ``"asyncio"`` (served by
    ``fastdimse.aio`` on an event loop of its own thread): its port and its AE, set up
    by ``configure`` (contexts, timers) and serving with ``handlers`` bound."""
    if kind == "threaded":
        ae = AE(ae_title)
        configure(ae)
        server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=list(handlers))
        try:
            yield int(server.server_address[1]), ae
        finally:
            ae.shutdown()
        return
    from fastdimse import aio

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="scp-aio-loop", daemon=True)
    thread.start()
    aio_ae = aio.AE(ae_title)
    configure(aio_ae)
    starting = aio_ae.start_server(("127.0.0.1", 0), evt_handlers=list(handlers))
    try:
        server = asyncio.run_coroutine_threadsafe(starting, loop).result(_LOOP_DEADLINE)
        yield int(server.server_address[1]), aio_ae
    finally:
        asyncio.run_coroutine_threadsafe(aio_ae.shutdown(), loop).result(_LOOP_DEADLINE)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(_LOOP_DEADLINE)
        loop.close()


# How long ``running_scp`` waits for its event loop to start or stop a server.
_LOOP_DEADLINE = 15.0


def _configure(
    ae: Any,
    acse_timeout: float,
    network_timeout: float,
    maximum_associations: int,
    maximum_pdu_size: int,
) -> CloseTracker:
    ae.add_supported_context(VERIFICATION, IMPLICIT)
    ae.acse_timeout = acse_timeout  # also the ARTIM timeout
    ae.network_timeout = network_timeout
    ae.maximum_associations = maximum_associations
    ae.maximum_pdu_size = maximum_pdu_size
    return CloseTracker()


def echo_works(port: int, *, timeout: float = 10.0) -> int:
    """Associate with our own SCU, C-ECHO and release; the echo status (0 = success)."""
    scu = AE("HOSTILE-SCU")
    scu.add_requested_context(VERIFICATION, IMPLICIT)
    scu.acse_timeout = scu.dimse_timeout = scu.network_timeout = timeout
    assoc = scu.associate("127.0.0.1", port, ae_title="HOSTILE-SCP")
    if not assoc.is_established:
        raise AssertionError(
            f"association refused (rejected={assoc.is_rejected}, aborted={assoc.is_aborted})"
        )
    try:
        status = assoc.send_c_echo()
    finally:
        assoc.release()
    return int(status.Status)


class CrashLog(logging.Handler):
    """Collects the records of association threads that died on an exception."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self._lock2 = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info is None:
            return
        with self._lock2:
            self.records.append(record)

    def messages(self) -> list[str]:
        with self._lock2:
            return [
                f"{r.threadName}: {r.getMessage()} ({r.exc_info[1]!r})"
                for r in self.records
                if r.exc_info is not None
            ]

    def ports(self) -> set[int]:
        """The peer ports of the crashed acceptor threads ("AcceptorThread@host:port")."""
        found: set[int] = set()
        with self._lock2:
            for record in self.records:
                name = record.threadName or ""
                if name.startswith("AcceptorThread@"):
                    found.add(int(name.rsplit(":", 1)[1]))
        return found


@contextmanager
def crash_log() -> Iterator[CrashLog]:
    """Attach a ``CrashLog`` to the "fastdimse" logger (and "asyncio"'s, where an
    event loop reports a protocol callback that raised) for the duration."""
    handler = CrashLog()
    loggers = [logging.getLogger("fastdimse"), logging.getLogger("asyncio")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
