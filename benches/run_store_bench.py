"""Storage end to end: fastdimse's storescp/storescu next to pynetdicom 3.0.4 and DCMTK.

Run: ``python benches/run_store_bench.py [--quick] [--json FILE] [--only a,b,...]``

A side-by-side runner, not a test. Every figure is the median of several
repetitions (3; 1 with --quick), interleaved so that drift in machine load
falls on every case alike. All on loopback; DCMTK tools always run with
``TCP_NODELAY=1``. Each case:

a) a synthetic CT study (1000 instances of 512x512x16, ~0.5 MB each) over
   one association from DCMTK ``storescu`` into each SCP app: ours
   (``python -m fastdimse storescp``, plus ``--fsync``), pynetdicom's
   (``python -m pynetdicom storescp``), DCMTK's ``storescp`` (and
   ``--fork``); files written per second;
b) the same study split over 8 concurrent DCMTK ``storescu`` senders, also
   into ours with ``--workers 2`` (2 processes on the port), next to DCMTK's
   ``storescp --fork`` (a process per association);
c) one 500 MB instance from DCMTK ``storescu`` into each SCP: MB/s and the
   receiving process's peak RSS;
d) the sending side: our ``storescu``, pynetdicom's and DCMTK's, into DCMTK
   ``storescp --ignore`` (received, not stored);
e) the floor: the same files pushed through a plain loopback socket by a
   Python sender (``sendfile``) to a Python receiver that writes each
   instance to its own file and answers one byte per instance, as a C-STORE
   response would.

Every result carries its storage mode: "page cache" (written, not synced:
the kernel writes back later; DCMTK's storescp has no fsync option) or
"fsync before response" (file and directory durable before the status).
A run is timed from the sender's start to its exit (process start-up
included), the server already listening and answering C-ECHO; afterwards
the files in the output directory are counted and the run fails loudly if
any instance is missing, except where pynetdicom's storescu (run with
``-td 5``) lost a response to pynetdicom 3.0.4's own threading race and
aborted (it still exits 0): that run is void, repeated (3 attempts at most)
and counted in the report. Output is deleted and ``sync`` run between cases, so
no case pays for another's writeback. Peak RSS is the largest of: VmHWM of
the server read just before it is stopped and VmRSS (and for forked
children VmHWM) polled every 10 ms during the transfer (wait4's ru_maxrss is
no use: it keeps the forking parent's size from before exec); "idle" is
VmRSS just before the sender starts. Machine load: the 1-minute load average and the time of a fixed
pure-Python loop, both at the start of each repetition.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The servers, senders and the floor's processes (the script's folder is on sys.path).
from store_bench_procs import MB, WORKERS, RssPoller, Server, send, tail, walk_files

THIS = Path(__file__).resolve()
MAX_ATTEMPTS = 3
# pynetdicom 3.0.4's requestor races its own reactor thread for a response
# ("Received unexpected C-STORE service message"), then times out and aborts;
# its storescu still exits 0. Such a run is void and repeated (and counted).
RACE = ("Received unexpected", "DIMSE timeout reached")

PAGE_CACHE = "page cache"
FSYNC = "fsync before response"
NOT_STORED = "not stored (--ignore)"

# receiver -> (label, storage mode)
RECEIVERS: dict[str, tuple[str, str]] = {
    "ours": ("fastdimse storescp", PAGE_CACHE),
    "ours-fsync": ("fastdimse storescp --fsync", FSYNC),
    "ours-workers": (f"fastdimse storescp --workers {WORKERS}", PAGE_CACHE),
    "ours-workers-fsync": (f"fastdimse storescp --workers {WORKERS} --fsync", FSYNC),
    "pynetdicom": ("pynetdicom storescp", PAGE_CACHE),
    "dcmtk": ("DCMTK storescp", PAGE_CACHE + " (no fsync option)"),
    "dcmtk-fork": ("DCMTK storescp --fork", PAGE_CACHE + " (no fsync option)"),
    "dcmtk-ignore": ("DCMTK storescp --ignore", NOT_STORED),
    "floor": ("floor: Python socket -> files", PAGE_CACHE),
    "floor-fsync": ("floor: Python socket -> files", FSYNC),
}
SENDERS = {
    "ours": "fastdimse storescu",
    "pynetdicom": "pynetdicom storescu",
    "dcmtk": "DCMTK storescu",
    "floor": "floor: Python sendfile",
}
SCPS = (
    "ours",
    "ours-fsync",
    "ours-workers",
    "ours-workers-fsync",
    "pynetdicom",
    "dcmtk",
    "dcmtk-fork",
)
# Several processes only help several senders: these run in b) alone.
ONLY_IN_B = ("ours-workers", "ours-workers-fsync")
SECTION_TITLES = {
    "a": "a) study over one association, DCMTK storescu -> each SCP",
    "b": "b) study split over {senders} concurrent DCMTK storescu -> each SCP",
    "c": "c) one {large_mb} MB instance, DCMTK storescu -> each SCP",
    "d": "d) sending side: each storescu -> DCMTK storescp --ignore",
    "e": "e) floor: the same bytes through a plain loopback socket into files",
}


def main() -> None:
    args = parse_args()
    report = run(args)
    print(markdown(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nJSON written to {args.json}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 repetition, smaller sizes")
    parser.add_argument("--json", metavar="FILE", help="also write every sample as JSON")
    parser.add_argument("--only", help="comma-separated sections to run (a,b,c,d,e)")
    parser.add_argument("--repeats", type=int, help="repetitions per figure (default 3)")
    parser.add_argument("--count", type=int, help="instances in the study (default 1000)")
    parser.add_argument("--large-mb", type=int, help="size of the large instance (default 500)")
    parser.add_argument("--senders", type=int, default=8, help="concurrent senders in b)")
    parser.add_argument(
        "--scps", help=f"comma-separated SCPs for a-c (default all: {','.join(SCPS)})"
    )
    parser.add_argument(
        "--data", metavar="DIR", type=Path, help="keep the synthetic data here and reuse it"
    )
    args = parser.parse_args()
    quick = args.quick
    args.repeats = args.repeats or (1 if quick else 3)
    args.count = args.count or (200 if quick else 1000)
    args.large_mb = args.large_mb or (100 if quick else 500)
    args.sections = sorted(set((args.only or "abcde").replace(",", "")))
    if not set(args.sections) <= set("abcde"):
        raise SystemExit(f"--only: sections are a, b, c, d, e (got {args.only})")
    args.scps = args.scps.split(",") if args.scps else list(SCPS)
    if not set(args.scps) <= set(SCPS):
        raise SystemExit(f"--scps: choose from {', '.join(SCPS)}")
    return args


# --- the cases ------------------------------------------------------------------------


@dataclass
class Case:
    section: str
    sender: str
    receiver: str
    payload: str  # "study" or "large"
    senders: int = 1
    instances: int = 0
    nbytes: int = 0
    seconds: list[float] = field(default_factory=list)
    peak_rss_kib: list[int] = field(default_factory=list)
    idle_rss_kib: list[int] = field(default_factory=list)
    rss_sources: list[dict[str, int]] = field(default_factory=list)
    discarded: int = 0

    @property
    def key(self) -> str:
        return f"{self.section}:{self.sender}>{self.receiver}:{self.payload}"

    @property
    def storage(self) -> str:
        return RECEIVERS[self.receiver][1]


def build_cases(args: argparse.Namespace, have_ours: bool, have_dcmtk: bool) -> list[Case]:
    scps = [s for s in args.scps if have_ours or not s.startswith("ours")]
    scps = [s for s in scps if have_dcmtk or not s.startswith("dcmtk")]
    cases: list[Case] = []
    if not have_dcmtk:
        print("DCMTK not found: sections a-d need its storescu/storescp", file=sys.stderr)
    for section in args.sections:
        if section in "abc" and have_dcmtk:
            payload = "large" if section == "c" else "study"
            senders = args.senders if section == "b" else 1
            cases += [
                Case(section, "dcmtk", scp, payload, senders)
                for scp in scps
                if section == "b" or scp not in ONLY_IN_B
            ]
            if section == "c":
                # What DCMTK's sender gives at most (received, not stored): the cap of
                # every receiver in this section, which the socket-to-file floor is not.
                cases.append(Case("c", "dcmtk", "dcmtk-ignore", "large", 1))
        elif section == "d" and have_dcmtk:
            scus = [s for s in ("ours", "pynetdicom", "dcmtk") if have_ours or s != "ours"]
            cases += [Case("d", scu, "dcmtk-ignore", "study") for scu in scus]
        elif section == "e":
            cases += [
                Case("e", "floor", "floor", "study"),
                Case("e", "floor", "floor-fsync", "study"),
                Case("e", "floor", "floor", "large"),
                Case("e", "floor", "floor-fsync", "large"),
            ]
    return cases


def ours_available() -> bool:
    """Whether fastdimse has the storescp and storescu apps yet."""
    try:
        from fastdimse.__main__ import APPS
    except ImportError:
        return False
    return "storescp" in APPS and "storescu" in APPS


# --- the orchestrator -----------------------------------------------------------------


@dataclass
class Data:
    study: Path  # one directory holding the whole study
    parts: list[Path]  # the study split over the concurrent senders (hard links)
    large: Path  # a directory holding the one large instance
    study_files: int
    study_bytes: int
    large_bytes: int


def run(args: argparse.Namespace) -> dict[str, Any]:
    have_dcmtk = bool(shutil.which("storescu") and shutil.which("storescp"))
    have_ours = ours_available()
    if not have_ours:
        print("fastdimse has no storescp/storescu app yet: its cases are skipped", file=sys.stderr)
    cases = build_cases(args, have_ours, have_dcmtk)
    machine: dict[str, list[float]] = {"load1": [], "cpu_loop_ms": []}
    with tempfile.TemporaryDirectory(prefix="store-bench-") as tmp_name:
        tmp = Path(tmp_name)
        data = prepare_data(args, args.data or tmp / "data", cases)
        for rep in range(args.repeats):
            machine["load1"].append(os.getloadavg()[0])
            machine["cpu_loop_ms"].append(cpu_loop_ms())
            print(
                f"repetition {rep + 1}/{args.repeats} (load {machine['load1'][-1]:.2f}, "
                f"cpu loop {machine['cpu_loop_ms'][-1]:.0f} ms)",
                file=sys.stderr,
                flush=True,
            )
            for case in cases:
                run_case(case, data, tmp)
                print(f"  {describe(case)}", file=sys.stderr, flush=True)
        machine["load1_after"] = [os.getloadavg()[0]]
    return build_report(args, cases, machine, data, have_ours, have_dcmtk)


def prepare_data(args: argparse.Namespace, root: Path, cases: list[Case]) -> Data:
    """The study (and its split) and the large instance, generated unless already there."""
    sys.path.insert(0, str(THIS.parent))
    from synthetic import large_instance, write_study

    study = root / f"study-{args.count}"
    if len(list(study.glob("*.dcm"))) != args.count:
        print(f"generating {args.count} CT instances in {study}", file=sys.stderr, flush=True)
        shutil.rmtree(study, ignore_errors=True)
        write_study(study, args.count)
    files = sorted(study.glob("*.dcm"))
    parts = []
    for index in range(args.senders):
        part = root / f"study-{args.count}-part{index + 1}of{args.senders}"
        if not part.is_dir():
            part.mkdir(parents=True)
            for path in files[index :: args.senders]:
                os.link(path, part / path.name)
        parts.append(part)
    large = root / f"large-{args.large_mb}"
    large_file = large / f"large-{args.large_mb}MB.dcm"
    if any(c.payload == "large" for c in cases) and not large_file.exists():
        print(f"generating one {args.large_mb} MB instance", file=sys.stderr, flush=True)
        large.mkdir(parents=True, exist_ok=True)
        large_instance(large_file.with_suffix(".tmp"), args.large_mb)
        large_file.with_suffix(".tmp").rename(large_file)
    return Data(
        study=study,
        parts=parts,
        large=large,
        study_files=len(files),
        study_bytes=sum(p.stat().st_size for p in files),
        large_bytes=large_file.stat().st_size if large_file.exists() else 0,
    )


def run_case(case: Case, data: Data, tmp: Path) -> None:
    """One repetition of `case`: fresh server, send, stop, verify, clean up."""
    if case.payload == "large":
        inputs, case.instances, case.nbytes = [data.large], 1, data.large_bytes
    elif case.senders > 1:
        inputs, case.instances, case.nbytes = data.parts, data.study_files, data.study_bytes
    else:
        inputs, case.instances, case.nbytes = [data.study], data.study_files, data.study_bytes
    for attempt in range(MAX_ATTEMPTS):
        if attempt_case(case, inputs, data, tmp, last=attempt == MAX_ATTEMPTS - 1):
            return
        case.discarded += 1
        print(f"  {case.key}: run discarded (pynetdicom lost a response)", file=sys.stderr)


def attempt_case(case: Case, inputs: list[Path], data: Data, tmp: Path, last: bool) -> bool:
    """One run; False if pynetdicom's requestor lost a response (the run is void)."""
    out = tmp / "out"
    logs = tmp / "logs"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    logs.mkdir(exist_ok=True)
    os.sync()  # earlier cases' dirty pages are not this case's cost
    server = Server(case.receiver, out, logs / f"{case.receiver}.log")
    send_log = logs / f"{case.sender}-send.log"
    try:
        server.start()
        idle = server.rss_kib()
        poller = RssPoller(server.pid)
        poller.start()
        try:
            seconds = send(case.sender, server.port, inputs, send_log)
        finally:
            poller.stop()
        hwm_before_exit = server.hwm_kib()
    finally:
        server.stop()
    received = server.received(out)
    if received != case.instances:
        sender_log = send_log.read_text(errors="replace")
        if not last and case.sender == "pynetdicom" and any(s in sender_log for s in RACE):
            return False
        raise SystemExit(
            f"FAILED {case.key}: {case.instances} instances sent, {received} stored\n"
            f"sender log tail:\n{tail(send_log)}\nserver log tail:\n{tail(server.log)}"
        )
    check_sizes(case, out, data)
    shutil.rmtree(out)
    sources = {
        "vmhwm_before_exit": hwm_before_exit,
        "polled_vmrss_max": poller.max_rss,
        "polled_children_vmhwm_max": poller.max_child_hwm,
    }
    case.seconds.append(seconds)
    case.idle_rss_kib.append(idle)
    case.peak_rss_kib.append(max(sources.values()))
    case.rss_sources.append(sources)
    return True


def check_sizes(case: Case, out: Path, data: Data) -> None:
    """Every stored file at least holds its pixel data: a file cut short fails loudly."""
    if case.receiver == "dcmtk-ignore":
        return
    smallest = data.large_bytes if case.payload == "large" else data.study_bytes // case.instances
    floor_bytes = smallest * 9 // 10  # file meta and encodings differ a little
    short = [p for p in walk_files(out) if p.stat().st_size < floor_bytes]
    if short:
        raise SystemExit(
            f"FAILED {case.key}: {len(short)} files shorter than expected: {short[:3]}"
        )


def describe(case: Case) -> str:
    seconds = case.seconds[-1]
    text = (
        f"{case.key:42} {seconds:7.2f} s {case.instances / seconds:8.1f} inst/s "
        f"{case.nbytes / MB / seconds:8.1f} MB/s"
    )
    if case.payload == "large":
        text += f"  peak RSS {case.peak_rss_kib[-1] / 1024:.0f} MB"
    return text


def cpu_loop_ms() -> float:
    """A fixed pure-Python loop: slower when other processes take the CPUs."""
    start = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i & 7
    return (time.perf_counter() - start) * 1e3


# --- the report -----------------------------------------------------------------------


def build_report(
    args: argparse.Namespace,
    cases: list[Case],
    machine: dict[str, list[float]],
    data: Data,
    have_ours: bool,
    have_dcmtk: bool,
) -> dict[str, Any]:
    import pynetdicom

    import fastdimse

    dcmtk_version = ""
    if have_dcmtk:
        out = subprocess.run(["storescp", "--version"], capture_output=True, text=True).stdout
        dcmtk_version = out.split()[2] if out.startswith("$dcmtk") else out.strip()
    results: dict[str, Any] = {}
    for case in cases:
        seconds = statistics.median(case.seconds)
        results[case.key] = {
            "section": case.section,
            "sender": case.sender,
            "receiver": case.receiver,
            "payload": case.payload,
            "storage": case.storage,
            "senders": case.senders,
            "instances": case.instances,
            "bytes": case.nbytes,
            "seconds": case.seconds,
            "seconds_median": seconds,
            "instances_per_s": case.instances / seconds,
            "mb_per_s": case.nbytes / MB / seconds,
            "peak_rss_kib": case.peak_rss_kib,
            "peak_rss_kib_median": statistics.median(case.peak_rss_kib),
            "idle_rss_kib_median": statistics.median(case.idle_rss_kib),
            "rss_sources": case.rss_sources,
            "discarded_runs": case.discarded,
        }
    return {
        "meta": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "fastdimse": str(Path(fastdimse.__file__).parent),
            "fastdimse_apps": have_ours,
            "pynetdicom": pynetdicom.__version__,
            "dcmtk": dcmtk_version,
            "repeats": args.repeats,
            "count": data.study_files,
            "study_bytes": data.study_bytes,
            "large_bytes": data.large_bytes,
            "large_mb": args.large_mb,
            "senders": args.senders,
            "tmp": tempfile.gettempdir(),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
        },
        "machine": machine,
        "results": results,
        "ratios": ratios(results),
    }


def ratios(results: dict[str, Any]) -> list[dict[str, Any]]:
    """(ours, other) pairs: how many times the rate of ours is the other's (>1: faster)."""
    rows: list[dict[str, Any]] = []

    def add(section: str, figure: str, ours: str, other: str, what: str) -> None:
        if ours in results and other in results:
            value = results[ours][figure] / results[other][figure]
            rows.append(
                {
                    "section": section,
                    "ours": ours,
                    "other": other,
                    "what": what,
                    "figure": figure,
                    "ratio": value,
                }
            )

    for section, payload, figure in (
        ("a", "study", "instances_per_s"),
        ("b", "study", "instances_per_s"),
        ("c", "large", "mb_per_s"),
    ):
        for ours in ("ours", "ours-fsync", "ours-workers", "ours-workers-fsync"):
            mine = f"{section}:dcmtk>{ours}:{payload}"
            for other in ("pynetdicom", "dcmtk", "dcmtk-fork"):
                add(section, figure, mine, f"{section}:dcmtk>{other}:{payload}", other)
        # fsync's price with several processes: the same server without it.
        add(
            section,
            figure,
            f"{section}:dcmtk>ours-workers-fsync:{payload}",
            f"{section}:dcmtk>ours-workers:{payload}",
            "ours-workers",
        )
        for scp in SCPS:
            floor = "floor-fsync" if scp.endswith("fsync") else "floor"
            add(
                section,
                figure,
                f"{section}:dcmtk>{scp}:{payload}",
                f"e:floor>{floor}:{payload}",
                "floor",
            )
    add("c", "mb_per_s", "c:dcmtk>ours:large", "c:dcmtk>dcmtk-ignore:large", "sender cap")
    for other in ("pynetdicom", "dcmtk"):
        add(
            "d",
            "instances_per_s",
            "d:ours>dcmtk-ignore:study",
            f"d:{other}>dcmtk-ignore:study",
            other,
        )
    return rows


def label(result: dict[str, Any]) -> tuple[str, str]:
    return SENDERS[result["sender"]], RECEIVERS[result["receiver"]][0]


def markdown(report: dict[str, Any]) -> str:
    meta, machine = report["meta"], report["machine"]
    loads = machine["load1"] + machine.get("load1_after", [])
    lines = [
        f"fastdimse: {meta['fastdimse']} (storage apps: "
        f"{'yes' if meta['fastdimse_apps'] else 'not yet: skipped'}); "
        f"pynetdicom {meta['pynetdicom']}; DCMTK {meta['dcmtk'] or 'not found'}; "
        f"Python {meta['python']}; {meta['cpus']} CPUs; {meta['platform']}",
        f"Medians of {meta['repeats']} repetitions. Study: {meta['count']} CT instances "
        f"(512x512x16), {meta['study_bytes'] / MB:.0f} MB; large instance "
        f"{meta['large_bytes'] / MB:.0f} MB. Files written under {meta['tmp']}. "
        "Timed from the sender's start to its exit; DCMTK with TCP_NODELAY=1.",
        f"Machine load (1-min average) during the run: {min(loads):.2f}-{max(loads):.2f}; "
        f"fixed CPU loop {min(machine['cpu_loop_ms']):.0f}-{max(machine['cpu_loop_ms']):.0f} ms "
        "(slower = busier machine).",
    ]
    results = report["results"]
    for section in "abcde":
        rows = [r for r in results.values() if r["section"] == section]
        if not rows:
            continue
        title = SECTION_TITLES[section].format(senders=meta["senders"], large_mb=meta["large_mb"])
        lines += ["", f"### {title}", ""]
        lines += [
            "| sender | receiver | storage | s | s min-max | instances/s | MB/s | peak RSS MB "
            "| idle RSS MB |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in rows:
            sender, receiver = label(r)
            if r["senders"] > 1:
                sender = f"{r['senders']} x {sender}"
            what = f"{receiver} ({r['payload']})" if section == "e" else receiver
            lines.append(
                f"| {sender} | {what} | {r['storage']} | {r['seconds_median']:.2f} | "
                f"{min(r['seconds']):.2f}-{max(r['seconds']):.2f} | "
                f"{r['instances_per_s']:.1f} | {r['mb_per_s']:.0f} | "
                f"{r['peak_rss_kib_median'] / 1024:.0f} | {r['idle_rss_kib_median'] / 1024:.0f} |"
            )
    discarded = [
        f"{key}: {r['discarded_runs']}" for key, r in results.items() if r["discarded_runs"]
    ]
    if discarded:
        lines += [
            "",
            "Runs discarded and repeated after pynetdicom's requestor lost a response to its "
            "own reactor thread (a pynetdicom 3.0.4 race; its storescu still exits 0): "
            + "; ".join(discarded)
            + ".",
        ]
    if report["ratios"]:
        lines += [
            "",
            "### Ratios (rate of the first / rate of the second; >1: the first is faster)",
            "",
            "| section | this | against | ratio |",
            "|---|---|---|---:|",
        ]
        for row in report["ratios"]:
            mine, other = results[row["ours"]], results[row["other"]]
            unit = "MB/s" if row["figure"] == "mb_per_s" else "instances/s"
            lines.append(
                f"| {row['section']} ({unit}) | "
                f"{_side(mine, row['section'])} | {_side(other, row['section'])} | "
                f"{row['ratio']:.2f}x |"
            )
    return "\n".join(lines)


def _side(result: dict[str, Any], section: str) -> str:
    sender, receiver = label(result)
    return sender if section == "d" else f"{receiver} [{result['storage']}]"


if __name__ == "__main__":
    main()
