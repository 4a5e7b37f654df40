"""The archive under attack, for tests/test_hostile_qrscp.py: ``qrscp`` as a process and an
``Archive`` behind our threaded and asyncio servers, each loaded with test_archive's corpus;
the raw Q/R and C-STORE requests a hostile peer sends; and the good query that follows each
case, with the matches it must return.

The raw peer (tests/hostile_peer.py) speaks bytes, so identifiers and data sets can be
anything; its answers are read as the core decodes them off the wire.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydicom.dataset import Dataset

import fastdimse
from fastdimse import AE, ALL_TRANSFER_SYNTAXES, _core, aio
from fastdimse._files.encoding import decode_data_set, encode_data_set
from fastdimse._upper.contexts import AllStoragePresentationContexts
from fastdimse.sop_class import (
    CTImageStorage,
    MRImageStorage,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
    Verification,
)
from helpers import DEADLINE, LOCALHOST, PORT, Server, app_cmd, start_server
from hostile_peer import IMPLICIT, CrashLog, Peer, associate_rq, crash_log, describe

sqlalchemy = pytest.importorskip("sqlalchemy")

from fastdimse.archive import Archive  # noqa: E402
from fastdimse.archive.levels import served_sop_classes  # noqa: E402
from test_archive import corpus  # noqa: E402

S_FIND = StudyRootQueryRetrieveInformationModelFind
S_GET = StudyRootQueryRetrieveInformationModelGet
S_MOVE = StudyRootQueryRetrieveInformationModelMove

# The raw peer's presentation contexts, by ID (one association proposes them all).
FIND_CONTEXT, GET_CONTEXT, MOVE_CONTEXT, CT_CONTEXT = 1, 3, 5, 7
CONTEXTS = (
    (FIND_CONTEXT, S_FIND),
    (GET_CONTEXT, S_GET),
    (MOVE_CONTEXT, S_MOVE),
    (CT_CONTEXT, CTImageStorage),
)

C_STORE_RQ, C_GET_RQ, C_FIND_RQ, C_MOVE_RQ, C_CANCEL_RQ = 0x0001, 0x0010, 0x0020, 0x0021, 0x0FFF
PENDING = frozenset({0xFF00, 0xFF01})
MOVE_DESTINATION = "HOSTILE-DEST"  # the one C-MOVE destination the archives know
ARCHIVE_AET = "QRSCP"
SERVER_TIMEOUT = 10.0  # the servers' ACSE, DIMSE and network timeouts: longer than any case

STORED = corpus()  # two patients, three studies, seven instances
STUDIES = frozenset(str(ds.StudyInstanceUID) for ds in STORED)


# -- the good query and the raw requests ----------------------------------------------


def good_identifier() -> Dataset:
    """Every study of STORED's patients (Study Root, STUDY level): the instances the cases
    store are of another patient, so this query's answer stays the same."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.StudyInstanceUID = ""
    ds.PatientID = "P?"
    return ds


def qr_associate_rq() -> bytes:
    """An A-ASSOCIATE-RQ proposing every context in CONTEXTS, Implicit VR Little Endian."""
    return associate_rq(called=ARCHIVE_AET, contexts=[(i, uid, (IMPLICIT,)) for i, uid in CONTEXTS])


def request(
    command_field: int,
    model: str,
    message_id: int,
    identifier: Dataset | bytes,
    context_id: int = FIND_CONTEXT,
    *,
    move_destination: str | None = None,
) -> bytes:
    """A C-FIND, C-GET or C-MOVE request as P-DATA-TF bytes; ``identifier`` may be raw bytes
    (an identifier that does not decode)."""
    data = identifier if isinstance(identifier, bytes) else encode_data_set(identifier, IMPLICIT)
    return _message(context_id, data, command_field, model, message_id, move_destination)


def store_request(
    sop_class: str, sop_instance: str, data_set: bytes, message_id: int, context_id: int
) -> bytes:
    """A C-STORE-RQ with ``data_set`` as it is (Implicit VR Little Endian, or garbage)."""
    return _message(context_id, data_set, C_STORE_RQ, sop_class, message_id, None, sop_instance)


def _message(
    context_id: int,
    data: bytes,
    command_field: int,
    sop_class: str,
    message_id: int,
    move_destination: str | None,
    sop_instance: str | None = None,
) -> bytes:
    """A request with a data set, as P-DATA-TF bytes (None: no such element)."""
    command = _core.CommandSet(
        command_field,
        affected_sop_class_uid=sop_class,
        affected_sop_instance_uid=sop_instance,
        move_destination=move_destination,
        message_id=message_id,
        priority=0,
        command_data_set_type=0x0001,
    ).encode()
    return _core.fragment_message(16382, context_id, command, data)


def cancel(message_id: int, context_id: int = FIND_CONTEXT) -> bytes:
    command = _core.CommandSet(C_CANCEL_RQ, message_id_being_responded_to=message_id).encode()
    return _core.fragment_message(16382, context_id, command)


def responses(peer: Peer, deadline: float = DEADLINE) -> list[_core.Message]:
    """The responses to one request, up to and including the final one (any status but
    Pending); fails when the server ends the association or falls silent first."""
    got: list[_core.Message] = []
    end = time.monotonic() + deadline
    while not got or got[-1].command.status in PENDING:
        answer = peer.read(count=1, deadline=max(0.0, end - time.monotonic()))
        assert answer.garbage is None, answer.garbage
        new = [pdu for pdu in answer.pdus if isinstance(pdu, _core.Message)]
        if not new:
            seen = [describe(pdu) for pdu in answer.pdus]
            raise AssertionError(f"no final response: got {seen}, closed={answer.closed}")
        got += new
    return got


def statuses(messages: Sequence[_core.Message]) -> list[int]:
    return [int(m.command.status or 0) for m in messages]


def identifiers(messages: Sequence[_core.Message]) -> list[Dataset]:
    return [decode_data_set(bytes(m.data_set), IMPLICIT) for m in messages if m.data_set]


def good_find_on(peer: Peer, message_id: int) -> None:
    """On the peer's association: the good query gets each study once, then success."""
    peer.send(request(C_FIND_RQ, S_FIND, message_id, good_identifier()))
    found = responses(peer)
    assert statuses(found) == [0xFF00] * len(STUDIES) + [0x0000]
    assert {str(ds.StudyInstanceUID) for ds in identifiers(found)} == STUDIES


def good_find(port: int) -> None:
    """The good query on a new association, from our own SCU."""
    assoc = scu().associate(LOCALHOST, port, ae_title=ARCHIVE_AET)
    assert assoc.is_established
    try:
        results = list(assoc.send_c_find(good_identifier(), S_FIND))
    finally:
        assoc.release()
    assert [int(status.Status) for status, _ in results] == [0xFF00] * len(STUDIES) + [0]
    assert {str(ds.StudyInstanceUID) for _, ds in results[:-1] if ds is not None} == STUDIES


def scu() -> AE:
    ae = AE("HOSTILE-SCU")
    ae.add_requested_context(S_FIND)
    for uid in (CTImageStorage, MRImageStorage):
        ae.add_requested_context(uid, "1.2.840.10008.1.2.1")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    return ae


def load(port: int) -> None:
    """Store STORED over one association; every instance acknowledged."""
    assoc = scu().associate(LOCALHOST, port, ae_title=ARCHIVE_AET)
    assert assoc.is_established
    try:
        assert [int(assoc.send_c_store(ds).Status) for ds in STORED] == [0] * len(STORED)
    finally:
        assoc.release()


def stored_files(directory: Path) -> list[str]:
    """Every file under the instance directory, hidden temporaries included."""
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


# -- the servers ------------------------------------------------------------------------


@dataclass
class ArchiveServer:
    """An archive under attack: where it listens, where it keeps its files, and what went
    wrong inside it (tracebacks in qrscp's output, threads that died in ours)."""

    kind: str
    port: int
    directory: Path
    process: Server | None = None
    crashes: CrashLog | None = None
    files: list[str] = field(default_factory=list)  # after loading

    def alive(self) -> bool:
        return self.process is None or self.process.proc.poll() is None

    def problems(self) -> list[str]:
        """Each traceback qrscp wrote, or each association thread of ours that died."""
        if self.process is not None:
            return [
                f"Traceback{part[:600]}" for part in self.process.output().split("Traceback")[1:]
            ]
        return self.crashes.messages() if self.crashes is not None else []


@contextmanager
def destination() -> Iterator[int]:
    """The C-MOVE destination the archives know: a storage SCP of ours; its port."""
    ae = AE(MOVE_DESTINATION)
    for context in AllStoragePresentationContexts:
        ae.add_supported_context(str(context.abstract_syntax), ALL_TRANSFER_SYNTAXES)
    server = ae.start_server((LOCALHOST, 0), block=False)
    assert server is not None
    try:
        yield int(server.server_address[1])
    finally:
        ae.shutdown()


@contextmanager
def qrscp_process(tmp: Path, destination_port: int) -> Iterator[ArchiveServer]:
    """``python -m fastdimse qrscp`` on a free port, its index an SQLite file outside its
    instance directory, its configuration pynetdicom's ini with one move destination."""
    config = tmp / "qrscp.ini"
    config.write_text(
        "[DEFAULT]\n"
        f"acse_timeout = {SERVER_TIMEOUT}\n"
        f"dimse_timeout = {SERVER_TIMEOUT}\n"
        f"network_timeout = {SERVER_TIMEOUT}\n"
        f"[{MOVE_DESTINATION}]\n"
        f"address = {LOCALHOST}\n"
        f"port = {destination_port}\n"
    )
    directory = tmp / "instances"
    argv = app_cmd(
        "qrscp",
        *("-c", str(config), "--port", PORT, "-aet", ARCHIVE_AET),
        *("--database-location", str(tmp / "index.sqlite")),
        *("--instance-location", str(directory)),
    )
    # The process imports the very package under test, wherever it comes from.
    package = str(Path(fastdimse.__file__).resolve().parents[1])
    paths = [package, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    (tmp / "logs").mkdir()
    server = start_server(argv, tmp / "logs" / "qrscp.log", cwd=tmp, env=env)
    try:
        yield ArchiveServer("qrscp", server.port, directory, process=server)
    finally:
        server.kill()


def configure(ae: Any) -> Any:
    """The contexts and timers qrscp gives its AE (apps/qrscp.py build_ae)."""
    ae.add_supported_context(Verification, ALL_TRANSFER_SYNTAXES)
    for context in AllStoragePresentationContexts:
        uid = str(context.abstract_syntax)
        ae.add_supported_context(uid, ALL_TRANSFER_SYNTAXES, scu_role=False, scp_role=True)
    for model in served_sop_classes():
        ae.add_supported_context(model)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = SERVER_TIMEOUT
    return ae


@contextmanager
def threaded_archive(tmp: Path, destination_port: int) -> Iterator[ArchiveServer]:
    """``Archive(...).handlers`` bound to our threaded server."""
    destinations = {MOVE_DESTINATION: (LOCALHOST, destination_port)}
    with crash_log() as crashes, Archive(tmp / "instances", destinations=destinations) as archive:
        ae = configure(AE(ARCHIVE_AET))
        server = ae.start_server((LOCALHOST, 0), block=False, evt_handlers=archive.handlers)
        assert server is not None
        try:
            port = int(server.server_address[1])
            yield ArchiveServer("threaded", port, archive.directory, crashes=crashes)
        finally:
            ae.shutdown()


@contextmanager
def asyncio_archive(tmp: Path, destination_port: int) -> Iterator[ArchiveServer]:
    """``Archive(...).handlers`` bound to ``fastdimse.aio``'s server, on a loop of its own."""
    destinations = {MOVE_DESTINATION: (LOCALHOST, destination_port)}
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="archive-aio-loop", daemon=True)
    thread.start()
    try:
        with (
            crash_log() as crashes,
            Archive(tmp / "instances", destinations=destinations) as archive,
        ):
            ae = configure(aio.AE(ARCHIVE_AET))
            starting = ae.start_server((LOCALHOST, 0), evt_handlers=archive.handlers)
            server = asyncio.run_coroutine_threadsafe(starting, loop).result(DEADLINE)
            try:
                port = int(server.server_address[1])
                yield ArchiveServer("asyncio", port, archive.directory, crashes=crashes)
            finally:
                asyncio.run_coroutine_threadsafe(ae.shutdown(), loop).result(DEADLINE)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(DEADLINE)
        loop.close()


def loaded(server: ArchiveServer) -> ArchiveServer:
    """``server`` holding STORED, and the files that makes in its instance directory."""
    load(server.port)
    server.files = stored_files(server.directory)
    assert len(server.files) == len(STORED)
    return server
