"""``fastdimse.aio`` against real peers: DCMTK and pynetdicom 3.0.4, both directions.

The threaded API's C-ECHO and C-STORE interop, with our side on an event loop:
the standard one and uvloop. The loop runs in a thread of its own (``Loop``),
so that a test can run DCMTK's tools or pynetdicom, which block, while our
server serves. Stored data sets are compared element by element and Pixel Data
byte for byte with the files sent.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from fastdimse import AllStoragePresentationContexts, aio, evt
from fastdimse.storage import FileStore
from helpers import DEADLINE, LOCALHOST, require_module, run_dcmtk, wait_until

from .conftest import CT_STORAGE, VERIFICATION, Served, tune
from .store_data import (
    BY_NAME,
    VARIANT_NAMES,
    EncodedWriter,
    assert_same_instance,
    assert_success,
    support_storage,
)
from .test_store_dcmtk import files_in, only_file, storescu

T = TypeVar("T")

LOOPS = ("asyncio", "uvloop")


class Loop:
    """An event loop (standard or uvloop) running in its own thread for one test."""

    def __init__(self, kind: str) -> None:
        if kind == "uvloop":
            uvloop = require_module("uvloop")
            self.loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        else:
            self.loop = asyncio.new_event_loop()
        self.kind = kind
        self._thread = threading.Thread(target=self.loop.run_forever, name=f"aio-{kind}")
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = DEADLINE * 4) -> T:
        """Run ``coro`` on the loop and wait for its result here."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(DEADLINE)
        self.loop.close()


@pytest.fixture(params=LOOPS)
def loop(request: pytest.FixtureRequest) -> Iterator[Loop]:
    running = Loop(request.param)
    yield running
    running.close()


@pytest.fixture
def default_loop() -> Iterator[Loop]:
    running = Loop("asyncio")
    yield running
    running.close()


def aio_ae(title: str) -> aio.AE:
    ae = aio.AE(title)
    tune(ae)
    return ae


def serve_aio(loop: Loop, ae: aio.AE, handlers: list[Any]) -> Served:
    server = loop.run(ae.start_server((LOCALHOST, 0), evt_handlers=handlers))
    return Served(ae, server, int(server.server_address[1]))  # type: ignore[arg-type]


def shut(loop: Loop, ae: aio.AE) -> None:
    loop.run(ae.shutdown())


# -- DCMTK -> our asyncio SCP ------------------------------------------------------------


def test_echoscu_to_our_aio_scp(loop: Loop) -> None:
    echoes: list[int] = []

    async def handler(event: Any) -> int:
        echoes.append(event.request.MessageID)
        return 0x0000

    ae = aio_ae("OURSCP")
    ae.add_supported_context(VERIFICATION)
    ours = serve_aio(loop, ae, [(evt.EVT_C_ECHO, handler)])
    try:
        result = run_dcmtk("echoscu", "-v", "--repeat", "3", LOCALHOST, str(ours.port))
        assert result.returncode == 0, result.stdout
        assert result.stdout.count("Received Echo Response (Success)") == 3
        assert echoes == [1, 2, 3]
        assert wait_until(lambda: not ae.active_associations)
    finally:
        shut(loop, ae)


@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_storescu_to_our_aio_filestore(
    name: str, store_variants: dict[str, Path], default_loop: Loop, tmp_path: Path
) -> None:
    """DCMTK storescu -> a FileStore (a plain handler: it runs on a worker thread)."""
    out = tmp_path / "store"
    out.mkdir()
    ae = support_storage(aio_ae("OURSCP"), AllStoragePresentationContexts)
    ours = serve_aio(default_loop, ae, [(evt.EVT_C_STORE, FileStore(out))])
    try:
        storescu(ours.port, store_variants[name], BY_NAME[name].storescu_option)
        assert_same_instance(only_file(out), store_variants[name])
    finally:
        shut(default_loop, ae)


def test_storescu_to_our_aio_scp_on_uvloop(store_variants: dict[str, Path], tmp_path: Path) -> None:
    running = Loop("uvloop")
    writer = EncodedWriter(tmp_path / "out")

    async def handler(event: Any) -> int:
        return writer(event)

    ae = support_storage(aio_ae("OURSCP"), AllStoragePresentationContexts)
    try:
        ours = serve_aio(running, ae, [(evt.EVT_C_STORE, handler)])
        storescu(ours.port, store_variants["explicit"], BY_NAME["explicit"].storescu_option)
        received, _ = writer.only()
        assert_same_instance(received, store_variants["explicit"])
        shut(running, ae)
    finally:
        running.close()


# -- our asyncio SCU -> DCMTK storescp ----------------------------------------------------


def test_aio_echo_to_storescp(loop: Loop, storescp: Callable[..., int]) -> None:
    port = storescp()

    async def scenario() -> list[int]:
        ae = aio_ae("OURSCU")
        ae.add_requested_context(VERIFICATION)
        async with ae.associate(LOCALHOST, port, ae_title="STORESCP") as assoc:
            assert assoc.is_established
            statuses = [int((await assoc.send_c_echo(msg_id=i)).Status) for i in (1, 2, 3)]
        assert assoc.is_released
        return statuses

    assert loop.run(scenario()) == [0, 0, 0]


@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_aio_send_c_store_to_storescp(
    name: str,
    store_variants: dict[str, Path],
    storescp: Callable[..., int],
    default_loop: Loop,
    tmp_path: Path,
) -> None:
    port = storescp("+xa")
    variant = BY_NAME[name]

    async def scenario() -> Any:
        ae = aio_ae("OURSCU")
        ae.add_requested_context(CT_STORAGE, variant.transfer_syntax)
        async with ae.associate(LOCALHOST, port, ae_title="STORESCP") as assoc:
            assert assoc.is_established
            return await assoc.send_c_store(store_variants[name])

    assert_success(default_loop.run(scenario()))
    assert_same_instance(only_file(tmp_path), store_variants[name])


# -- pynetdicom <-> our asyncio side --------------------------------------------------------


def test_pynetdicom_to_our_aio_scp(
    loop: Loop, pn_aes: Callable[[str], Any], store_variants: dict[str, Path], tmp_path: Path
) -> None:
    writer = EncodedWriter(tmp_path / "out")
    echoes: list[int] = []

    async def on_echo(event: Any) -> int:
        echoes.append(event.request.MessageID)
        return 0x0000

    ae = support_storage(aio_ae("OURSCP"), AllStoragePresentationContexts)
    ae.add_supported_context(VERIFICATION)
    ours = serve_aio(loop, ae, [(evt.EVT_C_ECHO, on_echo), (evt.EVT_C_STORE, writer)])
    try:
        pn = pn_aes("PNSCU")
        pn.add_requested_context(VERIFICATION)
        pn.add_requested_context(CT_STORAGE, BY_NAME["explicit"].transfer_syntax)
        assoc = pn.associate(LOCALHOST, ours.port, ae_title="OURSCP")
        assert assoc.is_established
        try:
            assert assoc.send_c_echo().Status == 0x0000
            assert_success(assoc.send_c_store(store_variants["explicit"]))
        finally:
            assoc.release()
        assert echoes == [1]
        received, _ = writer.only()
        assert_same_instance(received, store_variants["explicit"])
    finally:
        shut(loop, ae)


def test_our_aio_scu_to_pynetdicom(
    loop: Loop,
    pn_serve: Callable[..., Served],
    pn_aes: Callable[[str], Any],
    store_variants: dict[str, Path],
    tmp_path: Path,
) -> None:
    writer = EncodedWriter(tmp_path / "out")
    scp = support_storage(pn_aes("PNSCP"), AllStoragePresentationContexts)
    scp.add_supported_context(VERIFICATION)
    pn_evt = require_module("pynetdicom").evt
    theirs = pn_serve(scp, evt_handlers=[(pn_evt.EVT_C_STORE, writer)])

    async def scenario() -> tuple[int, Any]:
        ae = aio_ae("OURSCU")
        ae.add_requested_context(VERIFICATION)
        ae.add_requested_context(CT_STORAGE, BY_NAME["explicit"].transfer_syntax)
        async with ae.associate(LOCALHOST, theirs.port, ae_title="PNSCP") as assoc:
            assert assoc.is_established
            echo = int((await assoc.send_c_echo()).Status)
            stored = await assoc.send_c_store(store_variants["explicit"], msg_id=2)
        return echo, stored

    echo, stored = loop.run(scenario())
    assert echo == 0x0000
    assert_success(stored)
    received, _ = writer.only()
    assert_same_instance(received, store_variants["explicit"])
    assert files_in(tmp_path / "out") == [received]
