"""The data and the SCU of the archive benchmark (benches/run_archive_bench.py).

    python benches/archive_bench_peers.py prepare DATA_DIR
    python benches/archive_bench_peers.py scu CASE PORT --aet AET[,AET...] [--out DIR]
                                          [--dest AET] [--queries N]

``prepare`` writes the three archives once into DATA_DIR/files (each step skipped when a
finished run left its stamp): ``studies``, 10,000 studies of one small 64x64 instance each;
``patients``, 1,000 patients x 2 studies x 1 series x 50 instances = 100,000 small instances;
``ct``, one CT study of 500 slices of ~0.5 MB (``synthetic.write_study``). Then each peer's
own index of them: DCMTK's (``dcmqridx``, in place, into DATA_DIR/dcmtk) and pynetdicom's
(its qrscp can only be loaded through C-STORE: DATA_DIR/pynetdicom, its files and SQLite
database). How long each step took goes to DATA_DIR/prepared.json. Ours is indexed by the
runner (its index follows the code, which changes).

DCMTK's dcmqrscp keeps at most 500 studies in a storage area (``DB_UpperMaxStudies``, a
compile-time constant; a larger ``maxStudies`` is cut to it and the oldest studies are
dropped), so the 10,000 studies are 20 areas of 500. Its index is a flat file of 8 KB
records that it expects under 32 MiB (about 4,000 instances; past that it logs an alert per
record read), and ``dcmqridx`` reads the whole index for every instance of a study it
already holds (its duplicate check), so indexing grows with the square of the archive:
4,000 instances take 40 s, 20,000 took 27 minutes, 100,000 would take about 10 hours. It
indexes the first 200 patients of ``patients`` (20,000 instances, 400 studies); the patient
queries ask only for those patients, so every SCP has the same answers.

``scu`` is our API, one SCU for every SCP; it prints one JSON line:
- ``find``: a Study Root C-FIND at STUDY level with universal keys, one per called AE title
  (dcmqrscp's 20 areas; one for the others), each on its own association: every match, the
  time to the first response and to the final one.
- ``patient``: on one association, ``--queries`` Patient Root C-FINDs at PATIENT level for
  one PatientID each (a fixed sample): each one's latency and number of responses.
- ``move``: a C-MOVE of the CT study to ``--dest`` (DCMTK's storescp, run by the runner).
- ``get``: a C-GET of the CT study, each instance written to ``--out`` by our SCU.
Each association starts with an untimed C-FIND of one study, so no figure includes an SCP's
lazy start (imports, opening its database).
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run_qr_bench import free_port, stop, tail, wait_ready
from synthetic import study_uid, write_study

STUDIES = 10_000
PATIENTS = 1_000
STUDIES_PER_PATIENT = 2
INSTANCES_PER_STUDY = 50
PATIENT_INSTANCES = PATIENTS * STUDIES_PER_PATIENT * INSTANCES_PER_STUDY
CT_INSTANCES = 500
CT_SEED = 13
# dcmqrscp's cap on the studies of one storage area (DB_UpperMaxStudies in dcmqrdbi.h).
DCMTK_MAX_STUDIES = 500
DCMTK_STUDY_AREAS = STUDIES // DCMTK_MAX_STUDIES
# The patients DCMTK indexes (its indexing is quadratic, see above); all queries ask for them.
DCMTK_PATIENTS = 200
DCMTK_PATIENT_INSTANCES = DCMTK_PATIENTS * STUDIES_PER_PATIENT * INSTANCES_PER_STUDY
ARCHIVES = ("studies", "patients", "ct")
SCP_AET = "QRSCP"
SCU_AET = "BENCHSCU"
DEST_AET = "STORESCP"
MAX_PDU = 16384
# The Asynchronous Operations Window our SCU proposes for C-GET (as benches/run_qr_bench.py).
WINDOW = 8
VERIFICATION = "1.2.840.10008.1.1"
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"
STUDY_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
STUDY_MOVE = "1.2.840.10008.5.1.4.1.2.2.2"
STUDY_GET = "1.2.840.10008.5.1.4.1.2.2.3"
PATIENT_FIND = "1.2.840.10008.5.1.4.1.2.1.1"
DCMTK_ENV = {**os.environ, "TCP_NODELAY": "1"}
# The UID root of the benchmark's instances (the Q/R benchmark's, another branch).
_ROOT = "1.2.826.0.1.3680043.9.7433.13"
_SMALL_PIXELS = bytes(range(256)) * 32  # 64 x 64 x 2 bytes
_LOAD_TIMEOUT = 4 * 3600


def main() -> None:
    role, *args = sys.argv[1:]
    if role == "prepare":
        prepare(Path(args[0]))
    elif role == "scu":
        case, port = args[0], int(args[1])
        options = dict(zip(args[2::2], args[3::2], strict=True))
        result = run_scu(
            case,
            port,
            options["--aet"].split(","),
            out=Path(options.get("--out", ".")),
            dest=options.get("--dest", DEST_AET),
            queries=int(options.get("--queries", "100")),
        )
        print(json.dumps(result), flush=True)
    else:
        raise SystemExit(__doc__)


# -- where things are ---------------------------------------------------------------


def files_of(data: Path, archive: str) -> Path:
    """The directory of an archive's DICOM files (ours indexes them in place)."""
    return data / "files" / archive


def dcmtk_area(data: Path, name: str) -> Path:
    return data / "dcmtk" / name


def dcmtk_areas(data: Path) -> dict[str, Path]:
    """dcmqrscp's storage areas by the AE title that selects each."""
    areas = {f"STUDIES{n:02d}": dcmtk_area(data, f"studies/{n:02d}") for n in study_areas()}
    areas["PATIENTS"] = dcmtk_area(data, "patients")
    areas["CTSTUDY"] = dcmtk_area(data, "ct")
    return areas


def dcmtk_titles(archive: str) -> list[str]:
    """The called AE titles that query ``archive`` on dcmqrscp."""
    if archive == "studies":
        return [f"STUDIES{n:02d}" for n in study_areas()]
    return ["PATIENTS" if archive == "patients" else "CTSTUDY"]


def study_areas() -> range:
    return range(1, DCMTK_STUDY_AREAS + 1)


def pynetdicom_store(data: Path, archive: str) -> tuple[Path, Path]:
    """pynetdicom's instance directory and SQLite database for ``archive``."""
    return data / "pynetdicom" / archive, data / "pynetdicom" / f"{archive}.sqlite"


def write_ini(path: Path, port: int, instances: Path, database: str, dest_port: int) -> None:
    """A configuration in pynetdicom qrscp's format (ours reads the same), with the C-MOVE
    destination; absolute locations, as pynetdicom takes relative ones from its package."""
    path.write_text(
        f"""[DEFAULT]
ae_title: {SCP_AET}
port: {port}
max_pdu: {MAX_PDU}
acse_timeout: 120
dimse_timeout: 120
network_timeout: 120
bind_address: 127.0.0.1
instance_location: {instances}
database_location: {database}
log_identifier: False

[{DEST_AET}]
address: 127.0.0.1
port: {dest_port}
"""
    )


# -- the archives ----------------------------------------------------------------------


def prepare(data: Path) -> None:
    """Each archive's files, DCMTK's indexes and pynetdicom's stores, once."""
    times: dict[str, float] = {}
    stamp = data / "prepared.json"
    if stamp.exists():
        times = json.loads(stamp.read_text())
    writers = {"studies": write_studies, "patients": write_patients, "ct": write_ct}
    for archive, writer in writers.items():
        _step(times, f"write {archive}", files_of(data, archive), writer)
    # The slow two side by side: each is one single-threaded process.
    dcmtk = subprocess.Popen([sys.executable, __file__, "_dcmtk", str(data)])
    for archive in ARCHIVES:
        directory, _ = pynetdicom_store(data, archive)
        _step(times, f"pynetdicom load {archive}", directory, lambda d, a=archive: load(data, a))
        stamp.write_text(json.dumps(times, indent=2))
    if dcmtk.wait() != 0:
        raise SystemExit("indexing for dcmqrscp failed")
    times |= json.loads((data / "dcmtk" / "times.json").read_text())
    stamp.write_text(json.dumps(times, indent=2))


def index_for_dcmtk(data: Path) -> None:
    """dcmqridx over every storage area that has no index yet; its times."""
    times_file = data / "dcmtk" / "times.json"
    times: dict[str, float] = json.loads(times_file.read_text()) if times_file.exists() else {}
    _step(times, "dcmqridx studies", dcmtk_area(data, "studies"), _index_studies)
    subset = [
        files_of(data, "patients") / _patient_file(p, s, i)
        for p in range(DCMTK_PATIENTS)
        for s in range(STUDIES_PER_PATIENT)
        for i in range(INSTANCES_PER_STUDY)
    ]
    area = dcmtk_area(data, "patients")
    _step(times, "dcmqridx patients", area, lambda d: dcmqridx(d, subset))
    ct = sorted(files_of(data, "ct").glob("*.dcm"))
    _step(times, "dcmqridx ct", dcmtk_area(data, "ct"), lambda d: dcmqridx(d, ct))
    times_file.write_text(json.dumps(times, indent=2))


def _index_studies(directory: Path) -> None:
    """The studies, DCMTK_MAX_STUDIES to a storage area (a subdirectory each)."""
    studies = sorted(files_of(directory.parents[1], "studies").glob("*.dcm"))
    for n in study_areas():
        area = directory / f"{n:02d}"
        area.mkdir()
        dcmqridx(area, studies[(n - 1) * DCMTK_MAX_STUDIES : n * DCMTK_MAX_STUDIES])


def _step(times: dict[str, float], name: str, directory: Path, make: Any) -> None:
    """``make(directory)`` unless a finished run left its stamp (beside the directory: the
    peers take every file inside); its time in ``times``. An unfinished one starts again."""
    done = directory.with_name(f".{directory.name}.done")
    if done.exists():
        return
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    print(f"  {name} ...", flush=True)
    start = time.perf_counter()
    make(directory)
    times[name] = time.perf_counter() - start
    done.touch()
    print(f"  {name}: {times[name]:.0f} s", flush=True)


def dcmqridx(area: Path, files: list[Path]) -> None:
    """Index ``files`` into the storage area, a batch per call (the command line's limit)."""
    for start in range(0, len(files), 1000):
        batch = [str(path.resolve()) for path in files[start : start + 1000]]
        # Quiet: past 32 MiB of index (about 4,000 instances) DCMTK logs an alert for every
        # record it reads there, though it reads them fine.
        subprocess.run(["dcmqridx", "-q", str(area), *batch], check=True, env=DCMTK_ENV)


def write_studies(directory: Path) -> None:
    _write_parallel(directory, [(n, n + 1000) for n in range(0, STUDIES, 1000)], _write_studies)


def write_patients(directory: Path) -> None:
    _write_parallel(directory, [(p, p + 50) for p in range(0, PATIENTS, 50)], _write_patients)


def write_ct(directory: Path) -> None:
    write_study(directory, CT_INSTANCES, seed=CT_SEED)


def ct_study_uid() -> str:
    return study_uid(CT_SEED)


def study_uid_of(number: int) -> str:
    """The Study Instance UID of study ``number`` of ``studies``."""
    return f"{_ROOT}.1.{number + 1}"


def patient_id(number: int) -> str:
    return f"PAT{number:05d}"


def _write_parallel(directory: Path, chunks: list[tuple[int, int]], writer: Any) -> None:
    """Small files, one process per CPU: pydicom's writing is the whole cost."""
    with ProcessPoolExecutor() as pool:
        for _ in pool.map(writer, [directory] * len(chunks), chunks):
            pass


def _write_studies(directory: Path, numbers: tuple[int, int]) -> None:
    for n in range(*numbers):
        study = study_uid_of(n)
        ds = _small_instance(study, f"{study}.1", f"{study}.1.1", 1)
        ds.PatientID, ds.PatientName = f"ST{n // 4:05d}", f"Studies^{n // 4:05d}"
        ds.AccessionNumber, ds.StudyID = f"S{n:07d}", str(n % 1000)
        _save(ds, directory / f"S{n:05d}.dcm")


def _write_patients(directory: Path, numbers: tuple[int, int]) -> None:
    for p in range(*numbers):
        for s in range(STUDIES_PER_PATIENT):
            study = f"{_ROOT}.2.{p + 1}.{s + 1}"
            for i in range(INSTANCES_PER_STUDY):
                ds = _small_instance(study, f"{study}.1", f"{study}.1.{i + 1}", i + 1)
                ds.PatientID, ds.PatientName = patient_id(p), f"Patient^{p:05d}"
                ds.AccessionNumber, ds.StudyID = f"P{p:05d}{s}", str(s + 1)
                _save(ds, directory / _patient_file(p, s, i))


def _patient_file(patient: int, study: int, instance: int) -> str:
    return f"P{patient:05d}-{study}-{instance:02d}.dcm"


def _small_instance(study: str, series: str, instance: str, number: int) -> Any:
    from pydicom.dataset import Dataset

    ds = Dataset()
    ds.SOPClassUID = CT_IMAGE_STORAGE
    ds.SOPInstanceUID = instance
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
    ds.PatientBirthDate, ds.PatientSex = "19700101", "O"
    ds.StudyDate, ds.StudyTime = "20260101", "120000"
    ds.Modality, ds.SeriesNumber, ds.InstanceNumber = "CT", 1, number
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows = ds.Columns = 64
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = _SMALL_PIXELS
    return ds


def _save(ds: Any, path: Path) -> None:
    from synthetic import write_instance

    write_instance(ds, path, EXPLICIT_VR_LE)


def load(data: Path, archive: str) -> None:
    """Store ``archive`` into a pynetdicom qrscp by our storescu (its only way in); check
    that its database holds every instance (its C-STORE answers success when it does not)."""
    import sqlite3

    directory, database = pynetdicom_store(data, archive)
    database.unlink(missing_ok=True)
    port = free_port()
    config = directory.parent / f"{archive}.ini"
    write_ini(config, port, directory.resolve(), str(database.resolve()), free_port())
    log = directory.parent / f"{archive}.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "pynetdicom", "qrscp", "-c", str(config)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_ready(server, port, log)
        storescu = [sys.executable, "-m", "fastdimse", "storescu", "-aec", SCP_AET]
        storescu += ["-aet", SCU_AET, "-q", "127.0.0.1", str(port), str(files_of(data, archive))]
        subprocess.run(storescu, check=True, timeout=_LOAD_TIMEOUT)
    finally:
        stop(server)
    with sqlite3.connect(database) as db:
        (count,) = db.execute("SELECT COUNT(*) FROM instance").fetchone()
    expected = len(list(files_of(data, archive).glob("*.dcm")))
    if count != expected:
        raise SystemExit(f"pynetdicom holds {count} of {expected} instances:\n{tail(log)}")


# -- our SCU ------------------------------------------------------------------------------


def run_scu(
    case: str, port: int, aets: list[str], *, out: Path, dest: str, queries: int
) -> dict[str, Any]:
    """One case's requests by our API; the timings and what came back."""
    import fastdimse  # noqa: F401  (imported before the CPU clock starts)

    cpu = _cpu()
    if case == "find":
        result = _find_studies(port, aets)
    elif case == "patient":
        result = _patient_queries(port, aets[0], queries)
    else:
        result = _retrieve(case, port, aets[0], out, dest)
    result["scu_cpu_s"] = _cpu() - cpu
    return result


def echo(port: int, aet: str) -> None:
    """A C-ECHO answered by the SCP at ``port``: it serves (ours listens before it has
    imported its libraries and opened its index, so an open port says less)."""
    assoc = _associate(port, aet, [VERIFICATION])
    status = _status(assoc.send_c_echo())
    assoc.release()
    if status != 0:
        raise SystemExit(f"C-ECHO of {aet}: status 0x{status:04X}")


def _associate(port: int, aet: str, contexts: list[str], **kwargs: Any) -> Any:
    from fastdimse import AE

    ae = AE(SCU_AET)
    ae.maximum_pdu_size = MAX_PDU
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 300
    for context in contexts:
        ae.add_requested_context(context)
    if kwargs.get("ext_neg"):
        ae.add_requested_context(CT_IMAGE_STORAGE, EXPLICIT_VR_LE)
        ae.maximum_operations_performed = WINDOW
    assoc = ae.associate("127.0.0.1", port, ae_title=aet, **kwargs)
    if not assoc.is_established:
        raise SystemExit(f"association with {aet} refused")
    return assoc


def _identifier(level: str, **keys: Any) -> Any:
    from pydicom.dataset import Dataset

    ds = Dataset()
    ds.QueryRetrieveLevel = level
    for keyword, value in keys.items():
        setattr(ds, keyword, value)
    return ds


def _warm_up(assoc: Any, study: str) -> None:
    """An untimed C-FIND of one study (see the module's docstring)."""
    for _ in assoc.send_c_find(_identifier("STUDY", StudyInstanceUID=study), STUDY_FIND):
        pass


def _find_studies(port: int, aets: list[str]) -> dict[str, Any]:
    """All studies, an area at a time; times summed over the requests (associations apart)."""
    keys = ("PatientID", "PatientName", "StudyDate", "StudyTime", "AccessionNumber", "StudyID")
    identifier = _identifier("STUDY", StudyInstanceUID="", **dict.fromkeys(keys, ""))
    elapsed, first, matches, finals = 0.0, None, 0, []
    uids: set[str] = set()
    for aet in aets:
        assoc = _associate(port, aet, [STUDY_FIND])
        if aet == aets[0]:
            _warm_up(assoc, study_uid_of(0))
        start = time.perf_counter()
        for status, found in assoc.send_c_find(identifier, STUDY_FIND):
            if first is None:
                first = time.perf_counter() - start
            if found is not None:
                matches += 1
                uids.add(str(found.get("StudyInstanceUID", "")))
            else:
                finals.append(_status(status))
        elapsed += time.perf_counter() - start
        assoc.release()
    return {
        "elapsed_s": elapsed,
        "first_s": first,
        "matches": matches,
        "distinct": len(uids),
        "final_status": next((s for s in finals if s != 0), finals[-1] if finals else -1),
        "requests": len(aets),
    }


def _patient_queries(port: int, aet: str, queries: int) -> dict[str, Any]:
    """``queries`` single-patient queries on one association, one after another."""
    sample = random.Random(13).choices(range(DCMTK_PATIENTS), k=queries)
    assoc = _associate(port, aet, [PATIENT_FIND, STUDY_FIND])
    _warm_up(assoc, f"{_ROOT}.2.1.1")
    latencies, counts, related, wrong = [], [], set(), []
    for number in sample:
        wanted = patient_id(number)
        identifier = _identifier(
            "PATIENT", PatientID=wanted, PatientName="", NumberOfPatientRelatedStudies=None
        )
        start = time.perf_counter()
        responses = list(assoc.send_c_find(identifier, PATIENT_FIND))
        latencies.append(time.perf_counter() - start)
        found = [identifier for _, identifier in responses if identifier is not None]
        counts.append(len(found))
        for match in found:
            if match.get("PatientID") != wanted:
                wrong.append(str(match.get("PatientID")))
            value = match.get("NumberOfPatientRelatedStudies", "absent")
            related.add(str(value) if value not in (None, "") else "empty")
        if _status(responses[-1][0]) != 0:
            wrong.append(f"final status 0x{_status(responses[-1][0]):04X}")
    assoc.release()
    return {
        "latencies_s": latencies,
        "responses": counts,
        "related_studies": sorted(related),
        "wrong": wrong[:10],
    }


def _retrieve(case: str, port: int, aet: str, out: Path, dest: str) -> dict[str, Any]:
    """One C-MOVE to ``dest`` or one C-GET (into ``out``) of the CT study."""
    from fastdimse import build_role, evt
    from fastdimse._files.store import FileStore
    from fastdimse.pdu_primitives import AsynchronousOperationsWindowNegotiation

    study = ct_study_uid()
    identifier = _identifier("STUDY", StudyInstanceUID=study)
    if case == "move":
        assoc = _associate(port, aet, [STUDY_FIND, STUDY_MOVE])
    else:
        # Up to WINDOW sub-operations at once where the SCP grants them.
        window = AsynchronousOperationsWindowNegotiation.of(1, WINDOW)
        role = build_role(CT_IMAGE_STORAGE, scp_role=True)
        handlers = [(evt.EVT_C_STORE, FileStore(out))]
        assoc = _associate(
            port, aet, [STUDY_FIND, STUDY_GET], ext_neg=[role, window], evt_handlers=handlers
        )
    _warm_up(assoc, study)
    start = time.perf_counter()
    if case == "move":
        responses = assoc.send_c_move(identifier, dest, STUDY_MOVE)
    else:
        responses = assoc.send_c_get(identifier, STUDY_GET)
    status = None
    for response in responses:
        status = response[0]  # the last is the final response
    elapsed = time.perf_counter() - start
    assoc.release()
    completed = int(status.get("NumberOfCompletedSuboperations", 0) or 0) if status else 0
    return {
        "elapsed_s": elapsed,
        "final_status": _status(status),
        "completed": completed,
        "files": len(os.listdir(out)) if case == "get" else None,
    }


def _status(status: Any) -> int:
    return int(status.Status) if status is not None and "Status" in status else -1


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    if sys.argv[1:2] == ["_dcmtk"]:
        index_for_dcmtk(Path(sys.argv[2]))
    else:
        main()
