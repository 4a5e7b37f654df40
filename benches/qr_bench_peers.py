"""The processes of the Q/R benchmark (benches/run_qr_bench.py), one role each.

    python benches/qr_bench_peers.py prepare DATA_DIR
    python benches/qr_bench_peers.py scp {ours,pynetdicom} PORT DATA_DIR
    python benches/qr_bench_peers.py scu {find,get} PORT OUT_DIR [--aet AET]

``prepare`` writes the data once: 10,000 small instances of one series (the
C-FIND matches; DCMTK's dcmqrscp indexes them) and 500 CT slices of ~0.5 MB
(the C-GET), each set with a dcmqrscp configuration and index. ``scp`` is an
API SCP answering from memory: C-FIND yields 10,000 identifiers built at
start, C-GET yields the 500 files (ours: their paths, streamed from disk;
pynetdicom: a Dataset read per yield, its only way). ``scu`` is our API: one
association, one query, timed from the request to the final response, and
prints a JSON line. For C-GET it proposes an Asynchronous Operations Window of
8 sub-operations, which our SCP grants (the others answer one at a time).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import study_uid, write_study

MATCHES = 10_000
GET_INSTANCES = 500
FIND_MODEL = "1.2.840.10008.5.1.4.1.2.2.1"  # Study Root Q/R - FIND
GET_MODEL = "1.2.840.10008.5.1.4.1.2.2.3"  # Study Root Q/R - GET
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
SCP_AET = "QRSCP"
# The Asynchronous Operations Window our SCU proposes for C-GET's sub-operations.
WINDOW = 8
SCU_AET = "QRSCU"
_STUDY = "1.2.826.0.1.3680043.9.7433.99.1"
_SERIES = "1.2.826.0.1.3680043.9.7433.99.1.1"


def main() -> None:
    role, *args = sys.argv[1:]
    if role == "prepare":
        prepare(Path(args[0]))
    elif role == "scp":
        serve(args[0], int(args[1]), Path(args[2]))
    elif role == "scu":
        aet = args[args.index("--aet") + 1] if "--aet" in args else SCP_AET
        print(json.dumps(query(args[0], int(args[1]), Path(args[2]), aet)), flush=True)
    else:
        raise SystemExit(__doc__)


# -- data --------------------------------------------------------------------------


def prepare(root: Path) -> None:
    """The two data sets and their dcmqrscp storage areas (indexed), once."""
    matches, slices = root / "matches", root / "ct"
    if not (matches / "done").exists():
        _write_matches(matches)
        (matches / "done").touch()
    if not (slices / "done").exists():
        write_study(slices, GET_INSTANCES)
        (slices / "done").touch()


def _write_matches(directory: Path) -> None:
    """10,000 instances of one series, without pixel data: what C-FIND matches."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    directory.mkdir(parents=True, exist_ok=True)
    for number in range(MATCHES):
        ds = Dataset()
        ds.SOPClassUID = CT_IMAGE_STORAGE
        ds.SOPInstanceUID = f"{_SERIES}.{number + 1}"
        ds.StudyInstanceUID = _STUDY
        ds.SeriesInstanceUID = _SERIES
        ds.PatientID = "QRBENCH"
        ds.PatientName = "Bench^QR"
        ds.StudyDate = "20261203"
        ds.StudyID = "1"
        ds.Modality = "CT"
        ds.SeriesNumber = 1
        ds.InstanceNumber = number + 1
        ds.AccessionNumber = "A1"
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.save_as(directory / f"M{number + 1:05d}.dcm", enforce_file_format=True)


def match_identifiers() -> list[Any]:
    """The identifiers an IMAGE level C-FIND of the series returns, built in memory."""
    from pydicom.dataset import Dataset

    identifiers = []
    for number in range(MATCHES):
        ds = Dataset()
        ds.QueryRetrieveLevel = "IMAGE"
        ds.StudyInstanceUID = _STUDY
        ds.SeriesInstanceUID = _SERIES
        ds.SOPInstanceUID = f"{_SERIES}.{number + 1}"
        ds.InstanceNumber = number + 1
        identifiers.append(ds)
    return identifiers


def request_identifier(service: str) -> Any:
    from pydicom.dataset import Dataset

    ds = Dataset()
    if service == "find":
        ds.QueryRetrieveLevel = "IMAGE"
        ds.StudyInstanceUID = _STUDY
        ds.SeriesInstanceUID = _SERIES
        ds.SOPInstanceUID = ""
        ds.InstanceNumber = None
    else:
        ds.QueryRetrieveLevel = "STUDY"
        ds.StudyInstanceUID = study_uid()  # the study write_study made
    return ds


# -- the API SCPs ------------------------------------------------------------------


def serve(kind: str, port: int, data: Path) -> None:
    """Our or pynetdicom's AE answering C-FIND and C-GET from memory, until killed."""
    if kind == "ours":
        from fastdimse import AE, evt
    else:
        from pynetdicom import AE, evt  # type: ignore[no-redef]
    identifiers = match_identifiers()
    paths = sorted(str(p) for p in (data / "ct").glob("*.dcm"))

    def on_find(event: Any) -> Any:
        for identifier in identifiers:
            yield 0xFF00, identifier

    def on_get(event: Any) -> Any:
        yield len(paths)
        if kind == "ours":
            for path in paths:
                yield 0xFF00, path  # streamed from disk
        else:
            from pydicom import dcmread

            for path in paths:
                yield 0xFF00, dcmread(path)

    ae = AE(SCP_AET)
    if kind == "ours":
        ae.maximum_operations_invoked = WINDOW  # C-GET sub-operations in flight, if asked
    ae.add_supported_context(FIND_MODEL)
    ae.add_supported_context(GET_MODEL)
    ae.add_supported_context(CT_IMAGE_STORAGE, "1.2.840.10008.1.2.1", scu_role=False, scp_role=True)
    ae.maximum_pdu_size = 16384
    ae.start_server(
        ("127.0.0.1", port),
        block=True,
        evt_handlers=[(evt.EVT_C_FIND, on_find), (evt.EVT_C_GET, on_get)],
    )


# -- our SCU -------------------------------------------------------------------------


def query(service: str, port: int, out: Path, aet: str) -> dict[str, Any]:
    """One C-FIND or C-GET by our API; its timing and counts."""
    from fastdimse import AE, build_role, evt
    from fastdimse._files.store import FileStore

    ae = AE(SCU_AET)
    ae.maximum_pdu_size = 16384
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 120
    ae.add_requested_context(FIND_MODEL if service == "find" else GET_MODEL)
    handlers = []
    ext_neg = []
    if service == "get":
        from fastdimse.pdu_primitives import AsynchronousOperationsWindowNegotiation

        ae.add_requested_context(CT_IMAGE_STORAGE, "1.2.840.10008.1.2.1")
        # Up to WINDOW of the SCP's sub-operations at once, where it grants them
        # (ours; pynetdicom and dcmqrscp answer one at a time).
        ae.maximum_operations_performed = WINDOW
        window = AsynchronousOperationsWindowNegotiation.of(1, WINDOW)
        ext_neg = [build_role(CT_IMAGE_STORAGE, scp_role=True), window]
        handlers = [(evt.EVT_C_STORE, FileStore(out))]
    assoc = ae.associate("127.0.0.1", port, ae_title=aet, ext_neg=ext_neg, evt_handlers=handlers)
    if not assoc.is_established:
        raise SystemExit("association refused")
    identifier = request_identifier(service)
    cpu = _cpu()
    start = time.perf_counter()
    if service == "find":
        results = assoc.send_c_find(identifier, FIND_MODEL)
    else:
        results = assoc.send_c_get(identifier, GET_MODEL)
    responses = 0
    status = None
    for response in results:
        status = response[0]
        responses += 1
    elapsed = time.perf_counter() - start
    cpu = _cpu() - cpu
    assoc.release()
    final = int(status.Status) if status is not None and "Status" in status else -1
    completed = 0
    if service == "get" and status is not None:
        completed = int(status.get("NumberOfCompletedSuboperations", 0) or 0)
    return {
        "service": service,
        "elapsed_s": elapsed,
        "scu_cpu_s": cpu,
        "responses": responses,
        "final_status": final,
        "completed": completed,
        "files": len(os.listdir(out)) if service == "get" else 0,
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
