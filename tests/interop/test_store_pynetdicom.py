"""C-STORE with pynetdicom 3.0.4 as the real peer, in this process, both ways.

Our ``send_c_store`` -> pynetdicom's SCP and pynetdicom's ``send_c_store`` ->
our SCP, for each transfer syntax of ``store_data``; and a 50 MB instance at
maximum PDU 0 (no limit), 16 KiB and 1 MiB between our two ends and with
pynetdicom each way. Every SCP writes ``event.encoded_dataset()``, the data
set as received, which must be the sent file element by element, Pixel Data
byte for byte. A control runs pynetdicom against itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydicom import dcmread

import fastdimse
from helpers import LOCALHOST, require_module

from .conftest import CT_STORAGE, Served
from .store_data import (
    BY_NAME,
    VARIANT_NAMES,
    EncodedWriter,
    assert_same_instance,
    assert_success,
    support_storage,
    transfer_syntax_of,
)

pynetdicom = require_module("pynetdicom")

LARGE_PDUS = (0, 16 * 1024, 1024 * 1024)


def send(
    ae: Any, port: int, path_or_dataset: Any, transfer_syntax: str, *, max_pdu: int | None = None
) -> Any:
    """One association from ``ae`` (either library) sending one C-STORE; returns the association."""
    ae.add_requested_context(CT_STORAGE, transfer_syntax)
    kwargs = {} if max_pdu is None else {"max_pdu": max_pdu}
    assoc = ae.associate(LOCALHOST, port, ae_title="SCP", **kwargs)
    assert assoc.is_established
    try:
        assert_success(assoc.send_c_store(path_or_dataset))
    finally:
        assoc.release()
    return assoc


def our_scp(
    our_aes: Callable[[str], Any],
    serve: Callable[..., Served],
    out: Path,
    max_pdu: int | None = None,
) -> tuple[EncodedWriter, Served]:
    writer = EncodedWriter(out)
    ae = support_storage(our_aes("SCP"), fastdimse.AllStoragePresentationContexts)
    if max_pdu is not None:
        ae.maximum_pdu_size = max_pdu
    return writer, serve(ae, evt_handlers=[(fastdimse.evt.EVT_C_STORE, writer)])


def pn_scp(
    pn_aes: Callable[[str], Any],
    pn_serve: Callable[..., Served],
    out: Path,
    max_pdu: int | None = None,
) -> tuple[EncodedWriter, Served]:
    writer = EncodedWriter(out)
    ae = support_storage(pn_aes("SCP"), pynetdicom.AllStoragePresentationContexts)
    if max_pdu is not None:
        ae.maximum_pdu_size = max_pdu
    return writer, pn_serve(ae, evt_handlers=[(pynetdicom.evt.EVT_C_STORE, writer)])


@pytest.mark.parametrize("name", VARIANT_NAMES)
class TestSixTransferSyntaxes:
    @pytest.mark.parametrize("source", ["path", "dataset"])
    def test_ours_to_pynetdicom(
        self,
        name: str,
        source: str,
        store_variants: dict[str, Path],
        our_aes: Callable[[str], Any],
        pn_aes: Callable[[str], Any],
        pn_serve: Callable[..., Served],
        tmp_path: Path,
    ) -> None:
        """A path is streamed as stored; a Dataset is encoded by us in the context's syntax."""
        sent = store_variants[name]
        writer, theirs = pn_scp(pn_aes, pn_serve, tmp_path / "out")
        what = sent if source == "path" else dcmread(sent)
        send(our_aes("OURSCU"), theirs.port, what, BY_NAME[name].transfer_syntax)
        received, transfer_syntax = writer.only()
        assert transfer_syntax == BY_NAME[name].transfer_syntax
        assert_same_instance(received, sent)

    def test_pynetdicom_to_ours(
        self,
        name: str,
        store_variants: dict[str, Path],
        our_aes: Callable[[str], Any],
        serve: Callable[..., Served],
        pn_aes: Callable[[str], Any],
        tmp_path: Path,
    ) -> None:
        sent = store_variants[name]
        writer, ours = our_scp(our_aes, serve, tmp_path / "out")
        send(pn_aes("PNSCU"), ours.port, sent, BY_NAME[name].transfer_syntax)
        received, transfer_syntax = writer.only()
        assert transfer_syntax == BY_NAME[name].transfer_syntax
        assert_same_instance(received, sent)

    def test_control_pynetdicom_to_pynetdicom(
        self,
        name: str,
        store_variants: dict[str, Path],
        pn_aes: Callable[[str], Any],
        pn_serve: Callable[..., Served],
        tmp_path: Path,
    ) -> None:
        sent = store_variants[name]
        writer, theirs = pn_scp(pn_aes, pn_serve, tmp_path / "out")
        send(pn_aes("PNSCU"), theirs.port, sent, BY_NAME[name].transfer_syntax)
        assert_same_instance(writer.only()[0], sent)


@pytest.mark.parametrize("max_pdu", LARGE_PDUS, ids=["unlimited", "16KiB", "1MiB"])
class TestLarge:
    """50 MB at each maximum PDU, set on both ends (the receiver's is what limits a sender)."""

    def check(self, assoc: Any, writer: EncodedWriter, sent: Path, max_pdu: int) -> None:
        assert assoc.requestor.maximum_length == max_pdu
        assert assoc.acceptor.maximum_length == max_pdu
        assert_same_instance(writer.only()[0], sent)

    def test_ours_to_ours(
        self,
        max_pdu: int,
        large_store_instance: Path,
        our_aes: Callable[[str], Any],
        serve: Callable[..., Served],
        tmp_path: Path,
    ) -> None:
        writer, ours = our_scp(our_aes, serve, tmp_path / "out", max_pdu)
        scu = our_aes("OURSCU")
        scu.maximum_pdu_size = max_pdu
        syntax = transfer_syntax_of(large_store_instance)
        assoc = send(scu, ours.port, large_store_instance, syntax, max_pdu=max_pdu)
        self.check(assoc, writer, large_store_instance, max_pdu)

    def test_ours_to_pynetdicom(
        self,
        max_pdu: int,
        large_store_instance: Path,
        our_aes: Callable[[str], Any],
        pn_aes: Callable[[str], Any],
        pn_serve: Callable[..., Served],
        tmp_path: Path,
    ) -> None:
        writer, theirs = pn_scp(pn_aes, pn_serve, tmp_path / "out", max_pdu)
        scu = our_aes("OURSCU")
        scu.maximum_pdu_size = max_pdu
        syntax = transfer_syntax_of(large_store_instance)
        assoc = send(scu, theirs.port, large_store_instance, syntax, max_pdu=max_pdu)
        self.check(assoc, writer, large_store_instance, max_pdu)

    def test_pynetdicom_to_ours(
        self,
        max_pdu: int,
        large_store_instance: Path,
        our_aes: Callable[[str], Any],
        serve: Callable[..., Served],
        pn_aes: Callable[[str], Any],
        tmp_path: Path,
    ) -> None:
        writer, ours = our_scp(our_aes, serve, tmp_path / "out", max_pdu)
        scu = pn_aes("PNSCU")
        scu.maximum_pdu_size = max_pdu
        syntax = transfer_syntax_of(large_store_instance)
        assoc = send(scu, ours.port, large_store_instance, syntax, max_pdu=max_pdu)
        self.check(assoc, writer, large_store_instance, max_pdu)
