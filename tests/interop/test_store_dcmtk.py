"""C-STORE with DCMTK as the real peer, both ways, in six transfer syntaxes and at 50 MB.

DCMTK's ``storescu`` sends each variant of ``store_data`` (proposing that
transfer syntax, so it is sent as stored) to our SCPs: the storescp app, an
SCP built with the API, and one using ``fastdimse.storage.FileStore``. Our
``send_c_store`` and storescu app send the same files to DCMTK's ``storescp``.
Every received file must be the sent one element by element, Pixel Data byte
for byte, in the same transfer syntax. Controls run storescu -> pynetdicom and
pynetdicom -> storescp, so that a failure here points at fastdimse, not at the
data; odd-length deflated data sets (as dcmconv writes them, or as zlib makes
them from a Dataset) must reach DCMTK NULL-padded.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydicom import dcmread

from fastdimse import AE, AllStoragePresentationContexts, evt
from fastdimse.storage import FileStore
from helpers import (
    DEADLINE,
    LOCALHOST,
    PORT,
    Server,
    app_cmd,
    assert_stored_as_sent,
    require_module,
    run_dcmtk,
    wait_until,
)

from .conftest import CT_STORAGE, DEFLATED, Served
from .store_data import (
    BY_NAME,
    VARIANT_NAMES,
    EncodedWriter,
    assert_same_instance,
    assert_success,
    deflated_with_parity,
    differences,
    sop_instance_uid_of,
    support_storage,
    transfer_syntax_of,
)

# Long enough for 50 MB in 4 KiB PDUs on a slow shared runner.
TRANSFER_TIMEOUT = 120.0
LARGE_PDUS = (4096, 131072)


def storescu(port: int, path: Path, *options: str, called: str = "OURSCP") -> str:
    """DCMTK's storescu sends ``path`` (only the contexts it needs); returns its log."""
    result = run_dcmtk(
        "storescu", "-v", "-R", "-aec", called, "-ta", str(int(DEADLINE)),
        *options, LOCALHOST, str(port), str(path), timeout=TRANSFER_TIMEOUT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
    assert "Received Store Response (Success)" in result.stdout, result.stdout
    return result.stdout


def storage_scp(ae: AE) -> AE:
    return support_storage(ae, AllStoragePresentationContexts)  # type: ignore[no-any-return]


def files_in(directory: Path) -> list[Path]:
    return sorted(path for path in directory.iterdir() if path.is_file())


def only_file(directory: Path) -> Path:
    """The one file a receiver wrote into ``directory`` (waiting for it: no fixed sleep)."""
    wait_until(lambda: len(files_in(directory)) >= 1)
    found = files_in(directory)
    assert len(found) == 1, found
    return found[0]


# -- DCMTK storescu -> our SCPs ---------------------------------------------------------------


@pytest.fixture
def storescp_app(
    tmp_path: Path, subprocess_servers: Callable[..., Server]
) -> Callable[..., tuple[int, Path]]:
    """Start ``python -m fastdimse storescp PORT -od DIR``: (port, DIR); killed at the end."""

    def start(*options: str) -> tuple[int, Path]:
        out = tmp_path / "app-out"
        out.mkdir(exist_ok=True)
        argv = app_cmd("storescp", PORT, "-od", str(out), *options)
        return subprocess_servers(argv, name="storescp-app").port, out

    return start


@pytest.mark.parametrize("name", VARIANT_NAMES)
class TestStorescuToOurs:
    def test_storescp_app(
        self,
        name: str,
        store_variants: dict[str, Path],
        storescp_app: Callable[..., tuple[int, Path]],
    ) -> None:
        variant = BY_NAME[name]
        port, out = storescp_app()
        storescu(port, store_variants[name], variant.storescu_option)
        received = only_file(out)
        # Named as pynetdicom's storescp names it.
        assert received.name == f"CT.{sop_instance_uid_of(store_variants[name])}"
        assert_same_instance(received, store_variants[name])
        # byte for byte too: pydicom reads a file cut inside its last delimiter as whole
        assert_stored_as_sent(received, store_variants[name])

    def test_api_scp(
        self,
        name: str,
        store_variants: dict[str, Path],
        our_aes: Callable[[str], AE],
        serve: Callable[..., Served],
        tmp_path: Path,
    ) -> None:
        variant = BY_NAME[name]
        writer = EncodedWriter(tmp_path / "out")
        ours = serve(storage_scp(our_aes("OURSCP")), evt_handlers=[(evt.EVT_C_STORE, writer)])
        storescu(ours.port, store_variants[name], variant.storescu_option)
        received, transfer_syntax = writer.only()
        assert transfer_syntax == variant.transfer_syntax
        assert_same_instance(received, store_variants[name])

    def test_filestore_scp(
        self,
        name: str,
        store_variants: dict[str, Path],
        our_aes: Callable[[str], AE],
        serve: Callable[..., Served],
        tmp_path: Path,
    ) -> None:
        variant = BY_NAME[name]
        out = tmp_path / "store"
        out.mkdir()
        store = FileStore(out)
        ours = serve(storage_scp(our_aes("OURSCP")), evt_handlers=[(evt.EVT_C_STORE, store)])
        storescu(ours.port, store_variants[name], variant.storescu_option)
        received = only_file(out)
        assert received.name == f"{dcmread(received).SOPInstanceUID}.dcm"
        assert_same_instance(received, store_variants[name])
        assert_stored_as_sent(received, store_variants[name])


# -- ours -> DCMTK storescp ---------------------------------------------------------------------


@pytest.mark.parametrize("name", VARIANT_NAMES)
class TestOursToStorescp:
    def test_send_c_store(
        self,
        name: str,
        store_variants: dict[str, Path],
        storescp: Callable[..., int],
        our_aes: Callable[[str], AE],
        tmp_path: Path,
    ) -> None:
        variant = BY_NAME[name]
        port = storescp("+xa")
        ae = our_aes("OURSCU")
        ae.add_requested_context(CT_STORAGE, variant.transfer_syntax)
        assoc = ae.associate(LOCALHOST, port, ae_title="STORESCP")
        assert assoc.is_established
        try:
            assert_success(assoc.send_c_store(store_variants[name]))
        finally:
            assoc.release()
        assert_same_instance(only_file(tmp_path), store_variants[name])

    def test_storescu_app(
        self,
        name: str,
        store_variants: dict[str, Path],
        storescp: Callable[..., int],
        tmp_path: Path,
    ) -> None:
        port = storescp("+xa")
        # -cx: propose only the file's own SOP class and transfer syntax (as pynetdicom's app).
        result = subprocess.run(
            [sys.executable, "-m", "fastdimse", "storescu", LOCALHOST, str(port),
             str(store_variants[name]), "-cx", "-aec", "STORESCP"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=TRANSFER_TIMEOUT, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout
        assert_same_instance(only_file(tmp_path), store_variants[name])


@pytest.mark.parametrize("odd", [False, True], ids=["even", "odd"])
def test_send_c_store_dataset_deflated_to_storescp(
    odd: bool,
    store_variants: dict[str, Path],
    storescp: Callable[..., int],
    our_aes: Callable[[str], AE],
    tmp_path: Path,
) -> None:
    """A Dataset deflated by us, of either parity, reaches storescp whole (odd: NULL-padded)."""
    ds = deflated_with_parity(store_variants["explicit"], odd)
    port = storescp("+xa")
    ae = our_aes("OURSCU")
    ae.add_requested_context(CT_STORAGE, DEFLATED)
    assoc = ae.associate(LOCALHOST, port, ae_title="STORESCP")
    assert assoc.is_established
    try:
        assert_success(assoc.send_c_store(ds))
    finally:
        assoc.release()
    received = only_file(tmp_path)
    assert transfer_syntax_of(received) == DEFLATED
    sent = tmp_path / "sent" / "sent.dcm"
    sent.parent.mkdir()
    ds.save_as(sent, enforce_file_format=True)
    assert_same_instance(received, sent, same_transfer_syntax=False)


def test_send_c_store_odd_deflated_to_storescp(
    odd_deflated: Path, storescp: Callable[..., int], our_aes: Callable[[str], AE], tmp_path: Path
) -> None:
    """A deflated file as dcmconv writes it (odd stream, no NULL pad) still reaches storescp.

    Sent as stored it would end in an odd PDV fragment, which DCMTK refuses
    ("DIMSE: Odd Fragment Length"): the sender adds the pad (PS3.5 A.5).
    """
    port = storescp("+xa")
    ae = our_aes("OURSCU")
    ae.add_requested_context(CT_STORAGE, transfer_syntax_of(odd_deflated))
    assoc = ae.associate(LOCALHOST, port, ae_title="STORESCP")
    assert assoc.is_established
    try:
        assert_success(assoc.send_c_store(odd_deflated))
    finally:
        assoc.release()
    assert_same_instance(only_file(tmp_path), odd_deflated)


# -- 50 MB, smallest and largest PDU DCMTK allows -------------------------------------------------


@pytest.mark.parametrize("max_pdu", LARGE_PDUS)
class TestLarge:
    @pytest.mark.parametrize("handler", ["encoded_dataset", "FileStore"])
    def test_storescu_to_api_scp(
        self,
        max_pdu: int,
        handler: str,
        large_store_instance: Path,
        our_aes: Callable[[str], AE],
        serve: Callable[..., Served],
        tmp_path: Path,
    ) -> None:
        out = tmp_path / "out"
        out.mkdir()
        store: Callable[[Any], int] = (
            EncodedWriter(out) if handler != "FileStore" else FileStore(out)
        )
        maxima: list[tuple[int, int]] = []

        def record(event: Any) -> None:
            maxima.append(
                (event.assoc.requestor.maximum_length, event.assoc.acceptor.maximum_length)
            )

        ae = storage_scp(our_aes("OURSCP"))
        ae.maximum_pdu_size = max_pdu
        ours = serve(ae, evt_handlers=[(evt.EVT_C_STORE, store), (evt.EVT_ESTABLISHED, record)])
        storescu(ours.port, large_store_instance, "-xe", "-pdu", str(max_pdu))
        assert maxima == [(max_pdu, max_pdu)]
        assert_same_instance(only_file(out), large_store_instance)
        assert_stored_as_sent(only_file(out), large_store_instance)

    def test_send_c_store_to_storescp(
        self,
        max_pdu: int,
        large_store_instance: Path,
        storescp: Callable[..., int],
        our_aes: Callable[[str], AE],
        tmp_path: Path,
    ) -> None:
        port = storescp("+xa", "-pdu", str(max_pdu))
        ae = our_aes("OURSCU")
        ae.maximum_pdu_size = max_pdu
        ae.add_requested_context(CT_STORAGE, transfer_syntax_of(large_store_instance))
        assoc = ae.associate(LOCALHOST, port, ae_title="STORESCP")
        assert assoc.is_established
        try:
            assert assoc.acceptor.maximum_length == max_pdu
            assert_success(assoc.send_c_store(large_store_instance))
        finally:
            assoc.release()
        assert_same_instance(only_file(tmp_path), large_store_instance)


# -- controls: the data, storescu's options and the comparison, without fastdimse -------------


@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_control_storescu_to_pynetdicom(
    name: str,
    store_variants: dict[str, Path],
    pn_aes: Callable[[str], Any],
    pn_serve: Callable[..., Served],
    tmp_path: Path,
) -> None:
    """storescu -> pynetdicom: the same check passes between two third-party peers."""
    pynetdicom = require_module("pynetdicom")
    variant = BY_NAME[name]
    writer = EncodedWriter(tmp_path / "out")
    ae = support_storage(pn_aes("PNSCP"), pynetdicom.AllStoragePresentationContexts)
    theirs = pn_serve(ae, evt_handlers=[(pynetdicom.evt.EVT_C_STORE, writer)])
    storescu(theirs.port, store_variants[name], variant.storescu_option, called="PNSCP")
    received, transfer_syntax = writer.only()
    assert transfer_syntax == variant.transfer_syntax
    assert_same_instance(received, store_variants[name])


def test_control_comparison_finds_changes(store_variants: dict[str, Path], tmp_path: Path) -> None:
    """The comparison sees one changed element, one changed Pixel Data byte, one extra element."""
    original = store_variants["jpeg-lossless"]
    assert differences(original, original) == []

    ds = dcmread(original)
    ds.PatientID = "SOMEONE-ELSE"
    changed_element = tmp_path / "element.dcm"
    ds.save_as(changed_element)
    assert len(differences(changed_element, original)) == 1
    assert differences(changed_element, original)[0].startswith("(0010,0020) 'SOMEONE-ELSE' != ")

    ds = dcmread(original)
    pixels = bytearray(ds.PixelData)
    pixels[-3] ^= 0x01  # inside the last fragment: the encapsulated bytes are compared
    ds.PixelData = bytes(pixels)
    changed_pixel = tmp_path / "pixel.dcm"
    ds.save_as(changed_pixel)
    size = len(pixels)
    assert differences(changed_pixel, original) == [f"Pixel Data differs ({size} vs {size} bytes)"]

    ds = dcmread(original)
    ds.StationName = "EXTRA"
    extra = tmp_path / "extra.dcm"
    ds.save_as(extra)
    assert differences(extra, original) == ["(0008,1010) only in the received file"]


@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_control_pynetdicom_to_storescp(
    name: str,
    store_variants: dict[str, Path],
    storescp: Callable[..., int],
    pn_aes: Callable[[str], Any],
    tmp_path: Path,
) -> None:
    """pynetdicom -> storescp: storescp keeps what it receives as it was sent."""
    port = storescp("+xa")
    ae = pn_aes("PNSCU")
    ae.add_requested_context(CT_STORAGE, BY_NAME[name].transfer_syntax)
    assoc = ae.associate(LOCALHOST, port, ae_title="STORESCP")
    assert assoc.is_established
    try:
        assert_success(assoc.send_c_store(store_variants[name]))
    finally:
        assoc.release()
    assert_same_instance(only_file(tmp_path), store_variants[name])
