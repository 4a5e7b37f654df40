"""The main job against DCMTK: a CT study over one association, each end in its own process.

Run: ``python benches/run_main_job.py [--count 500] [--repeats 5] [--json FILE]``

Cases, interleaved within each repetition so that drift in machine load falls on
all alike (DCMTK's tools always with ``TCP_NODELAY=1``; files written to the page
cache, no fsync, as both storescps do by default):

- ``ours->ours``: ``python -m fastdimse storescu`` -> ``python -m fastdimse storescp``,
  default flags; and again with ``storescu --async-ops 8``;
- ``dcmtk->dcmtk``: DCMTK ``storescu`` -> DCMTK ``storescp``;
- ``dcmtk->ours``: DCMTK ``storescu`` -> our ``storescp`` (the DCMTK sender caps it);
- ``ours->dcmtk``: our ``storescu`` -> DCMTK ``storescp`` (the sender's CPU, next to
  DCMTK's sender into the same receiver).

For every run: seconds from the sender's launch to its exit (start-up included), the
sender's CPU (user + sys of the whole process, from wait4) and the receiver's CPU from
just before the sender starts to its exit (the association's life: the receiver was
started earlier and answered a C-ECHO), each per instance; every stored file is
counted. Then start-up: the time from launching ``echoscu`` to the first byte on the
wire, ours against DCMTK's, measured by a plain listening socket. Reported: medians
and the ratios the issue asks for (instances/s ours / DCMTK's; CPU per instance ours /
DCMTK's).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import store_bench_procs as bench
from synthetic import write_study

HOST = bench.HOST
DCMTK_ENV = bench.DCMTK_ENV
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# case -> (sender, its extra arguments, receiver kind of run_store_bench.Server)
CASES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "ours->ours": ("ours", (), "ours"),
    "ours->ours --async-ops 8": ("ours", ("--async-ops", "8"), "ours"),
    "dcmtk->dcmtk": ("dcmtk", (), "dcmtk"),
    "dcmtk->ours": ("dcmtk", (), "ours"),
    "ours->dcmtk": ("ours", (), "dcmtk"),
}


@dataclass
class Samples:
    seconds: list[float] = field(default_factory=list)
    sender_cpu: list[float] = field(default_factory=list)
    receiver_cpu: list[float] = field(default_factory=list)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500, help="instances in the study")
    parser.add_argument("--repeats", type=int, default=5, help="runs per case (median)")
    parser.add_argument("--json", metavar="FILE", help="also write every sample as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fastdimse-main-job-") as tmp_name:
        tmp = Path(tmp_name)
        study = tmp / "study"
        write_study(study, args.count)
        print(f"{args.count} CT instances; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f}")
        results = {case: Samples() for case in CASES}
        for rep in range(args.repeats):
            for case, (sender, extra, receiver) in CASES.items():
                run_case(results[case], sender, extra, receiver, study, tmp, args.count)
                print(f"  run {rep + 1}/{args.repeats} {case}: {results[case].seconds[-1]:.2f} s")
        startup = {kind: first_byte_seconds(kind, args.repeats) for kind in ("ours", "dcmtk")}
    report = summarise(results, startup, args.count)
    print(markdown(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


def run_case(
    samples: Samples,
    sender: str,
    extra: tuple[str, ...],
    receiver: str,
    study: Path,
    tmp: Path,
    count: int,
) -> None:
    out = tmp / "out"
    if out.exists():
        for path in bench.walk_files(out):
            path.unlink()
    out.mkdir(exist_ok=True)
    server = bench.Server(receiver, out, tmp / f"{receiver}.log")
    server.start()
    try:
        before = process_cpu(server.pid)
        start = time.perf_counter()
        proc = subprocess.Popen(
            sender_command(sender, extra, server.port, study),
            env=DCMTK_ENV,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        receiver_cpu = process_cpu(server.pid) - before
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        server.stop()
    stored = len(bench.walk_files(out))
    if proc.returncode != 0 or stored != count:
        raise SystemExit(f"{sender} -> {receiver}: exit {proc.returncode}, {stored}/{count} stored")
    samples.seconds.append(seconds)
    samples.sender_cpu.append(usage.ru_utime + usage.ru_stime)
    samples.receiver_cpu.append(receiver_cpu)


def sender_command(kind: str, extra: tuple[str, ...], port: int, study: Path) -> list[str]:
    if kind == "ours":
        return [sys.executable, "-m", "fastdimse", "storescu", *extra, HOST, str(port), str(study)]
    return ["storescu", *extra, "+sd", HOST, str(port), str(study)]


def process_cpu(pid: int) -> float:
    """User + system seconds of ``pid`` so far (all its threads)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def first_byte_seconds(kind: str, repeats: int) -> list[float]:
    """From launching ``echoscu`` to its first byte arriving at a plain listening socket."""
    samples = []
    for _ in range(repeats):
        with socket.create_server((HOST, 0)) as listener:
            port = listener.getsockname()[1]
            command = (
                [sys.executable, "-m", "fastdimse", "echoscu", HOST, str(port)]
                if kind == "ours"
                else ["echoscu", HOST, str(port)]
            )
            start = time.perf_counter()
            proc = subprocess.Popen(
                command, env=DCMTK_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            conn, _ = listener.accept()
            with conn:
                conn.recv(1)
                samples.append(time.perf_counter() - start)
            proc.kill()
            proc.wait()
    return samples


def summarise(
    results: dict[str, Samples], startup: dict[str, list[float]], count: int
) -> dict[str, Any]:
    cases = {
        case: {
            "seconds": statistics.median(s.seconds),
            "instances_per_s": count / statistics.median(s.seconds),
            "sender_cpu_ms_per_instance": 1000 * statistics.median(s.sender_cpu) / count,
            "receiver_cpu_ms_per_instance": 1000 * statistics.median(s.receiver_cpu) / count,
            "samples": s.__dict__,
        }
        for case, s in results.items()
    }
    dcmtk = cases["dcmtk->dcmtk"]
    ratios = {
        "(a) ours->ours / dcmtk->dcmtk, instances/s": (
            cases["ours->ours"]["instances_per_s"] / dcmtk["instances_per_s"]
        ),
        "(a) ours->ours --async-ops 8 / dcmtk->dcmtk, instances/s": (
            cases["ours->ours --async-ops 8"]["instances_per_s"] / dcmtk["instances_per_s"]
        ),
        "(b) dcmtk->ours / dcmtk->dcmtk, instances/s": (
            cases["dcmtk->ours"]["instances_per_s"] / dcmtk["instances_per_s"]
        ),
        "(c) receiver CPU per instance, ours / DCMTK's (DCMTK sender)": (
            cases["dcmtk->ours"]["receiver_cpu_ms_per_instance"]
            / dcmtk["receiver_cpu_ms_per_instance"]
        ),
        "(c) sender CPU per instance, ours / DCMTK's (DCMTK receiver)": (
            cases["ours->dcmtk"]["sender_cpu_ms_per_instance"] / dcmtk["sender_cpu_ms_per_instance"]
        ),
        "start-up: echoscu launch to first byte, ours / DCMTK's": (
            statistics.median(startup["ours"]) / statistics.median(startup["dcmtk"])
        ),
    }
    return {
        "count": count,
        "load_average": os.getloadavg()[0],
        "cases": cases,
        "first_byte_ms": {k: 1000 * statistics.median(v) for k, v in startup.items()},
        "ratios": ratios,
        "max_rss_kib_of_this_runner": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"{report['count']} CT instances, medians; load average {report['load_average']:.2f}",
        "",
        "| storescu -> storescp | s | instances/s | sender CPU ms/inst | receiver CPU ms/inst |",
        "|---|---:|---:|---:|---:|",
    ]
    for case, row in report["cases"].items():
        lines.append(
            f"| {case} | {row['seconds']:.2f} | {row['instances_per_s']:.0f} | "
            f"{row['sender_cpu_ms_per_instance']:.2f} | {row['receiver_cpu_ms_per_instance']:.2f} |"
        )
    first = report["first_byte_ms"]
    lines += [
        "",
        f"echoscu launch to first byte: ours {first['ours']:.0f} ms, DCMTK {first['dcmtk']:.0f} ms",
        "",
        "| ratio | value |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {value:.2f}x |" for name, value in report["ratios"].items()]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
