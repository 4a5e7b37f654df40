"""Query/Retrieve side by side: our SCU against our API SCP, pynetdicom 3.0.4's
API SCP and DCMTK's dcmqrscp.

Run: ``python benches/run_qr_bench.py [--quick] [--runs N] [--json FILE] [--data DIR]``

A side-by-side runner, not a test. Two cases, each with our SCU
(``benches/qr_bench_peers.py scu``: one association, timed from the request
to the final response) against each SCP in turn, the repetitions interleaved
so that drift in machine load falls on every SCP alike; every figure is the
median of the runs (5; 1 with --quick):

find) a C-FIND at IMAGE level matching 10,000 instances: responses per second.
      The API SCPs yield 10,000 identifiers built in memory; dcmqrscp answers
      from its index of the 10,000 files.
get)  a C-GET of a study of 500 CT slices (~0.5 MB each): instances per second,
      each written to disk by our SCU (``FileStore``), all counted afterwards.
      Our SCP yields the files' paths (streamed from disk), pynetdicom's a
      Dataset read per yield (its only way), dcmqrscp its stored files.

Also each SCP's CPU seconds per response (its processes', from /proc, over the run),
which says what it costs where the other side caps the rate. DCMTK runs with
``TCP_NODELAY=1``. The data is written once into --data (default
/tmp/fastdimse-qr-bench) and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PEERS = HERE / "qr_bench_peers.py"
DCMTK_ENV = {**os.environ, "TCP_NODELAY": "1"}
SCPS = ("ours", "pynetdicom", "dcmtk")
CASES = ("find", "get")
# The AE title that picks dcmqrscp's storage area for each case.
DCMTK_AREAS = {"find": "MATCHES", "get": "CTSTUDY"}
READY_TIMEOUT = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run per SCP")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, help="write the report here too")
    parser.add_argument("--data", type=Path, default=Path("/tmp/fastdimse-qr-bench"))
    parser.add_argument("--only", default=",".join(CASES), help="cases: find,get")
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    print(f"preparing data in {args.data} (once)", flush=True)
    subprocess.run([sys.executable, str(PEERS), "prepare", str(args.data)], check=True)
    report: dict[str, Any] = {"runs": runs, "load_1min": os.getloadavg()[0], "cases": {}}
    for case in args.only.split(","):
        report["cases"][case] = run_case(case, args.data, runs)
    print(markdown(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


def run_case(case: str, data: Path, runs: int) -> dict[str, Any]:
    """Every SCP ``runs`` times, interleaved; each run's figures."""
    available = [s for s in SCPS if s != "dcmtk" or shutil.which("dcmqrscp")]
    results: dict[str, list[dict[str, Any]]] = {scp: [] for scp in available}
    with tempfile.TemporaryDirectory(prefix="qr-bench-") as tmp:
        for run in range(runs):
            for scp in available:
                result = run_once(case, scp, data, Path(tmp), run)
                results[scp].append(result)
                print(f"  {case} {scp}: {rate_of(case, result):,.0f}/s", flush=True)
    return {scp: summarise(case, figures) for scp, figures in results.items()}


def run_once(case: str, scp: str, data: Path, tmp: Path, run: int) -> dict[str, Any]:
    """Start the SCP, run our SCU once against it, stop the SCP.

    Each run writes into a directory of its own, all deleted after the case: a run that
    followed the deletion of the last one's 500 files would pay for it (ext4 skips
    recently freed inodes when it allocates new ones, a fifth of the SCU's time here);
    and starts once what the runs before wrote is on disk.
    """
    port = free_port()
    out = tmp / f"out-{case}-{scp}-{run}"
    out.mkdir()
    os.sync()  # the runs before are on disk: no run pays for another's writeback
    log = tmp / f"{scp}.log"
    server = start_scp(scp, port, data, tmp, log)
    try:
        wait_ready(server, port, log)
        aet = DCMTK_AREAS[case] if scp == "dcmtk" else "QRSCP"
        with CpuMeter(server.pid) as meter:
            scu = subprocess.run(
                [sys.executable, str(PEERS), "scu", case, str(port), str(out), "--aet", aet],
                capture_output=True,
                text=True,
                timeout=600,
            )
        cpu = meter.seconds
    finally:
        stop(server)
    if scu.returncode != 0:
        raise SystemExit(f"{case} against {scp} failed:\n{scu.stderr[-3000:]}\n{tail(log)}")
    result: dict[str, Any] = json.loads(scu.stdout.strip().splitlines()[-1])
    result["scp_cpu_s"] = cpu
    check(case, scp, result)
    return result


def check(case: str, scp: str, result: dict[str, Any]) -> None:
    """A run that lost anything is no figure: fail loudly."""
    from qr_bench_peers import GET_INSTANCES, MATCHES

    if result["final_status"] != 0:
        raise SystemExit(f"{case} against {scp}: final status 0x{result['final_status']:04X}")
    if case == "find" and result["responses"] != MATCHES + 1:
        raise SystemExit(f"find against {scp}: {result['responses'] - 1} matches, not {MATCHES}")
    if case == "get" and (result["completed"], result["files"]) != (GET_INSTANCES,) * 2:
        raise SystemExit(
            f"get against {scp}: {result['completed']} completed, {result['files']} files"
        )


def start_scp(scp: str, port: int, data: Path, tmp: Path, log: Path) -> subprocess.Popen[bytes]:
    if scp == "dcmtk":
        config = tmp / "dcmqrscp.cfg"
        write_dcmqrscp_config(config, port, data)
        # Forking (its default): dcmqrscp 3.6.7 crashes after a release with --single-process.
        argv = ["dcmqrscp", "-c", str(config), str(port)]
        env = DCMTK_ENV
    else:
        argv = [sys.executable, str(PEERS), "scp", scp, str(port), str(data)]
        env = dict(os.environ)
    with log.open("wb") as sink:
        return subprocess.Popen(
            argv, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )


def write_dcmqrscp_config(path: Path, port: int, data: Path) -> None:
    """dcmqrscp's configuration: one read-only storage area per case, indexed once."""
    for area in ("matches", "ct"):
        if not (data / area / "index.dat").exists():
            files = sorted(str(p) for p in (data / area).glob("*.dcm"))
            subprocess.run(["dcmqridx", str(data / area), *files], check=True, env=DCMTK_ENV)
    path.write_text(
        f"""NetworkTCPPort = {port}
MaxPDUSize = 16384
MaxAssociations = 16
HostTable BEGIN
qrscu = (QRSCU, 127.0.0.1, 0)
HostTable END
VendorTable BEGIN
VendorTable END
AETable BEGIN
MATCHES {data / "matches"} R (10, 1024mb) ANY
CTSTUDY {data / "ct"} R (10, 1024mb) ANY
AETable END
"""
    )


def wait_ready(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Until the SCP accepts a connection (its listening socket is up)."""
    import socket

    end = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < end:
        if server.poll() is not None:
            raise SystemExit(f"SCP exited early:\n{tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"SCP not ready:\n{tail(log)}")


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the SCP's process group (a forking one's children too)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class CpuMeter:
    """CPU seconds of a process and its descendants (a forking SCP's association
    processes), polled every 10 ms, each process's last reading kept after it ends."""

    def __init__(self, pid: int) -> None:
        self.root = pid
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> CpuMeter:
        self._sample()
        self.baseline = sum(self.seen.values())
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values()) - self.baseline

    def _poll(self) -> None:
        while not self._stop.wait(0.01):
            self._sample()

    def _sample(self) -> None:
        pending = [self.root]
        while pending:
            pid = pending.pop()
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue  # ended: its last reading stays
            self.seen[pid] = (int(fields[11]) + int(fields[12])) / _TICKS
            pending.extend(int(child) for child in children)


_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def rate_of(case: str, result: dict[str, Any]) -> float:
    count = result["responses"] - 1 if case == "find" else result["completed"]
    return float(count / result["elapsed_s"])


def summarise(case: str, figures: list[dict[str, Any]]) -> dict[str, Any]:
    count = (lambda r: r["responses"] - 1) if case == "find" else (lambda r: r["completed"])
    return {
        "rate_median": statistics.median(rate_of(case, r) for r in figures),
        "rates": [rate_of(case, r) for r in figures],
        "scp_cpu_ms_per_item": statistics.median(1000 * r["scp_cpu_s"] / count(r) for r in figures),
        "scu_cpu_ms_per_item": statistics.median(1000 * r["scu_cpu_s"] / count(r) for r in figures),
    }


def markdown(report: dict[str, Any]) -> str:
    units = {"find": "responses/s", "get": "instances/s"}
    lines = [
        f"Medians of {report['runs']} run(s); load at start {report['load_1min']:.2f}.",
        "",
        "| case | SCP | rate | ours / this | SCP CPU ms per item | our SCU CPU ms per item |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for case, by_scp in report["cases"].items():
        ours = by_scp["ours"]["rate_median"]
        for scp, summary in by_scp.items():
            rate = summary["rate_median"]
            lines.append(
                f"| {case} | {scp} | {rate:,.0f} {units[case]} | {ours / rate:.2f}x | "
                f"{summary['scp_cpu_ms_per_item']:.3f} | {summary['scu_cpu_ms_per_item']:.3f} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
