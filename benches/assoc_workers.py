"""The server and client processes of ``run_assoc_bench.py``, one kind per implementation.

- ``ours``: fastdimse's threaded API; ``baseline`` is the same code from another
  checkout (``--baseline REV``), imported through PYTHONPATH.
- ``aio``: ``fastdimse.aio`` on the standard event loop.
- ``pynetdicom``: pynetdicom 3.0.4.

Each worker is started as ``python run_assoc_bench.py --worker ...`` and talks to
the orchestrator through its standard streams: a server prints its port and
serves until its stdin closes; a client prints one JSON line of results.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

VERIFICATION = "1.2.840.10008.1.1"
HOST = "127.0.0.1"
WARMUP_ECHOES = 50
MAX_ATTEMPTS = 5
# The concurrency scenario: this many associations open at once, one C-ECHO each.
CONCURRENT = 200


# -- servers -------------------------------------------------------------------------


def serve(impl: str, with_handler: bool) -> None:
    """An SCP of ``impl`` on loopback until stdin closes; prints its port first.

    ``with_handler`` binds an EVT_C_ECHO handler (``async def`` under asyncio,
    a plain function with threads); without it the default answer is given.
    """
    if impl == "aio":
        asyncio.run(_serve_aio(with_handler))
        return
    if impl == "pynetdicom":
        from pynetdicom import AE, evt
    else:
        from fastdimse import AE, evt  # type: ignore[assignment]
    ae: Any = AE("BENCH-SCP")
    ae.add_supported_context(VERIFICATION)
    ae.maximum_associations = CONCURRENT + 10
    handlers = [(evt.EVT_C_ECHO, _plain_handler)] if with_handler else []
    srv = ae.start_server((HOST, 0), block=False, evt_handlers=handlers)
    port = srv.server_address[1]
    # One association before the port is announced, so that lazy imports and
    # first-use costs are not charged to the first measured client.
    peer = type(ae)("WARM-UP")
    peer.add_requested_context(VERIFICATION)
    check_status(one_association(lambda: peer.associate(HOST, port)))
    print(port, flush=True)
    sys.stdin.read()  # blocks until the orchestrator closes our stdin
    ae.shutdown()


def _plain_handler(event: Any) -> int:
    return 0x0000


async def _async_handler(event: Any) -> int:
    return 0x0000


async def _serve_aio(with_handler: bool) -> None:
    from fastdimse import aio, evt

    ae = aio.AE("BENCH-SCP")
    ae.add_supported_context(VERIFICATION)
    ae.maximum_associations = CONCURRENT + 10
    handlers = [(evt.EVT_C_ECHO, _async_handler)] if with_handler else []
    server = await ae.start_server((HOST, 0), evt_handlers=handlers)
    port = server.server_address[1]
    peer = aio.AE("WARM-UP")
    peer.add_requested_context(VERIFICATION)
    async with peer.associate(HOST, port) as assoc:
        check_status(await assoc.send_c_echo())
    print(port, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await ae.shutdown()


# -- clients -------------------------------------------------------------------------


def client(impl: str, port: int, echoes: int, associations: int) -> dict[str, float]:
    """Echo RTT and associations per second, timed inside this process.

    pynetdicom 3.0.4's requestor has a race: its reactor thread polls the
    DIMSE queue without pausing during send_c_echo() and sometimes takes the
    response itself ("Received unexpected C-ECHO service message"); the
    caller then waits out the DIMSE timeout and aborts. A fast SCP hits that
    window often. Such a run is discarded and started again (at most
    MAX_ATTEMPTS times), and the number of restarts is reported.
    """
    if impl == "aio":
        return asyncio.run(_client_aio(port, echoes, associations))
    if impl == "pynetdicom":
        from pynetdicom import AE

        ae: Any = AE("BENCH-SCU")
        ae.dimse_timeout = 2  # a lost response costs 2 s, not 30
    else:
        from fastdimse import AE as OursAE

        ae = OursAE("BENCH-SCU")
    ae.add_requested_context(VERIFICATION)

    def associate() -> Any:
        assoc = ae.associate(HOST, port)
        if not assoc.is_established:
            raise RuntimeError(f"{impl}: association to port {port} failed")
        return assoc

    def echo_run() -> float:
        assoc = associate()
        try:
            send: Callable[[], Any] = assoc.send_c_echo
            for _ in range(WARMUP_ECHOES):
                check_status(send())
            start = time.perf_counter()
            for _ in range(echoes):
                status = send()
            elapsed = time.perf_counter() - start
            check_status(status)
        finally:
            if assoc.is_established:
                assoc.release()
        return elapsed / echoes * 1e6

    def association_run() -> float:
        check_status(one_association(associate))  # warm-up
        start = time.perf_counter()
        for _ in range(associations):
            status = one_association(associate)
        elapsed = time.perf_counter() - start
        check_status(status)
        return associations / elapsed

    restarts = 0

    def attempt(run: Callable[[], float]) -> float:
        nonlocal restarts
        for _ in range(MAX_ATTEMPTS - 1):
            try:
                return run()
            except RuntimeError as error:
                restarts += 1
                print(f"{impl} client: run discarded: {error}", file=sys.stderr)
        return run()

    echo_us = attempt(echo_run)
    assoc_per_s = attempt(association_run)
    ae.shutdown()
    return {"echo_us": echo_us, "assoc_per_s": assoc_per_s, "restarts": restarts}


async def _client_aio(port: int, echoes: int, associations: int) -> dict[str, float]:
    from fastdimse import aio

    ae = aio.AE("BENCH-SCU")
    ae.add_requested_context(VERIFICATION)
    async with ae.associate(HOST, port) as assoc:
        for _ in range(WARMUP_ECHOES):
            check_status(await assoc.send_c_echo())
        start = time.perf_counter()
        for _ in range(echoes):
            status = await assoc.send_c_echo()
        echo_us = (time.perf_counter() - start) / echoes * 1e6
        check_status(status)

    async def one() -> Any:
        async with ae.associate(HOST, port) as assoc:
            return await assoc.send_c_echo()

    check_status(await one())  # warm-up
    start = time.perf_counter()
    for _ in range(associations):
        status = await one()
    assoc_per_s = associations / (time.perf_counter() - start)
    check_status(status)
    return {"echo_us": echo_us, "assoc_per_s": assoc_per_s, "restarts": 0}


def concurrent_client(impl: str, port: int) -> dict[str, float]:
    """Seconds for CONCURRENT associations at once, each associate + C-ECHO + release:
    one event loop under asyncio, one thread per association otherwise."""
    if impl == "aio":
        return {"seconds": asyncio.run(_concurrent_aio(port))}
    from fastdimse import AE

    ae = AE("BENCH-SCU")
    ae.add_requested_context(VERIFICATION)
    ae.maximum_associations = CONCURRENT + 10
    failures: list[Any] = []

    def one() -> None:
        status = one_association(lambda: ae.associate(HOST, port))
        if getattr(status, "Status", None) != 0x0000:
            failures.append(status)

    # One association first, not timed: what the library imports on first use (pydicom
    # for the status Dataset, say) is not part of the concurrency being measured.
    one()
    threads = [threading.Thread(target=one) for _ in range(CONCURRENT)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise RuntimeError(f"{len(failures)} of {CONCURRENT} echoes failed")
    return {"seconds": elapsed}


async def _concurrent_aio(port: int) -> float:
    from fastdimse import aio

    ae = aio.AE("BENCH-SCU")
    ae.add_requested_context(VERIFICATION)
    ae.maximum_associations = CONCURRENT + 10

    async def one() -> Any:
        async with ae.associate(HOST, port) as assoc:
            return await assoc.send_c_echo()

    check_status(await one())  # not timed: first-use imports (see concurrent_client)
    start = time.perf_counter()
    statuses = await asyncio.gather(*(one() for _ in range(CONCURRENT)))
    elapsed = time.perf_counter() - start
    for status in statuses:
        check_status(status)
    return elapsed


def one_association(associate: Callable[[], Any]) -> Any:
    assoc = associate()
    status = assoc.send_c_echo()
    assoc.release()
    return status


def check_status(status: Any) -> None:
    if status is None or getattr(status, "Status", None) != 0x0000:
        raise RuntimeError(f"C-ECHO failed: {status!r}")
