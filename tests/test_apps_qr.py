"""The Q/R apps `python -m fastdimse findscu|getscu|movescu` against a Q/R SCP in this process.

The SCP is our AE (and, once per app, pynetdicom 3.0.4's: the same handlers serve both APIs),
answering from a list of instances in memory: twelve synthetic CT slices of one patient and
one of another. What the apps wrote is compared element by element with what was sent;
checked too: what they negotiated and asked for, their log lines, progress and summary, and
exit statuses. The -k key syntax is checked in this process.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from benches.synthetic import write_study
from pydicom import dcmread
from pydicom.dataset import Dataset

from apps_store_support import assert_same_instance, by_instance, read_quietly
from helpers import APP_TIMEOUT, LOCALHOST, app_cmd, free_port, run_app, run_on_terminal

PATIENT_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.1.1"
STUDY_ROOT_GET = "1.2.840.10008.5.1.4.1.2.2.3"
PATIENT_ROOT_MOVE = "1.2.840.10008.5.1.4.1.2.1.2"
WORKLIST_FIND = "1.2.840.10008.5.1.4.31"
OTHER_PATIENT = "OTHER"
PATIENT = "FASTDIMSE-0001"  # benches.synthetic's

# The summary of a retrieval of the twelve instances of PATIENT, all stored.
ALL_TWELVE_STORED = (
    "Retrieve result:    0x0000 (Success)",
    "Sub-operations:     12 completed, 0 failed, 0 warning",
    "Instances received: 12",
    "Stored:             12",
    "Failures:           0",
)

# ---------------------------------------------------------------------------------------------
# The Q/R SCP in this process


@dataclass
class QrScp:
    """A Q/R SCP (Find, Get, Move) answering from `instances`; records each request."""

    api: ModuleType  # fastdimse or pynetdicom: the same public API
    instances: list[Dataset]
    move_port: int = 0  # where C-MOVE sends the instances
    requests: list[Any] = field(default_factory=list)
    server: Any = None

    def start(self) -> int:
        from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

        ae = self.api.AE("QRSCP")
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 15
        for cx in self.api.QueryRetrievePresentationContexts:
            ae.add_supported_context(cx.abstract_syntax)
        ae.add_supported_context(WORKLIST_FIND)
        syntaxes = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
        for cx in self.api.StoragePresentationContexts:
            # C-GET: the SCU takes the SCP role; C-MOVE: this AE requests these contexts.
            ae.add_supported_context(cx.abstract_syntax, syntaxes, scu_role=True, scp_role=True)
            ae.add_requested_context(cx.abstract_syntax, syntaxes)
        evt = self.api.evt
        handlers = [
            (evt.EVT_C_FIND, self.on_find),
            (evt.EVT_C_GET, self.on_get),
            (evt.EVT_C_MOVE, self.on_move),
        ]
        port = free_port()
        self.server = ae.start_server((LOCALHOST, port), block=False, evt_handlers=handlers)
        return port

    def matching(self, event: Any) -> list[Dataset]:
        self.requests.append(event)
        query = event.identifier
        wanted = query.get("PatientID") or None
        return [ds for ds in self.instances if wanted in (None, ds.PatientID)]

    def on_find(self, event: Any) -> Iterator[tuple[int, Dataset | None]]:
        query = event.identifier
        for ds in self.matching(event):
            match = Dataset()
            for elem in query:
                match.add(ds[elem.tag] if elem.tag in ds else elem)
            yield 0xFF00, match
        yield 0x0000, None

    def on_get(self, event: Any) -> Iterator[Any]:
        found = self.matching(event)
        yield len(found)
        for ds in found:
            yield 0xFF00, ds

    def on_move(self, event: Any) -> Iterator[Any]:
        found = self.matching(event)
        yield LOCALHOST, self.move_port
        yield len(found)
        for ds in found:
            yield 0xFF00, ds

    def requestor(self) -> Any:
        return self.requests[0].assoc.requestor

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()


@pytest.fixture
def sent(tmp_path: Path) -> list[Path]:
    """Twelve CT slices of PATIENT (benches.synthetic) and one of another patient."""
    paths = write_study(tmp_path / "sent", 12, rows=16, columns=16)
    other = read_quietly(paths[0])
    other.PatientID = OTHER_PATIENT
    other.SOPInstanceUID = other.file_meta.MediaStorageSOPInstanceUID = "1.2.3.999"
    other.save_as(tmp_path / "sent" / "other.dcm", enforce_file_format=True)
    return [*paths, tmp_path / "sent" / "other.dcm"]


def start_scp(api_name: str, sent: list[Path]) -> QrScp:
    api = pytest.importorskip(api_name)
    scp = QrScp(api, [read_quietly(p) for p in sent])
    return scp


@pytest.fixture
def scp(sent: list[Path]) -> Iterator[QrScp]:
    """Our AE as the Q/R SCP (not started: a test may set move_port first)."""
    server = start_scp("fastdimse", sent)
    yield server
    server.stop()


@pytest.fixture
def pnd_scp(sent: list[Path]) -> Iterator[QrScp]:
    """pynetdicom's AE as the Q/R SCP (not started)."""
    server = start_scp("pynetdicom", sent)
    yield server
    server.stop()


def app(name: str, port: int, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run our app `name` in `cwd` against LOCALHOST:port."""
    return subprocess.run(
        app_cmd(name, LOCALHOST, str(port), *args),
        capture_output=True,
        text=True,
        timeout=APP_TIMEOUT,
        cwd=cwd,
        check=False,
    )


def instances_of(sent: list[Path], patient: str) -> list[Path]:
    return [p for p in sent if read_quietly(p).PatientID == patient]


def assert_received(directory: Path, expected: list[Path]) -> None:
    """`directory` holds exactly the instances of `expected`, named as storescp names them,
    each with the same elements and values."""
    stored = by_instance(directory)
    assert sorted(stored) == sorted(str(read_quietly(p).SOPInstanceUID) for p in expected)
    for path in expected:
        uid = str(read_quietly(path).SOPInstanceUID)
        assert stored[uid].name == f"CT.{uid}"
        assert_same_instance(path, stored[uid])


def summary(stderr: str) -> list[str]:
    """The summary block (its lines carry no "X: " level prefix)."""
    return [line for line in stderr.splitlines() if not re.match(r"^[DIWE]: ", line)]


def assert_summary(proc: subprocess.CompletedProcess[str], *expected: str) -> None:
    """The app succeeded and its summary has each of the `expected` lines."""
    assert proc.returncode == 0, proc.stderr
    lines = summary(proc.stderr)
    for line in expected:
        assert line in lines, proc.stderr


# ---------------------------------------------------------------------------------------------
# findscu


def test_findscu_matches_written(scp: QrScp, sent: list[Path], tmp_path: Path) -> None:
    port = scp.start()
    keys = ["-k", "QueryRetrieveLevel=IMAGE", "-k", f"PatientID={PATIENT}", "-k", "SOPInstanceUID="]
    proc = app("findscu", port, "-w", *keys, "-k", "(0020,0013)=", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (request,) = scp.requests
    query = request.identifier
    assert (query.QueryRetrieveLevel, query.PatientID, query.SOPInstanceUID) == (
        "IMAGE",
        PATIENT,
        "",
    )
    assert query.InstanceNumber is None  # (0020,0013), given by tag, empty
    assert request.context.abstract_syntax == PATIENT_ROOT_FIND
    requestor = scp.requestor()
    assert requestor.ae_title == "FINDSCU"
    assert len(requestor.primitive.presentation_context_definition_list) == 19
    written = sorted(tmp_path.glob("rsp*.dcm"))
    assert [p.name for p in written] == [f"rsp{n:06d}.dcm" for n in range(1, 13)]
    expected = instances_of(sent, PATIENT)
    for path, source in zip(written, expected, strict=True):
        match = dcmread(path)
        assert match.file_meta.MediaStorageSOPClassUID == PATIENT_ROOT_FIND
        assert match.SOPInstanceUID == read_quietly(source).SOPInstanceUID
        assert match.InstanceNumber == read_quietly(source).InstanceNumber
    lines = proc.stderr.splitlines()
    assert "I: Find SCP Response: 12 - 0xFF00 (Pending)" in lines
    assert "I: Find SCP Result: 0x0000 (Success)" in lines
    assert "I: Releasing Association" in lines


def test_findscu_worklist_with_extended_negotiation(scp: QrScp, tmp_path: Path) -> None:
    port = scp.start()
    proc = app("findscu", port, "-W", "--fuzzy-names", "-k", "PatientName=", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert scp.requests[0].context.abstract_syntax == WORKLIST_FIND
    item = scp.requestor().sop_class_extended
    assert item == {WORKLIST_FIND: b"\x01\x01\x01\x00"}
    assert not list(tmp_path.glob("rsp*"))  # no -w


def test_findscu_query_file_and_bad_keys(scp: QrScp, sent: list[Path], tmp_path: Path) -> None:
    port = scp.start()
    query = Dataset()
    query.QueryRetrieveLevel = "PATIENT"
    query.PatientID = OTHER_PATIENT
    query.save_as(tmp_path / "query.dcm", implicit_vr=True, little_endian=True)
    proc = app("findscu", port, "-q", "-f", "query.dcm", "-k", "PatientName=", cwd=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    identifier = scp.requests[0].identifier
    assert (identifier.PatientID, identifier.PatientName) == (OTHER_PATIENT, "")
    for key, error in (
        ("NoSuchKeyword=1", "'NoSuchKeyword' is not a DICOM keyword"),
        ("Columns=wide", "invalid literal"),
        ("ReferencedStudySequence.PatientName=X", "needs an item number"),
    ):
        proc = app("findscu", port, "-k", key, cwd=tmp_path)
        assert proc.returncode == 1
        assert f"E: Cannot use the query key '{key}': " in proc.stderr, proc.stderr
        assert error in proc.stderr
    assert len(scp.requests) == 1  # nothing sent for a bad key
    proc = app("findscu", port, "-v", cwd=tmp_path)
    assert proc.returncode == 2
    assert "-f and/or -k must be specified" in proc.stderr


def test_apply_key_builds_nested_values() -> None:
    from fastdimse.apps.query import apply_key

    query = Dataset()
    for key in (
        "PatientName=CITIZEN^Jan",
        "ModalitiesInStudy=CT\\MR",
        "Columns=512",
        "RescaleSlope=1.5",
        "(0018,0088)=2.5",
        "ReferencedStudySequence[1].ReferencedSOPInstanceUID=1.2.3",
        "ReferencedStudySequence[0].PatientName=",
        "BeamSequence=",
        "PixelData=00ff",
        "FrameIncrementPointer=(0018,1063)\\FrameTime",
        "(6000,0010)=4",
    ):
        apply_key(query, key)
    assert query.PatientName == "CITIZEN^Jan"
    assert list(query.ModalitiesInStudy) == ["CT", "MR"]
    assert query.Columns == 512
    assert query["SpacingBetweenSlices"].value == "2.5"
    items = query.ReferencedStudySequence
    assert len(items) == 2 and items[1].ReferencedSOPInstanceUID == "1.2.3"
    assert items[0].PatientName == ""
    assert len(query.BeamSequence) == 0
    assert query.PixelData == b"\x00\xff"
    assert query.FrameIncrementPointer == [0x00181063, 0x00181063]
    assert query[0x60000010].value == 4
    apply_key(query, "Columns=64")  # replaced
    assert query.Columns == 64
    for bad in ("OverlayRows=1", "(12,34)=1", "PatientName.Foo=1", "a[b=1", "PixelData=zz"):
        with pytest.raises(ValueError):
            apply_key(query, bad)


# ---------------------------------------------------------------------------------------------
# getscu


def test_getscu_writes_what_it_receives(scp: QrScp, sent: list[Path], tmp_path: Path) -> None:
    port = scp.start()
    keys = ["-k", "QueryRetrieveLevel=PATIENT", "-k", f"PatientID={PATIENT}"]
    proc = app("getscu", port, "-S", "-od", "out", *keys, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert scp.requests[0].context.abstract_syntax == STUDY_ROOT_GET
    requestor = scp.requestor()
    assert requestor.ae_title == "GETSCU"
    assert len(requestor.primitive.presentation_context_definition_list) == 123
    assert len(requestor.role_selection) == 120
    expected = instances_of(sent, PATIENT)
    assert_received(tmp_path / "out", expected)
    assert_summary(proc, *ALL_TWELVE_STORED)
    size = sum(p.stat().st_size for p in (tmp_path / "out").iterdir())
    assert_summary(proc, f"Bytes written:      {size} ({size / 1e6:.1f} MB)")
    assert any(line.startswith("Rate:") and line.endswith("MB/s") for line in summary(proc.stderr))
    assert proc.stderr.count("I: Storing DICOM file: CT.") == 12


def test_getscu_failures_in_the_summary(scp: QrScp, tmp_path: Path) -> None:
    port = scp.start()
    (tmp_path / "taken").write_text("a file where the output directory should be")
    proc = app("getscu", port, "-od", "taken", "-k", f"PatientID={PATIENT}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr  # as pynetdicom's: statuses do not change it
    assert "E: Unable to create the output directory: taken" in proc.stderr
    assert_summary(
        proc,
        "Retrieve result:    0xA702 (Failure)",
        "Sub-operations:     0 completed, 12 failed, 0 warning",
        "Instances received: 12",
        "Stored:             0",
        "Failures:           12",
        "  0xA700: 12",
    )


def test_getscu_ignore_and_quiet(scp: QrScp, tmp_path: Path) -> None:
    port = scp.start()
    proc = app("getscu", port, "--ignore", "-k", f"PatientID={PATIENT}", cwd=tmp_path)
    assert_summary(proc, "Stored:             none (--ignore)", "Instances received: 12")
    assert sorted(os.listdir(tmp_path)) == ["sent"]
    proc = app("getscu", port, "-q", "-od", "out", "-k", f"PatientID={PATIENT}", cwd=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert len(os.listdir(tmp_path / "out")) == 12


def test_getscu_progress_bar_on_a_terminal(scp: QrScp, tmp_path: Path) -> None:
    from fastdimse.apps.common import BAR_WIDTH

    port = scp.start()
    status, out = run_on_terminal(
        app_cmd("getscu", LOCALHOST, str(port), "-k", f"PatientID={PATIENT}"), cwd=tmp_path
    )
    assert status == 0
    assert f"\r[{'#' * BAR_WIDTH}] 12/12 100% " in out
    assert "Instances received: 12" in out
    # Log records erase the bar first: each starts a line or follows the erasure.
    starts = [m.start() for m in re.finditer("I: Storing DICOM file", out)]
    assert len(starts) == 12
    for start in starts:
        assert out[start - 1] == "\n" or out[start - 4 : start] == "\r\x1b[K", repr(out[:start])


def test_retrieval_counts_progress_and_summary() -> None:
    from fastdimse.apps.retrieve import Retrieval

    def response(status: int, **counts: int) -> Dataset:
        ds = Dataset()
        ds.Status = status
        for name, value in counts.items():
            setattr(ds, f"NumberOf{name}Suboperations", value)
        return ds

    moved = Retrieval(receiving=False)
    assert (moved.done, moved.total) == (0, None)
    moved.responded(response(0xFF00, Remaining=9, Completed=2, Failed=1, Warning=0))
    assert (moved.done, moved.total, moved.result) == (3, 12, None)
    assert moved.progress_line() == "Sub-operations: 3 of 12 (1 failed)"
    moved.responded(response(0xB000, Completed=11, Failed=1, Warning=0))
    moved.stop()
    assert moved.result == 0xB000
    assert moved.summary()[:2] == [
        "Retrieve result:    0xB000 (Warning)",
        "Sub-operations:     11 completed, 1 failed, 0 warning",
    ]
    got = Retrieval(receiving=True)
    got.received(0x0000, 2_000_000)
    got.received(0xA700, 0)
    got.responded(Dataset())  # no response came
    got.stop()
    assert got.progress_line().startswith("Received 2 instances, 2.0 MB, ")
    lines = got.summary()
    assert lines[:2] == [
        "Retrieve result:    none (no final response)",
        "Sub-operations:     not reported",
    ]
    assert "Failures:           1" in lines and "  0xA700: 1" in lines


# ---------------------------------------------------------------------------------------------
# movescu


def test_movescu_store_receives(scp: QrScp, sent: list[Path], tmp_path: Path) -> None:
    scp.move_port = free_port()
    port = scp.start()
    args = ["--store", "--store-port", str(scp.move_port), "-od", "out", "-aem", "DEST"]
    proc = app("movescu", port, *args, "-k", f"PatientID={PATIENT}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (request,) = scp.requests
    assert request.move_destination.strip() == "DEST"
    assert request.context.abstract_syntax == PATIENT_ROOT_MOVE
    assert len(scp.requestor().primitive.presentation_context_definition_list) == 13
    assert_received(tmp_path / "out", instances_of(sent, PATIENT))
    assert_summary(proc, *ALL_TWELVE_STORED)
    assert f"I: Storage SCP STORESCP listening on port {scp.move_port}" in proc.stderr


def test_movescu_to_another_destination(scp: QrScp, tmp_path: Path) -> None:
    # Nothing listens at the destination: every sub-operation fails on the SCP's side.
    scp.move_port = free_port()
    port = scp.start()
    proc = app("movescu", port, "-k", "PatientID=OTHER", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert scp.requests[0].move_destination.strip() == "STORESCP"
    lines = summary(proc.stderr)
    assert lines[0] == "Retrieve result:    0xA801 (Failure)", proc.stderr
    assert lines[1] == "Sub-operations:     not reported"
    assert lines[2].startswith("Elapsed:")
    assert len(lines) == 3  # nothing received here: no store lines
    assert sorted(os.listdir(tmp_path)) == ["sent"]


def test_movescu_store_port_taken(scp: QrScp, tmp_path: Path) -> None:
    import socket

    port = scp.start()
    with socket.socket() as taken:
        taken.bind((LOCALHOST, 0))
        taken.listen()
        busy = taken.getsockname()[1]
        proc = app(
            "movescu", port, "--store", "--store-port", str(busy), "-k", "PatientID=", cwd=tmp_path
        )
    assert proc.returncode == 1
    assert f"E: Unable to listen on *:{busy}" in proc.stderr
    assert scp.requests == []


def test_apps_without_peer() -> None:
    for name in ("findscu", "getscu", "movescu"):
        proc = run_app(name, LOCALHOST, str(free_port()), "-k", "PatientName=")
        assert proc.returncode == 1, name
        assert "Association request failed: unable to connect to remote" in proc.stderr


# ---------------------------------------------------------------------------------------------
# pynetdicom 3.0.4's AE as the Q/R SCP


def test_findscu_with_pynetdicom(pnd_scp: QrScp, sent: list[Path], tmp_path: Path) -> None:
    port = pnd_scp.start()
    proc = app(
        "findscu", port, "-w", "-k", "PatientID=OTHER", "-k", "SOPInstanceUID=", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    (written,) = tmp_path.glob("rsp*.dcm")
    assert dcmread(written).SOPInstanceUID == "1.2.3.999"
    assert "I: Find SCP Result: 0x0000 (Success)" in proc.stderr


def test_getscu_with_pynetdicom(pnd_scp: QrScp, sent: list[Path], tmp_path: Path) -> None:
    port = pnd_scp.start()
    proc = app("getscu", port, "-od", "out", "-k", f"PatientID={PATIENT}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert_received(tmp_path / "out", instances_of(sent, PATIENT))
    assert "Sub-operations:     12 completed, 0 failed, 0 warning" in summary(proc.stderr)


def test_movescu_with_pynetdicom(pnd_scp: QrScp, sent: list[Path], tmp_path: Path) -> None:
    pnd_scp.move_port = free_port()
    port = pnd_scp.start()
    args = ["--store", "--store-port", str(pnd_scp.move_port)]
    proc = app("movescu", port, *args, "-k", f"PatientID={PATIENT}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    received = tmp_path / "received"
    received.mkdir()
    for path in tmp_path.glob("CT.*"):
        path.rename(received / path.name)
    assert_received(received, instances_of(sent, PATIENT))
    assert "Instances received: 12" in summary(proc.stderr)
