"""Storage Commitment Push Model (PS3.4 J): the request and result data sets, and
the SCU that asks a peer to commit instances and collects its answer.

    scu = StorageCommitmentSCU()
    ae.start_server(("", 11113), block=False, evt_handlers=scu.handlers)  # reports on
    assoc = ae.associate(host, port, evt_handlers=scu.handlers)           # a new association
    result = scu.request(assoc, [(CTImageStorage, uid), ...], timeout=60)  # or on this one
    result.committed, result.failed

The SCP answers the N-ACTION at once and sends the result later as an N-EVENT-REPORT,
on the same association while it is open, else on a new one it opens to the SCU (with
the SCP role, PS3.4 J.3.3.1.3): the SCU's listening AE accepts Storage Commitment with
``add_supported_context(StorageCommitmentPushModel, scu_role=True, scp_role=True)``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastdimse._dimse.answers import PROCESSING_FAILURE

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

__all__ = [
    "ACTION_REQUEST",
    "COMMITMENT_INSTANCE",
    "COMMITMENT_SOP_CLASS",
    "EVENT_ALL_COMMITTED",
    "EVENT_FAILURES",
    "CommitmentRequest",
    "CommitmentResult",
    "ExpectedResult",
    "Failure",
    "Reference",
    "StorageCommitmentSCU",
]

LOGGER = logging.getLogger("fastdimse.commitment")

COMMITMENT_SOP_CLASS = "1.2.840.10008.1.20.1"  # Storage Commitment Push Model
COMMITMENT_INSTANCE = "1.2.840.10008.1.20.1.1"  # its well-known SOP Instance (PS3.4 J.3.5)
ACTION_REQUEST = 1  # Action Type ID: Request Storage Commitment (PS3.4 J.3.2.1)
EVENT_ALL_COMMITTED = 1  # Event Type ID: Storage Commitment Request Successful (J.3.3.1)
EVENT_FAILURES = 2  # Event Type ID: Storage Commitment Request Complete - Failures Exist


@dataclass(frozen=True)
class Reference:
    """An instance, as the Referenced SOP Sequence names it."""

    sop_class_uid: str
    sop_instance_uid: str


@dataclass(frozen=True)
class Failure:
    """An instance not committed, and why (Failure Reason, PS3.3 C.14.1.1)."""

    reference: Reference
    reason: int


@dataclass(frozen=True)
class CommitmentRequest:
    """An N-ACTION's Action Information (PS3.4 J.3.2.1.1)."""

    transaction_uid: str
    references: tuple[Reference, ...]

    def to_dataset(self) -> Dataset:
        from pydicom.dataset import Dataset

        ds = Dataset()
        ds.TransactionUID = self.transaction_uid
        ds.ReferencedSOPSequence = [_reference_item(r) for r in self.references]
        return ds

    @classmethod
    def from_dataset(cls, ds: Dataset) -> CommitmentRequest:
        """The request in ``ds``; ValueError naming what is missing or malformed."""
        uid = _transaction_uid_of(ds)
        items = ds.get("ReferencedSOPSequence")
        if not items:
            raise ValueError("no Referenced SOP Sequence (0008,1199)")
        return cls(uid, tuple(_reference_of(item) for item in items))


@dataclass(frozen=True)
class CommitmentResult:
    """An N-EVENT-REPORT's Event Information (PS3.4 J.3.3.1.1): what is committed and
    what is not."""

    transaction_uid: str
    committed: tuple[Reference, ...]
    failed: tuple[Failure, ...] = ()

    @property
    def event_type(self) -> int:
        return EVENT_FAILURES if self.failed else EVENT_ALL_COMMITTED

    def to_dataset(self, retrieve_ae_title: str | None = None) -> Dataset:
        from pydicom.dataset import Dataset

        ds = Dataset()
        ds.TransactionUID = self.transaction_uid
        if retrieve_ae_title:
            ds.RetrieveAETitle = retrieve_ae_title
        if self.committed:
            ds.ReferencedSOPSequence = [_reference_item(r) for r in self.committed]
        if self.failed:
            failed = []
            for failure in self.failed:
                item = _reference_item(failure.reference)
                item.FailureReason = failure.reason
                failed.append(item)
            ds.FailedSOPSequence = failed
        return ds

    @classmethod
    def from_dataset(cls, ds: Dataset) -> CommitmentResult:
        """The result in ``ds``; ValueError when it names no transaction."""
        uid = _transaction_uid_of(ds)
        committed = tuple(_reference_of(i) for i in ds.get("ReferencedSOPSequence", []))
        failed = tuple(
            Failure(_reference_of(i), int(i.get("FailureReason", PROCESSING_FAILURE)))
            for i in ds.get("FailedSOPSequence", [])
        )
        return cls(uid, committed, failed)


class StorageCommitmentSCU:
    """Requests storage commitment and waits for the result, which may come on the
    request's association or on one a listening AE accepts: bind ``handlers`` to both.
    Thread-safe; one instance serves any number of requests at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, ExpectedResult] = {}

    @property
    def handlers(self) -> list[tuple[Any, Any]]:
        from fastdimse import evt

        return [(evt.EVT_N_EVENT_REPORT, self.on_report)]

    def request(
        self,
        assoc: Any,
        instances: Iterable[tuple[str, str] | Reference],
        *,
        timeout: float = 60.0,
        transaction_uid: str | None = None,
        keep_open: bool = True,
    ) -> CommitmentResult:
        """Ask the peer of ``assoc`` to commit ``instances`` ((SOP Class UID, SOP
        Instance UID) pairs) and wait up to ``timeout`` seconds for the result: on
        ``assoc`` while it is open, or on an association a listening AE bound to
        ``handlers`` accepts (``keep_open=False`` releases ``assoc`` as soon as the
        N-ACTION is answered, so that the result must come that way).

        Raises ``RuntimeError`` when the N-ACTION is refused or unanswered, and
        ``TimeoutError`` when no result came in time (nothing may be taken as
        committed then)."""
        request = _request_of(instances, transaction_uid)
        expected = self.expect(request.transaction_uid)
        try:
            status, _ = assoc.send_n_action(
                request.to_dataset(), ACTION_REQUEST, COMMITMENT_SOP_CLASS, COMMITMENT_INSTANCE
            )
            _check_accepted(status)
            if not keep_open:
                assoc.release()
            return expected.wait(timeout)
        finally:
            expected.forget()

    async def request_async(
        self,
        assoc: Any,
        instances: Iterable[tuple[str, str] | Reference],
        *,
        timeout: float = 60.0,
        transaction_uid: str | None = None,
        keep_open: bool = True,
    ) -> CommitmentResult:
        """``request`` on a ``fastdimse.aio`` association: the same, awaited."""
        import asyncio

        request = _request_of(instances, transaction_uid)
        expected = self.expect(request.transaction_uid)
        try:
            status, _ = await assoc.send_n_action(
                request.to_dataset(), ACTION_REQUEST, COMMITMENT_SOP_CLASS, COMMITMENT_INSTANCE
            )
            _check_accepted(status)
            if not keep_open:
                await assoc.release()
            return await asyncio.to_thread(expected.wait, timeout)
        finally:
            expected.forget()

    def expect(self, transaction_uid: str) -> ExpectedResult:
        """Wait for the result of ``transaction_uid``, requested some other way (by
        ``send_n_action``, or before a restart): ``.wait(timeout)`` gives it."""
        expected = ExpectedResult(self, transaction_uid)
        with self._lock:
            if transaction_uid in self._waiting:
                raise ValueError(f"transaction {transaction_uid} is already awaited")
            self._waiting[transaction_uid] = expected
        return expected

    def on_report(self, event: Any) -> tuple[Any, None]:
        """EVT_N_EVENT_REPORT: the result of a transaction this SCU waits for; 0x0110
        (Processing failure) for one it does not know."""
        try:
            result = CommitmentResult.from_dataset(event.event_information)
        except (ValueError, TypeError, AttributeError) as error:
            LOGGER.error("Unreadable storage commitment result: %s", error)
            return PROCESSING_FAILURE, None
        with self._lock:
            expected = self._waiting.get(result.transaction_uid)
        if expected is None:
            LOGGER.error(
                "A storage commitment result for transaction %s, which no request waits for",
                result.transaction_uid,
            )
            return PROCESSING_FAILURE, None
        LOGGER.info(
            "Storage commitment %s: %d committed, %d failed",
            result.transaction_uid,
            len(result.committed),
            len(result.failed),
        )
        expected.result = result
        expected.done.set()
        return 0x0000, None


class ExpectedResult:
    """The result of one transaction, once its report arrives (``StorageCommitmentSCU``)."""

    def __init__(self, scu: StorageCommitmentSCU, transaction_uid: str) -> None:
        self._scu = scu
        self.transaction_uid = transaction_uid
        self.done = threading.Event()
        self.result: CommitmentResult | None = None

    def wait(self, timeout: float) -> CommitmentResult:
        """The result; ``TimeoutError`` when none came within ``timeout`` seconds."""
        try:
            if not self.done.wait(timeout) or self.result is None:
                raise TimeoutError(
                    f"no storage commitment result for transaction {self.transaction_uid} "
                    f"within {timeout} s"
                )
            return self.result
        finally:
            self.forget()

    def forget(self) -> None:
        """No longer wait: a later report for the transaction gets 0x0110."""
        with self._scu._lock:
            if self._scu._waiting.get(self.transaction_uid) is self:
                del self._scu._waiting[self.transaction_uid]


def _request_of(
    instances: Iterable[tuple[str, str] | Reference], transaction_uid: str | None
) -> CommitmentRequest:
    from pydicom.uid import generate_uid

    references = tuple(
        i if isinstance(i, Reference) else Reference(str(i[0]), str(i[1])) for i in instances
    )
    return CommitmentRequest(transaction_uid or str(generate_uid()), references)


def _check_accepted(status: Any) -> None:
    """RuntimeError unless the N-ACTION was answered Success."""
    code = getattr(status, "Status", None)
    if code is None or int(code) != 0x0000:
        shown = "no response" if code is None else f"0x{int(code):04X}"
        raise RuntimeError(f"the storage commitment request was refused: {shown}")


def _transaction_uid_of(ds: Dataset) -> str:
    uid = str(ds.get("TransactionUID", "") or "").strip()
    if not uid:
        raise ValueError("no Transaction UID (0008,1195)")
    return uid


def _reference_item(reference: Reference) -> Dataset:
    from pydicom.dataset import Dataset

    item = Dataset()
    item.ReferencedSOPClassUID = reference.sop_class_uid
    item.ReferencedSOPInstanceUID = reference.sop_instance_uid
    return item


def _reference_of(item: Any) -> Reference:
    return Reference(
        str(item.get("ReferencedSOPClassUID", "") or "").strip(),
        str(item.get("ReferencedSOPInstanceUID", "") or "").strip(),
    )
