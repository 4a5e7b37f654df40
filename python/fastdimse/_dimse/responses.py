"""A thread's wait for the responses to one of its requests."""

from __future__ import annotations

import queue
import threading

__all__ = ["MAX_QUEUED_RESPONSES", "ThreadResponses"]

# Pending responses (a C-FIND's matches) held for a requester that has not taken them
# yet: beyond this the reading thread waits, so the peer's sends wait in TCP (as
# pynetdicom's reactor pauses while the caller iterates), instead of memory growing
# with whatever a fast or hostile peer sends.
MAX_QUEUED_RESPONSES = 64


class ThreadResponses:
    """Responses to one request, put by the reading thread, taken by the requester.

    A ``ResponseWaiter`` (``fastdimse._dimse.window``) for the threaded API:
    one response for most services, several (pending, then final) for C-FIND,
    C-GET and C-MOVE. At most ``MAX_QUEUED_RESPONSES`` wait to be taken: ``put``
    blocks beyond that until the requester takes some, ``abandon``s them (it
    stopped iterating) or the association ends.
    """

    __slots__ = ("_abandoned", "_ended", "_final", "_items", "_putting", "_room")

    def __init__(self) -> None:
        # A SimpleQueue hands responses over (the cheapest wake-up between two
        # threads that Python has); the reading thread waits on ``_room`` only when
        # too many are held, and the requester wakes it only then.
        self._items: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._room = threading.Condition(threading.Lock())
        self._putting = False
        self._final = False
        self._ended = False
        self._abandoned = False

    def put(self, response: object, final: bool) -> None:
        if self._abandoned:
            return
        self._final = final
        self._items.put(response)
        if not final and self._items.qsize() > MAX_QUEUED_RESPONSES:
            with self._room:
                self._putting = True
                self._room.wait_for(self._has_room)
                self._putting = False

    def end(self) -> None:
        self._ended = True
        self._items.put(_ENDED)
        self._wake_putter()

    def abandon(self) -> None:
        """The requester takes no more: drop what is held and whatever comes."""
        self._abandoned = True
        while True:
            try:
                self._items.get_nowait()
            except queue.Empty:
                break
        self._wake_putter()

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
        if self._putting and self._items.qsize() <= MAX_QUEUED_RESPONSES:
            self._wake_putter()
        return item

    def _wake_putter(self) -> None:
        with self._room:
            self._room.notify_all()

    def _has_room(self) -> bool:
        return self._items.qsize() <= MAX_QUEUED_RESPONSES or self._ended or self._abandoned


# Put after the last response when the association ends: no more will come.
_ENDED = object()
