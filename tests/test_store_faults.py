"""FileStore behind real associations, when things go wrong.

Each fault is followed by a successful store on a new association (our SCU
or DCMTK's storescu), and afterwards the store's directory holds exactly the
instances acknowledged, each as sent (file meta UIDs, data set byte for
byte): no partial file, no temporary, no spool. Faults:
the peer resets the connection or sends an A-ABORT halfway through a 50 MB
data set (a raw client built on ``fastdimse._core``), the disk fills up
(a small tmpfs), the directory is read-only (a read-only bind mount), the
handler raises (0xC211), the data set does not parse (0xC210) or is not the
instance the request names (0xA900).
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from benches.synthetic import ct_dataset, large_instance, write_instance
from pydicom.uid import generate_uid

from fastdimse import AE, _core, evt
from fastdimse._files.part10 import read_file_meta
from fastdimse.storage import FileStore
from helpers import DEADLINE, assert_stored_as_sent, dcmtk_env, file_meta, find_dcmtk, wait_until
from hostile_peer import Peer, associate_rq
from test_storage import full_disk, read_only

CT = "1.2.840.10008.5.1.4.1.1.2"
IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
MAX_PDU = 16382


def listing(directory: Path) -> list[str]:
    return sorted(os.listdir(directory))


def small_file(directory: Path, seed: int = 0) -> Path:
    uid = generate_uid(entropy_srcs=["faults", str(seed)])
    ds = ct_dataset(bytes(range(256)) * 32, rows=64, columns=64, instance_uid=uid)
    directory.mkdir(parents=True, exist_ok=True)
    return write_instance(ds, directory / f"small-{seed}.dcm", EXPLICIT)


def stored_name(path: Path) -> str:
    return f"{file_meta(path).sop_instance_uid}.dcm"


def assert_holds(directory: Path, *sent: Path) -> None:
    """`directory` holds exactly the instances of the files `sent`, each whole: the name
    alone would not show a truncated or altered file."""
    assert listing(directory) == sorted(stored_name(path) for path in sent)
    for path in sent:
        assert_stored_as_sent(directory / stored_name(path), path)


@pytest.fixture(scope="module")
def large_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("large")
    path = large_instance(directory / "large.dcm", 50)
    yield path
    shutil.rmtree(directory, ignore_errors=True)


class Scp:
    """Our SCP on a free port, `store` bound to EVT_C_STORE."""

    def __init__(self, store: Callable[[Any], int]) -> None:
        self.ae = AE("STORESCP")
        self.ae.maximum_pdu_size = MAX_PDU
        for syntax in (EXPLICIT, IMPLICIT):
            self.ae.add_supported_context(CT, syntax)
        server = self.ae.start_server(
            ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_STORE, store)]
        )
        self.port: int = server.server_address[1]

    def send(self, path: Path) -> int:
        """One C-STORE of `path` on a new association; its status."""
        scu = AE("STORESCU")
        scu.acse_timeout = scu.dimse_timeout = scu.network_timeout = DEADLINE
        scu.add_requested_context(CT, EXPLICIT)
        assoc = scu.associate("127.0.0.1", self.port)
        assert assoc.is_established
        try:
            status: int = assoc.send_c_store(path, status_only=True)
        finally:
            assoc.release()
        return status


Serve = Callable[[Callable[[Any], int]], Scp]


@pytest.fixture
def serve() -> Iterator[Serve]:
    made: list[Scp] = []

    def start(store: Callable[[Any], int]) -> Scp:
        scp = Scp(store)
        made.append(scp)
        return scp

    yield start
    for scp in made:
        scp.ae.shutdown()


def storescu(port: int, *files: Path) -> subprocess.CompletedProcess[str]:
    tool = find_dcmtk("storescu")
    if tool is None:
        pytest.fail("DCMTK's storescu is not installed")
    return subprocess.run(
        [tool, "-aet", "STORESCU", "-aec", "STORESCP", "127.0.0.1", str(port), *map(str, files)],
        env=dcmtk_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class HalfSender:
    """A raw client that associates, then sends a C-STORE of `path` up to
    `fraction` of its data set, PDU by PDU, and stops there."""

    def __init__(self, port: int, path: Path) -> None:
        self.peer = Peer(port)
        rq = associate_rq(
            called="STORESCP",
            calling="HALFSENDER",
            contexts=[(1, CT, [EXPLICIT])],
        )
        ac = self.peer.associate(rq)
        (context,) = ac.presentation_contexts
        assert context.result == 0
        self.path = path
        self.meta = read_file_meta(path)

    def send_part(self, fraction: float) -> int:
        """Send the command and the data set's first `fraction`; bytes of data set sent."""
        command = _core.CommandSet(
            0x0001,
            affected_sop_class_uid=self.meta.sop_class_uid,
            affected_sop_instance_uid=self.meta.sop_instance_uid,
            message_id=1,
            priority=2,
            command_data_set_type=0x0001,
        ).encode()
        length = self.path.stat().st_size - self.meta.data_offset
        target = int(length * fraction)
        sent = 0
        with open(self.path, "rb") as file:
            chunks = _core.FileDataSetSender(
                MAX_PDU,
                1,
                command,
                file.fileno(),
                self.meta.data_offset,
                length,
                chunk_size=MAX_PDU * 8,
            )
            for chunk in chunks:
                assert self.peer.send(chunk)
                sent += len(chunk)
                if sent >= target:
                    break
        return sent

    def reset(self) -> None:
        """Close with an RST (SO_LINGER 0), not a FIN."""
        self.peer.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.peer.close()

    def abort(self) -> None:
        self.peer.send(_core.Abort(0, 0).encode())
        self.peer.close()


def spool_files(directory: Path) -> list[Path]:
    return [p for p in directory.iterdir() if p.name.startswith(".")]


def spooled_at_least(directory: Path, size: int) -> bool:
    return any(p.stat().st_size >= size for p in spool_files(directory) if p.exists())


@pytest.mark.parametrize("fault", ["reset", "abort"])
def test_connection_lost_mid_data_set_leaves_nothing(
    tmp_path: Path, large_file: Path, serve: Serve, fault: str
) -> None:
    store = FileStore(tmp_path / "store", fsync=True)
    calls: list[Any] = []

    class Recording:
        spool_directory = store.spool_directory

        def __call__(self, event: Any) -> int:
            calls.append(event.request.AffectedSOPInstanceUID)
            return store(event)

    scp = serve(Recording())
    sender = HalfSender(scp.port, large_file)
    sent = sender.send_part(0.5)
    # the SCP is halfway through writing it, into the store's own directory
    assert wait_until(lambda: spooled_at_least(store.directory, sent // 2))
    if fault == "reset":
        sender.reset()
    else:
        sender.abort()
    assert wait_until(lambda: listing(store.directory) == []), listing(store.directory)
    assert calls == []
    # the SCP goes on: the next association stores
    small = small_file(tmp_path / "in")
    assert scp.send(small) == 0x0000
    assert_holds(store.directory, small)
    assert calls == [read_file_meta(small).sop_instance_uid]


def test_whole_large_instance_after_the_faults(
    tmp_path: Path, large_file: Path, serve: Serve
) -> None:
    """The same 50 MB instance, sent whole, is stored byte for byte."""
    store = FileStore(tmp_path / "store", fsync=True)
    scp = serve(store)
    assert scp.send(large_file) == 0x0000
    assert_holds(store.directory, large_file)


def test_disk_full_is_0xA700_and_leaves_nothing(tmp_path: Path, serve: Serve) -> None:
    small = small_file(tmp_path / "in")
    big = large_instance(tmp_path / "in" / "big.dcm", 5)  # 5 MB into 2 MB
    with full_disk(tmp_path / "full", size="2m") as directory:
        store = FileStore(directory, fsync=True)
        scp = serve(store)
        assert scp.send(big) == 0xA700
        assert wait_until(lambda: listing(directory) == []), listing(directory)
        result = storescu(scp.port, small)
        assert result.returncode == 0, result.stderr
        assert_holds(directory, small)


def test_read_only_directory_is_0xA700(tmp_path: Path, serve: Serve) -> None:
    small, other = small_file(tmp_path / "in", 1), small_file(tmp_path / "in", 2)
    store = FileStore(tmp_path / "store", fsync=True)
    scp = serve(store)
    with read_only(store.directory):
        assert scp.send(small) == 0xA700
        assert listing(store.directory) == []
    assert scp.send(other) == 0x0000
    assert_holds(store.directory, other)


def test_handler_raising_is_0xC211_and_leaves_nothing(tmp_path: Path, serve: Serve) -> None:
    failures = [RuntimeError("the naming service is down")]

    def name(event: Any) -> str:
        if failures:
            raise failures.pop()
        return f"{event.request.AffectedSOPInstanceUID}.dcm"

    store = FileStore(tmp_path / "store", name=name)
    scp = serve(store)
    first, second = small_file(tmp_path / "in", 1), small_file(tmp_path / "in", 2)
    assert scp.send(first) == 0xC211
    assert wait_until(lambda: listing(store.directory) == []), listing(store.directory)
    assert scp.send(second) == 0x0000
    assert_holds(store.directory, second)


def test_data_set_that_does_not_parse_is_0xC210(tmp_path: Path, serve: Serve) -> None:
    """A file whose last element claims more bytes than follow, streamed as is."""
    good = small_file(tmp_path / "in", 1)
    broken = tmp_path / "in" / "broken.dcm"
    broken.write_bytes(small_file(tmp_path / "in", 2).read_bytes()[:-6])
    store = FileStore(tmp_path / "store", fsync=True)
    scp = serve(store)
    assert scp.send(broken) == 0xC210
    assert wait_until(lambda: listing(store.directory) == []), listing(store.directory)
    result = storescu(scp.port, good)
    assert result.returncode == 0, result.stderr
    assert_holds(store.directory, good)


def test_data_set_of_another_instance_is_0xA900(tmp_path: Path, serve: Serve) -> None:
    """File meta (hence the request) naming one instance, the data set another."""
    source = small_file(tmp_path / "in", 1)
    meta = read_file_meta(source)
    raw = source.read_bytes()
    renamed = meta.sop_instance_uid[:-1] + ("1" if meta.sop_instance_uid[-1] != "1" else "2")
    header = raw[: meta.data_offset].replace(
        meta.sop_instance_uid.encode(), renamed.encode()
    )  # same length: the group length still holds
    lying = tmp_path / "in" / "lying.dcm"
    lying.write_bytes(header + raw[meta.data_offset :])
    assert read_file_meta(lying).sop_instance_uid == renamed
    store = FileStore(tmp_path / "store")
    scp = serve(store)
    assert scp.send(lying) == 0xA900
    assert wait_until(lambda: listing(store.directory) == []), listing(store.directory)
    assert scp.send(source) == 0x0000
    assert_holds(store.directory, source)


def test_storescu_study_into_a_durable_store(tmp_path: Path, serve: Serve) -> None:
    """DCMTK's storescu, several instances on one association: each stored whole."""
    files = [small_file(tmp_path / "in", seed) for seed in range(5)]
    store = FileStore(tmp_path / "store", fsync=True)
    scp = serve(store)
    result = storescu(scp.port, *files)
    assert result.returncode == 0, result.stderr
    assert_holds(store.directory, *files)
    assert store.stats.file_syncs >= 5 and store.stats.directory_syncs >= 1
