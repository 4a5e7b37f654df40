"""A throwaway PostgreSQL server for the archive's tests and benchmarks.

``PostgresServer`` runs one cluster in a fresh temporary directory: initdb, then pg_ctl start
on 127.0.0.1 at a free port (its unix socket inside that directory too), trust authentication,
one database; ``stop()`` (or leaving the ``with`` block) shuts it down and removes the directory.
The programs come from the installed Debian package postgresql-NN (``dpkg -L``), never a fixed
path. PostgreSQL refuses to run as root, so under root (CI) every program runs as the
unprivileged account ``postgres`` (made by the package) or, lacking it, ``nobody``.

The session fixture ``postgres_url`` (registered for every test by tests/conftest.py) yields
the URL of one such server; without PostgreSQL it is a missing peer (skipped, failed under CI).
Benchmarks put tests/ on sys.path and use ``PostgresServer`` directly.
"""

from __future__ import annotations

import functools
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import pytest

from helpers import LOCALHOST, free_port, missing_peer

# Generous: initdb and the first start on a loaded CI runner; nothing sleeps for it.
START_DEADLINE = 60
STOP_DEADLINE = 30
# Accounts to run the server as under root, in order of preference.
SERVER_ACCOUNTS = ("postgres", "nobody")
# A throwaway cluster needs no durability: fsync off makes commits cheap (a benchmark that
# wants the real cost passes settings={"fsync": "on", ...}).
DEFAULT_SETTINGS: Mapping[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}
# A port taken between free_port() and the server's bind is retried with another.
PORT_ATTEMPTS = 5


class PostgresNotInstalled(RuntimeError):
    """No Debian postgresql-NN package is installed (scripts/setup.sh installs one)."""


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """``postgresql+psycopg://USER@127.0.0.1:PORT/DB`` of a server for the whole session."""
    require_postgres()
    with PostgresServer() as server:
        yield server.url


def require_postgres() -> None:
    """PostgreSQL is installed, or the test is a missing peer (skipped, failed under CI)."""
    try:
        installed_programs()
    except PostgresNotInstalled as error:
        missing_peer(str(error))


class PostgresServer:
    """One throwaway PostgreSQL cluster; ``start()`` returns its SQLAlchemy URL.

    ``settings`` are server parameters (postgresql.conf) over ``DEFAULT_SETTINGS``.
    Raises ``PostgresNotInstalled`` at construction when there is no server to run.
    """

    role = "fastdimse"  # the cluster's superuser, the URL's user (trust: no password)

    def __init__(
        self, *, database: str = "fastdimse", settings: Mapping[str, str] | None = None
    ) -> None:
        self.programs = installed_programs()
        self.database = database
        self.settings = {**DEFAULT_SETTINGS, **(settings or {})}
        self.account = server_account()
        self.host = LOCALHOST
        self.port = 0
        self.directory: Path | None = None

    @property
    def url(self) -> str:
        if self.directory is None:
            raise RuntimeError("the PostgreSQL server is not running")
        return f"postgresql+psycopg://{self.role}@{self.host}:{self.port}/{self.database}"

    def start(self) -> str:
        """initdb, start and create the database; on any failure nothing is left behind."""
        if self.directory is not None:
            raise RuntimeError("the PostgreSQL server is already running")
        self.directory = Path(tempfile.mkdtemp(prefix="fastdimse-pg-"))
        try:
            if self.account is not None:
                os.chown(self.directory, self.account.uid, self.account.gid)
            self._init_cluster()
            self._start_on_free_port()
            self._run(
                "createdb",
                ["-h", self.host, "-p", str(self.port), "-U", self.role, self.database],
            )
        except BaseException:
            self.stop()
            raise
        return self.url

    def stop(self) -> None:
        """Shut the server down (fast, else immediate) and remove its directory."""
        directory = self.directory
        if directory is None:
            return
        try:
            if (directory / "data" / "postmaster.pid").exists():
                self._shut_down(directory / "data")
        finally:
            self.directory = None
            shutil.rmtree(directory, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the steps ------------------------------------------------------------------------

    def _init_cluster(self) -> None:
        data = self._path("data")
        # Locale C: text compares and LIKEs byte by byte, as SQLite's do (the differential
        # tests compare the two); no sync: the cluster is thrown away.
        init = ["-D", str(data), f"--username={self.role}", "--auth=trust", "--encoding=UTF8"]
        self._run("initdb", [*init, "--locale=C", "--no-sync", "--no-instructions"])
        settings = {
            **self.settings,
            "listen_addresses": self.host,
            "unix_socket_directories": str(self._path()),
        }
        with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            for name, value in settings.items():
                conf.write(f"{name} = '{_quoted(value)}'\n")

    def _start_on_free_port(self) -> None:
        log = self._path("server.log")
        for _ in range(PORT_ATTEMPTS):
            self.port = free_port(self.host)
            logged = len(_read(log))  # pg_ctl appends: this attempt's lines follow
            start = ["start", "-w", "-t", str(START_DEADLINE), "-D", str(self._path("data"))]
            # The port goes on the command line, where a retry replaces it.
            start += ["-l", str(log), "-o", f"-p {self.port}"]
            try:
                self._run("pg_ctl", start)
                return
            except RuntimeError:
                if "could not bind" not in _read(log)[logged:]:
                    raise
        raise RuntimeError(f"PostgreSQL found no free port in {PORT_ATTEMPTS} attempts")

    def _shut_down(self, data: Path) -> None:
        try:
            self._run("pg_ctl", ["stop", "-D", str(data), "-m", "fast", "-t", str(STOP_DEADLINE)])
        except RuntimeError:
            # A session still busy past the deadline: abort it rather than leave a server.
            self._run("pg_ctl", ["stop", "-D", str(data), "-m", "immediate"])

    # -- helpers ----------------------------------------------------------------------------

    def _path(self, *parts: str) -> Path:
        if self.directory is None:
            raise RuntimeError("the PostgreSQL server has no directory")
        return self.directory.joinpath(*parts)

    def _run(self, program: str, args: list[str]) -> None:
        """Run one of the package's programs as the server's account; its output on failure."""
        argv = [str(self.programs / program), *args]
        if self.account is not None:
            argv = ["runuser", "-u", self.account.name, "--", *argv]
        # No PG* variable of the caller's may redirect the tools; LC_ALL=C: messages in
        # English (the bind failure is recognised by its text) whatever locales exist.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")} | {"LC_ALL": "C"}
        done = subprocess.run(
            argv,
            cwd=self._path(),  # the account may not enter the caller's directory
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=START_DEADLINE + STOP_DEADLINE,
            check=False,
        )
        if done.returncode != 0:
            log = _read(self._path("server.log"))
            raise RuntimeError(
                f"{program} {' '.join(args)} exited with {done.returncode}:\n"
                f"{done.stdout}{done.stderr}" + (f"server log:\n{log}" if log else "")
            )


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int


def server_account() -> Account | None:
    """Whom the server runs as: None (the caller) unless root, which PostgreSQL refuses."""
    if os.geteuid() != 0:
        return None
    for name in SERVER_ACCOUNTS:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return Account(name, entry.pw_uid, entry.pw_gid)
    raise RuntimeError(f"no unprivileged account to run PostgreSQL as: {SERVER_ACCOUNTS}")


@functools.cache
def installed_programs() -> Path:
    """The bin directory of the newest installed postgresql-NN package (where its initdb is)."""
    for package in _installed_packages():
        listed = subprocess.run(
            ["dpkg", "-L", package], capture_output=True, text=True, check=False
        ).stdout.splitlines()
        for path in listed:
            if path.endswith("/bin/initdb"):
                return Path(path).parent
    raise PostgresNotInstalled(
        "PostgreSQL is not installed: no Debian postgresql-NN package with an initdb "
        "(scripts/setup.sh installs Debian's postgresql)"
    )


_SERVER_PACKAGE = re.compile(r"postgresql-(\d+(?:\.\d+)?)")


def _installed_packages() -> list[str]:
    """The installed postgresql-NN packages, newest first (the extensions'
    postgresql-NN-* packages and those only known to dpkg are left out)."""
    if shutil.which("dpkg-query") is None:
        return []
    listed = subprocess.run(
        ["dpkg-query", "-W", "-f", "${db:Status-Abbrev} ${Package}\n", "postgresql-[0-9]*"],
        capture_output=True,
        text=True,
        check=False,  # 1 when nothing matches
    ).stdout
    versions: dict[str, tuple[int, ...]] = {}
    for line in listed.splitlines():
        status, _, package = line.strip().partition(" ")
        matched = _SERVER_PACKAGE.fullmatch(package.strip())
        if status.startswith("ii") and matched:
            versions[package.strip()] = tuple(int(n) for n in matched[1].split("."))
    return sorted(versions, key=versions.__getitem__, reverse=True)


def _quoted(value: str) -> str:
    """A value for a single-quoted postgresql.conf string."""
    return value.replace("\\", "\\\\").replace("'", "''")


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""
