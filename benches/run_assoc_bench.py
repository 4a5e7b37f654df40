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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from assoc_workers import CONCURRENT, client, concurrent_client, serve
from pingpong import (
    build_c_pingpong,
    c_pingpong,
    echo_pdus,
    pingpong_client,
    pingpong_server,
    python_pingpong,
)

HOST = "127.0.0.1"
IMPLS = ("ours", "aio", "baseline", "pynetdicom", "dcmtk")
LABEL = {
    "ours": "fastdimse",
    "aio": "fastdimse.aio",
    "baseline": "fastdimse (baseline)",
    "pynetdicom": "pynetdicom",
    "dcmtk": "DCMTK",
}
# The pairs run by default: every SCU x SCP among the threaded API, pynetdicom and
# DCMTK, the asyncio API against itself and DCMTK, and the baseline against itself.
DEFAULT_PAIRS = (
    *(
        f"{scu}>{scp}"
        for scu in ("ours", "pynetdicom", "dcmtk")
        for scp in ("ours", "pynetdicom", "dcmtk")
    ),
    "aio>aio",
    "aio>dcmtk",
    "dcmtk>aio",
    "baseline>baseline",
)
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
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also measure fastdimse at git revision REV (a detached checkout, same core) "
        "as 'baseline', for a no-regression check in the same run",
    )
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


# Where the baseline's fastdimse is imported from (set by --baseline).
BASELINE_PATH: dict[str, str] = {}


def all_pairs(spec: str | None, baseline: bool) -> list[Pair]:
    items = spec.split(",") if spec else DEFAULT_PAIRS
    pairs = [Pair(*item.partition(">")[::2]) for item in items]
    if not baseline:
        pairs = [p for p in pairs if "baseline" not in (p.scu, p.scp)]
    for pair in pairs:
        if pair.scu not in IMPLS or pair.scp not in IMPLS:
            raise SystemExit(f"unknown pair {pair.key}: use {', '.join(IMPLS)}")
    return pairs


def run(args: argparse.Namespace) -> dict[str, Any]:
    with baseline_checkout(args.baseline):
        return run_all(args)


def run_all(args: argparse.Namespace) -> dict[str, Any]:
    have_dcmtk = bool(shutil.which("echoscu") and shutil.which("storescp"))
    pairs = [
        p
        for p in all_pairs(args.pairs, bool(args.baseline))
        if have_dcmtk or "dcmtk" not in (p.scu, p.scp)
    ]
    rq, rsp = echo_pdus()
    floors: dict[str, list[float]] = {"python": [], "python-handoff": [], "c": []}
    concurrent: dict[str, list[float]] = {
        impl: [] for impl in ("ours", "aio", *(("baseline",) if args.baseline else ()))
    }
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
            for impl, samples in concurrent.items():
                with server(impl, Path(tmp), handler=True) as port:
                    samples.append(measure_concurrent(impl, port))
                print(
                    f"  {impl:22} {samples[-1]:9.3f} s for {CONCURRENT} concurrent",
                    file=sys.stderr,
                    flush=True,
                )
    report = build_report(args, pairs, floors, rq, rsp, have_dcmtk)
    report["concurrent"] = {
        impl: {"seconds": samples, "median_s": statistics.median(samples)}
        for impl, samples in concurrent.items()
    }
    return report


@contextmanager
def baseline_checkout(rev: str | None) -> Iterator[None]:
    """A detached checkout of ``rev`` beside this one, with this tree's compiled core
    when the Rust core is the same in both, else its own (built with cargo's CI profile,
    as this tree's tests and benches are, in target/baseline)."""
    if rev is None:
        yield
        return
    repo = THIS.parent.parent
    core_sources = ["rust/proto/src", "rust/py/src", "Cargo.toml", "Cargo.lock"]
    differs = subprocess.run(["git", "-C", str(repo), "diff", "--quiet", rev, "--", *core_sources])
    with tempfile.TemporaryDirectory(prefix="fastdimse-baseline-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(
            ["git", "-C", str(repo), "worktree", "add", "--detach", "-q", str(tree), rev],
            check=True,
        )
        try:
            if differs.returncode != 0:
                print(f"--baseline {rev}: its Rust core differs; building it", file=sys.stderr)
                core = build_core(tree, repo / "target" / "baseline")
            else:
                core = next((repo / "python" / "fastdimse").glob("_core*.so"))
            shutil.copy2(core, tree / "python" / "fastdimse" / "_core.abi3.so")
            BASELINE_PATH["python"] = str(tree / "python")
            yield
        finally:
            BASELINE_PATH.clear()
            subprocess.run(
                ["git", "-C", str(repo), "worktree", "remove", "--force", str(tree)], check=False
            )


def build_core(tree: Path, target: Path) -> Path:
    """The compiled core of the checkout ``tree`` (cargo, CI profile, into ``target``)."""
    subprocess.run(
        ["cargo", "build", "--quiet", "--profile", "ci", "-p", "fastdimse-py"],
        cwd=tree,
        env={**os.environ, "CARGO_TARGET_DIR": str(target)},
        check=True,
    )
    return target / "ci" / "lib_core.so"


def worker_env(impl: str) -> dict[str, str] | None:
    """The baseline's workers import fastdimse from its checkout."""
    if impl != "baseline":
        return None
    return {**os.environ, "PYTHONPATH": BASELINE_PATH["python"]}


def measure_concurrent(impl: str, port: int) -> float:
    out = subprocess.run(
        [sys.executable, str(THIS), "--worker", "concurrent", impl, str(port)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
        env=worker_env(impl),
    ).stdout
    seconds: float = json.loads(out.strip().splitlines()[-1])["seconds"]
    return seconds


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
        env=worker_env(scu),
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    return result["echo_us"], result["assoc_per_s"], int(result["restarts"])


@contextmanager
def server(
    impl: str, tmp: Path, profile: Path | None = None, *, handler: bool = False
) -> Iterator[int]:
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
    cmd = [sys.executable, str(THIS), "--worker", "server", impl, str(int(handler))]
    if profile:
        cmd.append(str(profile))
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=worker_env(impl)
    )
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
            "baseline": args.baseline,
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
        ("asyncio, both ends", "aio>aio", "pynetdicom>pynetdicom", "dcmtk>dcmtk"),
        ("asyncio as SCU vs DCMTK SCP", "aio>dcmtk", "pynetdicom>dcmtk", "dcmtk>dcmtk"),
        ("asyncio as SCP vs DCMTK SCU", "dcmtk>aio", "dcmtk>pynetdicom", "dcmtk>dcmtk"),
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
    lines += engine_sections(report)
    return "\n".join(lines)


def engine_sections(report: dict[str, Any]) -> list[str]:
    """The threaded API against its baseline revision, and asyncio against threads."""
    lines: list[str] = []
    results = report["results"]
    if "baseline>baseline" in results and "ours>ours" in results:
        ours, base = results["ours>ours"], results["baseline>baseline"]
        lines += [
            "",
            f"This tree against --baseline {report['meta'].get('baseline')} (same run; "
            ">1: this tree is faster):",
            "",
            "| | echo RTT (us) | associations/s |",
            "|---|---:|---:|",
            f"| this tree | {ours['echo_us_median']:.1f} | {ours['assoc_per_s_median']:.0f} |",
            f"| baseline | {base['echo_us_median']:.1f} | {base['assoc_per_s_median']:.0f} |",
            f"| ratio | {base['echo_us_median'] / ours['echo_us_median']:.2f}x | "
            f"{ours['assoc_per_s_median'] / base['assoc_per_s_median']:.2f}x |",
        ]
    concurrent = report.get("concurrent", {})
    if concurrent:
        lines += [
            "",
            f"{CONCURRENT} associations at once, each associate + C-ECHO (a handler bound: "
            "async def under asyncio, a plain function with threads) + release; the client "
            "is one event loop under asyncio, a thread per association otherwise:",
            "",
            "| API | total seconds (median) |",
            "|---|---:|",
        ]
        lines += [
            f"| {LABEL[impl]} | {value['median_s']:.3f} |" for impl, value in concurrent.items()
        ]
        if "aio" in concurrent and "ours" in concurrent:
            ratio = concurrent["ours"]["median_s"] / concurrent["aio"]["median_s"]
            lines.append(f"| asyncio vs threads | {ratio:.2f}x |")
    return lines


def _pretty(key: str) -> str:
    scu, scp = key.split(">")
    return f"{LABEL[scu]} -> {LABEL[scp]}"


# --- worker processes -----------------------------------------------------------------


def worker(argv: list[str]) -> None:
    kind, rest = argv[0], argv[1:]
    if kind == "server":
        impl, handler = rest[0], rest[1] == "1"
        profile = Path(rest[2]) if len(rest) > 2 else None
        with profiled(profile):
            serve("ours" if impl == "baseline" else impl, handler)
    elif kind == "client":
        impl, port, echoes, associations = rest[0], int(rest[1]), int(rest[2]), int(rest[3])
        profile = Path(rest[4]) if len(rest) > 4 else None
        with profiled(profile):
            result = client("ours" if impl == "baseline" else impl, port, echoes, associations)
        print(json.dumps(result))
    elif kind == "concurrent":
        impl, port = rest[0], int(rest[1])
        print(json.dumps(concurrent_client("ours" if impl == "baseline" else impl, port)))
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


if __name__ == "__main__":
    main()
