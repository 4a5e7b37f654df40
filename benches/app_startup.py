"""How soon a freshly started echoscp listens, and answers: ours next to pynetdicom 3.0.4's.

Run: ``python benches/app_startup.py [--runs 10]`` (about 20 seconds).

For each run a new process is started (``python -m fastdimse echoscp PORT`` or
``python -m pynetdicom echoscp PORT``) and two times are taken from just before the process is
spawned:

- *listen*: when the kernel's socket table shows the port in LISTEN state (read from
  /proc/net/tcp, so no probe connection reaches the server);
- *answer*: when an A-ASSOCIATE-RQ for Verification, sent as soon as the port listens, gets
  its first response byte (the library is imported and the server is serving).

pynetdicom's own app tests connect 0.5 s after starting the server; the medians are printed
with that budget next to them.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from fastdimse._core import (
    Abort,
    AssociateRq,
    ImplementationClassUid,
    MaximumLength,
    PresentationContextRq,
)

BUDGET = 0.5  # seconds: when pynetdicom's app tests first connect
DEADLINE = 20.0
POLL = 0.001
VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"

SERVERS = {
    "fastdimse": [sys.executable, "-m", "fastdimse", "echoscp"],
    "pynetdicom": [sys.executable, "-m", "pynetdicom", "echoscp"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="processes started per server")
    parser.add_argument("--only", choices=sorted(SERVERS), help="measure one server only")
    args = parser.parse_args()

    names = [args.only] if args.only else list(SERVERS)
    results: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in names}
    for _ in range(args.runs):
        # Interleaved, so that a busy moment on the machine hurts both alike.
        for name in names:
            listen, answer = measure(SERVERS[name])
            results[name][0].append(listen)
            results[name][1].append(answer)

    print(f"echoscp start-up, {args.runs} runs each, medians (min-max), budget {BUDGET:.2f} s")
    for name, (listens, answers) in results.items():
        print(
            f"  {name:<10}  listen {_fmt(listens)}   first answer {_fmt(answers)}"
            f"   listening within budget: {sum(t <= BUDGET for t in listens)}/{len(listens)}"
        )


def measure(command: list[str]) -> tuple[float, float]:
    """Start one server; return (seconds to listen, seconds to the first answer)."""
    port = _free_port()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*command, str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while not _listening(port):
            if proc.poll() is not None:
                raise RuntimeError(f"{command} exited with {proc.returncode}")
            if time.perf_counter() - start > DEADLINE:
                raise RuntimeError(f"{command} not listening after {DEADLINE} s")
            time.sleep(POLL)
        listen = time.perf_counter() - start
        with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as conn:
            conn.sendall(_associate_rq())
            if not conn.recv(1):
                raise RuntimeError(f"{command} closed the connection without answering")
            answer = time.perf_counter() - start
            conn.sendall(Abort(0, 0).encode())
        return listen, answer
    finally:
        proc.kill()
        proc.wait()


def _associate_rq() -> bytes:
    context = PresentationContextRq(1, VERIFICATION, [IMPLICIT_VR_LITTLE_ENDIAN])
    user_info: list[MaximumLength | ImplementationClassUid] = [
        MaximumLength(16382),
        ImplementationClassUid("1.2.826.0.1.3680043.10.1"),
    ]
    return AssociateRq("ECHOSCP", "BENCH", [context], user_info).encode()


def _listening(port: int) -> bool:
    wanted = f":{port:04X}"
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        if table.exists():
            for line in table.read_text().splitlines()[1:]:
                fields = line.split()
                if fields[1].endswith(wanted) and fields[3] == "0A":  # 0A: LISTEN
                    return True
    return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _fmt(times: list[float]) -> str:
    return f"{statistics.median(times):.3f} s ({min(times):.3f}-{max(times):.3f})"


if __name__ == "__main__":
    main()
