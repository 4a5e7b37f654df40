"""Our ``qrscp`` app as a subprocess, and the peers around it in the archive interop tests.

``start_qrscp`` writes a configuration file in pynetdicom's format (its [DEFAULT] section and
one section per C-MOVE destination), starts ``python -m fastdimse qrscp`` on a free port with
the very ``fastdimse`` package the tests import (the subprocess gets its directory on
PYTHONPATH: a worktree runs its own code), and returns once it listens. ``postgres_database``
makes a database of its own in the session's PostgreSQL server, so that no other test's index
tables are seen. ``start_storescp`` runs DCMTK's storescp for a whole module, as a move
destination whose directory a test empties before use.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import fastdimse
from helpers import DEADLINE, LOCALHOST, PORT, Server, dcmtk, dcmtk_env, start_server

QRSCP_AET = "FDARCHIVE"
STORESCP_AET = "DCMSTORESCP"


@dataclass
class Qrscp:
    """A running ``python -m fastdimse qrscp`` of the tests' own."""

    server: Server
    instances: Path
    database: str
    aet: str = QRSCP_AET

    @property
    def port(self) -> int:
        return self.server.port

    def log_tail(self) -> str:
        return self.server.output()[-4000:]

    def stop(self) -> None:
        self.server.kill()


def config_text(
    instances: Path, database: str, destinations: dict[str, tuple[str, int]], aet: str
) -> str:
    """A qrscp configuration in pynetdicom's ini format (the port comes from --port)."""
    timeout = int(2 * DEADLINE)
    lines = [
        "[DEFAULT]",
        f"ae_title = {aet}",
        "max_pdu = 16382",
        f"acse_timeout = {timeout}",
        f"dimse_timeout = {timeout}",
        f"network_timeout = {timeout}",
        f"bind_address = {LOCALHOST}",
        f"instance_location = {instances}",
        f"database_location = {database}",
    ]
    for title, (address, port) in destinations.items():
        lines += ["", f"[{title}]", f"address = {address}", f"port = {port}"]
    return "\n".join(lines) + "\n"


def start_qrscp(
    directory: Path,
    destinations: dict[str, tuple[str, int]],
    *,
    database: str | None = None,
    aet: str = QRSCP_AET,
) -> Qrscp:
    """Start our qrscp with its instances and (by default) its SQLite index in ``directory``.

    The configuration file names the SQLite file; a ``database`` URL is given with
    --database-location instead, which overrides it (both ways are pynetdicom's).
    """
    directory.mkdir(parents=True, exist_ok=True)
    instances = directory / "instances"
    sqlite = str(directory / "index.sqlite")
    config = directory / "qrscp.ini"
    config.write_text(config_text(instances, sqlite, destinations, aet))
    argv = [sys.executable, "-m", "fastdimse", "qrscp", "-v", "-c", str(config), "--port", PORT]
    if database is not None:
        argv += ["--database-location", database]
    server = start_server(argv, directory / "qrscp.log", cwd=directory, env=_own_code_env())
    return Qrscp(server, instances, database or sqlite, aet)


def _own_code_env() -> dict[str, str]:
    """The environment with the directory of the imported ``fastdimse`` first on PYTHONPATH."""
    package_parent = str(Path(fastdimse.__file__).resolve().parent.parent)
    inherited = os.environ.get("PYTHONPATH", "")
    path = os.pathsep.join(p for p in (package_parent, inherited) if p)
    return {**os.environ, "PYTHONPATH": path}


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A fresh database in the server of ``server_url`` (the ``postgres_url`` fixture's), as
    a plain ``postgresql://`` URL (qrscp picks the driver); dropped at the end."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"archive_interop_{secrets.token_hex(4)}"
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(server_url).set(drivername="postgresql", database=name)
            yield url.render_as_string(hide_password=False)
        finally:
            with engine.connect() as connection:
                # FORCE: a killed qrscp's sessions may outlive it a moment (PostgreSQL 13+).
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


@dataclass
class Storescp:
    """DCMTK's storescp on a free port, writing what it receives into ``directory``."""

    server: Server
    directory: Path
    aet: str = STORESCP_AET

    @property
    def address(self) -> tuple[str, int]:
        return (LOCALHOST, self.server.port)

    def emptied(self) -> Path:
        """The directory, emptied (what a test then finds there, it received)."""
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir()
        return self.directory

    def received(self) -> list[Path]:
        return sorted(path for path in self.directory.iterdir() if path.is_file())

    def log_tail(self) -> str:
        return self.server.output()[-4000:]

    def stop(self) -> None:
        self.server.kill()


def start_storescp(directory: Path) -> Storescp:
    """DCMTK's storescp titled STORESCP_AET, files into ``directory/received``."""
    received = directory / "received"
    received.mkdir(parents=True, exist_ok=True)
    argv = [dcmtk("storescp"), "-aet", STORESCP_AET, "-od", str(received), PORT]
    server = start_server(argv, directory / "storescp.log", env=dcmtk_env())
    return Storescp(server, received)
