"""A thread's wait for the responses to one of its requests."""

from __future__ import annotations

import queue

__all__ = ["ThreadResponses"]

# Put after the last response when the association ends: no more will come.
_ENDED = object()


class ThreadResponses:
    """Responses to one request, put by the reading thread, taken by the requester.

    A ``ResponseWaiter`` (``fastdimse._dimse.window``) for the threaded API:
    one response for most services, several (pending, then final) for C-FIND,
    C-GET and C-MOVE. A ``queue.SimpleQueue`` hands them over: the cheapest
    wake-up between two threads that Python has.
    """

    __slots__ = ("_ended", "_final", "_items")

    def __init__(self) -> None:
        self._items: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._final = False
        self._ended = False

    def put(self, response: object, final: bool) -> None:
        self._final = final
        self._items.put(response)

    def end(self) -> None:
        self._ended = True
        self._items.put(_ENDED)

    @property
    def done(self) -> bool:
        """Whether the final response came or the association ended."""
        return self._final or self._ended

    def get(self, timeout: float | None) -> object | None:
        """The next response, or None when the association ended or ``timeout`` passed."""
        try:
            item = self._items.get(timeout=timeout)
        except queue.Empty:
            return None
        if item is _ENDED:
            self._items.put(_ENDED)  # every later get ends too
            return None
        return item
