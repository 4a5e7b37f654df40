"""The floor of ``run_assoc_bench.py``: a loopback ping-pong of exactly the bytes of
one C-ECHO-RQ / C-ECHO-RSP P-DATA-TF PDU between two processes, in Python (with and
without a reader thread handing each response over) and in C when a compiler is
found. No DICOM library runs here: it is what the machine's loopback allows.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HOST = "127.0.0.1"
WARMUP_ECHOES = 50
VERIFICATION = "1.2.840.10008.1.1"
# The processes are started as run_assoc_bench.py workers.
RUNNER = Path(__file__).resolve().parent / "run_assoc_bench.py"


def echo_pdus() -> tuple[bytes, bytes]:
    """The exact bytes of one C-ECHO-RQ and one C-ECHO-RSP P-DATA-TF PDU (ours encodes)."""
    from fastdimse import _core
    from fastdimse.dimse_primitives import C_ECHO, to_command_set

    request = C_ECHO()
    request.MessageID = 1
    request.AffectedSOPClassUID = VERIFICATION
    response = C_ECHO()
    response.MessageIDBeingRespondedTo = 1
    response.AffectedSOPClassUID = VERIFICATION
    response.Status = 0x0000
    rq = _core.fragment_message(16382, 1, to_command_set(request).encode(), None)
    rsp = _core.fragment_message(16382, 1, to_command_set(response).encode(), None)
    return rq, rsp


def python_pingpong(round_trips: int, rq: bytes, rsp: bytes, handoff: bool = False) -> float:
    """Microseconds per round trip between two Python processes.

    With `handoff` the client reads on a second thread and passes each
    response through a queue.Queue to the sending thread, as our SCU does.
    """
    proc = subprocess.Popen(
        [sys.executable, str(RUNNER), "--worker", "pingpong-server", rq.hex(), rsp.hex()],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        if proc.stdout is None:
            raise RuntimeError("the ping-pong server's stdout was not piped")
        port = int(proc.stdout.readline())
        out = subprocess.run(
            [
                sys.executable,
                str(RUNNER),
                "--worker",
                "pingpong-client",
                str(port),
                str(round_trips),
                rq.hex(),
                rsp.hex(),
                str(int(handoff)),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return float(out)
    finally:
        proc.wait(timeout=30)


C_PINGPONG = r"""
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int readn(int fd, char *buf, int n) {
    int got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0) return -1;
        got += (int)r;
    }
    return 0;
}

static int writen(int fd, const char *buf, int n) {
    int put = 0;
    while (put < n) {
        ssize_t w = write(fd, buf + put, n - put);
        if (w <= 0) return -1;
        put += (int)w;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4) return 2;
    long n = atol(argv[1]);
    int rq = atoi(argv[2]), rsp = atoi(argv[3]), one = 1;
    char *buf = calloc(1, rq > rsp ? rq : rsp);
    struct sockaddr_in addr = {0};
    socklen_t len = sizeof addr;
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&addr, sizeof addr) || listen(ls, 1)) return 1;
    getsockname(ls, (struct sockaddr *)&addr, &len);
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec t0, t1;
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&addr, sizeof addr)) return 1;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        for (int i = 0; i < 100; i++)
            if (writen(c, buf, rq) || readn(c, buf, rsp)) return 1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long i = 0; i < n; i++)
            if (writen(c, buf, rq) || readn(c, buf, rsp)) return 1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 / n;
        printf("%.3f\n", us);
        return 0;
    }
    int s = accept(ls, NULL, NULL);
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    while (readn(s, buf, rq) == 0 && writen(s, buf, rsp) == 0) {
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WEXITSTATUS(status);
}
"""


def build_c_pingpong(tmp: Path, cc: str) -> Path | None:
    source = tmp / "pingpong.c"
    binary = tmp / "pingpong"
    source.write_text(C_PINGPONG)
    done = subprocess.run([cc, "-O2", "-o", str(binary), str(source)], capture_output=True)
    return binary if done.returncode == 0 else None


def c_pingpong(binary: Path, round_trips: int, rq: int, rsp: int) -> float:
    out = subprocess.run(
        [str(binary), str(round_trips), str(rq), str(rsp)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(out)


def pingpong_server(rq: bytes, rsp: bytes) -> None:
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen(1)
        print(listener.getsockname()[1], flush=True)
        conn, _ = listener.accept()
        with conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            buf = bytearray(len(rq))
            while recv_exactly(conn, buf):
                conn.sendall(rsp)


def pingpong_client(port: int, round_trips: int, rq: bytes, rsp: bytes, handoff: bool) -> float:
    with socket.create_connection((HOST, port)) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = bytearray(len(rsp))
        receive: Callable[[], object]
        if handoff:
            import queue
            import threading

            responses: queue.Queue[bytes] = queue.Queue()

            def reader() -> None:
                while recv_exactly(conn, buf):
                    responses.put(bytes(buf))

            threading.Thread(target=reader, daemon=True).start()
            receive = responses.get
        else:

            def receive() -> object:
                return recv_exactly(conn, buf)

        for _ in range(WARMUP_ECHOES):
            conn.sendall(rq)
            receive()
        start = time.perf_counter()
        for _ in range(round_trips):
            conn.sendall(rq)
            receive()
        elapsed = time.perf_counter() - start
    return elapsed / round_trips * 1e6


def recv_exactly(conn: socket.socket, buf: bytearray) -> bool:
    view = memoryview(buf)
    got = 0
    while got < len(buf):
        n = conn.recv_into(view[got:])
        if n == 0:
            return False
        got += n
    return True
