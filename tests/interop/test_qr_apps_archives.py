"""Our findscu, getscu and movescu apps against real archives (Debian's Orthanc and DCMTK's
dcmqrscp, holding ``qr_data``): the keys found are the keys loaded, and the instances
retrieved are the originals, element by element."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pydicom import dcmread

from helpers import APP_TIMEOUT, LOCALHOST, app_cmd

from .conftest import QR_MOVE_AET, ArchivePeer
from .qr_data import QRData
from .qr_support import assert_retrieved, written
from .store_data import EncodedWriter


def app(name: str, archive: ArchivePeer, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = app_cmd(name, LOCALHOST, str(archive.port), "-aec", archive.aet, *args)
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=APP_TIMEOUT, check=False
    )


def test_findscu_finds_every_study(archive: ArchivePeer, qr_data: QRData, tmp_path: Path) -> None:
    keys = ["-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=", "-k", "PatientID="]
    proc = app("findscu", archive, "-S", "-w", *keys, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    found = [dcmread(path) for path in sorted(tmp_path.glob("rsp*.dcm"))]
    uids = [str(ds.StudyInstanceUID) for ds in found]
    assert len(uids) == len(set(uids))  # each study once
    assert set(uids) == set(qr_data.studies())


def test_getscu_brings_back_a_study(archive: ArchivePeer, qr_data: QRData, tmp_path: Path) -> None:
    study = qr_data.largest_study()
    keys = ["-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study}"]
    proc = app("getscu", archive, "-S", "-od", "out", *keys, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert_retrieved(sorted((tmp_path / "out").iterdir()), qr_data.of_study(study))


def test_movescu_sends_a_study_to_the_destination(
    archive: ArchivePeer, qr_data: QRData, moved: EncodedWriter, tmp_path: Path
) -> None:
    study = qr_data.largest_study()
    keys = ["-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study}"]
    proc = app("movescu", archive, "-S", "-aem", QR_MOVE_AET, *keys, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert_retrieved(written(moved), qr_data.of_study(study))
