"""fastdimse stores a CT study over DICOM, every byte intact, next to pynetdicom and DCMTK.

Run: ``python benches/store_demo.py [--count N] [--skip-others]`` (under two
minutes; ``scripts/demo.sh`` sets up and runs it).

It writes a synthetic CT study (500 instances of 512x512 16-bit pixels,
about 0.5 MB each, pseudo-random so no corruption hides in zeros) to a
temporary directory, starts fastdimse's ``storescp`` app on loopback, sends
the study with fastdimse's ``storescu`` app, and checks every stored file
against the file that was sent. Then it does the same with pynetdicom
3.0.4's storescp/storescu apps and with DCMTK's (``TCP_NODELAY=1``), and
prints instances/s and MB/s side by side with the ratios: medians of 3 runs
per pair (``--repeats``), interleaved, each one checked. Each run is timed
from the sender's start to its exit (process start-up included), the server
already answering C-ECHO; files are written to the page cache (no fsync), as
all three apps do by default.

The check: for every instance sent, exactly one stored file, whose data set
(everything after the File Meta Information) is byte-for-byte the data set
of the file sent, in the same transfer syntax. The file meta is left out
because it legitimately differs (implementation UID and version, source AE
title); byte identity of the rest is a stronger claim than element-by-element
equality (it also rules out re-encoded lengths, VRs or padding) and is what a
storage SCP that writes the received data set through unchanged should give.
Only if an app changed the transfer syntax (a conversion DICOM allows) are
the two compared element by element (pydicom, group 0002 left out) instead.
The exit status is non-zero if any of fastdimse's stored files is missing,
extra or different; the other apps' results are reported, not judged.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import run_store_bench as bench
from synthetic import write_study

MB = 1024 * 1024
LONG_LENGTH_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR"}
LONG_LENGTH_VRS |= {b"UT", b"UV"}
SOP_INSTANCE_UID_TAG = 0x00020003
TRANSFER_SYNTAX_TAG = 0x00020010
IMPLS = {"ours": "fastdimse", "pynetdicom": "pynetdicom", "dcmtk": "DCMTK"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500, help="instances in the study")
    parser.add_argument("--repeats", type=int, default=3, help="runs per pair (median shown)")
    parser.add_argument(
        "--skip-others", action="store_true", help="fastdimse only (no pynetdicom, DCMTK)"
    )
    args = parser.parse_args()
    impls = ["ours"] if args.skip_others else list(IMPLS)
    if "dcmtk" in impls and not shutil.which("storescu"):
        print("DCMTK not found: its run is skipped")
        impls.remove("dcmtk")
    versions = app_versions()
    load = os.getloadavg()
    print(
        f"fastdimse storage demo: {args.count} synthetic CT instances (512x512, 16-bit) over "
        f"loopback; {os.cpu_count()} CPUs, load average {load[0]:.2f}"
    )
    with tempfile.TemporaryDirectory(prefix="fastdimse-demo-") as tmp_name:
        tmp = Path(tmp_name)
        start = time.perf_counter()
        files = write_study(tmp / "study", args.count)
        nbytes = sum(path.stat().st_size for path in files)
        print(
            f"generated {len(files)} instances, {nbytes / MB:.0f} MB, in {tmp / 'study'} "
            f"({time.perf_counter() - start:.1f} s)"
        )
        sent = index_sent(files)
        results = [Result(impl, versions[impl], len(files), nbytes) for impl in impls]
        for rep in range(args.repeats):
            for result in results:
                out = tmp / f"stored-{result.impl}"
                print(f"{result.label}: storescu -> storescp (run {rep + 1}/{args.repeats})")
                for attempt in range(bench.MAX_ATTEMPTS):
                    seconds = run_pair(result, out, tmp)
                    check = verify(sent, out)
                    shutil.rmtree(out)
                    if attempt == bench.MAX_ATTEMPTS - 1 or not raced(result, tmp, check):
                        break
                    print(
                        "  run discarded: pynetdicom's storescu lost a response to its own "
                        "threading race and aborted; repeating"
                    )
                result.seconds.append(seconds)
                print(f"  {check.summary(len(files))}")
                result.checks.append(check)
    print()
    print(table(results, args.repeats))
    bad = [check for check in results[0].checks if not check.all_identical(len(files))]
    if bad:
        print(f"\nFAILED: fastdimse stored files differ from those sent: {bad[0].details()}")
        return 1
    print(
        "\nEvery file fastdimse stored holds exactly the data set that was sent. "
        "Full benchmark (medians, concurrency, a 500 MB instance, fsync): "
        "python benches/run_store_bench.py"
    )
    return 0


def app_versions() -> dict[str, str]:
    import pynetdicom

    import fastdimse._core

    versions = {
        "ours": f"fastdimse {fastdimse._core.__version__}",
        "pynetdicom": f"pynetdicom {pynetdicom.__version__}",
        "dcmtk": "DCMTK",
    }
    if shutil.which("storescp"):
        out = subprocess.run(["storescp", "--version"], capture_output=True, text=True)
        words = out.stdout.split()
        if len(words) > 2 and words[0] == "$dcmtk:":
            versions["dcmtk"] = f"DCMTK {words[2].lstrip('v')}"
    return versions


# --- one storescu -> storescp run ---------------------------------------------------------


@dataclass
class Check:
    identical_bytes: int = 0
    identical_elements: int = 0
    different: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    transfer_syntaxes: Counter[str] = field(default_factory=Counter)

    @property
    def identical(self) -> int:
        return self.identical_bytes + self.identical_elements

    def all_identical(self, count: int) -> bool:
        return self.identical == count and not (self.different or self.missing or self.extra)

    def summary(self, count: int) -> str:
        text = f"stored files identical to those sent: {self.identical}/{count}"
        if self.identical_elements:
            text += (
                f" ({self.identical_bytes} byte for byte, {self.identical_elements} element "
                f"by element after a transfer syntax change: {dict(self.transfer_syntaxes)})"
            )
        else:
            text += " (data set byte for byte)"
        if not self.all_identical(count):
            text += f"; {self.details()}"
        return text

    def details(self) -> str:
        parts = []
        for name, items in (
            ("different", self.different),
            ("missing", self.missing),
            ("extra", self.extra),
        ):
            if items:
                parts.append(f"{len(items)} {name} (e.g. {', '.join(items[:3])})")
        return "; ".join(parts) or "none"


@dataclass
class Result:
    impl: str
    label: str
    instances: int
    nbytes: int
    seconds: list[float] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds)


def run_pair(result: Result, out: Path, tmp: Path) -> float:
    """`impl`'s storescu sends the study to `impl`'s storescp into `out`; the seconds."""
    impl, count, nbytes = result.impl, result.instances, result.nbytes
    out.mkdir()
    logs = tmp / "logs"
    logs.mkdir(exist_ok=True)
    os.sync()  # the previous run's writeback is not this run's cost
    server = bench.Server(impl, out, logs / f"{impl}-storescp.log")

    def progress(seconds: float) -> None:
        print(f"  {len(os.listdir(out))}/{count} stored ({seconds:.0f} s)", flush=True)

    try:
        server.start()
        seconds = bench.send(
            impl, server.port, [tmp / "study"], logs / f"{impl}-storescu.log", progress
        )
    finally:
        server.stop()
    print(
        f"  {count} instances in {seconds:.2f} s: {count / seconds:.1f} instances/s, "
        f"{nbytes / MB / seconds:.1f} MB/s"
    )
    return seconds


def raced(result: Result, tmp: Path, check: Check) -> bool:
    """Whether pynetdicom's requestor lost a response to its reactor thread (its 3.0.4 race)."""
    if result.impl != "pynetdicom" or check.all_identical(result.instances):
        return False
    log = (tmp / "logs" / f"{result.impl}-storescu.log").read_text(errors="replace")
    return any(sign in log for sign in bench.RACE)


# --- checking the stored files ----------------------------------------------------------


def read_part10(path: Path) -> tuple[dict[int, str], bytes]:
    """(the file meta values we need, the data set's bytes) of a DICOM file."""
    data = path.read_bytes()
    if data[128:132] != b"DICM":
        raise ValueError(f"{path.name}: not a DICOM file (no DICM prefix)")
    meta: dict[int, str] = {}
    pos = 132
    # File meta elements are always explicit VR little endian.
    while pos + 8 <= len(data) and data[pos : pos + 2] == b"\x02\x00":
        tag = int.from_bytes(data[pos : pos + 2], "little") << 16
        tag |= int.from_bytes(data[pos + 2 : pos + 4], "little")
        vr = data[pos + 4 : pos + 6]
        if vr in LONG_LENGTH_VRS:
            length = int.from_bytes(data[pos + 8 : pos + 12], "little")
            value_at = pos + 12
        else:
            length = int.from_bytes(data[pos + 6 : pos + 8], "little")
            value_at = pos + 8
        if tag in (SOP_INSTANCE_UID_TAG, TRANSFER_SYNTAX_TAG):
            meta[tag] = data[value_at : value_at + length].rstrip(b"\x00 ").decode("ascii")
        pos = value_at + length
    return meta, data[pos:]


def index_sent(files: list[Path]) -> dict[str, Path]:
    """SOP Instance UID -> the file sent."""
    return {read_part10(path)[0][SOP_INSTANCE_UID_TAG]: path for path in files}


def verify(sent: dict[str, Path], out: Path) -> Check:
    check = Check()
    seen: set[str] = set()
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        try:
            meta, stored = read_part10(path)
        except ValueError:
            check.extra.append(path.name)
            continue
        uid = meta.get(SOP_INSTANCE_UID_TAG, "")
        if uid not in sent or uid in seen:
            check.extra.append(path.name)
            continue
        seen.add(uid)
        sent_meta, original = read_part10(sent[uid])
        if meta.get(TRANSFER_SYNTAX_TAG) == sent_meta[TRANSFER_SYNTAX_TAG]:
            if stored == original:
                check.identical_bytes += 1
            else:
                check.different.append(path.name)
        elif same_elements(sent[uid], path):
            check.identical_elements += 1
            check.transfer_syntaxes[
                f"{sent_meta[TRANSFER_SYNTAX_TAG]} -> {meta.get(TRANSFER_SYNTAX_TAG)}"
            ] += 1
        else:
            check.different.append(path.name)
    check.missing = [sent[uid].name for uid in sent if uid not in seen]
    return check


def same_elements(sent: Path, stored: Path) -> bool:
    """Every element outside group 0002 equal (values decoded by pydicom, pixels as bytes)."""
    from pydicom import dcmread

    a, b = dcmread(sent), dcmread(stored)
    for ds in (a, b):
        for tag in [t for t in ds.keys() if t.group == 0x0002]:
            del ds[tag]
    return bool(a == b)


# --- the table --------------------------------------------------------------------------


def table(results: list[Result], repeats: int) -> str:
    ours = results[0]
    lines = [
        f"Medians of {repeats} runs; files written to the page cache (no fsync) by all three.",
        "",
        "| storescu -> storescp | s | instances/s | MB/s | identical files (all runs) "
        "| fastdimse / this |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        seconds = result.median_seconds
        rate = result.instances / seconds
        # the same instances on both sides: the ratio of rates is the inverse one of times
        ratio = "-" if result is ours else f"{seconds / ours.median_seconds:.2f}x"
        identical = sum(check.identical for check in result.checks)
        lines.append(
            f"| {result.label} -> {result.label} | {seconds:.2f} | {rate:.1f} | "
            f"{result.nbytes / MB / seconds:.1f} | "
            f"{identical}/{result.instances * len(result.checks)} | {ratio} |"
        )
    for result in results:
        changed: Counter[str] = Counter()
        for check in result.checks:
            changed.update(check.transfer_syntaxes)
        if changed:
            lines.append(
                f"\n{result.label}: the transfer syntax changed on the way "
                f"({', '.join(changed)}), so those files were compared element by element; "
                "all others data set byte for byte."
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
