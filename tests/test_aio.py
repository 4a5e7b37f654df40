"""``fastdimse.aio`` between our own ends: where handlers run, the window, concurrency,
cancellation, release and abort from handlers; on asyncio's loop and on uvloop.

Each scenario is a coroutine run to completion on a fresh loop of the kind under
test. Waits are awaited events with generous deadlines, never sleeps.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from fastdimse import aio, evt
from fastdimse.pdu_primitives import AsynchronousOperationsWindowNegotiation
from fastdimse.sop_class import CTImageStorage, Verification
from fastdimse.storage import FileStore

T = TypeVar("T")

DEADLINE = 20.0
HOST = "127.0.0.1"


def run(kind: str, scenario: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``scenario()`` on a new event loop of ``kind``: "asyncio" or "uvloop"."""
    if kind == "uvloop":
        import uvloop

        factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    else:
        factory = asyncio.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(asyncio.wait_for(scenario(), DEADLINE * 6))


@pytest.fixture(params=["asyncio", "uvloop"])
def kind(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def make_ae(title: str, *, scp: bool = False) -> aio.AE:
    ae = aio.AE(title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    if scp:
        ae.add_supported_context(Verification)
    else:
        ae.add_requested_context(Verification)
    return ae


def window_item(size: int) -> AsynchronousOperationsWindowNegotiation:
    item = AsynchronousOperationsWindowNegotiation()
    item.maximum_number_operations_invoked = size
    item.maximum_number_operations_performed = size
    return item


def test_async_handlers_run_on_the_loop_and_plain_ones_on_workers(kind: str) -> None:
    async def scenario() -> tuple[threading.Thread, list[threading.Thread], list[threading.Thread]]:
        on_async: list[threading.Thread] = []
        on_plain: list[threading.Thread] = []

        async def async_handler(event: Any) -> int:
            on_async.append(threading.current_thread())
            return 0x0000

        def plain_handler(event: Any) -> int:
            on_plain.append(threading.current_thread())
            return 0x0000

        scp = make_ae("SCP", scp=True)
        server = await scp.start_server((HOST, 0), evt_handlers=[(evt.EVT_C_ECHO, async_handler)])
        port = server.server_address[1]
        scu = make_ae("SCU")
        async with scu.associate(HOST, port) as assoc:
            assert (await assoc.send_c_echo()).Status == 0x0000
        server.unbind(evt.EVT_C_ECHO, async_handler)
        server.bind(evt.EVT_C_ECHO, plain_handler)
        async with scu.associate(HOST, port) as assoc:
            assert (await assoc.send_c_echo()).Status == 0x0000
        await scp.shutdown()
        return threading.current_thread(), on_async, on_plain

    loop_thread, on_async, on_plain = run(kind, scenario)
    assert on_async == [loop_thread]
    assert len(on_plain) == 1 and on_plain[0] is not loop_thread


def test_two_hundred_concurrent_associations_from_one_loop(kind: str) -> None:
    count = 200

    async def scenario() -> tuple[list[int], int]:
        all_open = asyncio.Event()
        opened = 0
        calls = 0

        async def handler(event: Any) -> int:
            nonlocal calls
            calls += 1
            return 0x0000

        scp = make_ae("SCP", scp=True)
        scp.maximum_associations = count
        server = await scp.start_server((HOST, 0), evt_handlers=[(evt.EVT_C_ECHO, handler)])
        port = server.server_address[1]
        scu = make_ae("SCU")

        async def one() -> int:
            nonlocal opened
            async with scu.associate(HOST, port) as assoc:
                assert assoc.is_established
                opened += 1
                if opened == count:
                    all_open.set()
                await asyncio.wait_for(all_open.wait(), DEADLINE * 3)  # all open at once
                return int((await assoc.send_c_echo()).Status)

        statuses = await asyncio.gather(*(one() for _ in range(count)))
        await scp.shutdown()
        return list(statuses), calls

    statuses, calls = run(kind, scenario)
    assert statuses == [0x0000] * count
    assert calls == count


def test_requests_within_the_window_are_performed_together(kind: str) -> None:
    async def scenario() -> list[int]:
        arrived = 0
        all_arrived = asyncio.Event()

        async def handler(event: Any) -> int:
            nonlocal arrived
            arrived += 1
            if arrived == 4:
                all_arrived.set()
            await asyncio.wait_for(all_arrived.wait(), DEADLINE)  # only if 4 run at once
            return 0x0000

        scp = make_ae("SCP", scp=True)
        scp.maximum_operations_performed = scp.maximum_operations_invoked = 4
        server = await scp.start_server((HOST, 0), evt_handlers=[(evt.EVT_C_ECHO, handler)])
        scu = make_ae("SCU")
        async with scu.associate(HOST, server.server_address[1], ext_neg=[window_item(4)]) as a:
            assert a.dimse.invoked.window == 4
            done = await asyncio.gather(*(a.send_c_echo(msg_id=i) for i in range(1, 5)))
        await scp.shutdown()
        return [int(status.Status) for status in done]

    assert run(kind, scenario) == [0, 0, 0, 0]


def test_a_handler_that_releases_and_one_that_aborts(kind: str) -> None:
    async def scenario() -> tuple[bool, bool, int, int]:
        async def releasing(event: Any) -> int:
            await event.assoc.release()
            return 0x0000

        def aborting(event: Any) -> int:
            event.assoc.abort()  # from a worker thread
            return 0x0000

        scp = make_ae("SCP", scp=True)
        server = await scp.start_server((HOST, 0), evt_handlers=[(evt.EVT_C_ECHO, releasing)])
        port = server.server_address[1]
        scu = make_ae("SCU")
        first = await scu.associate(HOST, port)
        released_answer = len(await first.send_c_echo())
        await first.wait_closed()
        server.unbind(evt.EVT_C_ECHO, releasing)
        server.bind(evt.EVT_C_ECHO, aborting)
        second = await scu.associate(HOST, port)
        aborted_answer = len(await second.send_c_echo())
        await second.wait_closed()
        await scp.shutdown()
        return first.is_released, second.is_aborted, released_answer, aborted_answer

    released, aborted, released_answer, aborted_answer = run(kind, scenario)
    assert released and aborted
    assert released_answer == 0 and aborted_answer == 0  # no response: empty status Datasets


def test_a_task_cancelled_mid_send_aborts_and_leaves_no_spool_file(
    kind: str, tmp_path: Path
) -> None:
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    big = _large_instance(tmp_path / "big.dcm", megabytes=64)

    async def scenario() -> tuple[bool, bool, list[Path], int]:
        store = FileStore(store_dir)
        scp = aio.AE("SCP")
        scp.acse_timeout = scp.dimse_timeout = scp.network_timeout = DEADLINE
        scp.add_supported_context(CTImageStorage, "1.2.840.10008.1.2.1")
        scp.add_supported_context(Verification)
        server = await scp.start_server((HOST, 0), evt_handlers=[(evt.EVT_C_STORE, store)])
        port = server.server_address[1]
        scu = aio.AE("SCU")
        scu.add_requested_context(CTImageStorage, "1.2.840.10008.1.2.1")
        scu.add_requested_context(Verification)
        assoc = await scu.associate(HOST, port, max_pdu=16382)
        sending = asyncio.ensure_future(assoc.send_c_store(big))
        # Cancel once the receiver's spool file exists: the data set is under way.
        while not any(store_dir.iterdir()):
            await asyncio.sleep(0.001)
        sending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sending
        server_side = scp.active_associations[0]
        await asyncio.wait_for(server_side.wait_closed(), DEADLINE)
        await asyncio.wait_for(assoc.wait_closed(), DEADLINE)
        # The SCP serves on.
        async with scu.associate(HOST, port) as again:
            status = int((await again.send_c_echo()).Status)
        await scp.shutdown()
        return assoc.is_aborted, server_side.is_aborted, sorted(store_dir.iterdir()), status

    client_aborted, server_aborted, left, status = run(kind, scenario)
    assert client_aborted and server_aborted
    assert left == []
    assert status == 0x0000


def _large_instance(path: Path, megabytes: int) -> Path:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    ds = Dataset()
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.Rows, ds.Columns = 1024, 512
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.SamplesPerPixel = 1
    ds.PixelRepresentation = 0
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.NumberOfFrames = megabytes
    ds.PixelData = bytes(range(256)) * (4096 * megabytes)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(path, enforce_file_format=True)
    return path
