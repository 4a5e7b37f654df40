"""A thread's wait for the responses to one of its requests."""

from __future__ import annotations

import threading
from collections import deque

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

    __slots__ = ("_abandoned", "_changed", "_ended", "_final", "_items")

    def __init__(self) -> None:
        self._items: deque[object] = deque()
        self._changed = threading.Condition(threading.Lock())
        self._final = False
        self._ended = False
        self._abandoned = False

    def put(self, response: object, final: bool) -> None:
        with self._changed:
            self._final = final
            if self._abandoned:
                return
            self._items.append(response)
            self._changed.notify_all()
            if not final:
                self._changed.wait_for(self._has_room)

    def end(self) -> None:
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def abandon(self) -> None:
        """The requester takes no more: drop what is held and whatever comes."""
        with self._changed:
            self._abandoned = True
            self._items.clear()
            self._changed.notify_all()

    @property
    def done(self) -> bool:
        """Whether the final response came or the association ended."""
        return self._final or self._ended

    def get(self, timeout: float | None) -> object | None:
        """The next response, or None when the association ended or ``timeout`` passed."""
        with self._changed:
            if not self._changed.wait_for(self._has_item, timeout) or not self._items:
                return None
            item = self._items.popleft()
            if len(self._items) == MAX_QUEUED_RESPONSES:
                self._changed.notify_all()  # the reading thread may put again
            return item

    def _has_item(self) -> bool:
        return bool(self._items) or self._ended

    def _has_room(self) -> bool:
        return len(self._items) <= MAX_QUEUED_RESPONSES or self._ended or self._abandoned
