"""``fastdimse.ProcessServer``: one AE served by several processes on one port.

Real processes: tests/process_server_app.py runs the server (its factory records the pid of
the worker that served each association); our AE connects from this process. Under both
the "fork" and "spawn" start methods. Deadlines are generous and nothing is timed.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.test_engine_concurrency import requestor

from fastdimse import AE, ProcessServer
from fastdimse._io.shared_count import SharedAssociationCount, clear_count, create_count_file
from helpers import (
    APP_TIMEOUT,
    LISTEN_DEADLINE,
    LOCALHOST,
    free_port,
    listening_sockets,
    process_gone,
    wait_until,
)

APP = Path(__file__).resolve().parent / "process_server_app.py"
SERVING = re.compile(
    r"Serving on [\d.]+:(?P<port>\d+) with \d+ worker processes \(pids (?P<pids>[\d, ]+)\)"
)


@dataclass
class Running:
    """The server script as a subprocess; its output in ``log``."""

    proc: subprocess.Popen[bytes]
    log: Path
    directory: Path
    port: int = 0

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_serving(self) -> list[int]:
        """Wait until every worker serves; their pids."""
        wait_until(
            lambda: SERVING.search(self.output()) or self.proc.poll() is not None, LISTEN_DEADLINE
        )
        found = SERVING.search(self.output())
        assert found, self.output()
        self.port = int(found["port"])
        return [int(pid) for pid in found["pids"].split(", ")]

    def served_by(self) -> list[int]:
        """The pid of the worker that served each association so far."""
        path = self.directory / "pids"
        return [int(line) for line in path.read_text().split()] if path.exists() else []

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(APP_TIMEOUT)


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Any]:
    started: list[Running] = []

    def run(*args: str) -> Running:
        log = tmp_path / f"server-{len(started)}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, str(APP), str(tmp_path), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, as at a terminal
            )
        running = Running(proc, log, tmp_path)
        started.append(running)
        return running

    yield run
    for running in started:
        if running.proc.poll() is None:
            os.killpg(running.proc.pid, signal.SIGKILL)
            running.proc.wait(APP_TIMEOUT)


def echo(port: int) -> int:
    assoc = requestor().associate(LOCALHOST, port)
    assert assoc.is_established
    status = int(assoc.send_c_echo().Status)
    assoc.release()
    return status


# -- the shared association count, in this process ------------------------------------------


def test_the_count_holds_the_limit_for_all_workers() -> None:
    path = create_count_file(2)
    try:
        with SharedAssociationCount(path, 0) as first, SharedAssociationCount(path, 1) as second:
            assert first.admit(0, 3) and first.admit(1, 3)  # the first worker has 2
            assert second.admit(0, 3)  # 3 in all
            assert not second.admit(1, 3) and not first.admit(2, 3)
            assert first.total() == 3
            first.publish(1)  # one of the first worker's ended
            assert second.admit(1, 3)
            clear_count(path, 1)  # the second worker died
            assert first.total() == 1
    finally:
        os.unlink(path)


def test_a_port_something_listens_on_is_refused() -> None:
    with socket.socket() as taken:
        taken.bind((LOCALHOST, 0))
        taken.listen()
        with pytest.raises(OSError):
            ProcessServer(scu_factory, (LOCALHOST, taken.getsockname()[1]), workers=2)


@pytest.mark.parametrize("workers", [0, -1, True, 1.5])
def test_workers_must_be_a_positive_int(workers: Any) -> None:
    with pytest.raises(ValueError):
        ProcessServer(scu_factory, (LOCALHOST, 0), workers=workers)


def scu_factory() -> tuple[AE, list[Any]]:
    return requestor(), []


# -- real processes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "sig"),
    [("fork", signal.SIGTERM), ("spawn", signal.SIGTERM), ("fork", signal.SIGINT)],
)
def test_workers_share_the_port_and_stop_on_a_signal(start: Any, method: str, sig: int) -> None:
    server = start("--workers", "2", "--start-method", method)
    pids = server.wait_serving()
    assert len(pids) == 2 and server.proc.pid not in pids
    assert listening_sockets(server.port) == 2
    # The kernel spreads connections by a hash of their addresses: 40 reach both workers
    # (all on one would happen once in 2^39 runs).
    for _ in range(40):
        assert echo(server.port) == 0x0000
    assert sorted(set(server.served_by())) == sorted(pids)
    if sig == signal.SIGINT:
        # Ctrl-C at a terminal: the whole process group gets it; the workers leave it to
        # the parent.
        os.killpg(server.proc.pid, signal.SIGINT)
        assert server.proc.wait(APP_TIMEOUT) == 0
    else:
        assert server.stop(sig) == 0
    assert all(process_gone(pid) for pid in pids)
    assert "Traceback" not in server.output()


def test_the_association_limit_holds_for_all_workers(start: Any) -> None:
    server = start("--workers", "2", "--max-associations", "3")
    server.wait_serving()
    held = [requestor().associate(LOCALHOST, server.port) for _ in range(3)]
    assert all(assoc.is_established for assoc in held)
    # Whichever worker a peer reaches, the server as a whole is full.
    refused = [requestor().associate(LOCALHOST, server.port) for _ in range(8)]
    assert all(assoc.is_rejected for assoc in refused)
    held.pop().release()
    # Room again once the released association has left its worker (its slot is
    # published when the connection ends).
    again: list[Any] = []

    def admitted() -> bool:
        assoc = requestor().associate(LOCALHOST, server.port)
        again.append(assoc)
        return bool(assoc.is_established)

    assert wait_until(admitted)
    assert not requestor().associate(LOCALHOST, server.port).is_established
    for assoc in [*held, *again]:
        if assoc.is_established:
            assoc.release()
    assert server.stop() == 0


def test_a_worker_that_dies_is_logged_and_replaced(start: Any) -> None:
    server = start("--workers", "2", "--start-method", "spawn")
    first, second = server.wait_serving()
    os.kill(first, signal.SIGKILL)
    assert wait_until(
        lambda: "was killed by SIGKILL: starting another" in server.output(), LISTEN_DEADLINE
    ), server.output()
    assert wait_until(lambda: listening_sockets(server.port) == 2, LISTEN_DEADLINE)
    for _ in range(20):
        assert echo(server.port) == 0x0000
    served = set(server.served_by())
    assert first not in served and second in served
    assert server.stop() == 0
    assert process_gone(second)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_workers_stop_when_the_parent_is_killed(start: Any, method: str) -> None:
    server = start("--workers", "2", "--start-method", method)
    pids = server.wait_serving()
    server.proc.kill()
    server.proc.wait(APP_TIMEOUT)
    # Orphans, reaped by init once they exit: gone means exited.
    assert wait_until(lambda: all(process_gone(pid) for pid in pids), LISTEN_DEADLINE)
    assert "the parent process is gone, stopping" in server.output()


def test_a_factory_that_fails_stops_the_server(start: Any) -> None:
    server = start("--workers", "2", "--fail")
    assert server.proc.wait(APP_TIMEOUT) == 1
    assert "failed to start: RuntimeError: the factory failed on purpose" in server.output()


def test_one_worker_serves_in_this_process(start: Any) -> None:
    port = free_port()
    server = start("--workers", "1", "--port", str(port))
    assert wait_until(lambda: listening_sockets(port) == 1, LISTEN_DEADLINE), server.output()
    assert echo(port) == 0x0000
    assert server.served_by() == [server.proc.pid]
    assert server.stop(signal.SIGINT) == 0
