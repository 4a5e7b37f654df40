"""C-STORE between our own two ends: the engine's storage behaviour.

The SCP side: the handler's view of a received data set (lazy decode, encoded
bytes with and without file meta, ``dataset_path`` under the chunked setting),
pynetdicom's status rules, the spool file gone after the handler, and a data
set that cannot be written answered 0xA700 while the association goes on. The
SCU side: files streamed unchanged when their transfer syntax was accepted,
converted when not, and refused before anything is sent when nothing fits.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from benches.synthetic import ct_dataset, write_instance
from pydicom import dcmread
from pydicom.dataset import Dataset

from fastdimse import AE, _config, evt
from fastdimse._files.part10 import read_file_meta
from fastdimse._files.store import FileStore
from helpers import data_set_bytes

CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
DEFLATED = "1.2.840.10008.1.2.1.99"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
DEADLINE = 15.0


@pytest.fixture
def ct_file(tmp_path: Path) -> Path:
    pixels = bytes(range(256)) * (64 * 64 * 2 // 256)
    ds = ct_dataset(pixels, rows=64, columns=64)
    return write_instance(ds, tmp_path / "ct.dcm", EXPLICIT)


class Scp:
    """Our SCP on a free port, recording what each handler call saw."""

    def __init__(self, handler: Callable[[Any], Any], spool: Path | None = None) -> None:
        self.seen: list[dict[str, Any]] = []
        self.ae = AE("STORESCP")
        for syntax in (EXPLICIT, IMPLICIT, DEFLATED):
            self.ae.add_supported_context(CT, syntax)
        self.ae.add_supported_context(MR, IMPLICIT)

        class Handler:
            spool_directory = spool

            def __call__(inner, event: Any) -> Any:
                return handler(event)

        bound = Handler() if spool is not None else handler
        server = self.ae.start_server(
            ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_STORE, bound)]
        )
        self.port = server.server_address[1]

    def associate(self, *contexts: tuple[str, str]) -> Any:
        scu = AE("STORESCU")
        scu.acse_timeout = scu.dimse_timeout = scu.network_timeout = DEADLINE
        for sop_class, syntax in contexts or ((CT, EXPLICIT),):
            scu.add_requested_context(sop_class, syntax)
        assoc = scu.associate("127.0.0.1", self.port)
        assert assoc.is_established
        return assoc


@pytest.fixture
def scps() -> Iterator[list[Scp]]:
    made: list[Scp] = []
    yield made
    for scp in made:
        scp.ae.shutdown()


def serve(scps: list[Scp], handler: Callable[[Any], Any], spool: Path | None = None) -> Scp:
    scp = Scp(handler, spool)
    scps.append(scp)
    return scp


class TestHandlerView:
    def test_dataset_file_meta_and_encoded_dataset(self, scps: list[Scp], ct_file: Path) -> None:
        seen: dict[str, Any] = {}

        def handler(event: Any) -> int:
            seen["dataset"] = event.dataset
            seen["meta"] = event.file_meta
            seen["with_meta"] = event.encoded_dataset()
            seen["without_meta"] = event.encoded_dataset(include_meta=False)
            seen["context"] = event.context
            seen["request_uid"] = event.request.AffectedSOPInstanceUID
            with pytest.raises(AttributeError, match="STORE_RECV_CHUNKED_DATASET"):
                _ = event.dataset_path
            return 0x0000

        scp = serve(scps, handler)
        assoc = scp.associate()
        status = assoc.send_c_store(ct_file)
        assoc.release()
        assert status.Status == 0x0000
        sent = dcmread(ct_file)
        assert seen["dataset"] == sent
        assert seen["dataset"].PixelData == sent.PixelData
        assert seen["meta"].TransferSyntaxUID == EXPLICIT
        assert seen["meta"].MediaStorageSOPInstanceUID == sent.SOPInstanceUID
        offset = read_file_meta(ct_file).data_offset
        assert seen["without_meta"] == ct_file.read_bytes()[offset:]
        whole = seen["with_meta"]
        assert whole[128:132] == b"DICM" and whole.endswith(seen["without_meta"])
        assert seen["context"].transfer_syntax == EXPLICIT
        assert seen["request_uid"] == sent.SOPInstanceUID

    def test_request_dataset_is_read_on_demand(self, scps: list[Scp], ct_file: Path) -> None:
        seen: list[bytes] = []

        def handler(event: Any) -> int:
            seen.append(event.request.DataSet.getvalue())
            return 0

        assoc = serve(scps, handler).associate()
        assoc.send_c_store(ct_file)
        assoc.release()
        assert seen == [ct_file.read_bytes()[read_file_meta(ct_file).data_offset :]]

    def test_dataset_path_under_chunked_setting(
        self, scps: list[Scp], ct_file: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(_config, "STORE_RECV_CHUNKED_DATASET", True)
        seen: dict[str, Any] = {}

        def handler(event: Any) -> int:
            path = event.dataset_path
            seen["path"] = path
            seen["exists"] = path.exists()
            seen["sop"] = dcmread(path).SOPInstanceUID
            return 0

        assoc = serve(scps, handler).associate()
        assoc.send_c_store(ct_file)
        assoc.release()
        assert seen["exists"] and seen["sop"] == dcmread(ct_file).SOPInstanceUID
        assert not seen["path"].exists(), "the spool file is deleted after the handler"

    def test_spool_in_the_handlers_directory_and_moved_into_place(
        self, scps: list[Scp], ct_file: Path, tmp_path: Path
    ) -> None:
        store = tmp_path / "store"
        store.mkdir()

        def handler(event: Any) -> int:
            spool = event.request._dataset_path
            assert spool.parent == store
            os.replace(spool, store / "kept.dcm")
            return 0

        assoc = serve(scps, handler, spool=store).associate()
        assert assoc.send_c_store(ct_file).Status == 0
        assoc.release()
        assert [p.name for p in store.iterdir()] == ["kept.dcm"]
        assert dcmread(store / "kept.dcm") == dcmread(ct_file)

    def test_nothing_left_in_the_spool_directory(
        self, scps: list[Scp], ct_file: Path, tmp_path: Path
    ) -> None:
        spool = tmp_path / "spool"
        spool.mkdir()
        assoc = serve(scps, lambda event: 0, spool=spool).associate()
        for _ in range(3):
            assert assoc.send_c_store(ct_file).Status == 0
        assoc.release()
        assert list(spool.iterdir()) == []


class TestStatusRules:
    @pytest.mark.parametrize(
        ("returned", "expected"),
        [
            (0x0000, 0x0000),
            (0xB000, 0xB000),
            (0xA700, 0xA700),
            (0xFFF0, 0xFFF0),  # unknown: sent all the same, with a warning
            ("not a status", 0xC002),
            (Dataset(), 0xC001),
        ],
    )
    def test_handler_return_values(
        self, scps: list[Scp], ct_file: Path, returned: Any, expected: int
    ) -> None:
        assoc = serve(scps, lambda event: returned).associate()
        assert assoc.send_c_store(ct_file, status_only=True) == expected
        assoc.release()

    def test_status_dataset_elements_reach_the_peer(self, scps: list[Scp], ct_file: Path) -> None:
        status = Dataset()
        status.Status = 0xB006
        status.ErrorComment = "Element discarded"
        assoc = serve(scps, lambda event: status).associate()
        rsp = assoc.send_c_store(ct_file)
        assoc.release()
        assert rsp.Status == 0xB006 and rsp.ErrorComment == "Element discarded"

    def test_handler_exception_is_0xC211_and_association_goes_on(
        self, scps: list[Scp], ct_file: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        calls: list[int] = []

        def handler(event: Any) -> int:
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("boom")
            return 0

        assoc = serve(scps, handler).associate()
        with caplog.at_level(logging.ERROR, logger="fastdimse"):
            assert assoc.send_c_store(ct_file, status_only=True) == 0xC211
        assert "Exception in handler bound to 'evt.EVT_C_STORE'" in caplog.text
        assert assoc.send_c_store(ct_file, status_only=True) == 0x0000
        assoc.release()

    def test_no_handler_bound_is_0xC211(self, ct_file: Path) -> None:
        ae = AE("STORESCP")
        ae.add_supported_context(CT, EXPLICIT)
        server = ae.start_server(("127.0.0.1", 0), block=False)
        try:
            scu = AE("STORESCU")
            scu.add_requested_context(CT, EXPLICIT)
            assoc = scu.associate("127.0.0.1", server.server_address[1])
            assert assoc.send_c_store(ct_file, status_only=True) == 0xC211
            assoc.release()
        finally:
            ae.shutdown()


class TestUnwritable:
    def test_a_data_set_that_cannot_be_written_is_0xA700(
        self, scps: list[Scp], ct_file: Path, tmp_path: Path
    ) -> None:
        """The spool directory vanished: 0xA700, the handler not called, the next store works."""
        calls: list[Any] = []
        spool = tmp_path / "spool"
        spool.mkdir()
        assoc = serve(scps, lambda event: calls.append(event) or 0, spool=spool).associate()
        spool.rmdir()
        rsp = assoc.send_c_store(ct_file)
        assert rsp.Status == 0xA700 and rsp.ErrorComment
        assert calls == []
        spool.mkdir()
        assert assoc.send_c_store(ct_file, status_only=True) == 0x0000
        assoc.release()
        assert len(calls) == 1 and list(spool.iterdir()) == []
        # the store after the fault got the data set whole
        assert calls[0].encoded_dataset(include_meta=False) == data_set_bytes(ct_file)

    @pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
    def test_a_write_failing_midway_is_0xA700(
        self, scps: list[Scp], ct_file: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The core's writes fail (ENOSPC from /dev/full): 0xA700 and nothing left behind."""
        from fastdimse._files import spool as spool_module

        opened: list[spool_module.Spool] = []
        real_open = spool_module.open_spool

        def open_on_full_disk(*args: Any) -> spool_module.Spool:
            made = real_open(*args)
            os.dup2(os.open("/dev/full", os.O_WRONLY), made.fd)
            opened.append(made)
            return made

        monkeypatch.setattr("fastdimse._dimse.provider.open_spool", open_on_full_disk)
        calls: list[Any] = []
        assoc = serve(scps, lambda event: calls.append(event) or 0).associate()
        assert assoc.send_c_store(ct_file, status_only=True) == 0xA700
        assoc.release()
        assert calls == []
        assert opened and all(s.path is not None and not s.path.exists() for s in opened)


class TestScu:
    def test_file_in_an_accepted_syntax_is_streamed_unchanged(
        self, scps: list[Scp], ct_file: Path
    ) -> None:
        received: list[bytes] = []
        assoc = serve(
            scps, lambda e: received.append(e.encoded_dataset(include_meta=False)) or 0
        ).associate((CT, EXPLICIT))
        assoc.send_c_store(ct_file)
        assoc.release()
        assert received == [ct_file.read_bytes()[read_file_meta(ct_file).data_offset :]]

    @pytest.mark.parametrize("target", [IMPLICIT, DEFLATED])
    def test_file_converted_when_only_another_syntax_was_accepted(
        self, scps: list[Scp], ct_file: Path, target: str
    ) -> None:
        seen: list[Any] = []

        def handler(event: Any) -> int:
            seen.append((event.context.transfer_syntax, event.dataset))
            return 0

        assoc = serve(scps, handler).associate((CT, target))
        assert assoc.send_c_store(ct_file, status_only=True) == 0
        assoc.release()
        ((syntax, dataset),) = seen
        assert syntax == target
        assert dataset == dcmread(ct_file)

    def test_dataset_sent_and_converted(self, scps: list[Scp], ct_file: Path) -> None:
        seen: list[Any] = []
        assoc = serve(scps, lambda e: seen.append(e.dataset) or 0).associate((CT, IMPLICIT))
        ds = dcmread(ct_file)
        assert assoc.send_c_store(ds).Status == 0
        assoc.release()
        assert seen == [ds]

    def test_no_fitting_context_raises_before_sending(
        self, scps: list[Scp], ct_file: Path, tmp_path: Path
    ) -> None:
        calls: list[Any] = []
        assoc = serve(scps, lambda e: calls.append(e) or 0).associate((MR, IMPLICIT))
        with pytest.raises(ValueError, match="No presentation context for 'CT Image Storage'"):
            assoc.send_c_store(ct_file)
        jpeg = dcmread(ct_file)
        jpeg.file_meta.TransferSyntaxUID = JPEG_BASELINE
        with pytest.raises(ValueError, match="No presentation context"):
            assoc.send_c_store(jpeg)
        assert assoc.is_established
        assoc.release()
        assert calls == []

    def test_errors_before_anything_is_sent(self, scps: list[Scp], tmp_path: Path) -> None:
        assoc = serve(scps, lambda e: 0).associate()
        no_uid = Dataset()
        no_uid.PatientName = "X"
        with pytest.raises(AttributeError, match="SOPClassUID, SOPInstanceUID"):
            assoc.send_c_store(no_uid)
        no_meta = dcmread_with_uids()
        with pytest.raises(AttributeError, match="Transfer Syntax UID"):
            assoc.send_c_store(no_meta)
        with pytest.raises(FileNotFoundError):
            assoc.send_c_store(tmp_path / "missing.dcm")
        assoc.release()
        with pytest.raises(RuntimeError, match="must be established"):
            assoc.send_c_store(no_uid)

    def test_concurrent_associations_each_get_their_own_instances(
        self, scps: list[Scp], tmp_path: Path
    ) -> None:
        received: list[str] = []
        lock = threading.Lock()

        def handler(event: Any) -> int:
            with lock:
                received.append(str(event.dataset.SOPInstanceUID))
            return 0

        scp = serve(scps, handler)
        files = [
            write_instance(ct_dataset(bytes(64 * 64 * 2), rows=64, columns=64), tmp_path / f"{i}")
            for i in range(16)
        ]
        statuses: list[int] = []

        def send(part: list[Path]) -> None:
            assoc = scp.associate()
            statuses.extend(assoc.send_c_store(f, status_only=True) for f in part)
            assoc.release()

        threads = [threading.Thread(target=send, args=(files[i::4],)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(DEADLINE)
        assert statuses == [0] * 16
        assert sorted(received) == sorted(str(dcmread(f).SOPInstanceUID) for f in files)


def dcmread_with_uids() -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = CT
    ds.SOPInstanceUID = "1.2.3"
    return ds


def test_odd_deflated_file_is_sent_with_its_pad_byte(scps: list[Scp], tmp_path: Path) -> None:
    """PS3.5 A.5: a deflated data set of odd length gets one trailing NULL on the wire."""
    import zlib

    source = ct_dataset(bytes(range(256)) * 32, rows=64, columns=64)
    # The stream's length depends on the data set's generated UIDs: vary a
    # comment until some level gives an odd length.
    for variant in range(32):
        source.ImageComments = "x" * (2 * variant)
        plain = write_instance(source, tmp_path / "plain.dcm", EXPLICIT)
        meta = read_file_meta(plain)
        raw = plain.read_bytes()[meta.data_offset :]
        for level in range(1, 10):
            deflater = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
            stream = deflater.compress(raw) + deflater.flush()
            if len(stream) % 2:
                break
        if len(stream) % 2:
            break
    assert len(stream) % 2 == 1, "no odd-length deflate stream found"
    from fastdimse._files.part10 import encode_file_meta

    odd = tmp_path / "odd.dcm"
    odd.write_bytes(
        encode_file_meta(meta.sop_class_uid, meta.sop_instance_uid, DEFLATED, "1.2.3") + stream
    )
    received: list[bytes] = []
    assoc = serve(
        scps, lambda e: received.append(e.encoded_dataset(include_meta=False)) or 0
    ).associate((CT, DEFLATED))
    assert assoc.send_c_store(odd, status_only=True) == 0
    assoc.release()
    assert received == [stream + b"\x00"]


def test_an_event_kept_past_its_handler_still_gives_its_data_set(
    scps: list[Scp], ct_file: Path
) -> None:
    """pynetdicom's handlers may keep the event: a small data set stays readable."""
    events: list[Any] = []
    assoc = serve(scps, lambda event: events.append(event) or 0).associate()
    assert assoc.send_c_store(ct_file, status_only=True) == 0
    assoc.release()
    (event,) = events
    assert event.dataset == dcmread(ct_file)
    offset = read_file_meta(ct_file).data_offset
    assert event.request.DataSet.getvalue() == ct_file.read_bytes()[offset:]


def test_a_message_id_used_again_at_once_keeps_its_own_spool(
    scps: list[Scp], ct_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The peer may reuse a Message ID as soon as its response arrives, before the worker
    that sent it has finished: that worker's clean-up must not take the next request's
    spool file (it did, when the clean-up was looked up by Message ID alone)."""
    from fastdimse._dimse.provider import DIMSEServiceProvider

    real = DIMSEServiceProvider.finish_request
    cleaned = threading.Semaphore(0)

    def late(provider: DIMSEServiceProvider, request: Any) -> None:
        # Clean up only once the next request under the same ID is there (or give up).
        message_id = int(request.primitive.MessageID)
        for _ in range(200):
            entry = provider._before_response.get(message_id)
            if entry is not None and entry[0] is not request.primitive:
                break
            threading.Event().wait(0.01)
        real(provider, request)
        cleaned.release()

    store = FileStore(tmp_path / "out")
    seen: list[int] = []

    def handler(event: Any) -> int:
        if seen:  # the request before it is cleaned up first, then this one is stored
            assert cleaned.acquire(timeout=DEADLINE)
        seen.append(len(seen))
        return store(event)

    monkeypatch.setattr(DIMSEServiceProvider, "finish_request", late)
    assoc = serve(scps, handler, spool=store.directory).associate()
    assert [assoc.send_c_store(ct_file, msg_id=1, status_only=True) for _ in range(3)] == [0] * 3
    assoc.release()
    (stored,) = store.directory.iterdir()
    assert data_set_bytes(stored) == data_set_bytes(ct_file)


def test_file_store_stores_at_the_path_asked_for_beforehand(
    scps: list[Scp], ct_file: Path, tmp_path: Path
) -> None:
    """``store(event, path=store.path_for(event))``: the name is worked out once."""
    store = FileStore(tmp_path / "out")
    stored: list[Path] = []

    def handler(event: Any) -> int:
        path = store.path_for(event)
        stored.append(store.store(event, path=path))
        assert stored[-1] == path
        return 0

    assoc = serve(scps, handler, spool=store.directory).associate()
    assert assoc.send_c_store(ct_file, status_only=True) == 0
    assoc.release()
    assert [p.name for p in store.directory.iterdir()] == [stored[0].name]
    assert data_set_bytes(stored[0]) == data_set_bytes(ct_file)
