"""``python -m fastdimse qrscp``: it listens before SQLAlchemy or pydicom are imported;
takes pynetdicom's configuration file and options; re-indexes a directory (--reindex) and
empties the archive (--clean); says what is missing without the archive extra; and loses
no acknowledged instance when killed with SIGKILL while it receives, nor a committed one
when killed right after the commitment report. C-CANCEL stops a query at the next response."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset

from fastdimse import AE, evt
from helpers import DEADLINE, LOCALHOST, PORT, Server, app_cmd, run, start_server, wait_until
from test_archive import P_FIND, S_FIND, S_GET, associate, corpus, instance, qr_ae

pytest.importorskip("sqlalchemy")

ROOT = "1.2.826.0.1.3680043.9.7433.13"


def qrscp(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Server:
    """Our qrscp on a free port, its archive in ``tmp_path``."""
    return start_server(
        app_cmd(
            "qrscp",
            "--port",
            PORT,
            "--instance-location",
            str(tmp_path / "instances"),
            "--database-location",
            str(tmp_path / "index.sqlite"),
            *args,
        ),
        tmp_path / "qrscp.log",
        env=env,
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    started = qrscp(tmp_path, "-aet", "ARCHIVE")
    yield started
    started.stop()


def images(port: int) -> list[str]:
    """The SOP Instance UIDs an IMAGE level C-FIND of every study finds."""
    ident = Dataset()
    ident.QueryRetrieveLevel = "IMAGE"
    ident.StudyInstanceUID = ""
    ident.SeriesInstanceUID = ""
    ident.SOPInstanceUID = ""
    assoc = associate(port)
    found = [ds.SOPInstanceUID for st, ds in assoc.send_c_find(ident, S_FIND) if ds is not None]
    assoc.release()
    return sorted(found)


def store(port: int, datasets: list[Dataset]) -> None:
    assoc = associate(port)
    for ds in datasets:
        assert assoc.send_c_store(ds).Status == 0x0000
    assoc.release()


# -- start-up -------------------------------------------------------------------------

# Run as `python -c`: records, when sqlalchemy or pydicom is first imported, whether the
# port already accepts connections; then runs `python -m fastdimse <argv>`.
_RECORD_IMPORTS = """
import runpy, socket, sys

port, record, *argv = sys.argv[1:]

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name in ("sqlalchemy", "pydicom"):
            try:
                socket.create_connection(("127.0.0.1", int(port)), timeout=5).close()
                state = "listening"
            except OSError:
                state = "not listening"
            with open(record, "a") as out:
                out.write(f"{name} {state}\\n")
        return None

sys.meta_path.insert(0, Watch())
sys.argv = ["fastdimse", *argv]
runpy.run_module("fastdimse", run_name="__main__")
"""


def test_it_listens_before_importing_sqlalchemy_or_pydicom(tmp_path: Path) -> None:
    record = tmp_path / "imports"
    argv = [sys.executable, "-c", _RECORD_IMPORTS, PORT, str(record), "qrscp", "--port", PORT]
    argv += ["--instance-location", str(tmp_path / "i"), "--database-location", str(tmp_path / "d")]
    started = start_server(argv, tmp_path / "log")
    try:
        assert wait_until(lambda: record.exists() and len(record.read_text().split("\n")) > 2)
        store(started.port, corpus()[:1])
    finally:
        started.stop()
    assert sorted(record.read_text().split("\n")[:2]) == [
        "pydicom listening",
        "sqlalchemy listening",
    ]


def test_without_the_archive_extra_it_says_what_to_install(tmp_path: Path) -> None:
    refuse = (
        "import runpy, sys\n"
        "class Refuse:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.partition('.')[0] == 'sqlalchemy':\n"
        "            raise ImportError('No module named sqlalchemy')\n"
        "sys.meta_path.insert(0, Refuse())\n"
        "sys.argv = ['fastdimse', *sys.argv[1:]]\n"
        "runpy.run_module('fastdimse', run_name='__main__')\n"
    )
    result = run(
        [
            sys.executable,
            "-c",
            refuse,
            "qrscp",
            "--port",
            "0",
            "--instance-location",
            str(tmp_path / "i"),
            "--database-location",
            str(tmp_path / "d"),
        ]
    )
    assert result.returncode == 1
    assert "pip install fastdimse[archive]" in result.stderr


# -- configuration ------------------------------------------------------------------------


def test_configuration_file_with_overrides_and_destinations(tmp_path: Path) -> None:
    received: list[str] = []
    dest_ae = AE("MOVEDEST")
    for uid in ("1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.4"):
        dest_ae.add_supported_context(uid, "1.2.840.10008.1.2.1")
    dest = dest_ae.start_server(
        (LOCALHOST, 0),
        block=False,
        evt_handlers=[
            (evt.EVT_C_STORE, lambda e: received.append(e.request.AffectedSOPInstanceUID) or 0)
        ],
    )
    config = tmp_path / "qrscp.ini"
    config.write_text(
        "[DEFAULT]\n"
        "ae_title: FROMFILE\n"
        "port: 1\n"
        f"instance_location: {tmp_path / 'instances'}\n"
        f"database_location: {tmp_path / 'index.sqlite'}\n"
        "\n[MOVEDEST]\n"
        "address: 127.0.0.1\n"
        f"port: {dest.server_address[1]}\n"
    )
    started = start_server(app_cmd("qrscp", "-c", str(config), "--port", PORT), tmp_path / "log")
    try:
        store(started.port, corpus())
        ident = Dataset()
        ident.QueryRetrieveLevel = "STUDY"
        ident.StudyInstanceUID = f"{ROOT}.3"
        assoc = associate(started.port)
        found = [ds for st, ds in assoc.send_c_find(ident, S_FIND) if ds is not None]
        moved = list(assoc.send_c_move(ident, "MOVEDEST", "1.2.840.10008.5.1.4.1.2.2.2"))
        assoc.release()
    finally:
        started.stop()
        dest.shutdown()
    assert [ds.RetrieveAETitle for ds in found] == ["FROMFILE"]
    assert moved[-1][0].Status == 0x0000
    assert received == [f"{ROOT}.3.1.1"]


def test_reindex_then_serve(tmp_path: Path) -> None:
    files = tmp_path / "instances"
    files.mkdir()
    for number, ds in enumerate(corpus()):
        ds.save_as(files / f"f{number}.dcm", enforce_file_format=True)
    (files / "README").write_text("not DICOM")
    result = run(
        app_cmd(
            "qrscp",
            "--reindex",
            "--instance-location",
            str(files),
            "--database-location",
            str(tmp_path / "index.sqlite"),
        )
    )
    assert result.returncode == 0, result.stderr
    assert "Indexed 7 instances" in result.stdout
    started = qrscp(tmp_path)
    try:
        assert images(started.port) == sorted(ds.SOPInstanceUID for ds in corpus())
    finally:
        started.stop()


@pytest.mark.parametrize("answer", ["yes", "no"])
def test_clean_empties_the_archive_only_when_confirmed(tmp_path: Path, answer: str) -> None:
    started = qrscp(tmp_path)
    try:
        store(started.port, corpus())
    finally:
        started.stop()
    cmd = app_cmd(
        "qrscp",
        "--clean",
        "--instance-location",
        str(tmp_path / "instances"),
        "--database-location",
        str(tmp_path / "index.sqlite"),
    )
    import subprocess

    done = subprocess.run(
        cmd, input=f"{answer}\n", capture_output=True, text=True, timeout=DEADLINE, check=False
    )
    assert done.returncode == 0, done.stderr
    left = [p for p in (tmp_path / "instances").iterdir() if not p.name.startswith(".")]
    started = qrscp(tmp_path)
    try:
        found = images(started.port)
    finally:
        started.stop()
    if answer == "yes":
        assert (left, found) == ([], [])
    else:
        assert len(left) == len(found) == 7


# -- a crash while receiving ----------------------------------------------------------------


def test_sigkill_while_receiving_loses_no_acknowledged_instance(tmp_path: Path) -> None:
    """Stores go on from a thread; qrscp is killed with SIGKILL once 40 are acknowledged.
    After a restart every acknowledged instance is found by C-FIND and retrieved by C-GET."""
    started = qrscp(tmp_path)
    acknowledged: list[str] = []
    failed: list[BaseException] = []

    def send() -> None:
        try:
            assoc = associate(started.port)
            for number in range(1, 2001):
                ds = instance("PA", 9, number // 100, number)
                rsp = assoc.send_c_store(ds)
                if rsp is None or "Status" not in rsp:
                    return  # the association died: this one was never acknowledged
                if rsp.Status == 0x0000:
                    acknowledged.append(ds.SOPInstanceUID)
        except BaseException as error:
            failed.append(error)

    sender = threading.Thread(target=send)
    sender.start()
    assert wait_until(lambda: len(acknowledged) >= 40)
    os.kill(started.proc.pid, signal.SIGKILL)
    started.proc.wait(DEADLINE)
    sender.join(DEADLINE)
    started.kill()
    assert 40 <= len(acknowledged) < 2000

    restarted = qrscp(tmp_path)
    try:
        found = set(images(restarted.port))
        assert set(acknowledged) <= found
        got: list[str] = []

        def on_store(event: Any) -> int:
            got.append(event.dataset.SOPInstanceUID)
            return 0x0000

        ident = Dataset()
        ident.QueryRetrieveLevel = "STUDY"
        ident.StudyInstanceUID = f"{ROOT}.9"
        assoc = associate(restarted.port, handlers=[(evt.EVT_C_STORE, on_store)])
        final = list(assoc.send_c_get(ident, S_GET))[-1][0]
        assoc.release()
    finally:
        restarted.stop()
    assert final.Status == 0x0000
    assert set(acknowledged) <= set(got)
    stored = {
        dcmread(p, stop_before_pixels=True).SOPInstanceUID
        for p in (tmp_path / "instances").glob("*.dcm")
    }
    assert set(acknowledged) <= stored


def test_committed_instances_survive_sigkill_right_after_the_report(tmp_path: Path) -> None:
    """--storage-commitment: the moment our SCU has the report, qrscp is killed with
    SIGKILL; after a restart every committed instance is found, its file whole."""
    from fastdimse.commitment import COMMITMENT_SOP_CLASS, StorageCommitmentSCU

    started = qrscp(tmp_path, "-aet", "ARCHIVE", "--storage-commitment")
    datasets = [instance("PA", 7, 1, number) for number in range(1, 6)]
    store(started.port, datasets)
    scu = StorageCommitmentSCU()
    ae = AE("MODALITY")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    ae.add_requested_context(COMMITMENT_SOP_CLASS)
    assoc = ae.associate(LOCALHOST, started.port, ae_title="ARCHIVE", evt_handlers=scu.handlers)
    asked = [(ds.SOPClassUID, ds.SOPInstanceUID) for ds in datasets]
    result = scu.request(assoc, asked, timeout=DEADLINE)
    os.kill(started.proc.pid, signal.SIGKILL)
    started.proc.wait(DEADLINE)
    started.kill()
    committed = {r.sop_instance_uid for r in result.committed}
    assert committed == {ds.SOPInstanceUID for ds in datasets} and result.failed == ()

    restarted = qrscp(tmp_path, "-aet", "ARCHIVE")
    try:
        assert committed <= set(images(restarted.port))
    finally:
        restarted.stop()
    whole = {dcmread(p).SOPInstanceUID for p in (tmp_path / "instances").glob("*.dcm")}
    assert committed <= whole


def test_worklist_and_mpps_from_the_command_line(tmp_path: Path) -> None:
    """--worklist DIR imports DIR's .wl files and serves them; --mpps records a step
    IN PROGRESS -> COMPLETED and refuses a change after; both kept across a restart."""
    from fastdimse.sop_class import ModalityWorklistInformationFind as MWL
    from mpps_support import MAY_NO_LONGER_BE_UPDATED, MPPS, instance_uid, new_step
    from worklist_data import STEP_IDS, items, step_id, write_worklist

    write_worklist(tmp_path / "worklist", items())
    options = ("-aet", "ARCHIVE", "--mpps", "--worklist")
    started = qrscp(tmp_path, *options, str(tmp_path / "worklist"))
    ae = AE("MODALITY")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    ae.add_requested_context(MWL)
    ae.add_requested_context(MPPS)
    try:
        assoc = ae.associate(LOCALHOST, started.port, ae_title="ARCHIVE")
        query = Dataset()
        query.PatientName = ""
        query.ScheduledProcedureStepSequence = [Dataset()]
        query.ScheduledProcedureStepSequence[0].ScheduledProcedureStepID = ""
        found = [step_id(ds) for st, ds in assoc.send_c_find(query, MWL) if ds is not None]
        uid = instance_uid(1)
        created, _ = assoc.send_n_create(new_step(1), MPPS, uid)
        completed = Dataset()
        completed.PerformedProcedureStepStatus = "COMPLETED"
        done, _ = assoc.send_n_set(completed, MPPS, uid)
        after, _ = assoc.send_n_set(completed, MPPS, uid)
        assoc.release()
    finally:
        started.stop()
    assert sorted(found) == sorted(STEP_IDS)
    assert (created.Status, done.Status) == (0x0000, 0x0000)
    assert (after.Status, after.ErrorID) == (0x0110, MAY_NO_LONGER_BE_UPDATED)

    restarted = qrscp(tmp_path, "-aet", "ARCHIVE", "--mpps", "--worklist")
    try:
        assoc = ae.associate(LOCALHOST, restarted.port, ae_title="ARCHIVE")
        again, _ = assoc.send_n_set(completed, MPPS, uid)
        still = [ds for st, ds in assoc.send_c_find(query, MWL) if ds is not None]
        assoc.release()
    finally:
        restarted.stop()
    assert again.Status == 0x0110 and len(still) == len(STEP_IDS)


# -- C-CANCEL ---------------------------------------------------------------------------------


def test_cancel_stops_the_query_at_the_next_response(tmp_path: Path) -> None:
    """A C-FIND of 3,000 studies, cancelled after its first response: once the SCP has
    read the C-CANCEL, no further match is sent; the final status is Cancel."""
    from fastdimse.archive import Archive
    from fastdimse.archive.records import records_of

    archive = Archive(tmp_path / "instances", tmp_path / "index.sqlite")
    archive.index.add_many(
        (records_of(instance("PB", 100 + n, 1, 1)), tmp_path / f"none{n}", "1.2.840.10008.1.2.1")
        for n in range(3000)
    )
    after_cancel: list[int] = []
    sent = [0]

    def find(event: Any) -> Iterator[Any]:
        for status, identifier in archive.find(event):
            if event.is_cancelled and status == 0xFF00:
                after_cancel.append(1)
            sent[0] += 1
            yield status, identifier

    ae = qr_ae(AE("ARCHIVE"))
    server = ae.start_server((LOCALHOST, 0), block=False, evt_handlers=[(evt.EVT_C_FIND, find)])
    try:
        assoc = associate(int(server.server_address[1]))
        ident = Dataset()
        ident.QueryRetrieveLevel = "STUDY"
        ident.StudyInstanceUID = ""
        responses = assoc.send_c_find(ident, S_FIND, msg_id=7)
        first = next(responses)
        assert first[0].Status == 0xFF00
        assoc.send_c_cancel(7, query_model=S_FIND)
        rest = list(responses)
        assoc.release()
    finally:
        server.shutdown()
        archive.close()
    assert rest[-1][0].Status == 0xFE00
    assert after_cancel == []
    assert sent[0] < 3000


def test_patient_root_find_of_a_patient_without_an_id(tmp_path: Path) -> None:
    """An instance without Patient ID belongs to a patient all the same (pynetdicom's
    test data has one): found at PATIENT level with an empty Patient ID."""
    ds = instance("PA", 50, 1, 1)
    del ds.PatientID
    started = qrscp(tmp_path)
    try:
        store(started.port, [ds])
        ident = Dataset()
        ident.QueryRetrieveLevel = "PATIENT"
        ident.PatientID = ""
        ident.PatientName = ""
        assoc = associate(started.port)
        found = [d for st, d in assoc.send_c_find(ident, P_FIND) if d is not None]
        assoc.release()
    finally:
        started.stop()
    assert [(d.PatientID, str(d.PatientName)) for d in found] == [("", "Doe^Jane")]
