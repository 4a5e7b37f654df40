"""The processes of the storage benchmark (benches/run_store_bench.py): the receiving
servers, the senders, and the floor's plain-socket sender and receiver.

Run as ``python benches/store_bench_procs.py floor-recv OUT PORT FSYNC`` or ``floor-send
PORT DIR``: the floor's two ends, each in its own process.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

# The script's folder is on sys.path (run as a script, or imported by one beside it).
from pingpong import recv_exactly

HOST = "127.0.0.1"
THIS = Path(__file__).resolve()
DCMTK_ENV = {**os.environ, "TCP_NODELAY": "1"}
READY_TIMEOUT = 60.0
RUN_TIMEOUT = 1800.0
POLL_SECONDS = 0.01
MB = 1024 * 1024
# Processes of our storescp --workers in the "ours-workers" case.
WORKERS = 2


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def walk_files(root: Path) -> list[Path]:
    return [Path(d) / name for d, _, names in os.walk(root) for name in names]


# --- servers --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """A receiving process of one kind, started fresh for each run."""

    def __init__(self, kind: str, out: Path, log: Path) -> None:
        self.kind, self.out, self.log = kind, out, log
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError("server not started")
        return self.proc.pid

    def command(self) -> list[str]:
        port, out = str(self.port), str(self.out)
        scp_args = [port, "-od", out, "-ba", HOST]
        ours = [sys.executable, "-m", "fastdimse", "storescp", *scp_args]
        return {
            "ours": ours,
            "ours-fsync": [*ours, "--fsync"],
            "ours-workers": [*ours, "--workers", str(WORKERS)],
            "ours-workers-fsync": [*ours, "--workers", str(WORKERS), "--fsync"],
            "pynetdicom": [sys.executable, "-m", "pynetdicom", "storescp", *scp_args],
            "dcmtk": ["storescp", "-od", out, port],
            "dcmtk-fork": ["storescp", "--fork", "-od", out, port],
            # -v: one "Received Store Request" line per instance, counted afterwards
            "dcmtk-ignore": ["storescp", "--ignore", "-v", port],
            "floor": [sys.executable, str(THIS), "floor-recv", out, port, "0"],
            "floor-fsync": [sys.executable, str(THIS), "floor-recv", out, port, "1"],
        }[self.kind]

    def start(self) -> None:
        self.port = free_port()
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                self.command(),
                env=DCMTK_ENV,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_ready()

    def wait_ready(self) -> None:
        """Until the server answers: a C-ECHO for DICOM servers (an app may listen
        before its library is imported), a connection for the floor (or when
        DCMTK's echoscu is missing)."""
        proc = self.proc
        if proc is None:
            raise RuntimeError("server not started")
        end = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < end:
            if proc.poll() is not None:
                raise SystemExit(f"{self.kind} server exited early:\n{tail(self.log)}")
            if self.kind.startswith("floor") or not shutil.which("echoscu"):
                try:
                    with socket.create_connection((HOST, self.port), timeout=1):
                        return
                except OSError:
                    pass
            else:
                echo = subprocess.run(
                    ["echoscu", "-to", "5", HOST, str(self.port)],
                    env=DCMTK_ENV,
                    capture_output=True,
                )
                if echo.returncode == 0 and self.all_workers_listen():
                    return
            time.sleep(0.05)
        raise SystemExit(f"{self.kind} server did not become ready:\n{tail(self.log)}")

    def all_workers_listen(self) -> bool:
        """With --workers, every worker's socket listens: a run that started while one did
        not would give all the early connections to the others."""
        return not self.kind.startswith("ours-workers") or listening_sockets(self.port) == WORKERS

    def rss_kib(self) -> int:
        return proc_status_kib(self.pid, "VmRSS")

    def hwm_kib(self) -> int:
        return proc_status_kib(self.pid, "VmHWM")

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def received(self, out: Path) -> int:
        if self.kind == "dcmtk-ignore":
            text = self.log.read_text(errors="replace")
            return text.count("Received Store Request")
        return len(walk_files(out))


def listening_sockets(port: int) -> int:
    """Sockets listening on ``port`` (Linux: from the kernel's table)."""
    wanted = f":{port:04X}"
    rows = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    return sum(1 for row in rows if row[1].endswith(wanted) and row[3] == "0A")


def proc_status_kib(pid: int, name: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(name + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return found


class RssPoller:
    """VmRSS of a process (and VmHWM of its children) every 10 ms, on a thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.max_rss = 0
        self.max_child_hwm = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.max_rss = max(self.max_rss, proc_status_kib(self.pid, "VmRSS"))
            for child in children(self.pid):
                self.max_child_hwm = max(self.max_child_hwm, proc_status_kib(child, "VmHWM"))
            self._stop.wait(POLL_SECONDS)


# --- senders --------------------------------------------------------------------------


def sender_command(kind: str, port: int, source: Path) -> list[str]:
    port_s, path, py = str(port), str(source), [sys.executable, "-m"]
    return {
        "ours": [*py, "fastdimse", "storescu", HOST, port_s, path],
        # -td 5: a response lost to pynetdicom's race costs 5 s, not 30
        "pynetdicom": [*py, "pynetdicom", "storescu", "-td", "5", HOST, port_s, path],
        # -ta: with a non-forking storescp the 8 concurrent senders wait their turn
        "dcmtk": ["storescu", "-ta", "600", "+sd", HOST, port_s, path],
        "floor": [sys.executable, str(THIS), "floor-send", port_s, path],
    }[kind]


def send(
    kind: str,
    port: int,
    sources: list[Path],
    log_path: Path,
    progress: Callable[[float], None] | None = None,
) -> float:
    """Seconds from the first sender's start to the last one's exit.

    `progress(seconds so far)` is called about once a second while they run."""
    with log_path.open("wb") as log:
        start = time.perf_counter()
        procs = [
            subprocess.Popen(
                sender_command(kind, port, source),
                env=DCMTK_ENV,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            for source in sources
        ]
        elapsed = wait_all(procs, start, progress)
        codes = [proc.returncode for proc in procs]
    if any(codes):
        raise SystemExit(f"{kind} sender exit codes {codes}:\n{tail(log_path)}")
    return elapsed


def wait_all(
    procs: list[subprocess.Popen[bytes]], start: float, progress: Callable[[float], None] | None
) -> float:
    """Wait for every process; the seconds from `start` to the last exit.

    pidfds wake us at the exit itself (Popen.wait(timeout) polls with sleeps
    of up to 50 ms, too coarse for runs of a fraction of a second)."""
    pidfds = {os.pidfd_open(proc.pid): proc for proc in procs}
    try:
        while pidfds:
            ready, _, _ = select.select(list(pidfds), [], [], 1.0)
            now = time.perf_counter()
            for fd in ready:
                pidfds.pop(fd).wait()
                os.close(fd)
            if not ready:
                if now - start > RUN_TIMEOUT:
                    for proc in pidfds.values():
                        proc.kill()
                    raise SystemExit(f"senders still running after {RUN_TIMEOUT} s")
                if progress:
                    progress(now - start)
        return now - start
    finally:
        for fd in pidfds:
            os.close(fd)


# --- worker processes: the floor --------------------------------------------------------


def worker(argv: list[str]) -> None:
    kind, rest = argv[0], argv[1:]
    if kind == "floor-recv":
        floor_receive(Path(rest[0]), int(rest[1]), rest[2] == "1")
    elif kind == "floor-send":
        floor_send(int(rest[0]), Path(rest[1]))
    else:
        raise SystemExit(f"unknown worker {kind}")


def floor_receive(out: Path, port: int, fsync: bool) -> None:
    """Accept connections; write each length-prefixed instance to its own file, answer 1 byte."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, port))
        listener.listen(16)
        counter = iter(range(1 << 62))
        lock = threading.Lock()

        def serve(conn: socket.socket) -> None:
            with conn:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                buf = bytearray(MB)
                view = memoryview(buf)
                header = bytearray(8)
                while recv_exactly(conn, header):
                    size = int.from_bytes(header, "little")
                    with lock:
                        index = next(counter)
                    path = out / f"{index:07d}.dcm"
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                    try:
                        left = size
                        while left:
                            n = conn.recv_into(view[: min(left, MB)])
                            if n == 0:
                                return
                            os.write(fd, view[:n])
                            left -= n
                        if fsync:
                            os.fsync(fd)
                    finally:
                        os.close(fd)
                    if fsync:
                        dir_fd = os.open(out, os.O_RDONLY)
                        try:
                            os.fsync(dir_fd)
                        finally:
                            os.close(dir_fd)
                    conn.sendall(b"\x00")

        while True:
            conn, _ = listener.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()


def floor_send(port: int, source: Path) -> None:
    files = sorted(p for p in source.iterdir() if p.is_file())
    with socket.create_connection((HOST, port)) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        ack = bytearray(1)
        for path in files:
            with path.open("rb") as f:
                size = os.fstat(f.fileno()).st_size
                conn.sendall(size.to_bytes(8, "little"))
                sent = 0
                while sent < size:
                    sent += os.sendfile(conn.fileno(), f.fileno(), sent, size - sent)
            if not recv_exactly(conn, ack):
                raise SystemExit("floor receiver closed the connection")


if __name__ == "__main__":
    worker(sys.argv[1:])
