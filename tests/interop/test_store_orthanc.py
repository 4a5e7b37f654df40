"""C-STORE to Debian's Orthanc: our storescu app and ``send_c_store``, six transfer syntaxes.

Orthanc runs in the foreground with its own configuration (``orthanc.py``);
what it stored is fetched over its REST API and must be the sent file element
by element, Pixel Data byte for byte. A control sends the same files with
DCMTK's storescu, so that a failure points at fastdimse, not at Orthanc.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from fastdimse import AE
from helpers import LOCALHOST, run_dcmtk

from .conftest import CT_STORAGE, DEFLATED
from .orthanc import Orthanc
from .store_data import (
    BY_NAME,
    VARIANT_NAMES,
    assert_same_instance,
    assert_success,
    sop_instance_uid_of,
)

TRANSFER_TIMEOUT = 120.0

VARIANTS = pytest.mark.parametrize("name", VARIANT_NAMES)


def forget(orthanc: Orthanc, path: Path) -> str:
    """Delete the instance of ``path`` from Orthanc if there; returns its SOP Instance UID."""
    uid = sop_instance_uid_of(path)
    identifier = orthanc.lookup(uid)
    if identifier is not None:
        orthanc.delete(identifier)
    assert orthanc.lookup(uid) is None
    return uid


def assert_stored(orthanc: Orthanc, uid: str, sent: Path, tmp_path: Path) -> None:
    """Orthanc holds instance ``uid``, and its file is ``sent``."""
    identifier = orthanc.lookup(uid)
    assert identifier is not None, f"{uid} not in Orthanc:\n{orthanc.log_tail()}"
    assert identifier in orthanc.instances()
    stored = orthanc.download(identifier, tmp_path / "from-orthanc.dcm")
    assert_same_instance(stored, sent)


@VARIANTS
def test_send_c_store(
    name: str,
    store_variants: dict[str, Path],
    orthanc: Orthanc,
    our_aes: Callable[[str], AE],
    tmp_path: Path,
) -> None:
    sent = store_variants[name]
    uid = forget(orthanc, sent)
    ae = our_aes("OURSCU")
    ae.add_requested_context(CT_STORAGE, BY_NAME[name].transfer_syntax)
    assoc = ae.associate(LOCALHOST, orthanc.dicom_port, ae_title=orthanc.aet)
    assert assoc.is_established
    try:
        assert_success(assoc.send_c_store(sent))
    finally:
        assoc.release()
    assert_stored(orthanc, uid, sent, tmp_path)


@VARIANTS
def test_storescu_app(
    name: str, store_variants: dict[str, Path], orthanc: Orthanc, tmp_path: Path
) -> None:
    sent = store_variants[name]
    uid = forget(orthanc, sent)
    # -cx: propose only the file's own SOP class and transfer syntax (as pynetdicom's app).
    result = subprocess.run(
        [sys.executable, "-m", "fastdimse", "storescu", LOCALHOST, str(orthanc.dicom_port),
         str(sent), "-cx", "-aec", orthanc.aet],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=TRANSFER_TIMEOUT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
    assert_stored(orthanc, uid, sent, tmp_path)


@VARIANTS
def test_control_storescu(
    name: str, store_variants: dict[str, Path], orthanc: Orthanc, tmp_path: Path
) -> None:
    """DCMTK's storescu -> Orthanc: the same check passes between two third-party peers."""
    sent = store_variants[name]
    uid = forget(orthanc, sent)
    result = run_dcmtk(
        "storescu", "-v", "-R", BY_NAME[name].storescu_option, "-aec", orthanc.aet,
        LOCALHOST, str(orthanc.dicom_port), str(sent), timeout=TRANSFER_TIMEOUT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
    assert "Received Store Response (Success)" in result.stdout, result.stdout
    assert_stored(orthanc, uid, sent, tmp_path)


def test_send_c_store_odd_deflated(
    odd_deflated: Path, orthanc: Orthanc, our_aes: Callable[[str], AE], tmp_path: Path
) -> None:
    """A deflated file as dcmconv writes it (odd stream, no NULL pad) is stored by Orthanc."""
    uid = forget(orthanc, odd_deflated)
    ae = our_aes("OURSCU")
    ae.add_requested_context(CT_STORAGE, DEFLATED)
    assoc = ae.associate(LOCALHOST, orthanc.dicom_port, ae_title=orthanc.aet)
    assert assoc.is_established
    try:
        assert_success(assoc.send_c_store(odd_deflated))
    finally:
        assoc.release()
    assert_stored(orthanc, uid, odd_deflated, tmp_path)
