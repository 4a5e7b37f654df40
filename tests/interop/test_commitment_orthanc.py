"""Storage Commitment against Orthanc 1.10 (started by the test, each side knowing the
other as a modality): Orthanc's SCU against our Archive's SCP, and our SCU against
Orthanc's SCP, each reporting on a new association (Orthanc leaves as soon as its
N-ACTION is answered, and reports on an association of its own). Instances held are
committed, one never sent is failed with No Such Object Instance (0x0112)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fastdimse import AE
from fastdimse.archive import Archive
from fastdimse.archive.commitment import StorageCommitmentSCP
from fastdimse.commitment import COMMITMENT_SOP_CLASS, Failure, StorageCommitmentSCU
from fastdimse.sop_class import CTImageStorage
from helpers import DEADLINE, LOCALHOST, wait_until
from test_archive_commitment import NEVER_SENT, ct, reference

from .conftest import tune
from .orthanc import start_orthanc


@pytest.fixture
def archive_scp(tmp_path: Path) -> Iterator[tuple[Archive, int]]:
    """Our Archive and its Storage Commitment SCP, titled ARCHIVE, holding two instances."""
    archive = Archive(tmp_path / "store", tmp_path / "index.sqlite")
    commitment = StorageCommitmentSCP(archive, "ARCHIVE")
    ae = tune(AE("ARCHIVE"))
    ae.add_supported_context(CTImageStorage)
    ae.add_supported_context(COMMITMENT_SOP_CLASS)
    handlers = archive.handlers + commitment.handlers
    server = ae.start_server((LOCALHOST, 0), block=False, evt_handlers=handlers)
    port = int(server.server_address[1])
    sender = tune(AE("MODALITY"))
    sender.add_requested_context(CTImageStorage)
    assoc = sender.associate(LOCALHOST, port, ae_title="ARCHIVE")
    for number in range(2):
        assert assoc.send_c_store(ct(number)).Status == 0x0000
    assoc.release()
    try:
        yield archive, port
    finally:
        ae.shutdown()
        commitment.close()
        archive.close()


def test_orthanc_scu_against_our_scp(tmp_path: Path, archive_scp: tuple[Archive, int]) -> None:
    archive, port = archive_scp
    orthanc = start_orthanc(
        tmp_path / "orthanc", {"DicomModalities": {"archive": ["ARCHIVE", LOCALHOST, port]}}
    )
    archive.destinations["ORTHANC"] = (LOCALHOST, orthanc.dicom_port)
    try:
        asked = [reference(0), reference(1), NEVER_SENT]
        body = {
            "DicomInstances": [[r.sop_class_uid, r.sop_instance_uid] for r in asked],
            "Timeout": int(DEADLINE),
        }
        started = json.loads(
            orthanc.request(
                "POST", "/modalities/archive/storage-commitment", json.dumps(body).encode()
            )
        )
        report: dict[str, Any] = {}

        def reported() -> bool:
            report.update(orthanc.get_json(started["Path"]))
            return report.get("Status") != "Pending"

        assert wait_until(reported), orthanc.log_tail()
    finally:
        orthanc.stop()
    assert report["Status"] == "Failure" and report["RemoteAET"] == "ARCHIVE"
    assert [(s["SOPClassUID"], s["SOPInstanceUID"]) for s in report["Success"]] == [
        (r.sop_class_uid, r.sop_instance_uid) for r in asked[:2]
    ]
    [failure] = report["Failures"]
    assert (failure["SOPInstanceUID"], failure["FailureReason"]) == (
        NEVER_SENT.sop_instance_uid,
        0x0112,
    )


def test_our_scu_against_orthanc_scp(tmp_path: Path) -> None:
    scu = StorageCommitmentSCU()
    listener = tune(AE("MODALITY"))
    listener.add_supported_context(COMMITMENT_SOP_CLASS, scu_role=True, scp_role=True)
    server = listener.start_server((LOCALHOST, 0), block=False, evt_handlers=scu.handlers)
    modality = ["MODALITY", LOCALHOST, int(server.server_address[1])]
    orthanc = start_orthanc(tmp_path / "orthanc", {"DicomModalities": {"modality": modality}})
    try:
        for number in range(2):
            path = tmp_path / f"{number}.dcm"
            ct(number).save_as(path, enforce_file_format=True)
            orthanc.upload(path)
        ae = tune(AE("MODALITY"))
        ae.add_requested_context(COMMITMENT_SOP_CLASS)
        assoc = ae.associate(
            LOCALHOST, orthanc.dicom_port, ae_title="ORTHANC", evt_handlers=scu.handlers
        )
        assert assoc.is_established
        asked = [reference(0), reference(1), NEVER_SENT]
        result = scu.request(assoc, asked, timeout=DEADLINE, keep_open=False)
    finally:
        orthanc.stop()
        listener.shutdown()
    assert result.committed == (reference(0), reference(1))
    assert result.failed == (Failure(NEVER_SENT, 0x0112),)
