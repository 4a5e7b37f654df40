"""DCMTK's dcmqrscp as a real Query/Retrieve peer, run in the foreground by the tests.

Each run writes its own dcmqrscp.cfg in a temporary directory: one AE title (``DCMQRSCP``)
whose storage area is that directory, open to any calling AE title, and a HostTable naming
the move destinations (AE title -> 127.0.0.1:port). The test files are registered in its
index with ``dcmqridx`` (dcmqrscp then reads them where they are), and dcmqrscp listens on
a port the kernel just freed, since it cannot bind port 0 and tell. It answers C-FIND,
C-MOVE and C-GET (Patient and Study Root) and keeps DCMTK's hierarchical rules: a query
below the top level names the unique keys of the levels above it.

Debian 12's dcmqrscp 3.6.7 crashes (SIGSEGV) after the first association is released in
single-process mode (``-s``), so it runs in its default mode, a child process per
association, in a session of its own: ``stop`` kills the whole process group.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import APP_TIMEOUT, dcmtk, dcmtk_env, free_port, listening, run_dcmtk

DCMQRSCP_AET = "DCMQRSCP"


def config_text(storage: Path, destinations: dict[str, tuple[str, int]]) -> str:
    """A dcmqrscp.cfg: AE ``DCMQRSCP`` on ``storage``; ``destinations`` in its HostTable."""
    hosts = "\n".join(
        f"{aet.lower()} = ({aet}, {host}, {port})" for aet, (host, port) in destinations.items()
    )
    return (
        "NetworkTCPPort = 104\n"
        "MaxPDUSize = 16384\n"
        "MaxAssociations = 16\n"
        "\n"
        "HostTable BEGIN\n"
        f"{hosts}\n"
        "HostTable END\n"
        "\n"
        "VendorTable BEGIN\n"
        "VendorTable END\n"
        "\n"
        "AETable BEGIN\n"
        f"{DCMQRSCP_AET} {storage} RW (200, 1024mb) ANY\n"
        "AETable END\n"
    )


@dataclass
class Dcmqrscp:
    """A running dcmqrscp of the tests' own (the leader of its process group)."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    aet: str = DCMQRSCP_AET

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Kill dcmqrscp and the children serving associations."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(APP_TIMEOUT)


def index(storage: Path, files: Iterable[Path]) -> None:
    """Register ``files`` in the index of the storage area ``storage`` (dcmqridx)."""
    result = run_dcmtk("dcmqridx", str(storage), *(str(path) for path in files))
    if result.returncode != 0:
        raise RuntimeError(f"dcmqridx failed:\n{result.stdout}")


def start_dcmqrscp(
    directory: Path, files: Iterable[Path], destinations: dict[str, tuple[str, int]]
) -> Dcmqrscp:
    """Index ``files`` and start dcmqrscp on a free port; returns once it listens."""
    storage = directory / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    index(storage, files)
    config = directory / "dcmqrscp.cfg"
    config.write_text(config_text(storage, destinations))
    log = directory / "dcmqrscp.log"
    for _ in range(5):
        port = free_port()
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [dcmtk("dcmqrscp"), "-v", "-c", str(config), str(port)],
                cwd=directory,
                env=dcmtk_env(),
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Dcmqrscp(process, port, log)
        if listening(process, port):
            return server
        server.stop()  # most likely a port taken meanwhile: try another
    pytest.fail(f"dcmqrscp did not listen:\n{server.log_tail()}")
