"""Fixtures shared by every test file, built on tests/helpers.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from helpers import LOCALHOST, Server, start_server

# tests/test_helpers.py runs pytest on small test files of its own; the store apps' tests
# share the fixtures of tests/apps_store_support.py, the hostile peers' tests those of
# tests/hostile_peers_support.py; the archive's tests use the PostgreSQL server of
# tests/postgres_server.py, the databases of tests/archive_support.py and the MPPS SCP
# of tests/mpps_support.py.
pytest_plugins = [
    "pytester",
    "apps_store_support",
    "archive_support",
    "hostile_peers_support",
    "mpps_support",
    "postgres_server",
]


@pytest.fixture
def subprocess_servers(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """``start(argv, name=..., host=..., cwd=..., env=...)``: a server subprocess on a free
    port (``helpers.PORT`` in ``argv`` stands for it), its output in
    tmp_path/server-logs/<name>-<n>.log; each is killed at the end, whatever the outcome."""
    started: list[Server] = []

    def start(
        argv: Sequence[str],
        *,
        name: str = "server",
        host: str = LOCALHOST,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> Server:
        logs = tmp_path / "server-logs"  # a folder: tests that list tmp_path see no log file
        logs.mkdir(exist_ok=True)
        log = logs / f"{name}-{len(started)}.log"
        server = start_server(argv, log, host=host, cwd=cwd, env=env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()
