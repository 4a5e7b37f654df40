"""A request sent and not yet answered: what the pipelined SCU calls return."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["PendingResponse"]


class PendingResponse:
    """The response to one request in flight (``Association.submit_c_store`` and kin).

    ``result()`` waits for it (up to the DIMSE timeout, after which the
    association is aborted, as ``send_c_store`` does) and gives the response's
    status elements as a Dataset, or an empty one if no response came;
    ``status()`` just the status as an int (-1 if none came).
    """

    def __init__(
        self,
        message_id: int,
        wait: Callable[[], Any],
        done: Callable[[], bool],
        status_of: Callable[[Any], Any],
        on_missing: Callable[[], None],
        *,
        sent: bool = True,
    ) -> None:
        self.message_id = message_id
        # False when the request never left: the association ended, or no slot of
        # the window came within the DIMSE timeout, before it could be sent.
        self.sent = sent
        self._wait = wait
        self._done = done
        self._status_of = status_of
        self._on_missing = on_missing
        self._response: Any = None
        self._taken = False

    def done(self) -> bool:
        """Whether the response came (or never will: the association ended)."""
        return self._taken or self._done()

    def response(self) -> Any:
        """The response primitive itself, or None if none came."""
        if not self._taken:
            self._response = self._wait()
            self._taken = True
            if self._response is None:
                self._on_missing()
        return self._response

    def result(self) -> Any:
        """The response's status elements as a pydicom Dataset (empty if none came)."""
        rsp = self.response()
        if rsp is None:
            from pydicom.dataset import Dataset

            return Dataset()
        return self._status_of(rsp)

    def status(self) -> int:
        """The response's status, or -1 if none came."""
        rsp = self.response()
        if rsp is None:
            return -1
        if getattr(rsp, "is_valid_response", False):
            return int(rsp.Status)
        return int(self._status_of(rsp).get("Status", -1))
