"""A thread's wait for the responses to one of its requests."""

from __future__ import annotations

import threading
import time
from collections import deque

__all__ = ["ThreadResponses"]


class ThreadResponses:
    """Responses to one request, put by the reading thread, taken by the requester.

    A ``ResponseWaiter`` (``fastdimse._dimse.window``) for the threaded API:
    one response for most services, several (pending, then final) for C-FIND,
    C-GET and C-MOVE.
    """

    __slots__ = ("_arrived", "_ended", "_final", "_items")

    def __init__(self) -> None:
        self._arrived = threading.Condition(threading.Lock())
        self._items: deque[object] = deque()
        self._final = False
        self._ended = False

    def put(self, response: object, final: bool) -> None:
        with self._arrived:
            self._items.append(response)
            self._final = final
            self._arrived.notify()

    def end(self) -> None:
        with self._arrived:
            self._ended = True
            self._arrived.notify()

    @property
    def done(self) -> bool:
        """Whether the final response came or the association ended."""
        return self._final or self._ended

    def get(self, timeout: float | None) -> object | None:
        """The next response, or None when the association ended or ``timeout`` passed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._arrived:
            while not self._items:
                if self._ended:
                    return None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._arrived.wait(remaining)
            return self._items.popleft()
