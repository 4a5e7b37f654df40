"""How the core should write a C-STORE data set read from a file to a TCP socket:
``FileDataSetSender.send_to`` (the core preads each chunk's data and sends its PDUs
with one sendmsg of iovecs) against today's Python path (iterate the sender,
``sock.sendall`` each chunk), over loopback TCP to a reader process that only drains
the socket.

The experiment that chose sendmsg also measured, with this script, a plain copy
(headers and data in one buffer, one send), sendfile(2) per PDU (its header sent with
MSG_MORE) and the same under TCP_CORK; their figures are in the commit that removed
them (git log -- benches/sender_write_modes.py).

For each peer maximum PDU, each way sends the same ~0.5 MB data set (the bytes of a
Part-10-like file after its meta information) N times; the CPU time of the sending
thread (user + system, ``getrusage(RUSAGE_THREAD)``), its minor page faults, the wall
time and the reader's CPU time are taken over the N, and the medians of the runs are
printed per instance. The ways take turns within each run, so that a busy neighbour on
a shared machine touches them alike.

    PYTHONPATH=python .venv/bin/python benches/sender_write_modes.py [--n 500] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastdimse import _core

HOST = "127.0.0.1"
DATA_SET_LEN = 524_287  # odd, so that pad_odd_length has its byte to add
# A reader that drains one connection and prints how many bytes it took.
DRAIN = """
import socket, sys
sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
buf = bytearray(1 << 20)
total = 0
while n := sock.recv_into(buf):
    total += n
print(total)
"""


def part10_file(directory: Path) -> tuple[Path, int, int]:
    """A Part-10-like file: preamble, "DICM", a meta group, then a data set of
    DATA_SET_LEN bytes; returns its path and the data set's offset and length."""
    meta = b"\x02\x00\x10\x00UI\x14\x001.2.840.10008.1.2.1\x00" * 4
    path = directory / "instance.dcm"
    path.write_bytes(b"\x00" * 128 + b"DICM" + meta + os.urandom(DATA_SET_LEN))
    return path, 132 + len(meta), DATA_SET_LEN


def command_set() -> bytes:
    """A C-STORE-RQ command set's bytes (their content does not matter here)."""
    return bytes(200)


Send = Callable[[socket.socket, _core.FileDataSetSender], int]


def python_path(sock: socket.socket, sender: _core.FileDataSetSender) -> int:
    sent = 0
    for chunk in sender:
        sock.sendall(chunk)
        sent += len(chunk)
    return sent


def core_path(sock: socket.socket, sender: _core.FileDataSetSender) -> int:
    return sender.send_to(sock.fileno(), sock.gettimeout())


def thread_usage() -> tuple[float, int]:
    """CPU seconds (user + system) and minor page faults of this thread so far."""
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime + usage.ru_stime, usage.ru_minflt


def process_cpu(pid: int) -> float:
    """CPU seconds of a process's threads so far, in nanoseconds' precision
    (the first field of each thread's schedstat)."""
    tasks = Path(f"/proc/{pid}/task")
    return sum(int((task / "schedstat").read_text().split()[0]) for task in tasks.iterdir()) / 1e9


def one_run(
    sock: socket.socket,
    send: Send,
    peer_max: int,
    fd: int,
    offset: int,
    length: int,
    n: int,
    reader: int,
) -> tuple[float, float, int, float, int]:
    """CPU and wall seconds and minor faults of the sending thread for n
    instances, the reader's CPU seconds meanwhile, and the bytes sent."""
    command = command_set()
    sent = 0
    reader0 = process_cpu(reader)
    wall0 = time.perf_counter()
    cpu0, faults0 = thread_usage()
    for _ in range(n):
        sender = _core.FileDataSetSender(
            peer_max, 1, command, fd, offset, length, pad_odd_length=True
        )
        sent += send(sock, sender)
    cpu, faults = thread_usage()
    wall = time.perf_counter() - wall0
    # What the reader still had to take when the last send returned is counted
    # in the next run (at most the socket buffers; the same for every way).
    return cpu - cpu0, wall, faults - faults0, process_cpu(reader) - reader0, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="instances per run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pdu", type=int, nargs="*", default=[16384, 0, 1 << 20])
    args = parser.parse_args()
    ways: dict[str, Send] = {"python": python_path, "send_to": core_path}

    with tempfile.TemporaryDirectory() as tmp:
        path, offset, length = part10_file(Path(tmp))
        listener = socket.create_server((HOST, 0))
        port = listener.getsockname()[1]
        reader = subprocess.Popen(
            [sys.executable, "-c", DRAIN, str(port)], stdout=subprocess.PIPE, text=True
        )
        sock, _ = listener.accept()
        listener.close()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(60)  # non-blocking underneath, as the drivers' sockets are
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        total = 0
        try:
            print(f"{length} bytes of data set per instance, {args.n} instances, ", end="")
            print(f"medians of {args.runs} runs")
            print(
                f"{'peer max':>9} {'way':>13} {'CPU µs':>7} {'wall µs':>7} {'MB/s':>5} "
                f"{'faults':>6} {'reader CPU µs':>13}"
            )
            for peer_max in args.pdu:
                # One untimed warm-up of each way (page cache, socket buffers).
                for send in ways.values():
                    total += one_run(sock, send, peer_max, fd, offset, length, 20, reader.pid)[4]
                times: dict[str, list[tuple[float, float, int, float]]] = {w: [] for w in ways}
                for _ in range(args.runs):
                    for way, send in ways.items():
                        cpu, wall, faults, reader_cpu, sent = one_run(
                            sock, send, peer_max, fd, offset, length, args.n, reader.pid
                        )
                        total += sent
                        times[way].append((cpu, wall, faults, reader_cpu))
                for way, runs in times.items():
                    cpu = statistics.median(r[0] for r in runs) / args.n * 1e6
                    wall = statistics.median(r[1] for r in runs) / args.n * 1e6
                    faults = statistics.median(r[2] for r in runs) / args.n
                    reader_cpu = statistics.median(r[3] for r in runs) / args.n * 1e6
                    rate = length / wall
                    print(
                        f"{peer_max:>9} {way:>13} {cpu:>7.0f} {wall:>7.0f} {rate:>5.0f} "
                        f"{faults:>6.1f} {reader_cpu:>13.0f}"
                    )
        finally:
            os.close(fd)
            sock.close()
            out, _ = reader.communicate(timeout=60)
        received = int(out)
        assert received == total, f"the reader took {received} bytes, {total} were sent"
        print(f"the reader took all {received} bytes")


if __name__ == "__main__":
    main()
