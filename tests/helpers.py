"""What the test files share: waits, ports, subprocess servers, and the real peers.

Imported as ``helpers`` (pytest puts tests/ on sys.path, as for ``hostile_peer``);
tests/conftest.py builds its fixtures on these functions. Every wait polls with a
deadline (no fixed sleep), and every server binds a port the kernel just handed out.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO, NoReturn

import pytest

LOCALHOST = "127.0.0.1"
# A host name that never resolves (RFC 6761 reserves .invalid).
UNRESOLVABLE_HOST = "nosuchhost.invalid"
# Generous: the machine is shared and CI runners are slow; nothing here sleeps for it.
DEADLINE = 15.0
LISTEN_DEADLINE = 20.0
APP_TIMEOUT = 90.0
# How often a poll looks again: the pause between two looks, not a synchronisation sleep.
POLL_INTERVAL = 0.005


def wait_until(predicate: Callable[[], Any], timeout: float = DEADLINE) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` passes; its last value."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(POLL_INTERVAL)
    return bool(predicate())


def free_port(host: str = LOCALHOST) -> int:
    """A TCP port the kernel just handed out and released (for servers that cannot bind 0)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def port_accepts(port: int, host: str = LOCALHOST) -> bool:
    """A connection to ``host:port`` succeeds (the connection is closed at once)."""
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        return False
    return True


def is_listening(port: int, host: str = LOCALHOST) -> bool:
    """Something listens on ``port``.

    On Linux the kernel's socket tables are read, so that no probe connection shows up in
    the server's log (and a server serving one peer at a time is not kept busy); elsewhere
    a connection is attempted.
    """
    if not Path("/proc/net/tcp").exists():
        return port_accepts(port, host)
    return listening_sockets(port) > 0


def listening_sockets(port: int) -> int:
    """How many sockets listen on ``port`` (Linux: the kernel's tables; with SO_REUSEPORT,
    one per process of a ``ProcessServer``)."""
    wanted = f":{port:04X}"
    count = 0
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            # fields[1] is the local "ADDR:PORT" in hex, fields[3] the state (0A: LISTEN).
            if fields[1].endswith(wanted) and fields[3] == "0A":
                count += 1
    return count


def process_gone(pid: int) -> bool:
    """Process ``pid`` has exited: it no longer exists, or is a zombie not yet reaped (an
    orphan whose new parent, in a container, may never reap it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        # "pid (comm) state ...": the state follows the last parenthesis.
        return stat.read_text().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return True  # reaped meanwhile


def listening(proc: subprocess.Popen[Any], port: int, host: str = LOCALHOST) -> bool:
    """Wait until ``proc`` listens on ``port`` (True) or exits, e.g. on a port clash (False)."""
    wait_until(lambda: proc.poll() is not None or is_listening(port, host), LISTEN_DEADLINE)
    return proc.poll() is None and is_listening(port, host)


# -- memory ----------------------------------------------------------------------------------

MB = 1024 * 1024


def peak_rss() -> int:
    """This process's peak resident set size in bytes (ru_maxrss: KiB on Linux, bytes on
    macOS). A high-water mark: compare it only within a fresh process (run_in_fresh_interpreter),
    where no earlier test's peak can hide a scenario's growth."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def run_in_fresh_interpreter(script: str | Path, *args: str, timeout: float = 600) -> None:
    """Run ``python script args`` in a new process: one measurement of memory each, in a process
    that ran nothing else. The script's failure (its last stderr lines) fails the test."""
    result = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]


# -- subprocesses ---------------------------------------------------------------------------


def run(
    cmd: list[str],
    env: dict[str, str] | None = None,
    timeout: float = APP_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` to completion; stdout and stderr apart."""
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, check=False, env=env
    )


def app_cmd(app: str, *args: str) -> list[str]:
    """Our app as a command: ``python -m fastdimse <app> <args>``."""
    return [sys.executable, "-m", "fastdimse", app, *args]


def run_app(app: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run our app to completion."""
    return run(app_cmd(app, *args))


def run_on_terminal(cmd: list[str], *, cwd: Path | None = None) -> tuple[int, str]:
    """Run ``cmd`` with its stderr on a pseudo-terminal (where the apps draw progress
    bars), to completion; its exit status and everything it wrote there."""
    master, slave = os.openpty()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=slave, cwd=cwd)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the last writer closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return proc.wait(APP_TIMEOUT), b"".join(chunks).decode()


class Server:
    """A server subprocess whose output goes to a file (no pipe to fill up)."""

    def __init__(
        self,
        cmd: list[str],
        port: int,
        log: Path,
        *,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = port
        self.log = log
        self._out = log.open("wb")
        self.proc = subprocess.Popen(
            cmd, stdout=self._out, stderr=subprocess.STDOUT, cwd=cwd, env=env
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Send ``sig`` and wait for the exit; the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(APP_TIMEOUT)
        finally:
            self._out.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(APP_TIMEOUT)
        self._out.close()


# Stands for the port in a server's command line (see start_server).
PORT = "{port}"


def start_server(
    argv: Sequence[str],
    log: Path,
    *,
    host: str = LOCALHOST,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    attempts: int = 5,
) -> Server:
    """Start ``argv`` with ``PORT`` replaced by a free port, and wait until it listens.

    The port is one the kernel just freed; on the rare clash (the server exits at once)
    another is tried. Fails the test when the server never listens.
    """
    for _ in range(attempts):
        port = free_port(host)
        cmd = [str(port) if arg == PORT else arg for arg in argv]
        server = Server(cmd, port, log, cwd=cwd, env=env)
        if listening(server.proc, port, host):
            return server
        clash = server.proc.poll() is not None  # exited: perhaps the port was taken again
        server.kill()
        if not clash:
            break
    pytest.fail(f"{list(argv)!r} did not listen; its output:\n{log.read_text(errors='replace')}")


# -- peers ---------------------------------------------------------------------------------

# Set to 1, missing peers fail their tests instead of skipping them (CI does so by CI=true).
REQUIRE_PEERS = "FASTDIMSE_REQUIRE_PEERS"


def peers_required() -> bool:
    """The real peers (DCMTK, Orthanc, pynetdicom, openssl) must be there: under CI (the
    variable CI set, as CI runs ``CI=true bash .ci/run``; not "", "0" or "false") or with
    FASTDIMSE_REQUIRE_PEERS=1. A green run must not hide interop tests that never ran."""
    ci = os.environ.get("CI", "").strip().lower()
    return ci not in ("", "0", "false") or os.environ.get(REQUIRE_PEERS, "").strip() == "1"


def missing_peer(reason: str) -> NoReturn:
    """A peer the test needs is missing: fail where peers are required, else skip.

    Works at module level too (a skipped module; a collection error where required).
    """
    if peers_required():
        pytest.fail(f"{reason} (peers are required: CI or {REQUIRE_PEERS}=1 is set)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_module(name: str) -> ModuleType:
    """``import name`` (pynetdicom as a peer); missing, it is a missing peer."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        missing_peer(f"cannot import {name}: {error}")


def pynetdicom_app(app: str, *args: str) -> list[str]:
    """pynetdicom's app as a command, with the tests' own interpreter: never a console
    script that PATH happens to find first."""
    require_module("pynetdicom")
    return [sys.executable, "-m", "pynetdicom", app, *args]


# -- DCMTK ----------------------------------------------------------------------------------


def dcmtk_env() -> dict[str, str]:
    """The environment for DCMTK's tools: Debian's DCMTK writes each PDU in two calls, and
    without TCP_NODELAY every message waits for a delayed ACK (about 40 ms)."""
    return {**os.environ, "TCP_NODELAY": "1"}


# Looked in after PATH: where Debian and a source build put DCMTK.
DCMTK_FALLBACK_DIRS = ("/usr/bin", "/usr/local/bin")
# The first line of every DCMTK tool's --version: "$dcmtk: echoscu v3.6.7 2022-04-22 $".
_DCMTK_BANNER = re.compile(r"^\$dcmtk: (?P<tool>\S+) v\d", re.MULTILINE)


def find_dcmtk(name: str) -> str | None:
    """The path of DCMTK's tool ``name``, found by what it is, not by its name alone.

    Other programs share DCMTK's tool names (pynetdicom installs echoscu, storescu and
    storescp console scripts, first on PATH in an activated virtualenv): the first
    executable called ``name`` in PATH, then in DCMTK_FALLBACK_DIRS, whose --version names
    it as DCMTK's. Looked up once per tool and PATH in a session. None when there is none.
    """
    return _find_dcmtk(name, os.environ.get("PATH", os.defpath))


@functools.cache
def _find_dcmtk(name: str, search_path: str) -> str | None:
    seen: set[str] = set()
    for directory in [*search_path.split(os.pathsep), *DCMTK_FALLBACK_DIRS]:
        candidate = os.path.join(directory, name)
        if not directory or not os.path.isfile(candidate) or not os.access(candidate, os.X_OK):
            continue
        real = os.path.realpath(candidate)
        if real not in seen:
            seen.add(real)
            if is_dcmtk(candidate, name):
                return candidate
    return None


def is_dcmtk(path: str, name: str) -> bool:
    """``path --version`` announces DCMTK's tool ``name``."""
    try:
        result = subprocess.run(
            [path, "--version"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=DEADLINE,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    banner = _DCMTK_BANNER.search(result.stdout + result.stderr)
    return banner is not None and banner["tool"] == name


def dcmtk(name: str) -> str:
    """The path of DCMTK's tool ``name`` (see find_dcmtk); a missing peer when there is none."""
    path = find_dcmtk(name)
    if path is None:
        missing_peer(f"DCMTK's {name} is not installed (scripts/setup.sh installs Debian's dcmtk)")
    return path


def run_dcmtk(tool: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run a DCMTK tool to completion; stdout and stderr are merged in ``.stdout``."""
    with start_dcmtk(tool, *args) as proc:
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()  # as subprocess.run does
            raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, output)


def start_dcmtk(tool: str, *args: str) -> subprocess.Popen[str]:
    """Start a DCMTK tool (see run_dcmtk) without waiting; stdout and stderr merged."""
    return subprocess.Popen(
        [dcmtk(tool), *args],
        env=dcmtk_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


# -- stored files ---------------------------------------------------------------------------

# Explicit VRs whose length takes 4 bytes after 2 reserved ones (PS3.5 7.1.2); group 0002 is
# always explicit VR little endian.
_LONG_LENGTH_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
)
# (0002,0002) Media Storage SOP Class UID, (0002,0003) its Instance UID, (0002,0010) Transfer
# Syntax UID.
_META_UIDS = (0x0002, 0x0003, 0x0010)
_COMPARE_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileMeta:
    """What a DICOM file's File Meta Information names, and where its data set starts.

    Read here by walking group 0002, not by the library's part10 module: a check of what the
    library stored must not share its reader."""

    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax_uid: str
    data_offset: int


def file_meta(path: Path) -> FileMeta:
    """The File Meta Information of the DICOM file at ``path`` (preamble, "DICM", group 0002)."""
    values: dict[int, str] = {}
    with path.open("rb") as file:
        assert file.read(132)[128:] == b"DICM", f"{path}: no DICM prefix"
        offset = 132
        while (header := file.read(12))[:2] == b"\x02\x00":
            element = int.from_bytes(header[2:4], "little")
            if header[4:6] in _LONG_LENGTH_VRS:
                start, length = offset + 12, int.from_bytes(header[8:12], "little")
            else:
                start, length = offset + 8, int.from_bytes(header[6:8], "little")
            if element in _META_UIDS:
                file.seek(start)
                values[element] = file.read(length).rstrip(b"\0 ").decode("ascii")
            offset = start + length
            file.seek(offset)
    class_uid, instance_uid, syntax = (values.get(element, "") for element in _META_UIDS)
    return FileMeta(class_uid, instance_uid, syntax, offset)


def data_set_bytes(path: Path) -> bytes:
    """The bytes of a DICOM file after its preamble, "DICM" and File Meta Information."""
    with path.open("rb") as file:
        file.seek(file_meta(path).data_offset)
        return file.read()


def assert_stored_as_sent(stored: Path, sent: Path) -> None:
    """``stored`` holds the instance of the file ``sent`` as it travelled: its file meta names
    the same SOP class, instance and transfer syntax, and its data set is the same bytes
    (compared a chunk at a time: fit for large files). A store that lost or changed a byte
    fails this, where a check of the file's name would not."""
    meta = file_meta(sent)
    with sent.open("rb") as data_set:
        data_set.seek(meta.data_offset)
        _assert_stored(stored, meta, data_set, str(sent))


def assert_stored_data_set(
    stored: Path, data_set: bytes, *, sop_class_uid: str, sop_instance_uid: str, syntax: str
) -> None:
    """``stored`` holds the encoded ``data_set`` (as received in memory) behind file meta
    naming ``sop_class_uid``, ``sop_instance_uid`` and the transfer syntax ``syntax``."""
    expected = FileMeta(sop_class_uid, sop_instance_uid, syntax, 0)
    _assert_stored(stored, expected, BytesIO(data_set), "the data set sent")


def _assert_stored(stored: Path, expected: FileMeta, data_set: BinaryIO, sent: str) -> None:
    meta = file_meta(stored)
    got = (meta.sop_class_uid, meta.sop_instance_uid, meta.transfer_syntax_uid)
    want = (expected.sop_class_uid, expected.sop_instance_uid, expected.transfer_syntax_uid)
    assert got == want, f"{stored}: file meta names {got}, {sent} {want}"
    with stored.open("rb") as file:
        file.seek(meta.data_offset)
        position = 0
        while True:
            ours, theirs = file.read(_COMPARE_CHUNK), data_set.read(_COMPARE_CHUNK)
            if ours != theirs:
                shorter = min(len(ours), len(theirs))
                at = next((i for i in range(shorter) if ours[i] != theirs[i]), shorter)
                raise AssertionError(
                    f"{stored}: data set differs from {sent}'s from byte {position + at} on "
                    f"(a chunk of {len(ours)} bytes where {len(theirs)} were sent)"
                )
            if not ours:
                return
            position += len(ours)
