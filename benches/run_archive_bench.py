"""The archive side by side: our qrscp (SQLite and PostgreSQL) against DCMTK's dcmqrscp and
pynetdicom 3.0.4's qrscp, one SCU (our API) for all.

Run: ``python benches/run_archive_bench.py [--quick] [--runs N] [--json FILE] [--data DIR]
[--only find,patient,move,get] [--scps dcmtk,pynetdicom,ours-sqlite,ours-postgres]``

Four cases (benches/archive_bench_peers.py has the archives and the SCU), each SCP started
afresh for every run, the runs interleaved across the SCPs so that drift in machine load falls
on all alike; every figure is a median of the runs (5; 1 with --quick):

find)     a Study Root C-FIND at STUDY level over 10,000 studies returning all of them:
          responses per second and the time to the first response.
patient)  Patient Root C-FINDs at PATIENT level for one PatientID each, on a 100,000-instance
          archive: the latency (median, and the 10th-90th percentiles of all queries).
move)     a C-MOVE of a 500-slice CT study to DCMTK's storescp (the same for every SCP, started
          per run, its files counted afterwards): instances per second.
get)      a C-GET of that study, written to disk by our SCU: instances per second.

Also each SCP's CPU time per response or instance (its processes' from /proc; for PostgreSQL
the database server's processes too). DCMTK's programs run with ``TCP_NODELAY=1``. Every run's
counts are checked: a wrong number of matches or instances stops the benchmark, except
pynetdicom's one answer per instance (PS3.4 C.4.1.3 wants one per match), which is recorded.

The data is prepared once in --data (default /tmp/fastdimse-archive-bench; see the peers'
docstring: DCMTK holds the studies in 20 storage areas and 20,000 of the 100,000 instances).
Our SQLite indexes are built there by ``qrscp --reindex`` and rebuilt when our archive's code
changes; PostgreSQL is a throwaway server (tests/postgres_server.py) into which a dump of
its index, made the same way and kept there too, is restored. Ours runs when
``fastdimse.apps.qrscp`` can be imported.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import archive_bench_peers as peers
from run_qr_bench import free_port, stop, tail, wait_ready

HERE = Path(__file__).resolve().parent
SCPS = ("dcmtk", "pynetdicom", "ours-sqlite", "ours-postgres")
OURS = ("ours-sqlite", "ours-postgres")
THEIRS = {"dcmtk": 1.5, "pynetdicom": 10.0}  # the aims: ours at least this much better
CASES = ("find", "patient", "move", "get")
ARCHIVE_OF = {"find": "studies", "patient": "patients", "move": "ct", "get": "ct"}
EXPECTED = {"studies": peers.STUDIES, "patients": peers.PATIENT_INSTANCES, "ct": peers.CT_INSTANCES}
# pynetdicom's qrscp answers a patient query once per instance of the patient.
PYNETDICOM_PATIENT_ANSWERS = peers.STUDIES_PER_PATIENT * peers.INSTANCES_PER_STUDY
SCU_TIMEOUT = 1800
TITLES = {
    "dcmtk": "DCMTK dcmqrscp",
    "pynetdicom": "pynetdicom qrscp",
    "ours-sqlite": "ours, SQLite",
    "ours-postgres": "ours, PostgreSQL",
}
NOTES = [
    "DCMTK keeps at most 500 studies per storage area (DB_UpperMaxStudies, compiled in; "
    "maxStudies is set to it): its 10,000 studies are 20 areas, one C-FIND each on its own "
    "association, the times summed (associations apart); its first response is that of an "
    "area of 500 studies.",
    "DCMTK's index holds the first 200 patients of the patient archive (20,000 instances): "
    "dcmqridx reads the whole index for each instance (quadratic: 20,000 took 27 minutes, "
    "100,000 would take about 10 hours). Its query reads every record, so the smaller index "
    "favours it, as does silencing (-ll fatal) the alert it logs per record past 32 MiB. "
    "Every SCP is asked for patients among those 200.",
    "pynetdicom's qrscp answers a patient query once per instance (100 responses), not once "
    "per patient; it drops NumberOfPatientRelatedStudies (not in its index), as DCMTK does.",
    "One SCU for all bounds what a rate can show: where our SCU's CPU per item nears the time "
    "per item (find, get), or storescp's writing does (move), the rate is theirs, and the SCP "
    "CPU column tells the SCPs apart.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run per SCP, 20 queries")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--queries", type=int, default=100, help="patient queries per run")
    parser.add_argument("--json", type=Path, help="write the report here too")
    parser.add_argument("--data", type=Path, default=Path("/tmp/fastdimse-archive-bench"))
    parser.add_argument("--only", default=",".join(CASES), help="cases: " + ",".join(CASES))
    parser.add_argument("--scps", default=",".join(SCPS), help="SCPs: " + ",".join(SCPS))
    args = parser.parse_args()
    runs, queries = (1, 20) if args.quick else (args.runs, args.queries)
    cases = args.only.split(",")
    data = args.data.resolve()
    print(f"preparing data in {data} (once)", flush=True)
    prepare = [sys.executable, str(HERE / "archive_bench_peers.py"), "prepare", str(data)]
    subprocess.run(prepare, check=True)
    scps = available_scps(args.scps.split(","))
    report: dict[str, Any] = {
        "runs": runs,
        "queries_per_run": queries,
        "load_1min": os.getloadavg()[0],
        "scps": scps,
        "prepared_s": json.loads((data / "prepared.json").read_text()),
        "notes": NOTES,
        "cases": {},
    }
    archives = sorted({ARCHIVE_OF[case] for case in cases})
    with OurIndexes(data, [s for s in scps if s in OURS], archives) as ours:
        report["ours_indexed_s"] = ours.times
        for case in cases:
            bench = Bench(case, data, scps, ours, queries)
            report["cases"][case] = bench.run(runs)
    print(markdown(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


def available_scps(wanted: list[str]) -> list[str]:
    """The SCPs asked for that can run here; why the others cannot, printed."""
    missing: dict[str, str] = {}
    if not (shutil.which("dcmqrscp") and shutil.which("storescp")):
        missing["dcmtk"] = "DCMTK is not installed"
    if importlib.util.find_spec("pynetdicom") is None:
        missing["pynetdicom"] = "pynetdicom is not installed"
    if importlib.util.find_spec("fastdimse.apps.qrscp") is None:
        missing["ours-sqlite"] = missing["ours-postgres"] = "no fastdimse.apps.qrscp yet"
    elif postgres_server() is None:
        missing["ours-postgres"] = "PostgreSQL is not installed"
    for scp, reason in missing.items():
        if scp in wanted:
            print(f"  {scp} left out: {reason}", flush=True)
    return [scp for scp in SCPS if scp in wanted and scp not in missing]


def postgres_server() -> Any:
    """The module tests/postgres_server, or None without PostgreSQL."""
    sys.path.insert(0, str(HERE.parent / "tests"))
    module = importlib.import_module("postgres_server")
    try:
        module.installed_programs()
    except module.PostgresNotInstalled:
        return None
    return module


class OurIndexes:
    """Our index of each archive, built by ``qrscp --reindex`` of its files in place (checked
    to hold them all) and kept in DATA/ours until our archive's code changes: SQLite files,
    and for PostgreSQL (a throwaway server each time) a dump restored into a fresh database.
    Each PostgreSQL database is vacuumed and analysed once loaded, as autovacuum would soon
    do, so that it does not do so during the runs."""

    def __init__(self, data: Path, scps: list[str], archives: list[str]) -> None:
        self.data, self.scps, self.archives = data, scps, archives
        self.directory = data / "ours"
        self.times: dict[str, float] = {}
        self.server: Any = None
        self.programs = Path()

    def __enter__(self) -> OurIndexes:
        self.directory.mkdir(parents=True, exist_ok=True)
        if "ours-sqlite" in self.scps:
            for archive in self.archives:
                self._sqlite(archive)
        if "ours-postgres" in self.scps:
            module = postgres_server()
            self.programs = module.installed_programs()
            self.server = module.PostgresServer()
            self.server.start()
            for archive in self.archives:
                self._postgres(archive)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.stop()

    def location(self, scp: str, archive: str) -> str:
        """The ``database_location`` of ``archive`` for ``scp``."""
        if scp == "ours-sqlite":
            return str(self.directory / f"{archive}.sqlite")
        # A plain postgresql:// URL, as a user writes it (ours picks psycopg 3 for it).
        return f"postgresql://{self.server.role}@127.0.0.1:{self.server.port}/{archive}"

    def database_pids(self, scp: str) -> list[int]:
        """The PostgreSQL server's postmaster (its backends are its children)."""
        if scp != "ours-postgres":
            return []
        pid_file = self.server.directory / "data" / "postmaster.pid"
        return [int(pid_file.read_text().split()[0])]

    def _sqlite(self, archive: str) -> None:
        database = Path(self.location("ours-sqlite", archive))
        if self._cached("ours-sqlite", archive, database):
            return
        for stale in self.directory.glob(f"{database.name}*"):
            stale.unlink()
        self._stamp(database, self._reindex("ours-sqlite", archive))

    def _postgres(self, archive: str) -> None:
        """A database for ``archive``: the cached dump restored, else indexed and dumped."""
        dump = self.directory / f"{archive}.pgdump"
        self._sql("postgres", f'CREATE DATABASE "{archive}"')
        if self._cached("ours-postgres", archive, dump):
            start = time.perf_counter()
            self._client("pg_restore", "--no-owner", "-d", archive, str(dump))
            self.times[f"ours-postgres restore {archive}"] = time.perf_counter() - start
        else:
            seconds = self._reindex("ours-postgres", archive)
            self._client("pg_dump", "-Fc", "-f", str(dump), archive)
            self._stamp(dump, seconds)
        self._sql(archive, "VACUUM ANALYZE")

    def _cached(self, scp: str, archive: str, path: Path) -> bool:
        """Whether ``path`` was made by our current code; then how long indexing took goes
        to the times, as when it was made."""
        stamp = path.with_name(f"{path.name}.code")
        if not (path.exists() and stamp.exists()):
            return False
        made = json.loads(stamp.read_text())
        if made.get("code") != _our_code_hash():
            return False
        self.times[f"{scp} index {archive}"] = made["indexed_s"]
        return True

    @staticmethod
    def _stamp(path: Path, seconds: float) -> None:
        made = {"code": _our_code_hash(), "indexed_s": seconds}
        path.with_name(f"{path.name}.code").write_text(json.dumps(made))

    def _sql(self, database: str, statement: str) -> None:
        import psycopg

        server = self.server
        conninfo = f"host=127.0.0.1 port={server.port} user={server.role} dbname={database}"
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(statement.encode())

    def _client(self, program: str, *args: str) -> None:
        """A PostgreSQL client program of the server's package, over TCP as its superuser."""
        server = self.server
        where = ["-h", "127.0.0.1", "-p", str(server.port), "-U", server.role]
        subprocess.run([str(self.programs / program), *where, *args], check=True)

    def _reindex(self, scp: str, archive: str) -> float:
        """``qrscp --reindex`` of the archive's files in place, checked to take them all; how
        long it took."""
        with tempfile.TemporaryDirectory(prefix="archive-bench-") as tmp:
            config = Path(tmp) / "qrscp.ini"
            instances = peers.files_of(self.data, archive)
            peers.write_ini(config, free_port(), instances, self.location(scp, archive), 0)
            print(f"  {scp}: indexing {archive} ...", flush=True)
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "fastdimse", "qrscp", "-c", str(config), "--reindex"],
                capture_output=True,
                text=True,
            )
            elapsed = time.perf_counter() - start
        if done.returncode != 0 or f"Indexed {EXPECTED[archive]} instances" not in done.stdout:
            raise SystemExit(f"{scp} --reindex of {archive}:\n{done.stdout}\n{done.stderr[-3000:]}")
        self.times[f"{scp} index {archive}"] = elapsed
        print(f"  {scp}: indexed {archive} in {elapsed:.0f} s", flush=True)
        return elapsed


def _our_code_hash() -> str:
    """What our index depends on: the archive package and the qrscp app, as imported."""
    spec = importlib.util.find_spec("fastdimse")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("fastdimse cannot be imported")
    package = Path(next(iter(spec.submodule_search_locations)))
    digest = hashlib.sha256()
    for path in sorted([*(package / "archive").glob("*.py"), package / "apps" / "qrscp.py"]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


class Bench:
    """One case: its runs against every SCP, interleaved, and their summary."""

    def __init__(
        self, case: str, data: Path, scps: list[str], ours: OurIndexes, queries: int
    ) -> None:
        self.case, self.data, self.scps, self.ours = case, data, scps, ours
        self.archive = ARCHIVE_OF[case]
        self.queries = queries

    def run(self, runs: int) -> dict[str, Any]:
        results: dict[str, list[dict[str, Any]]] = {scp: [] for scp in self.scps}
        with tempfile.TemporaryDirectory(prefix="archive-bench-") as tmp:
            for run in range(runs):
                for scp in self.scps:
                    result = self.run_once(scp, Path(tmp) / f"{scp}-{run}")
                    results[scp].append(result)
                    print(f"  {self.case} {scp}: {headline(self.case, result)}", flush=True)
        return {scp: summarise(self.case, figures) for scp, figures in results.items()}

    def run_once(self, scp: str, tmp: Path) -> dict[str, Any]:
        """Start the SCP (and for ``move`` storescp), run the SCU once, stop them."""
        tmp.mkdir()
        out = tmp / "received"
        out.mkdir()
        os.sync()  # no run pays for the writeback of the one before
        dest_port = free_port()
        dest = None
        if self.case == "move":
            dest = self._start_storescp(dest_port, out, tmp / "storescp.log")
        port = free_port()
        log = tmp / "scp.log"
        server = self._start_scp(scp, port, dest_port, tmp, log)
        try:
            wait_ready(server, port, log)
            # Serving, so that the CPU time below is the requests' alone.
            peers.echo(port, self._titles(scp)[0])
            roots = [server.pid, *self.ours.database_pids(scp)]
            cpu = tree_cpu(roots)
            scu = self._scu(scp, port, out)
            cpu = tree_cpu(roots) - cpu
        finally:
            stop(server)
            if dest is not None:
                stop(dest)
        if scu.returncode != 0:
            raise SystemExit(
                f"{self.case} against {scp} failed:\n{scu.stderr[-3000:]}\n{tail(log)}"
            )
        result: dict[str, Any] = json.loads(scu.stdout.strip().splitlines()[-1])
        result["scp_cpu_s"] = cpu
        if self.case == "move":
            result["files"] = len(os.listdir(out))
        check(self.case, scp, result)
        shutil.rmtree(out)  # 250 MB a run: the disk is not the benchmark's
        return result

    def _titles(self, scp: str) -> list[str]:
        """The called AE titles that reach the case's archive."""
        return peers.dcmtk_titles(self.archive) if scp == "dcmtk" else [peers.SCP_AET]

    def _scu(self, scp: str, port: int, out: Path) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, str(HERE / "archive_bench_peers.py"), "scu", self.case]
        argv += [str(port), "--aet", ",".join(self._titles(scp)), "--out", str(out)]
        argv += ["--dest", peers.DEST_AET, "--queries", str(self.queries)]
        return subprocess.run(argv, capture_output=True, text=True, timeout=SCU_TIMEOUT)

    def _start_scp(
        self, scp: str, port: int, dest_port: int, tmp: Path, log: Path
    ) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        if scp == "dcmtk":
            config = tmp / "dcmqrscp.cfg"
            write_dcmqrscp_config(config, port, dest_port, self.data)
            # Forking (its default): dcmqrscp 3.6.7 crashes after a release with --single-process.
            argv = ["dcmqrscp", "-c", str(config), str(port)]
            if self.archive == "patients":
                # Past 32 MiB of index it logs an alert for each record it reads there (a
                # 20,000-instance query: 170 ms, 64 ms without): silenced, the best for it.
                argv[1:1] = ["-ll", "fatal"]
            env = peers.DCMTK_ENV
        else:
            config = tmp / "qrscp.ini"
            if scp == "pynetdicom":
                instances, database = peers.pynetdicom_store(self.data, self.archive)
                location = str(database)
            else:
                instances = peers.files_of(self.data, self.archive)
                location = self.ours.location(scp, self.archive)
            peers.write_ini(config, port, instances, location, dest_port)
            package = "pynetdicom" if scp == "pynetdicom" else "fastdimse"
            argv = [sys.executable, "-m", package, "qrscp", "-c", str(config)]
        return _spawn(argv, env, log)

    @staticmethod
    def _start_storescp(port: int, out: Path, log: Path) -> subprocess.Popen[bytes]:
        argv = ["storescp", "-aet", peers.DEST_AET, "-od", str(out)]
        server = _spawn([*argv, "-pdu", str(peers.MAX_PDU), str(port)], peers.DCMTK_ENV, log)
        wait_ready(server, port, log)
        return server


def tree_cpu(roots: list[int]) -> float:
    """CPU seconds of processes and all their descendants so far, the ended ones included.

    Each process's own time plus what its reaped children used (cutime, cstime): a forking
    SCP's association processes count in full however short they live, which sampling them
    (run_qr_bench.CpuMeter) misses between its last sample and their end. The difference of
    two readings is what the trees used in between.
    """
    used: dict[int, int] = {}
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended since the listing (its parent's cutime has it once reaped)
        used[int(entry.name)] = sum(int(field) for field in fields[11:15])  # u, s, cu, cs
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, pending = 0, list(roots)
    while pending:
        pid = pending.pop()
        total += used.get(pid, 0)
        pending.extend(children.get(pid, []))
    return total / _TICKS


_TICKS = os.sysconf("SC_CLK_TCK")


def _spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen(
            argv, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )


def write_dcmqrscp_config(path: Path, port: int, dest_port: int, data: Path) -> None:
    """dcmqrscp's configuration: every storage area (read-only, indexed by the peers'
    prepare), at most studies, and storescp as the C-MOVE destination."""
    areas = "\n".join(
        f"{title} {area} R ({peers.DCMTK_MAX_STUDIES}, 1024mb) ANY"
        for title, area in peers.dcmtk_areas(data).items()
    )
    path.write_text(
        f"""NetworkTCPPort = {port}
MaxPDUSize = {peers.MAX_PDU}
MaxAssociations = 16
HostTable BEGIN
storescp = ({peers.DEST_AET}, 127.0.0.1, {dest_port})
HostTable END
VendorTable BEGIN
VendorTable END
AETable BEGIN
{areas}
AETable END
"""
    )


def check(case: str, scp: str, result: dict[str, Any]) -> None:
    """A run that lost or added anything is no figure: stop loudly."""

    def fail(what: str) -> None:
        raise SystemExit(f"{case} against {scp}: {what}")

    if case == "find":
        if result["final_status"] != 0:
            fail(f"final status 0x{result['final_status']:04X}")
        if (result["matches"], result["distinct"]) != (peers.STUDIES,) * 2:
            fail(f"{result['matches']} matches ({result['distinct']} studies), not {peers.STUDIES}")
    elif case == "patient":
        if result["wrong"]:
            fail(f"wrong answers: {result['wrong']}")
        expected = PYNETDICOM_PATIENT_ANSWERS if scp == "pynetdicom" else 1
        if set(result["responses"]) != {expected}:
            fail(f"{sorted(set(result['responses']))} responses per query, not {expected}")
        related = set(result["related_studies"]) - {"absent", "empty"}
        if related - {str(peers.STUDIES_PER_PATIENT)}:
            fail(f"NumberOfPatientRelatedStudies {sorted(related)}")
    else:
        if result["final_status"] != 0:
            fail(f"final status 0x{result['final_status']:04X}")
        if (result["completed"], result["files"]) != (peers.CT_INSTANCES,) * 2:
            fail(f"{result['completed']} completed, {result['files']} files received")


# -- figures -----------------------------------------------------------------------------


def count_of(case: str, result: dict[str, Any]) -> int:
    """The responses (find, patient: queries) or instances a run's CPU time is spread over."""
    if case == "find":
        return int(result["matches"])
    if case == "patient":
        return len(result["latencies_s"])
    return int(result["completed"])


def headline(case: str, result: dict[str, Any]) -> str:
    if case == "patient":
        return f"{1000 * statistics.median(result['latencies_s']):,.2f} ms per query"
    rate = count_of(case, result) / result["elapsed_s"]
    first = f", first after {1000 * result['first_s']:,.1f} ms" if case == "find" else ""
    return f"{rate:,.0f}/s{first}"


def summarise(case: str, figures: list[dict[str, Any]]) -> dict[str, Any]:
    summary: dict[str, Any] = {
        f"{side}_cpu_ms_per_item": statistics.median(
            1000 * r[f"{side}_cpu_s"] / count_of(case, r) for r in figures
        )
        for side in ("scp", "scu")
    }
    summary["runs"] = figures
    if case == "patient":
        pooled = sorted(latency for r in figures for latency in r["latencies_s"])
        deciles = statistics.quantiles(pooled, n=10)
        summary |= {
            "latency_ms": 1000
            * statistics.median(statistics.median(r["latencies_s"]) for r in figures),
            "latency_p10_ms": 1000 * deciles[0],
            "latency_p90_ms": 1000 * deciles[-1],
            "responses_per_query": figures[0]["responses"][0],
            "related_studies": sorted({v for r in figures for v in r["related_studies"]}),
        }
    else:
        summary["rate"] = statistics.median(count_of(case, r) / r["elapsed_s"] for r in figures)
    if case == "find":
        summary["first_ms"] = 1000 * statistics.median(r["first_s"] for r in figures)
    return summary


def ratios(case: str, by_scp: dict[str, Any]) -> list[tuple[str, str, str, float]]:
    """(ours, theirs, what, how many times better ours is) for each pair present."""
    found = []
    for ours in (s for s in OURS if s in by_scp):
        for theirs in (s for s in THEIRS if s in by_scp):
            mine, other = by_scp[ours], by_scp[theirs]
            if case == "patient":
                found.append((ours, theirs, "latency", other["latency_ms"] / mine["latency_ms"]))
                continue
            found.append((ours, theirs, "rate", mine["rate"] / other["rate"]))
            if case == "find":
                found.append((ours, theirs, "first response", other["first_ms"] / mine["first_ms"]))
    return found


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Medians of {report['runs']} run(s) per SCP; load at start {report['load_1min']:.2f}.",
        "SCP CPU: the SCP's processes (and PostgreSQL's); SCU CPU: our SCU's, the same for all.",
    ]
    for case, by_scp in report["cases"].items():
        lines += ["", f"### {case}: {HEADS[case]}", "", *_case_table(case, by_scp)]
        pairs = ratios(case, by_scp)
        if pairs:
            lines += [
                "",
                "| ours | against | on | ours is | aim |",
                "| --- | --- | --- | ---: | --- |",
            ]
            for ours, theirs, what, times in pairs:
                verdict = "met" if times >= THEIRS[theirs] else "missed"
                lines.append(
                    f"| {TITLES[ours]} | {TITLES[theirs]} | {what} | {times:,.2f}x | "
                    f"{THEIRS[theirs]:g}x: {verdict} |"
                )
    lines += ["", "Preparation, once (s): " + _times(report["prepared_s"])]
    if report.get("ours_indexed_s"):
        lines += ["Our indexes (s): " + _times(report["ours_indexed_s"])]
    lines += ["", *(f"- {note}" for note in report["notes"])]
    return "\n".join(lines)


HEADS = {
    "find": f"C-FIND at STUDY level returning all {peers.STUDIES:,} studies",
    "patient": f"C-FIND at PATIENT level for one PatientID, {peers.PATIENT_INSTANCES:,} instances",
    "move": f"C-MOVE of {peers.CT_INSTANCES} CT slices to DCMTK storescp",
    "get": f"C-GET of {peers.CT_INSTANCES} CT slices",
}


def _case_table(case: str, by_scp: dict[str, Any]) -> list[str]:
    if case == "patient":
        lines = [
            "| SCP | latency | p10-p90 | responses per query | NumberOfPatientRelatedStudies "
            "| SCP CPU ms per query | SCU CPU ms per query |",
            "| --- | ---: | ---: | ---: | --- | ---: | ---: |",
        ]
        for scp, s in by_scp.items():
            lines.append(
                f"| {TITLES[scp]} | {s['latency_ms']:,.2f} ms | {s['latency_p10_ms']:,.2f}-"
                f"{s['latency_p90_ms']:,.2f} ms | {s['responses_per_query']} | "
                f"{', '.join(s['related_studies'])} | {s['scp_cpu_ms_per_item']:.2f} | "
                f"{s['scu_cpu_ms_per_item']:.2f} |"
            )
        return lines
    find = case == "find"
    item = "response" if find else "instance"
    lines = [
        f"| SCP | {item}s/s |{' first response |' if find else ''} SCP CPU ms per {item} "
        f"| SCU CPU ms per {item} |",
        "| --- | ---: |" + (" ---: |" if find else "") + " ---: | ---: |",
    ]
    for scp, s in by_scp.items():
        first = f" {s['first_ms']:,.1f} ms |" if find else ""
        lines.append(
            f"| {TITLES[scp]} | {s['rate']:,.0f} |{first} {s['scp_cpu_ms_per_item']:.3f} | "
            f"{s['scu_cpu_ms_per_item']:.3f} |"
        )
    return lines


def _times(times: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:,.0f}" for name, seconds in times.items())


if __name__ == "__main__":
    main()
