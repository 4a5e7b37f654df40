"""Associations end to end: fastdimse next to pynetdicom 3.0.4 and DCMTK 3.6.7.

Run: ``python benches/run_assoc_bench.py [--quick] [--json FILE] [--profile DIR]``

A side-by-side runner, not a test. For each SCU x SCP pair over {ours,
pynetdicom, DCMTK} it measures

- **echo RTT**: the round-trip time of one C-ECHO on an established
  association (N echoes in sequence, time / N), and
- **associations per second**: associate + one C-ECHO + release, N in
  sequence.

Every server runs in its own process and every client in another, so client
and server never share a GIL. The floor is a loopback ping-pong of exactly the
bytes of one C-ECHO-RQ / C-ECHO-RSP P-DATA-TF PDU between two processes, in
Python and in C (when a C compiler is found).

DCMTK is timed from outside: ``echoscu --repeat N+1`` minus ``echoscu
--repeat 1``, divided by N, gives the echo RTT without process start-up; an
association is the time from echoscu's "Requesting Association" log line
(timestamped to the microsecond) to the process's exit, less the same span for
an ``echoscu`` whose connection is refused (the exit cost), so DCMTK's
associations per second are an estimate. DCMTK tools always run with
``TCP_NODELAY=1``: Debian's build otherwise waits ~40 ms for a delayed ACK.

Each figure is the median of several repetitions (5, or 3 with --quick); the
repetitions are interleaved across pairs so that drift in machine load falls
on every pair alike. fastdimse is whatever ``import fastdimse`` finds (see the
printed path and the --build label).

With ``--profile DIR`` it also runs ours -> ours under cProfile on both sides
and prints where the time goes in python/fastdimse/.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

VERIFICATION = "1.2.840.10008.1.1"
HOST = "127.0.0.1"
IMPLS = ("ours", "pynetdicom", "dcmtk")
LABEL = {"ours": "fastdimse", "pynetdicom": "pynetdicom", "dcmtk": "DCMTK"}
WARMUP_ECHOES = 50
MAX_ATTEMPTS = 5
READY_TIMEOUT = 30.0
DCMTK_ENV = {**os.environ, "TCP_NODELAY": "1"}
THIS = Path(__file__).resolve()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2:])
        return
    args = parse_args()
    report = run(args)
    print(markdown(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nJSON written to {args.json}")
    if args.profile:
        print()
        print(profile_ours(args, Path(args.profile)))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer messages, 3 repetitions")
    parser.add_argument("--json", metavar="FILE", help="also write every sample as JSON")
    parser.add_argument("--echoes", type=int, help="echoes per association (default 10000)")
    parser.add_argument(
        "--pynetdicom-echoes",
        type=int,
        help="echoes per association when pynetdicom is one end (default 2000: ~3 ms each)",
    )
    parser.add_argument("--associations", type=int, help="associations in sequence (default 200)")
    parser.add_argument("--repeats", type=int, help="repetitions per figure (default 5)")
    parser.add_argument("--pairs", help="comma-separated SCU>SCP pairs, e.g. ours>ours,dcmtk>ours")
    parser.add_argument(
        "--build",
        default="ci profile (shared _core.abi3.so)",
        help="label for the fastdimse core build being measured",
    )
    parser.add_argument("--profile", metavar="DIR", help="also profile ours -> ours into DIR")
    args = parser.parse_args()
    quick = args.quick
    args.echoes = args.echoes or (2000 if quick else 10000)
    args.pynetdicom_echoes = args.pynetdicom_echoes or (300 if quick else 2000)
    args.associations = args.associations or (50 if quick else 200)
    args.repeats = args.repeats or (3 if quick else 5)
    return args


# --- the orchestrator ------------------------------------------------------------------


@dataclass
class Pair:
    scu: str
    scp: str
    echo_us: list[float] = field(default_factory=list)
    assoc_per_s: list[float] = field(default_factory=list)
    echoes: int = 0
    restarts: int = 0

    @property
    def key(self) -> str:
        return f"{self.scu}>{self.scp}"


def all_pairs(spec: str | None) -> list[Pair]:
    if spec:
        pairs = [Pair(*item.partition(">")[::2]) for item in spec.split(",")]
    else:
        pairs = [Pair(scu, scp) for scu in IMPLS for scp in IMPLS]
    for pair in pairs:
        if pair.scu not in IMPLS or pair.scp not in IMPLS:
            raise SystemExit(f"unknown pair {pair.key}: use {', '.join(IMPLS)}")
    return pairs


def run(args: argparse.Namespace) -> dict[str, Any]:
    have_dcmtk = bool(shutil.which("echoscu") and shutil.which("storescp"))
    pairs = [p for p in all_pairs(args.pairs) if have_dcmtk or "dcmtk" not in (p.scu, p.scp)]
    rq, rsp = echo_pdus()
    floors: dict[str, list[float]] = {"python": [], "python-handoff": [], "c": []}
    cc = shutil.which("cc") or shutil.which("gcc")
    with tempfile.TemporaryDirectory(prefix="assoc-bench-") as tmp:
        pingpong_c = build_c_pingpong(Path(tmp), cc) if cc else None
        for rep in range(args.repeats):
            print(f"repetition {rep + 1}/{args.repeats}", file=sys.stderr, flush=True)
            floors["python"].append(python_pingpong(args.echoes, rq, rsp))
            floors["python-handoff"].append(python_pingpong(args.echoes, rq, rsp, handoff=True))
            if pingpong_c:
                floors["c"].append(c_pingpong(pingpong_c, args.echoes * 10, len(rq), len(rsp)))
            for pair in pairs:
                echoes = args.echoes
                if "pynetdicom" in (pair.scu, pair.scp):
                    echoes = min(echoes, args.pynetdicom_echoes)
                pair.echoes = echoes
                with server(pair.scp, Path(tmp)) as port:
                    echo_us, assoc_per_s, restarts = measure(
                        pair.scu, port, echoes, args.associations
                    )
                pair.restarts += restarts
                pair.echo_us.append(echo_us)
                pair.assoc_per_s.append(assoc_per_s)
                print(
                    f"  {pair.key:22} {echo_us:9.1f} us/echo {assoc_per_s:8.1f} assoc/s",
                    file=sys.stderr,
                    flush=True,
                )
    return build_report(args, pairs, floors, rq, rsp, have_dcmtk)


def measure(scu: str, port: int, echoes: int, associations: int) -> tuple[float, float, int]:
    """(echo RTT in microseconds, associations per second) for `scu` against `port`."""
    if scu == "dcmtk":
        return dcmtk_echo_us(port, echoes), dcmtk_assoc_per_s(port, associations), 0
    out = subprocess.run(
        [
            sys.executable,
            str(THIS),
            "--worker",
            "client",
            scu,
            str(port),
            str(echoes),
            str(associations),
        ],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    return result["echo_us"], result["assoc_per_s"], int(result["restarts"])


@contextmanager
def server(impl: str, tmp: Path, profile: Path | None = None) -> Iterator[int]:
    """A server process of `impl` listening on loopback; yields its port."""
    if impl == "dcmtk":
        port = free_port()
        out_dir = tmp / f"storescp-{port}"
        out_dir.mkdir()
        storescp = subprocess.Popen(
            ["storescp", "--ignore", "-od", str(out_dir), str(port)],
            env=DCMTK_ENV,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_listening(port, storescp)
            yield port
        finally:
            storescp.terminate()
            storescp.wait()
        return
    cmd = [sys.executable, str(THIS), "--worker", "server", impl]
    if profile:
        cmd.append(str(profile))
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = piped(proc.stdout).readline()
        if not line:
            raise RuntimeError(f"{impl} server did not start")
        yield int(line)
    finally:
        piped(proc.stdin).close()  # EOF tells the server to shut down
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def piped(stream: IO[str] | None) -> IO[str]:
    """A subprocess stream that was asked for with PIPE (None only if it was not)."""
    if stream is None:
        raise RuntimeError("subprocess stream was not piped")
    return stream


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    """Wait until `port` accepts (storescp prints nothing when it is ready)."""
    end = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"storescp exited with {proc.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("storescp did not start listening")


# --- DCMTK echoscu, timed from outside ------------------------------------------------


def echoscu_seconds(port: int, repeat: int) -> float:
    cmd = ["echoscu", "-aec", "ANY-SCP", HOST, str(port), "--repeat", str(repeat)]
    start = time.perf_counter()
    done = subprocess.run(cmd, env=DCMTK_ENV, capture_output=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"echoscu failed: {done.stderr.decode(errors='replace')}")
    return elapsed


# DCMTK's logger stamps each line with wall-clock time to the microsecond
# ("seconds.milliseconds.microseconds"), the clock time.time() reads.
ECHOSCU_LOG_CONFIG = """\
log4cplus.rootLogger = INFO, console
log4cplus.appender.console = log4cplus::ConsoleAppender
log4cplus.appender.console.layout = log4cplus::PatternLayout
log4cplus.appender.console.layout.ConversionPattern = %D{%s.%Q} %m%n
"""


def echoscu_from_request_seconds(port: int, log_config: Path) -> float:
    """Seconds from echoscu's "Requesting Association" log line to its exit.

    That leaves out process start-up and dictionary loading (~25 ms, far
    noisier than an association); exit remains and is subtracted by the caller.
    """
    cmd = ["echoscu", "-lc", str(log_config), HOST, str(port)]
    done = subprocess.run(cmd, env=DCMTK_ENV, capture_output=True, text=True)
    end = time.time()
    for line in (done.stdout + done.stderr).splitlines():
        stamp, _, message = line.partition(" ")
        if message.startswith("Requesting Association"):
            seconds, millis, micros = stamp.split(".")
            return end - (int(seconds) + int(millis) / 1e3 + int(micros) / 1e6)
    raise RuntimeError(f"no 'Requesting Association' line from echoscu: {done.stdout!r}")


def dcmtk_echo_us(port: int, echoes: int) -> float:
    one = echoscu_seconds(port, 1)
    many = echoscu_seconds(port, echoes + 1)
    return (many - one) / echoes * 1e6


def dcmtk_assoc_per_s(port: int, associations: int) -> float:
    """An estimate: each echoscu from its association request to its exit, less
    the same span for an echoscu whose connection is refused (exit cost)."""
    with tempfile.TemporaryDirectory() as tmp:
        log_config = Path(tmp) / "log.cfg"
        log_config.write_text(ECHOSCU_LOG_CONFIG)
        closed = free_port()  # nothing listens there
        refused = [echoscu_from_request_seconds(closed, log_config) for _ in range(20)]
        total = sum(echoscu_from_request_seconds(port, log_config) for _ in range(associations))
    per_assoc = max(total / associations - statistics.median(refused), 1e-9)
    return 1.0 / per_assoc


# --- the floor: loopback ping-pong of one C-ECHO-RQ / RSP PDU -------------------------


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
        [sys.executable, str(THIS), "--worker", "pingpong-server", rq.hex(), rsp.hex()],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(piped(proc.stdout).readline())
        out = subprocess.run(
            [
                sys.executable,
                str(THIS),
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


# --- profiling ours -> ours -----------------------------------------------------------


def profile_ours(args: argparse.Namespace, out_dir: Path) -> str:
    """Run ours -> ours under cProfile on both ends; summarise fastdimse's share."""
    import pstats

    out_dir.mkdir(parents=True, exist_ok=True)
    client_prof = out_dir / "client.prof"
    server_prof = out_dir / "server.prof"
    with tempfile.TemporaryDirectory() as tmp, server("ours", Path(tmp), server_prof) as port:
        subprocess.run(
            [
                sys.executable,
                str(THIS),
                "--worker",
                "client",
                "ours",
                str(port),
                str(args.echoes),
                str(args.associations),
                str(client_prof),
            ],
            check=True,
            capture_output=True,
        )
    lines = [
        f"## Profile of ours -> ours ({args.echoes} echoes + {args.associations} "
        f"associations; pstats files in {out_dir})"
    ]
    for name, path in (("client (SCU)", client_prof), ("server (SCP)", server_prof)):
        for order in ("tottime", "cumulative"):
            text = io.StringIO()
            stats = pstats.Stats(str(path), stream=text)
            stats.sort_stats(order).print_stats(25)
            lines.append(f"\n### {name}: top 25 by {order}\n```")
            lines.append(text.getvalue().split("\n\n", 2)[-1].strip("\n"))
            lines.append("```")
    return "\n".join(line.rstrip() for line in lines)


# --- the report -----------------------------------------------------------------------


def build_report(
    args: argparse.Namespace,
    pairs: list[Pair],
    floors: dict[str, list[float]],
    rq: bytes,
    rsp: bytes,
    have_dcmtk: bool,
) -> dict[str, Any]:
    import pynetdicom

    import fastdimse

    core = Path(fastdimse.__file__).parent / "_core.abi3.so"
    dcmtk_version = ""
    if have_dcmtk:
        out = subprocess.run(["echoscu", "--version"], capture_output=True, text=True).stdout
        dcmtk_version = out.split()[2] if out.startswith("$dcmtk") else out.strip()
    results = {
        p.key: {
            "scu": p.scu,
            "scp": p.scp,
            "echoes": p.echoes,
            "associations": args.associations,
            "echo_us": p.echo_us,
            "echo_us_median": statistics.median(p.echo_us),
            "assoc_per_s": p.assoc_per_s,
            "assoc_per_s_median": statistics.median(p.assoc_per_s),
            "discarded_runs": p.restarts,
        }
        for p in pairs
    }
    floor = {
        name: {"samples_us": samples, "median_us": statistics.median(samples)}
        for name, samples in floors.items()
        if samples
    }
    return {
        "meta": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "fastdimse": str(Path(fastdimse.__file__).parent),
            "fastdimse_core": str(core),
            "fastdimse_build": args.build,
            "pynetdicom": pynetdicom.__version__,
            "dcmtk": dcmtk_version,
            "repeats": args.repeats,
            "echoes": args.echoes,
            "pynetdicom_echoes": args.pynetdicom_echoes,
            "associations": args.associations,
            "echo_rq_pdu_bytes": len(rq),
            "echo_rsp_pdu_bytes": len(rsp),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
        },
        "floor": floor,
        "results": results,
        "ratios": ratios(results),
    }


def ratios(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Ours against the others, with the other end held fixed (>1: ours is faster)."""
    comparisons = [
        ("both ends", "ours>ours", "pynetdicom>pynetdicom", "dcmtk>dcmtk"),
        ("as SCU vs DCMTK SCP", "ours>dcmtk", "pynetdicom>dcmtk", "dcmtk>dcmtk"),
        ("as SCP vs DCMTK SCU", "dcmtk>ours", "dcmtk>pynetdicom", "dcmtk>dcmtk"),
        ("as SCU vs our SCP", "ours>ours", "pynetdicom>ours", "dcmtk>ours"),
        ("as SCP vs our SCU", "ours>ours", "ours>pynetdicom", "ours>dcmtk"),
    ]
    rows = []
    for name, ours, pynd, dcmtk in comparisons:
        if ours not in results:
            continue
        row: dict[str, Any] = {"comparison": name, "ours": ours}
        for label, other in (("pynetdicom", pynd), ("dcmtk", dcmtk)):
            if other in results:
                row[f"vs_{label}"] = other
                row[f"echo_x_{label}"] = (
                    results[other]["echo_us_median"] / results[ours]["echo_us_median"]
                )
                row[f"assoc_x_{label}"] = (
                    results[ours]["assoc_per_s_median"] / results[other]["assoc_per_s_median"]
                )
        rows.append(row)
    return rows


def markdown(report: dict[str, Any]) -> str:
    meta = report["meta"]
    lines = [
        f"fastdimse core: {meta['fastdimse_build']} ({meta['fastdimse_core']}); "
        f"pynetdicom {meta['pynetdicom']}; DCMTK {meta['dcmtk'] or 'not found'}; "
        f"Python {meta['python']}; {meta['cpus']} CPUs; {meta['platform']}",
        f"Medians of {meta['repeats']} repetitions. Echo RTT: N echoes on one association "
        f"(N={meta['echoes']}, {meta['pynetdicom_echoes']} when pynetdicom is an end). "
        f"Associations: {meta['associations']} x (associate + C-ECHO + release) in sequence. "
        f"C-ECHO PDUs: RQ {meta['echo_rq_pdu_bytes']} B, RSP {meta['echo_rsp_pdu_bytes']} B. "
        "DCMTK SCU figures are timed from outside the process (assoc/s: estimate).",
        "",
        "| SCU | SCP | echo RTT (us) | associations/s |",
        "|---|---|---:|---:|",
    ]
    names = {
        "python": "Python sockets",
        "python-handoff": "Python sockets, reader thread + queue",
        "c": "C sockets",
    }
    for name, floor in report["floor"].items():
        lines.append(f"| floor: ping-pong | {names[name]} | {floor['median_us']:.1f} | - |")
    for result in report["results"].values():
        lines.append(
            f"| {LABEL[result['scu']]} | {LABEL[result['scp']]} | "
            f"{result['echo_us_median']:.1f} | {result['assoc_per_s_median']:.0f} |"
        )
    discarded = [
        f"{_pretty(key)}: {result['discarded_runs']}"
        for key, result in report["results"].items()
        if result["discarded_runs"]
    ]
    if discarded:
        lines += [
            "",
            "Runs discarded and restarted after pynetdicom's requestor lost a response to "
            "its own reactor thread (a pynetdicom race): " + "; ".join(discarded) + ".",
        ]
    lines += [
        "",
        "Ratios (how many times faster ours is; echo: their RTT / ours, assoc: ours / theirs):",
        "",
        "| comparison | vs pynetdicom: echo | assoc | vs DCMTK: echo | assoc |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in report["ratios"]:
        cells = []
        for label in ("pynetdicom", "dcmtk"):
            for kind in ("echo", "assoc"):
                value = row.get(f"{kind}_x_{label}")
                cells.append("-" if value is None else f"{value:.2f}x")
        lines.append(
            f"| {row['comparison']} ({_pretty(row['ours'])}) | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)


def _pretty(key: str) -> str:
    scu, scp = key.split(">")
    return f"{LABEL[scu]} -> {LABEL[scp]}"


# --- worker processes -----------------------------------------------------------------


def worker(argv: list[str]) -> None:
    kind, rest = argv[0], argv[1:]
    if kind == "server":
        impl, profile = rest[0], (Path(rest[1]) if len(rest) > 1 else None)
        with profiled(profile):
            serve(impl)
    elif kind == "client":
        impl, port, echoes, associations = rest[0], int(rest[1]), int(rest[2]), int(rest[3])
        profile = Path(rest[4]) if len(rest) > 4 else None
        with profiled(profile):
            result = client(impl, port, echoes, associations)
        print(json.dumps(result))
    elif kind == "pingpong-server":
        pingpong_server(bytes.fromhex(rest[0]), bytes.fromhex(rest[1]))
    elif kind == "pingpong-client":
        port, round_trips = int(rest[0]), int(rest[1])
        rq, rsp = bytes.fromhex(rest[2]), bytes.fromhex(rest[3])
        print(f"{pingpong_client(port, round_trips, rq, rsp, rest[4] == '1'):.3f}")
    else:
        raise SystemExit(f"unknown worker {kind}")


@contextmanager
def profiled(path: Path | None) -> Iterator[None]:
    if path is None:
        yield
        return
    import cProfile
    import pstats
    import threading

    # The work happens on association threads too (Association overrides
    # Thread.run): each new thread's first profile event starts its own
    # profiler, which then replaces that hook for the thread.
    profiles: list[cProfile.Profile] = []

    def start_thread_profile(*_: Any) -> None:
        prof = cProfile.Profile()
        profiles.append(prof)
        prof.enable()

    threading.setprofile(start_thread_profile)
    main_prof = cProfile.Profile()
    main_prof.enable()
    try:
        yield
    finally:
        main_prof.disable()
        threading.setprofile(None)
        stats = pstats.Stats(main_prof)
        for prof in list(profiles):
            try:
                stats.add(prof)
            except TypeError:  # a thread still running has no stats yet
                pass
        stats.dump_stats(str(path))


def serve(impl: str) -> None:
    """Run an SCP of `impl` on loopback until stdin closes; print the port first."""
    if impl == "ours":
        from fastdimse import AE as OursAE

        ae: Any = OursAE("BENCH-SCP")
    else:
        from pynetdicom import AE as PynetdicomAE

        ae = PynetdicomAE("BENCH-SCP")
    ae.add_supported_context(VERIFICATION)
    ae.maximum_associations = 10
    srv = ae.start_server((HOST, 0), block=False)
    port = srv.server_address[1]
    # One association before the port is announced, so that lazy imports and
    # first-use costs are not charged to the first measured client.
    peer = type(ae)("WARM-UP")
    peer.add_requested_context(VERIFICATION)
    check_status(one_association(lambda: peer.associate(HOST, port)))
    print(port, flush=True)
    sys.stdin.read()  # blocks until the orchestrator closes our stdin
    ae.shutdown()


def client(impl: str, port: int, echoes: int, associations: int) -> dict[str, float]:
    """Echo RTT and associations per second, timed inside this process.

    pynetdicom 3.0.4's requestor has a race: its reactor thread polls the
    DIMSE queue without pausing during send_c_echo() and sometimes takes the
    response itself ("Received unexpected C-ECHO service message"); the
    caller then waits out the DIMSE timeout and aborts. A fast SCP hits that
    window often. Such a run is discarded and started again (at most
    MAX_ATTEMPTS times), and the number of restarts is reported.
    """
    if impl == "ours":
        from fastdimse import AE as OursAE

        ae: Any = OursAE("BENCH-SCU")
    else:
        from pynetdicom import AE as PynetdicomAE

        ae = PynetdicomAE("BENCH-SCU")
        ae.dimse_timeout = 2  # a lost response costs 2 s, not 30
    ae.add_requested_context(VERIFICATION)

    def associate() -> Any:
        assoc = ae.associate(HOST, port)
        if not assoc.is_established:
            raise RuntimeError(f"{impl}: association to port {port} failed")
        return assoc

    def echo_run() -> float:
        assoc = associate()
        try:
            send: Callable[[], Any] = assoc.send_c_echo
            for _ in range(WARMUP_ECHOES):
                check_status(send())
            start = time.perf_counter()
            for _ in range(echoes):
                status = send()
            elapsed = time.perf_counter() - start
            check_status(status)
        finally:
            if assoc.is_established:
                assoc.release()
        return elapsed / echoes * 1e6

    def association_run() -> float:
        check_status(one_association(associate))  # warm-up
        start = time.perf_counter()
        for _ in range(associations):
            status = one_association(associate)
        elapsed = time.perf_counter() - start
        check_status(status)
        return associations / elapsed

    restarts = 0

    def attempt(run: Callable[[], float]) -> float:
        nonlocal restarts
        for _ in range(MAX_ATTEMPTS - 1):
            try:
                return run()
            except RuntimeError as error:
                restarts += 1
                print(f"{impl} client: run discarded: {error}", file=sys.stderr)
        return run()

    echo_us = attempt(echo_run)
    assoc_per_s = attempt(association_run)
    ae.shutdown()
    return {"echo_us": echo_us, "assoc_per_s": assoc_per_s, "restarts": restarts}


def one_association(associate: Callable[[], Any]) -> Any:
    assoc = associate()
    status = assoc.send_c_echo()
    assoc.release()
    return status


def check_status(status: Any) -> None:
    if status is None or getattr(status, "Status", None) != 0x0000:
        raise RuntimeError(f"C-ECHO failed: {status!r}")


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


if __name__ == "__main__":
    main()
