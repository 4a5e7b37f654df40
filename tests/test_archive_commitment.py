"""Storage Commitment over the Archive (fastdimse.archive.commitment) with our SCU
(fastdimse.commitment): the promise (only what is held and synced is committed), the
report on the request's association or on a new one, what survives a restart, and
hostile requests, each followed by a good one. On SQLite and PostgreSQL; the SCP
threaded and under asyncio."""

from __future__ import annotations

import asyncio
import errno
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from fastdimse import AE, aio
from fastdimse.archive import Archive
from fastdimse.archive.commitment import StorageCommitmentSCP
from fastdimse.commitment import (
    COMMITMENT_SOP_CLASS,
    CommitmentRequest,
    Failure,
    Reference,
    StorageCommitmentSCU,
)
from fastdimse.sop_class import CTImageStorage, MRImageStorage
from helpers import DEADLINE, LOCALHOST, wait_until

ROOT = "1.2.826.0.1.3680043.9.7433.15"
NEVER_SENT = Reference(CTImageStorage, f"{ROOT}.999")


def ct(number: int) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = f"{ROOT}.1.1.{number}"
    ds.StudyInstanceUID = f"{ROOT}.1"
    ds.SeriesInstanceUID = f"{ROOT}.1.1"
    ds.PatientID = "P15"
    ds.PatientName = "Commit^Me"
    ds.Modality = "CT"
    ds.InstanceNumber = number
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds


def reference(number: int) -> Reference:
    return Reference(CTImageStorage, f"{ROOT}.1.1.{number}")


def scp_ae(title: str = "ARCHIVE") -> AE:
    ae = AE(title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    ae.add_supported_context(CTImageStorage)
    ae.add_supported_context(COMMITMENT_SOP_CLASS)
    return ae


class Served:
    """An Archive with its Storage Commitment SCP behind a threaded server of ours."""

    def __init__(self, directory: Path, database: str, **options: Any) -> None:
        self.archive = Archive(directory, database, destinations=options.pop("destinations", {}))
        self.commitment = StorageCommitmentSCP(self.archive, "ARCHIVE", **options)
        handlers = self.archive.handlers + self.commitment.handlers
        self.ae = scp_ae()
        self.server = self.ae.start_server((LOCALHOST, 0), block=False, evt_handlers=handlers)
        self.port = int(self.server.server_address[1])

    def close(self) -> None:
        self.ae.shutdown()
        self.commitment.close()
        self.archive.close()


@pytest.fixture
def served(tmp_path: Path, database: str) -> Iterator[Served]:
    served = Served(tmp_path / "store", database)
    yield served
    served.close()


def scu_association(port: int, scu: StorageCommitmentSCU, title: str = "MODALITY") -> Any:
    ae = AE(title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    ae.add_requested_context(CTImageStorage)
    ae.add_requested_context(MRImageStorage)
    ae.add_requested_context(COMMITMENT_SOP_CLASS)
    assoc = ae.associate(LOCALHOST, port, ae_title="ARCHIVE", evt_handlers=scu.handlers)
    assert assoc.is_established
    return assoc


def store(port: int, numbers: range) -> None:
    assoc = scu_association(port, StorageCommitmentSCU())
    for number in numbers:
        assert assoc.send_c_store(ct(number)).Status == 0x0000
    assoc.release()


def listening(scu: StorageCommitmentSCU, port: int = 0) -> tuple[AE, tuple[str, int]]:
    """The SCU's listening AE, titled MODALITY, taking reports (with the SCP role the
    reporter proposes); the AE and its address."""
    listener = AE("MODALITY")
    listener.acse_timeout = listener.dimse_timeout = listener.network_timeout = DEADLINE
    listener.add_supported_context(COMMITMENT_SOP_CLASS, scu_role=True, scp_role=True)
    server = listener.start_server((LOCALHOST, port), block=False, evt_handlers=scu.handlers)
    return listener, (LOCALHOST, int(server.server_address[1]))


class FsyncSpy:
    """``os.fsync`` counted by path, optionally failing for some paths."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, failing: set[str] | None = None) -> None:
        self.synced: list[str] = []
        self.failing = failing or set()
        real = os.fsync

        def fsync(descriptor: int) -> None:
            path = os.readlink(f"/proc/self/fd/{descriptor}")
            if any(path.endswith(name) for name in self.failing):
                raise OSError(errno.EIO, "injected I/O error")
            self.synced.append(path)
            real(descriptor)

        monkeypatch.setattr(os, "fsync", fsync)


def paths_of(archive: Archive) -> dict[str, str]:
    return {i.sop_instance_uid: str(i.path) for i in archive.index.all_instances()}


def test_held_instances_are_synced_and_committed_others_failed(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    store(served.port, range(3))
    spy = FsyncSpy(monkeypatch)
    wrong_class = Reference(MRImageStorage, reference(2).sop_instance_uid)
    scu = StorageCommitmentSCU()
    assoc = scu_association(served.port, scu)
    asked = [reference(0), reference(1), NEVER_SENT, wrong_class]
    result = scu.request(assoc, asked, timeout=DEADLINE)
    assoc.release()
    assert result.committed == (reference(0), reference(1))
    assert result.failed == (Failure(NEVER_SENT, 0x0112), Failure(wrong_class, 0x0119))
    # Every committed instance's file and directory were synced before the report.
    paths = paths_of(served.archive)
    committed_files = {paths[r.sop_instance_uid] for r in result.committed}
    assert committed_files <= set(spy.synced)
    assert str(Path(paths[reference(0).sop_instance_uid]).parent) in spy.synced
    assert paths[reference(2).sop_instance_uid] not in spy.synced  # failed: not committed


def test_an_instance_that_cannot_be_synced_is_failed(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    store(served.port, range(2))
    victim = Path(paths_of(served.archive)[reference(1).sop_instance_uid]).name
    FsyncSpy(monkeypatch, failing={victim})
    scu = StorageCommitmentSCU()
    assoc = scu_association(served.port, scu)
    result = scu.request(assoc, [reference(0), reference(1)], timeout=DEADLINE)
    assoc.release()
    assert result.committed == (reference(0),)
    assert result.failed == (Failure(reference(1), 0x0110),)


def test_the_report_comes_on_a_new_association_once_the_requestor_has_left(
    tmp_path: Path, database: str
) -> None:
    """PS3.4 J.3.3.1.3: the SCP opens an association to the requestor (its address
    configured as a C-MOVE destination's) and proposes the SCP role."""
    scu = StorageCommitmentSCU()
    listener, address = listening(scu)
    served = Served(tmp_path / "store", database, destinations={"MODALITY": address})
    try:
        store(served.port, range(2))
        assoc = scu_association(served.port, scu)
        result = scu.request(assoc, [reference(0), reference(1)], timeout=DEADLINE, keep_open=False)
        assert assoc.is_released
    finally:
        served.close()
        listener.shutdown()
    assert result.committed == (reference(0), reference(1)) and result.failed == ()


def test_a_result_not_delivered_is_reported_after_a_restart(tmp_path: Path, database: str) -> None:
    """The requestor is away: the result stays in the database, and a new SCP on the same
    database reports it once the requestor listens."""
    scu = StorageCommitmentSCU()
    listener, (_, port) = listening(scu)
    listener.shutdown()  # the port is known, nobody listens on it
    destinations = {"MODALITY": (LOCALHOST, port)}
    first = Served(tmp_path / "store", database, destinations=destinations, retries=1)
    store(first.port, range(1))
    assoc = scu_association(first.port, StorageCommitmentSCU())
    status, _ = assoc.send_n_action(
        commitment_request("1.2.3.15.1", [reference(0)]), 1, COMMITMENT_SOP_CLASS, INSTANCE
    )
    assoc.release()
    assert status.Status == 0x0000
    assert wait_until(lambda: first.commitment.ledger.pending()[0].attempts >= 1)
    first.close()

    waiting = scu.expect("1.2.3.15.1")
    listener, _ = listening(scu, port)
    second = Served(tmp_path / "store", database, destinations=destinations)
    try:
        result = waiting.wait(DEADLINE)
        assert wait_until(lambda: not second.commitment.ledger.pending())
    finally:
        second.close()
        listener.shutdown()
    assert result.committed == (reference(0),)


INSTANCE = "1.2.840.10008.1.20.1.1"


def commitment_request(uid: str, references: list[Reference]) -> Dataset:
    from fastdimse.commitment import CommitmentRequest

    return CommitmentRequest(uid, tuple(references)).to_dataset()


def test_a_duplicate_transaction_uid_fails_every_instance_then_a_good_request(
    served: Served,
) -> None:
    store(served.port, range(1))
    scu = StorageCommitmentSCU()
    assoc = scu_association(served.port, scu)
    first = scu.request(assoc, [reference(0)], timeout=DEADLINE, transaction_uid="1.2.3.15.2")
    again = scu.request(assoc, [reference(0)], timeout=DEADLINE, transaction_uid="1.2.3.15.2")
    good = scu.request(assoc, [reference(0)], timeout=DEADLINE)
    assoc.release()
    assert first.committed == (reference(0),)
    assert again.committed == () and again.failed == (Failure(reference(0), 0x0131),)
    assert good.committed == (reference(0),)


def test_a_request_for_100000_instances_is_refused_then_a_good_request(served: Served) -> None:
    """Its Action Information (about 10 MB) is over the in-memory cap: 0x0213 Resource
    Limitation, the handler never called; the association goes on."""
    store(served.port, range(1))
    scu = StorageCommitmentSCU()
    assoc = scu_association(served.port, scu)
    many = [Reference(CTImageStorage, f"{ROOT}.2.{n}") for n in range(100_000)]
    with pytest.raises(RuntimeError, match="0x0213"):
        scu.request(assoc, many, timeout=DEADLINE)
    good = scu.request(assoc, [reference(0)], timeout=DEADLINE)
    assoc.release()
    assert good.committed == (reference(0),)
    # The good request's result is marked reported once delivered.
    assert wait_until(lambda: served.commitment.ledger.pending() == [])


@pytest.mark.parametrize(
    ("action_type", "instance", "info", "status"),
    [
        (2, INSTANCE, True, 0x0123),  # No Such Action
        (1, "1.2.3.4", True, 0x0112),  # not the well-known instance
        (1, INSTANCE, False, 0x0115),  # no Transaction UID: Invalid Argument Value
    ],
)
def test_malformed_requests_get_their_status_then_a_good_request(
    served: Served, action_type: int, instance: str, info: bool, status: int
) -> None:
    store(served.port, range(1))
    scu = StorageCommitmentSCU()
    assoc = scu_association(served.port, scu)
    data = commitment_request("1.2.3.15.3", [reference(0)])
    if not info:
        del data.TransactionUID
    got, _ = assoc.send_n_action(data, action_type, COMMITMENT_SOP_CLASS, instance)
    good = scu.request(assoc, [reference(0)], timeout=DEADLINE)
    assoc.release()
    assert got.Status == status
    assert good.committed == (reference(0),)


def test_a_report_nobody_waits_for_is_answered_0110() -> None:
    """Our SCU answers a result for a transaction it does not know 0x0110."""
    scu = StorageCommitmentSCU()
    listener, address = listening(scu)
    try:
        reporter = AE("ARCHIVE")
        reporter.acse_timeout = reporter.dimse_timeout = reporter.network_timeout = DEADLINE
        reporter.add_requested_context(COMMITMENT_SOP_CLASS)
        assoc = reporter.associate(*address)
        info = commitment_request("1.2.3.15.4", [reference(0)])
        status, _ = assoc.send_n_event_report(info, 1, COMMITMENT_SOP_CLASS, INSTANCE)
        assoc.release()
    finally:
        listener.shutdown()
    assert status.Status == 0x0110


def test_the_asyncio_scp_reports_on_the_same_association(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "store", tmp_path / "index.sqlite")
    commitment = StorageCommitmentSCP(archive, "ARCHIVE")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    aio_ae = aio.AE("ARCHIVE")
    aio_ae.acse_timeout = aio_ae.dimse_timeout = aio_ae.network_timeout = DEADLINE
    aio_ae.add_supported_context(CTImageStorage)
    aio_ae.add_supported_context(COMMITMENT_SOP_CLASS)
    handlers = archive.handlers + commitment.handlers
    starting = aio_ae.start_server((LOCALHOST, 0), evt_handlers=handlers)
    server = asyncio.run_coroutine_threadsafe(starting, loop).result(DEADLINE)
    try:
        port = int(server.server_address[1])
        store(port, range(2))
        scu = StorageCommitmentSCU()
        assoc = scu_association(port, scu)
        result = scu.request(assoc, [reference(0), reference(1), NEVER_SENT], timeout=DEADLINE)
        assoc.release()
    finally:
        asyncio.run_coroutine_threadsafe(aio_ae.shutdown(), loop).result(DEADLINE)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(DEADLINE)
        loop.close()
        commitment.close()
        archive.close()
    assert result.committed == (reference(0), reference(1))
    assert result.failed == (Failure(NEVER_SENT, 0x0112),)


def test_an_asyncio_scu_gets_the_report(served: Served) -> None:
    """``request_async`` on a ``fastdimse.aio`` association, the report on it."""
    store(served.port, range(2))
    scu = StorageCommitmentSCU()

    async def scenario() -> Any:
        ae = aio.AE("MODALITY")
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
        ae.add_requested_context(COMMITMENT_SOP_CLASS)
        async with ae.associate(
            LOCALHOST, served.port, ae_title="ARCHIVE", evt_handlers=scu.handlers
        ) as assoc:
            asked = [reference(0), reference(1), NEVER_SENT]
            return await scu.request_async(assoc, asked, timeout=DEADLINE)

    result = asyncio.run(asyncio.wait_for(scenario(), 2 * DEADLINE))
    assert result.committed == (reference(0), reference(1))
    assert result.failed == (Failure(NEVER_SENT, 0x0112),)


class _EndingAssociation:
    """An association that ends as the report is sent on it (the requestor released
    it between the check and the send): its send raises, as a real one's does."""

    is_established = True

    class dimse:
        class performed:
            @staticmethod
            def when_idle(callback: Any) -> None:
                callback()

    def send_n_event_report(self, *args: Any) -> Any:
        raise RuntimeError("The association is not established")


def test_a_report_whose_association_ends_as_it_is_sent_goes_on_a_new_one(
    tmp_path: Path, database: str
) -> None:
    scu = StorageCommitmentSCU()
    listener, address = listening(scu)
    served = Served(tmp_path / "store", database, destinations={"MODALITY": address})
    try:
        store(served.port, range(1))
        request = CommitmentRequest("1.2.3.15.5", (reference(0),))
        expected = scu.expect(request.transaction_uid)
        pk = served.commitment.ledger.add("MODALITY", served.commitment.commit(request))
        served.commitment.reporter.after_response(_EndingAssociation(), pk)
        result = expected.wait(DEADLINE)
    finally:
        served.close()
        listener.shutdown()
    assert result.committed == (reference(0),)
