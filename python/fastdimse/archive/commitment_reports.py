"""Delivering Storage Commitment results (PS3.4 J.3.3): one thread that sends each
result as an N-EVENT-REPORT, on the request's association once its N-ACTION response
has left (if the association is still open), else on a new association to the
requestor, proposing the SCP role (J.3.3.1.3), again and again until one is
answered or the retries run out. What is delivered is marked in the ledger; what is
not stays there and is tried again when the SCP starts.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from fastdimse.commitment import COMMITMENT_INSTANCE, COMMITMENT_SOP_CLASS
from fastdimse.status import STATUS_SUCCESS, STATUS_WARNING, code_to_category

if TYPE_CHECKING:
    from fastdimse.archive.commitment_ledger import Ledger, Stored

__all__ = ["Reporter"]

LOGGER = logging.getLogger("fastdimse.archive")

# The longest wait between two attempts at one report.
_MOST_INTERVAL = 300.0
# How long a report's own exchange may take on an association.
_EXCHANGE_TIMEOUT = 60.0


class Reporter:
    """The thread that delivers the ledger's results (see the module's text)."""

    def __init__(
        self,
        ledger: Ledger,
        ae_title: str,
        destinations: Mapping[str, tuple[str, int]],
        *,
        retries: int,
        interval: float,
    ) -> None:
        self.ledger = ledger
        self.ae_title = ae_title
        self.destinations = destinations
        self.retries = retries
        self.interval = interval
        self._due: list[tuple[float, int, int, Any]] = []  # (when, order, pk, association)
        self._order = 0
        self._condition = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="commitment-reports", daemon=True)

    def start(self) -> None:
        """Start delivering, the results left from before first."""
        for stored in self.ledger.pending():
            self._schedule(stored.pk, None, 0.0)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def after_response(self, assoc: Any, pk: int) -> None:
        """Report ``pk`` on ``assoc`` once the request being answered (the N-ACTION)
        has its response sent."""
        assoc.dimse.performed.when_idle(lambda: self._schedule(pk, assoc, 0.0))

    # -- the thread ------------------------------------------------------------------

    def _schedule(self, pk: int, assoc: Any, delay: float) -> None:
        with self._condition:
            self._order += 1
            heapq.heappush(self._due, (time.monotonic() + delay, self._order, pk, assoc))
            self._condition.notify_all()

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._stopping and (not self._due or self._due[0][0] > time.monotonic()):
                    wait = self._due[0][0] - time.monotonic() if self._due else None
                    self._condition.wait(wait)
                if self._stopping:
                    return
                _, _, pk, assoc = heapq.heappop(self._due)
            try:
                self._deliver(pk, assoc)
            except Exception:  # a report must never end the thread: logged, kept, retried
                LOGGER.exception("Storage commitment report %d failed", pk)

    def _deliver(self, pk: int, assoc: Any) -> None:
        stored = self.ledger.get(pk)
        if stored is None or stored.reported:
            return
        delivered = False
        if assoc is not None and assoc.is_established:
            delivered = _attempt(self._on_association, assoc, stored)
        if not delivered:
            delivered = _attempt(self._on_new_association, stored)
        self.ledger.attempted(pk, reported=delivered)
        if delivered:
            LOGGER.info(
                "Storage commitment %s reported to %s",
                stored.result.transaction_uid,
                stored.requestor,
            )
        elif stored.attempts + 1 < self.retries:
            delay = min(self.interval * 2**stored.attempts, _MOST_INTERVAL)
            LOGGER.warning(
                "Storage commitment %s not reported to %s; trying again in %.0f s",
                stored.result.transaction_uid,
                stored.requestor,
                delay,
            )
            self._schedule(pk, None, delay)
        else:
            LOGGER.error(
                "Storage commitment %s not reported to %s after %d attempts; kept for the "
                "next start",
                stored.result.transaction_uid,
                stored.requestor,
                stored.attempts + 1,
            )

    def _on_association(self, assoc: Any, stored: Stored) -> bool:
        """The report on ``assoc``; whether the requestor answered it."""
        arguments = (
            stored.result.to_dataset(),
            stored.result.event_type,
            COMMITMENT_SOP_CLASS,
            COMMITMENT_INSTANCE,
        )
        send = assoc.send_n_event_report
        if asyncio.iscoroutinefunction(send):  # a fastdimse.aio association: on its loop
            future = asyncio.run_coroutine_threadsafe(send(*arguments), assoc.loop)
            status, _ = future.result(_EXCHANGE_TIMEOUT)
        else:
            status, _ = send(*arguments)
        return _answered(status, stored)

    def _on_new_association(self, stored: Stored) -> bool:
        """The report on a new association to the requestor's address."""
        from fastdimse import AE, build_role

        address = self.destinations.get(stored.requestor)
        if address is None:
            LOGGER.error(
                "No address for %r: its storage commitment result %s waits until one is configured",
                stored.requestor,
                stored.result.transaction_uid,
            )
            return False
        ae = AE(self.ae_title)
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = _EXCHANGE_TIMEOUT
        ae.add_requested_context(COMMITMENT_SOP_CLASS)
        role = build_role(COMMITMENT_SOP_CLASS, scp_role=True)
        assoc = ae.associate(address[0], address[1], ae_title=stored.requestor, ext_neg=[role])
        if not assoc.is_established:
            return False
        try:
            return self._on_association(assoc, stored)
        finally:
            if assoc.is_established:
                assoc.release()


def _attempt(deliver: Callable[..., bool], *arguments: Any) -> bool:
    """``deliver(*arguments)``; False when it raised (the association ended as the
    report was sent, say): the next way, or the next attempt, follows all the same."""
    try:
        return deliver(*arguments)
    except Exception as error:  # any failure to deliver is retried, never fatal
        LOGGER.warning("A storage commitment report was not delivered: %s", error)
        return False


def _answered(status: Any, stored: Stored) -> bool:
    """Whether the requestor took the report: a Success or a Warning. A failure (an
    SCU that knows no such transaction on this association, say) is tried again on
    a new association, as a report nobody answered."""
    code = getattr(status, "Status", None)
    if code is None:
        return False
    if code_to_category(int(code)) in (STATUS_SUCCESS, STATUS_WARNING):
        return True
    LOGGER.warning(
        "%s answered the storage commitment result %s with 0x%04X",
        stored.requestor,
        stored.result.transaction_uid,
        int(code),
    )
    return False
