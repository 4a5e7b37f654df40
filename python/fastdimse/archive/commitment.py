"""The Storage Commitment SCP of an Archive (PS3.4 J): it commits only what it holds
durably, and keeps each result in the archive's database until it is reported.

    commitment = StorageCommitmentSCP(archive, "ARCHIVE")
    ae.add_supported_context(StorageCommitmentPushModel)
    ae.start_server(("", 11112), evt_handlers=archive.handlers + commitment.handlers)

At N-ACTION every requested instance the index holds is made durable (its file and
directory fsynced, unless the archive already syncs every store), so a "committed" is
true even of a store that does not fsync; an instance not held, of another SOP class,
or whose file cannot be synced is failed with PS3.3 C.14.1.1's reason. The result is
written to the database before the N-ACTION is answered, then reported
(``commitment_reports.Reporter``): on the same association once the response has
left, if it is still open, else on a new one to the requestor's address (the
archive's ``destinations``), with retries; results not yet reported are reported
after a restart.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastdimse.archive.commitment_ledger import Ledger
from fastdimse.archive.levels import Level
from fastdimse.archive.schema import TABLES
from fastdimse.commitment import (
    ACTION_REQUEST,
    COMMITMENT_INSTANCE,
    CommitmentRequest,
    CommitmentResult,
    Failure,
    Reference,
)

if TYPE_CHECKING:
    from fastdimse.archive.archive import Archive
    from fastdimse.archive.index import IndexedInstance

__all__ = ["StorageCommitmentSCP"]

LOGGER = logging.getLogger("fastdimse.archive")

# Failure Reasons (PS3.3 C.14.1.1).
PROCESSING_FAILURE = 0x0110
NO_SUCH_OBJECT_INSTANCE = 0x0112
CLASS_INSTANCE_CONFLICT = 0x0119
DUPLICATE_TRANSACTION_UID = 0x0131
# N-ACTION statuses (PS3.7 10.1.4.1.10).
NO_SUCH_ACTION = 0x0123
INVALID_ARGUMENT_VALUE = 0x0115
# How many UIDs one index lookup takes (SQLite allows 32766 parameters).
_LOOKUP_BATCH = 500


class StorageCommitmentSCP:
    """Storage Commitment Push Model SCP over ``archive`` (see the module's text).

    ``ae_title``: ours, for the associations that carry reports. ``retries`` and
    ``retry_interval`` (seconds, doubled each time up to 5 minutes): how a report
    that cannot be delivered is tried again; it stays in the database either way.
    """

    def __init__(
        self,
        archive: Archive,
        ae_title: str,
        *,
        retries: int = 8,
        retry_interval: float = 2.0,
    ) -> None:
        from fastdimse.archive.commitment_reports import Reporter

        self.archive = archive
        self.ledger = Ledger(archive.index.engine)
        self.reporter = Reporter(
            self.ledger, ae_title, archive.destinations, retries=retries, interval=retry_interval
        )
        self.reporter.start()

    @property
    def handlers(self) -> list[tuple[Any, Any]]:
        from fastdimse import evt

        return [(evt.EVT_N_ACTION, self.on_action)]

    def close(self) -> None:
        """Stop reporting (what is not reported stays in the database)."""
        self.reporter.stop()

    def on_action(self, event: Any) -> tuple[Any, None]:
        """EVT_N_ACTION: record the result of the request, then report it."""
        if event.action_type != ACTION_REQUEST:
            return _status(NO_SUCH_ACTION, f"Action Type ID {event.action_type}"), None
        if str(event.request.RequestedSOPInstanceUID) != COMMITMENT_INSTANCE:
            return _status(NO_SUCH_OBJECT_INSTANCE, "not the well-known instance"), None
        try:
            request = CommitmentRequest.from_dataset(event.action_information)
        except (ValueError, TypeError, AttributeError) as error:
            LOGGER.error("Storage commitment request refused: %s", error)
            return _status(INVALID_ARGUMENT_VALUE, str(error)), None
        result = self.commit(request)
        requestor = str(event.assoc.requestor.ae_title).strip()
        pk = self.ledger.add(requestor, result)
        LOGGER.info(
            "Storage commitment %s from %s: %d committed, %d failed",
            request.transaction_uid,
            requestor,
            len(result.committed),
            len(result.failed),
        )
        self.reporter.after_response(event.assoc, pk)
        return 0x0000, None

    def commit(self, request: CommitmentRequest) -> CommitmentResult:
        """Which of the requested instances are held durably now (fsyncing those that
        may not be yet), and why the others are not."""
        if self.ledger.knows(request.transaction_uid):
            LOGGER.error("Duplicate storage commitment transaction %s", request.transaction_uid)
            failed = tuple(Failure(r, DUPLICATE_TRANSACTION_UID) for r in request.references)
            return CommitmentResult(request.transaction_uid, (), failed)
        held = dict(self._lookup(r.sop_instance_uid for r in request.references))
        committed: list[Reference] = []
        failures: list[Failure] = []
        synced_directories: set[Path] = set()
        for reference in request.references:
            reason = self._durable(reference, held.get(reference.sop_instance_uid))
            if reason is None and not self.archive.files.fsync:
                reason = _fsync(held[reference.sop_instance_uid].path, synced_directories)
            if reason is None:
                committed.append(reference)
            else:
                failures.append(Failure(reference, reason))
        return CommitmentResult(request.transaction_uid, tuple(committed), tuple(failures))

    def _durable(self, reference: Reference, instance: IndexedInstance | None) -> int | None:
        """The Failure Reason of an instance the index does not hold as requested."""
        if instance is None:
            return NO_SUCH_OBJECT_INSTANCE
        if instance.sop_class_uid != reference.sop_class_uid:
            return CLASS_INSTANCE_CONFLICT
        return None

    def _lookup(self, uids: Iterable[str]) -> Iterator[tuple[str, IndexedInstance]]:
        column = TABLES[Level.IMAGE].c.sop_instance_uid
        todo = sorted(set(uids))
        with self.archive.index.connect() as connection:
            for start in range(0, len(todo), _LOOKUP_BATCH):
                batch = todo[start : start + _LOOKUP_BATCH]
                for instance in self.archive.index.instances(connection, column.in_(batch)):
                    yield instance.sop_instance_uid, instance


def _fsync(path: Path, synced_directories: set[Path]) -> int | None:
    """Make ``path`` and its directory durable; the Failure Reason if it cannot be."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        if path.parent not in synced_directories:
            directory = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
            synced_directories.add(path.parent)
    except FileNotFoundError:
        LOGGER.error("Indexed but missing, so not committed: %s", path)
        return NO_SUCH_OBJECT_INSTANCE
    except OSError as error:
        LOGGER.error("Unable to make %s durable, so not committed: %s", path, error)
        return PROCESSING_FAILURE
    return None


def _status(code: int, comment: str) -> Any:
    from pydicom.dataset import Dataset

    status = Dataset()
    status.Status = code
    status.ErrorComment = comment[:64]
    return status
