"""`python -m fastdimse storescp --workers N` with real senders, and its operations window.

DCMTK's storescu (with TCP_NODELAY=1) sends from 8 processes at once to 2 workers; a
SIGTERM lands while a 32 MB instance is half sent (a relay in this process holds the rest
back until every worker has stopped accepting); our AE proposes asynchronous operations
windows. Deadlines are generous and nothing is timed.
"""

from __future__ import annotations

import re
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from benches.synthetic import write_study
from pydicom import dcmread
from pydicom.uid import ExplicitVRLittleEndian
from tests.test_engine_concurrency import window_item

from fastdimse import AE
from helpers import (
    APP_TIMEOUT,
    DEADLINE,
    LISTEN_DEADLINE,
    LOCALHOST,
    PORT,
    Server,
    app_cmd,
    listening_sockets,
    process_gone,
    run_app,
    start_dcmtk,
    wait_until,
)

CT = "1.2.840.10008.5.1.4.1.1.2"
MB = 1024 * 1024
SERVING = re.compile(r"Serving on \S+ with (?P<n>\d+) worker processes \(pids (?P<pids>[\d, ]+)\)")
STORING = re.compile(r"I: \[(?P<pid>\d+)\] Storing DICOM file")


@pytest.fixture
def storescp(
    tmp_path: Path, subprocess_servers: Callable[..., Server]
) -> Callable[..., tuple[Server, list[int]]]:
    """start(*args): our storescp on a free port; with --workers (and -v), once every worker
    serves (the server and the workers' pids)."""

    def start(*args: str) -> tuple[Server, list[int]]:
        argv = app_cmd("storescp", "-ba", LOCALHOST, *args, PORT)
        server = subprocess_servers(argv, name="storescp", cwd=tmp_path)
        if "--workers" not in args:
            return server, []
        wait_until(lambda: SERVING.search(server.output()), LISTEN_DEADLINE)
        found = SERVING.search(server.output())
        assert found, server.output()
        return server, [int(pid) for pid in found["pids"].split(", ")]

    return start


def instance_uid(path: Path) -> str:
    return str(dcmread(path, stop_before_pixels=True).SOPInstanceUID)


def stored_by_instance(directory: Path) -> dict[str, Path]:
    return {instance_uid(path): path for path in directory.iterdir()}


def same_data_set(sent: Path, stored: Path) -> bool:
    """Element by element outside the file meta (group 0002), pixel data byte for byte."""
    return bool(dcmread(sent) == dcmread(stored))


# -- many senders, two workers ------------------------------------------------------------


def test_eight_dcmtk_senders_to_two_workers(
    storescp: Callable[..., tuple[Server, list[int]]], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    scp, pids = storescp("-v", "--workers", "2", "-od", str(out))
    studies = [
        write_study(tmp_path / f"study{seed}", 3, rows=64, columns=64, seed=100 + seed)
        for seed in range(16)
    ]
    # Two rounds of 8 at once: 16 associations, which the kernel's hash puts all on one
    # worker once in 2^15 runs.
    for batch in (studies[:8], studies[8:]):
        senders = [
            start_dcmtk("storescu", LOCALHOST, str(scp.port), *map(str, paths)) for paths in batch
        ]
        for sender in senders:
            output, _ = sender.communicate(timeout=APP_TIMEOUT)
            assert sender.returncode == 0, output
    sent = {instance_uid(path): path for paths in studies for path in paths}
    stored = stored_by_instance(out)
    assert len(list(out.iterdir())) == len(sent) == 48  # each once, no temporary left
    assert stored.keys() == sent.keys()
    for uid, path in sent.items():
        assert same_data_set(path, stored[uid]), uid
    assert scp.stop() == 0
    assert {int(pid) for pid in STORING.findall(scp.output())} == set(pids)
    assert all(process_gone(pid) for pid in pids)


class Relay:
    """Forwards one TCP connection to ``upstream``; after ``hold_after`` bytes from the
    client it holds the rest back until ``release()``."""

    def __init__(self, upstream: int, hold_after: int) -> None:
        self._listener = socket.create_server((LOCALHOST, 0))
        self.port: int = self._listener.getsockname()[1]
        self._upstream = upstream
        self._hold_after = hold_after
        self.holding = threading.Event()
        self._released = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def release(self) -> None:
        self._released.set()

    def close(self) -> None:
        self._released.set()
        self._listener.close()

    def _serve(self) -> None:
        client, _ = self._listener.accept()
        server = socket.create_connection((LOCALHOST, self._upstream))
        for sock in (client, server):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        back = threading.Thread(target=self._pump, args=(server, client, None), daemon=True)
        back.start()
        self._pump(client, server, self._hold_after)
        back.join(DEADLINE)
        client.close()
        server.close()

    def _pump(self, source: socket.socket, sink: socket.socket, hold_after: int | None) -> None:
        forwarded = 0
        try:
            while data := source.recv(256 * 1024):
                if hold_after is not None and forwarded >= hold_after and not self.holding.is_set():
                    self.holding.set()
                    self._released.wait()
                sink.sendall(data)
                forwarded += len(data)
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # either side ended the connection: the other learns it from its own


@pytest.fixture
def relay() -> Iterator[Callable[[int, int], Relay]]:
    made: list[Relay] = []

    def make(upstream: int, hold_after: int) -> Relay:
        made.append(Relay(upstream, hold_after))
        return made[-1]

    yield make
    for item in made:
        item.close()


def test_sigterm_while_a_large_instance_is_in_flight(
    storescp: Callable[..., tuple[Server, list[int]]],
    relay: Callable[[int, int], Relay],
    tmp_path: Path,
) -> None:
    """The instance being received is completed, stored and acknowledged; then the
    association ends, nothing is left half written, and every process exits."""
    out = tmp_path / "out"
    big = write_study(tmp_path / "big", 1, rows=4096, columns=4096, seed=31)[0]  # 32 MB
    small = write_study(tmp_path / "small", 1, rows=64, columns=64, seed=32)[0]
    scp, pids = storescp("-v", "--workers", "2", "-od", str(out))
    held = relay(scp.port, 8 * MB)
    sender = start_dcmtk("storescu", "-v", LOCALHOST, str(held.port), str(big), str(small))
    assert held.holding.wait(DEADLINE)
    scp.proc.send_signal(signal.SIGTERM)
    # Every worker has stopped accepting (and so begun to drain) before the rest is sent.
    assert wait_until(lambda: listening_sockets(scp.port) == 0, LISTEN_DEADLINE), scp.output()
    held.release()
    output, _ = sender.communicate(timeout=APP_TIMEOUT)
    assert scp.proc.wait(APP_TIMEOUT) == 0, scp.output()
    assert all(process_gone(pid) for pid in pids)
    acknowledged = output.count("Received Store Response (Success)")
    assert acknowledged >= 1, output
    stored = sorted(out.iterdir())
    # What was acknowledged is stored, whole; nothing else, no temporary.
    assert len(stored) == acknowledged, (output, stored)
    assert not [path for path in stored if path.name.startswith(".")]
    assert same_data_set(big, stored_by_instance(out)[instance_uid(big)])
    assert "Traceback" not in scp.output()


def test_a_second_sigterm_stops_at_once(
    storescp: Callable[..., tuple[Server, list[int]]],
    relay: Callable[[int, int], Relay],
    tmp_path: Path,
) -> None:
    """The instance half received is dropped: no file under its name, no temporary."""
    out = tmp_path / "out"
    big = write_study(tmp_path / "big", 1, rows=4096, columns=4096, seed=33)[0]
    scp, pids = storescp("-v", "--workers", "2", "-od", str(out))
    held = relay(scp.port, 8 * MB)
    sender = start_dcmtk("storescu", LOCALHOST, str(held.port), str(big))
    assert held.holding.wait(DEADLINE)
    scp.proc.send_signal(signal.SIGTERM)
    assert wait_until(lambda: listening_sockets(scp.port) == 0, LISTEN_DEADLINE), scp.output()
    scp.proc.send_signal(signal.SIGTERM)
    assert scp.proc.wait(APP_TIMEOUT) == 0, scp.output()
    assert all(process_gone(pid) for pid in pids)
    held.release()
    output, _ = sender.communicate(timeout=APP_TIMEOUT)
    assert "Received Store Response (Success)" not in output
    assert list(out.iterdir()) == []
    assert "Stopping now" in scp.output()


def test_the_association_limit_is_for_all_workers(
    storescp: Callable[..., tuple[Server, list[int]]],
) -> None:
    scp, _ = storescp("-v", "--ignore", "--workers", "2")
    scu = AE("SCU")
    scu.add_requested_context(CT, ExplicitVRLittleEndian)
    held = [scu.associate(LOCALHOST, scp.port) for _ in range(10)]  # AE's default limit
    assert all(assoc.is_established for assoc in held)
    assert scu.associate(LOCALHOST, scp.port).is_rejected
    for assoc in held:
        assoc.release()
    assert scp.stop() == 0


def test_workers_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind((LOCALHOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run_app("storescp", "-ba", LOCALHOST, "--workers", "2", str(port))
    assert proc.returncode == 1
    assert f"Unable to listen on {LOCALHOST}:{port}" in proc.stderr


@pytest.mark.parametrize("workers", ["0", "-2", "two"])
def test_workers_must_be_positive(workers: str) -> None:
    proc = run_app("storescp", "--workers", workers, "11112")
    assert proc.returncode == 2
    assert "--workers" in proc.stderr


# -- the asynchronous operations window ---------------------------------------------------


@pytest.mark.parametrize(
    ("proposed", "granted"),
    [((20, 20), (16, 1)), ((4, 4), (4, 1)), ((0, 0), (16, 1))],
)
def test_storescp_grants_a_window_of_up_to_16(
    storescp: Callable[..., tuple[Server, list[int]]],
    tmp_path: Path,
    proposed: tuple[int, int],
    granted: tuple[int, int],
) -> None:
    """Answered as (min(proposed, 16), min(proposed, 1)), 0 being unlimited: we perform up
    to 16 of the peer's C-STOREs at once, and invoke nothing on it."""
    out = tmp_path / "out"
    scp, _ = storescp("-od", str(out))
    scu = AE("SCU")
    scu.add_requested_context(CT, ExplicitVRLittleEndian)
    assoc = scu.associate(LOCALHOST, scp.port, ext_neg=[window_item(*proposed)])
    assert assoc.is_established
    assert assoc.acceptor.asynchronous_operations == granted
    assert assoc.dimse.invoked.window == granted[0]
    paths = write_study(tmp_path / "study", 24, rows=32, columns=32, seed=41)
    statuses: list[Any] = [status for _, status in assoc.send_c_store_many(paths, status_only=True)]
    assoc.release()
    assert statuses == [0x0000] * len(paths)
    assert len(list(out.iterdir())) == len(paths)
