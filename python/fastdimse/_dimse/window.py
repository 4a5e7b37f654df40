"""The asynchronous operations window (PS3.7 D.3.3.3) and Message ID routing.

Two books per association, one for each direction of DIMSE operations:

- ``Invoked``: the requests we sent and whose final response has not come.
  A response is routed to its request's waiter by *Message ID Being
  Responded To*, never through one queue; a new request waits for a free
  slot when the negotiated number is outstanding.
- ``Performed``: the peer's requests, performed on workers at most
  ``window`` at a time and in arrival order beyond that. A request whose
  Message ID is still outstanding is a duplicate invocation (0x0210); a peer
  that keeps sending past its window is refused with an A-ABORT once it has
  more than ``HELD_BEYOND_WINDOW`` requests waiting (see ``Verdict``).

Both are thread-safe (the reading thread and the workers use them), and
neither does any I/O: the drivers hand in the callables that start a job or
wake a waiter. A window of 0 means unlimited, as in the negotiation item.
"""

from __future__ import annotations

import enum
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import Any, Protocol

__all__ = [
    "HELD_BEYOND_WINDOW",
    "Invoked",
    "Performed",
    "ResponseWaiter",
    "Verdict",
]

# Requests a peer may have waiting beyond its negotiated window before it is
# aborted: some SCUs pipeline without negotiating a window, and are served in
# order; one that floods is refused before it costs more than a few spool files.
HELD_BEYOND_WINDOW = 16

# Message IDs are 16-bit (PS3.7 E.1); 0 is avoided, some peers treat it as unset.
_FIRST_ID, _LAST_ID = 1, 0xFFFF


class ResponseWaiter(Protocol):
    """What a driver gives to be told of a request's responses."""

    def put(self, response: object, final: bool) -> None: ...

    def end(self) -> None: ...


class Invoked:
    """Our outstanding requests: window slots, response routing and the DIMSE timer.

    The DIMSE timeout is a deadline per request, in the caller's clock: set when
    the request is registered (``timeout`` seconds after ``now``), pushed back by
    each pending response, and passed by ``expire(now)``, which ends that
    request's wait as if the association had ended for it. ``next_deadline`` is
    when a driver must call ``expire`` at the latest.
    """

    def __init__(self, window: int = 1, dimse_timeout: float | None = None) -> None:
        self.window = window
        self.dimse_timeout = dimse_timeout
        self._waiters: dict[int, ResponseWaiter] = {}
        self._deadlines: dict[int, float] = {}
        self._next_id = _FIRST_ID
        self._ended = False
        self._free = threading.Condition()

    @property
    def outstanding(self) -> int:
        return len(self._waiters)

    def next_message_id(self) -> int:
        """A Message ID no outstanding request uses."""
        with self._free:
            for _ in range(_LAST_ID):
                candidate = self._next_id
                self._next_id = _FIRST_ID if candidate == _LAST_ID else candidate + 1
                if candidate not in self._waiters:
                    return candidate
        raise RuntimeError("every Message ID is outstanding")

    def register(
        self,
        message_id: int,
        waiter: ResponseWaiter,
        timeout: float | None,
        now: Callable[[], float] | None = None,
    ) -> bool:
        """Take a slot for request ``message_id`` (waiting up to ``timeout`` for one)
        and start its DIMSE timer from ``now()`` (none without a clock).

        False when no slot came in time or the association ended; ValueError
        when that Message ID is already outstanding (responses could not be
        told apart).
        """
        with self._free:
            if message_id in self._waiters:
                raise ValueError(f"Message ID {message_id} is already outstanding")
            if not self._has_room() and not self._free.wait_for(self._has_room, timeout):
                return False
            if self._ended:
                return False
            self._waiters[message_id] = waiter
            if now is not None and self.dimse_timeout is not None:
                self._deadlines[message_id] = now() + self.dimse_timeout
            return True

    def withdraw(self, message_id: int) -> None:
        """Give up on ``message_id`` (it was not sent, or its wait timed out)."""
        with self._free:
            self._deadlines.pop(message_id, None)
            if self._waiters.pop(message_id, None) is not None:
                self._free.notify_all()

    def deliver(
        self, message_id: int, response: object, final: bool, now: float | None = None
    ) -> bool:
        """Route a response; False when no request of ours has that Message ID.

        A pending response (not ``final``) restarts the request's DIMSE timer at ``now``.
        """
        with self._free:
            waiter = self._waiters.get(message_id)
            if waiter is None:
                return False
            if final:
                del self._waiters[message_id]
                self._deadlines.pop(message_id, None)
                self._free.notify_all()
            elif now is not None and message_id in self._deadlines and self.dimse_timeout:
                self._deadlines[message_id] = now + self.dimse_timeout
        waiter.put(response, final)
        return True

    def deadline_of(self, message_id: int) -> float | None:
        """When the DIMSE timer of ``message_id`` runs out (None: never)."""
        return self._deadlines.get(message_id)

    @property
    def next_deadline(self) -> float | None:
        """The earliest DIMSE deadline of the outstanding requests."""
        deadlines = list(self._deadlines.values())
        return min(deadlines) if deadlines else None

    def expire(self, now: float) -> list[int]:
        """End the waits whose DIMSE timer has run out by ``now``; their Message IDs."""
        with self._free:
            expired = [m for m, deadline in self._deadlines.items() if deadline <= now]
            waiters = [self._waiters.pop(m) for m in expired if m in self._waiters]
            for message_id in expired:
                del self._deadlines[message_id]
            if expired:
                self._free.notify_all()
        for waiter in waiters:
            waiter.end()
        return expired

    def wait_idle(self, timeout: float | None) -> bool:
        """Wait until no request of ours is outstanding; False on timeout."""
        with self._free:
            return self._free.wait_for(lambda: not self._waiters, timeout)

    def end(self) -> None:
        """The association is over: wake every waiter, refuse new requests."""
        with self._free:
            self._ended = True
            waiters = list(self._waiters.values())
            self._waiters.clear()
            self._deadlines.clear()
            self._free.notify_all()
        for waiter in waiters:
            waiter.end()

    def _has_room(self) -> bool:
        return self._ended or self.window == 0 or len(self._waiters) < self.window


class Verdict(enum.Enum):
    """What ``Performed.receive`` decided for a request."""

    STARTED = enum.auto()  # handed to a worker now
    HELD = enum.auto()  # waits for a slot of the window (or a free worker)
    DUPLICATE = enum.auto()  # its Message ID is outstanding: answer 0x0210
    OVERFLOW = enum.auto()  # too far beyond the window: abort the association


Job = Callable[[], None]
# How a driver runs a request: ``start(request, done)`` performs ``request``
# (whatever the provider queued: opaque here) and calls ``done()`` after.
Starter = Callable[[Any, Callable[[], None]], None]

# The Performed book whose request the current thread (or asyncio task) performs.
_PERFORMING: ContextVar[Performed | None] = ContextVar("fastdimse_performing", default=None)


class Performed:
    """The peer's requests we perform: at most ``window`` at once, in arrival order."""

    def __init__(self, start: Starter, window: int = 1) -> None:
        self.window = window
        self._start = start
        self._lock = threading.Condition()
        self._running: set[int] = set()
        # Held requests: (Message ID, request, what to do if it never runs).
        self._held: deque[tuple[int, Any, Job]] = deque()
        self._cancelled: set[int] = set()
        self._when_idle: list[Callable[[], None]] = []

    @property
    def busy(self) -> bool:
        """Whether any request is being performed or held."""
        return bool(self._running or self._held)

    def receive(self, message_id: int, request: Any, drop: Job) -> Verdict:
        """Perform ``request`` (Message ID ``message_id``) when the window allows.

        ``drop`` is called instead if the request is held and the association
        ends first (to delete its spooled data set).
        """
        with self._lock:
            if self._outstanding(message_id):
                return Verdict.DUPLICATE
            if self.window and len(self._held) + len(self._running) >= (
                self.window + HELD_BEYOND_WINDOW
            ):
                return Verdict.OVERFLOW
            if self._held or (self.window and len(self._running) >= self.window):
                self._held.append((message_id, request, drop))  # after those held before
                return Verdict.HELD
            self._running.add(message_id)
        self._start(request, partial(self._finished, message_id))
        return Verdict.STARTED

    @contextmanager
    def performing(self) -> Iterator[None]:
        """Mark the current thread or task as performing a request of this book
        (drivers wrap each handler run in it)."""
        token = _PERFORMING.set(self)
        try:
            yield
        finally:
            _PERFORMING.reset(token)

    def cancel(self, message_id: int) -> None:
        """A C-CANCEL for ``message_id`` arrived (kept only while it is outstanding)."""
        with self._lock:
            if self._outstanding(message_id):
                self._cancelled.add(message_id)

    def is_cancelled(self, message_id: int) -> bool:
        return message_id in self._cancelled

    def wait_idle(self, timeout: float | None) -> bool:
        """Wait until no request is performed or held but the calling handler's own
        (``release`` answers the outstanding requests first); False on timeout."""
        own = 1 if _PERFORMING.get() is self else 0
        with self._lock:
            return self._lock.wait_for(lambda: len(self._running) + len(self._held) <= own, timeout)

    def when_idle(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once no request is performed or held: now if none is, else
        in the thread (or task) that finishes the last one."""
        with self._lock:
            if self._running or self._held:
                self._when_idle.append(callback)
                return
        callback()

    def drop_held(self) -> None:
        """The association ended: the requests not started never will be."""
        with self._lock:
            held = list(self._held)
            self._held.clear()
        for _, _, drop in held:
            drop()

    def _outstanding(self, message_id: int) -> bool:
        return message_id in self._running or any(m == message_id for m, _, _ in self._held)

    def answered(self, message_id: int) -> None:
        """The final response to ``message_id`` is about to leave: the request is no
        longer outstanding, so its Message ID may come again at once, even if its
        handler's thread or task has not returned yet. Call ``start_next`` once the
        response is sent."""
        with self._lock:
            self._release(message_id)

    def start_next(self) -> None:
        """Start the held requests the window now has room for, in arrival order."""
        while True:
            with self._lock:
                if not self._held or (self.window and len(self._running) >= self.window):
                    return
                next_id, request, _ = self._held.popleft()
                self._running.add(next_id)
            self._start(request, partial(self._finished, next_id))

    def _finished(self, message_id: int) -> None:
        with self._lock:
            self._release(message_id)
        self.start_next()
        with self._lock:
            if self._running or self._held:
                return
            callbacks, self._when_idle = self._when_idle, []
        for callback in callbacks:
            callback()

    def _release(self, message_id: int) -> None:
        """(Under the lock.) ``message_id`` is no longer performed."""
        self._running.discard(message_id)
        self._cancelled.discard(message_id)
        self._lock.notify_all()
