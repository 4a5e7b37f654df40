"""TLS: our two ends, and each of ours with pynetdicom; mismatched ends fail cleanly.

Certificates are made at test time (see ``certificates`` in conftest). The
servers require a client certificate signed by the test CA; the clients check
the server's certificate and host name.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import fastdimse
import fastdimse.aio
from helpers import DEADLINE, LOCALHOST, require_module, wait_until

from .conftest import VERIFICATION, Certificates, Served

pynetdicom = require_module("pynetdicom")


def tls_version(assoc: Any) -> str | None:
    """The TLS version of an association's connection, None when it is plain TCP."""
    if isinstance(assoc, fastdimse.aio.Association):
        transport = assoc.dul.transport
        ssl_object = None if transport is None else transport.get_extra_info("ssl_object")
        return None if ssl_object is None else str(ssl_object.version())
    if isinstance(assoc, fastdimse.Association):
        sock = assoc.dul.transport_socket
    else:
        sock = assoc.dul.socket.socket  # pynetdicom's AssociationSocket
    return sock.version() if isinstance(sock, ssl.SSLSocket) else None


class Seen:
    """The acceptor's view, recorded from its EVT_ESTABLISHED and EVT_C_ECHO handlers."""

    def __init__(self) -> None:
        self.versions: list[str | None] = []
        self.echoes = 0

    def handlers(self, lib: Any) -> list[tuple[Any, Callable[..., Any]]]:
        return [
            (lib.evt.EVT_ESTABLISHED, lambda e: self.versions.append(tls_version(e.assoc))),
            (lib.evt.EVT_C_ECHO, self._echo),
        ]

    def _echo(self, event: Any) -> int:
        self.echoes += 1
        return 0x0000


def scp(factory: Callable[[str], Any]) -> Any:
    ae = factory("TLSSCP")
    ae.add_supported_context(VERIFICATION)
    return ae


def scu(factory: Callable[[str], Any]) -> Any:
    ae = factory("TLSSCU")
    ae.add_requested_context(VERIFICATION)
    return ae


def echo_and_release(assoc: Any) -> None:
    assert assoc.is_established
    assert tls_version(assoc) is not None
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()
    assert assoc.is_released


def bounded(call: Callable[[], Any], limit: float = DEADLINE) -> Any:
    """Run ``call`` and fail (not hang) if it takes longer than ``limit``."""
    start = time.monotonic()
    result = call()
    assert time.monotonic() - start < limit
    return result


# -- TLS at both ends ------------------------------------------------------------------


def test_ours_to_ours(
    certificates: Certificates, serve: Callable[..., Served], our_aes: Callable[[str], Any]
) -> None:
    seen = Seen()
    served = serve(
        scp(our_aes),
        ssl_context=certificates.server_context(),
        evt_handlers=seen.handlers(fastdimse),
    )
    assoc = scu(our_aes).associate(
        LOCALHOST, served.port, tls_args=(certificates.client_context(), "localhost")
    )
    echo_and_release(assoc)
    assert seen.echoes == 1
    assert len(seen.versions) == 1 and seen.versions[0] is not None
    assert wait_until(lambda: not served.ae.active_associations)


def test_ours_to_pynetdicom(
    certificates: Certificates, pn_serve: Callable[..., Served], our_aes: Callable[[str], Any]
) -> None:
    seen = Seen()
    served = pn_serve(
        scp(pynetdicom.AE),
        ssl_context=certificates.server_context(),
        evt_handlers=seen.handlers(pynetdicom),
    )
    try:
        assoc = scu(our_aes).associate(
            LOCALHOST, served.port, tls_args=(certificates.client_context(), "localhost")
        )
        echo_and_release(assoc)
        assert seen.echoes == 1
        assert wait_until(lambda: len(seen.versions) == 1)
        assert seen.versions[0] is not None
    finally:
        served.ae.shutdown()


def test_pynetdicom_to_ours(
    certificates: Certificates, serve: Callable[..., Served], pn_aes: Callable[[str], Any]
) -> None:
    seen = Seen()
    served = serve(
        scp(fastdimse.AE),
        ssl_context=certificates.server_context(),
        evt_handlers=seen.handlers(fastdimse),
    )
    try:
        assoc = scu(pn_aes).associate(
            LOCALHOST, served.port, tls_args=(certificates.client_context(), "localhost")
        )
        echo_and_release(assoc)
        assert seen.echoes == 1
        assert len(seen.versions) == 1 and seen.versions[0] is not None
        assert wait_until(lambda: not served.ae.active_associations)
    finally:
        served.ae.shutdown()


def test_server_without_client_verification(
    certificates: Certificates, serve: Callable[..., Served], pn_aes: Callable[[str], Any]
) -> None:
    # One-way TLS: the client presents no certificate.
    served = serve(ssl_context=certificates.server_context(verify_client=False))
    client = ssl.create_default_context(cafile=str(certificates.ca))
    assoc = scu(pn_aes).associate(LOCALHOST, served.port, tls_args=(client, "localhost"))
    echo_and_release(assoc)


def test_untrusted_server_certificate(
    certificates: Certificates, serve: Callable[..., Served], our_aes: Callable[[str], Any]
) -> None:
    served = serve(ssl_context=certificates.server_context())
    stranger = ssl.create_default_context()  # the system CAs: not our test CA
    stranger.load_cert_chain(str(certificates.client_cert), str(certificates.client_key))
    requestor = scu(our_aes)
    assoc = bounded(
        lambda: requestor.associate(LOCALHOST, served.port, tls_args=(stranger, "localhost"))
    )
    assert not assoc.is_established
    assert wait_until(lambda: not served.ae.active_associations)
    good = requestor.associate(
        LOCALHOST, served.port, tls_args=(certificates.client_context(), "localhost")
    )
    echo_and_release(good)


# -- mismatched ends: fail cleanly, keep serving -----------------------------------------


@pytest.mark.parametrize("client", ["fastdimse", "pynetdicom"])
def test_tls_client_against_plain_server(
    certificates: Certificates,
    serve: Callable[..., Served],
    our_aes: Callable[[str], Any],
    pn_aes: Callable[[str], Any],
    client: str,
) -> None:
    served = serve()
    requestor = scu(our_aes if client == "fastdimse" else pn_aes)
    assoc = bounded(
        lambda: requestor.associate(
            LOCALHOST, served.port, tls_args=(certificates.client_context(), "localhost")
        )
    )
    assert not assoc.is_established
    assert wait_until(lambda: not served.ae.active_associations)
    plain = scu(our_aes).associate(LOCALHOST, served.port)
    assert plain.is_established
    assert plain.send_c_echo().Status == 0x0000
    plain.release()


@pytest.mark.parametrize(
    "client",
    ["fastdimse", "pynetdicom"],
)
def test_plain_client_against_tls_server(
    certificates: Certificates,
    serve: Callable[..., Served],
    our_aes: Callable[[str], Any],
    pn_aes: Callable[[str], Any],
    client: str,
) -> None:
    served = serve(ssl_context=certificates.server_context())
    requestor = scu(our_aes if client == "fastdimse" else pn_aes)
    assoc = bounded(lambda: requestor.associate(LOCALHOST, served.port))
    assert not assoc.is_established
    if client == "pynetdicom":
        # pynetdicom 3.0.4 leaves its socket unclosed when the peer resets the
        # connection (AssociationSocket.close shuts it down, never closes it).
        assert wait_until(lambda: not assoc.is_alive())
        raw = assoc.dul.socket.socket if assoc.dul.socket is not None else None
        if raw is not None:
            raw.close()
    assert wait_until(lambda: not served.ae.active_associations)
    good = scu(our_aes).associate(
        LOCALHOST, served.port, tls_args=(certificates.client_context(), "localhost")
    )
    echo_and_release(good)


# -- a silent peer does not hang the TLS handshake ----------------------------------------


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never says a word; closed at the end."""
    listener = socket.create_server((LOCALHOST, 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(conn)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() above (close() alone does not)
    listener.close()
    for conn in accepted:
        conn.close()
    thread.join(DEADLINE)


def test_tls_handshake_with_silent_peer_times_out(
    certificates: Certificates, silent_server: int, our_aes: Callable[[str], Any]
) -> None:
    requestor = scu(our_aes)
    requestor.connection_timeout = 1
    done: list[Any] = []
    worker = threading.Thread(
        target=lambda: done.append(
            requestor.associate(
                LOCALHOST, silent_server, tls_args=(certificates.client_context(), "localhost")
            )
        ),
        daemon=True,
    )
    worker.start()
    worker.join(DEADLINE)
    assert done, "associate() hung in the TLS handshake"
    assert not done[0].is_established


def test_handlers_on_workers_and_a_window_over_tls(
    certificates: Certificates, serve: Callable[..., Served], our_aes: Callable[[str], Any]
) -> None:
    """Responses written by handler workers while the reader reads, several requests in
    flight each way: an SSL connection is still used by one thread at a time."""
    from fastdimse.pdu_primitives import AsynchronousOperationsWindowNegotiation

    seen = Seen()
    ae = scp(fastdimse.AE)
    ae.maximum_operations_invoked = ae.maximum_operations_performed = 4
    served = serve(
        ae, ssl_context=certificates.server_context(), evt_handlers=seen.handlers(fastdimse)
    )
    window = AsynchronousOperationsWindowNegotiation()
    window.maximum_number_operations_invoked = window.maximum_number_operations_performed = 4
    assoc = scu(our_aes).associate(
        LOCALHOST,
        served.port,
        ext_neg=[window],
        tls_args=(certificates.client_context(), "localhost"),
    )
    assert assoc.is_established
    pending = [assoc.submit_c_echo() for _ in range(200)]
    assert [p.status() for p in pending] == [0x0000] * 200
    assert seen.echoes == 200
    assoc.release()
    assert assoc.is_released


def test_aio_both_ways_over_tls(
    certificates: Certificates, serve: Callable[..., Served], our_aes: Callable[[str], Any]
) -> None:
    """fastdimse.aio with TLS as the threaded API has it: its SCU to a threaded SCP, and a
    threaded SCU to its SCP, both over TLS with client certificates."""
    from .test_aio import Loop

    aio = fastdimse.aio
    seen = Seen()
    threaded = serve(
        scp(fastdimse.AE),
        ssl_context=certificates.server_context(),
        evt_handlers=seen.handlers(fastdimse),
    )
    loop = Loop("asyncio")
    try:

        async def aio_scu() -> tuple[int, bool, str | None]:
            ae = aio.AE("TLSSCU")
            ae.add_requested_context(VERIFICATION)
            tls = (certificates.client_context(), "localhost")
            async with ae.associate(LOCALHOST, threaded.port, tls_args=tls) as assoc:
                version = tls_version(assoc)
                status = int((await assoc.send_c_echo()).Status)
            return status, assoc.is_released, version

        status, released, version = loop.run(aio_scu())
        assert (status, released) == (0x0000, True)
        assert version is not None
        assert seen.echoes == 1

        async def aio_scp() -> Any:
            ae = aio.AE("TLSSCP")
            ae.add_supported_context(VERIFICATION)
            return await ae.start_server(
                (LOCALHOST, 0),
                ssl_context=certificates.server_context(),
                evt_handlers=seen.handlers(fastdimse),
            )

        server = loop.run(aio_scp())
        assoc = scu(our_aes).associate(
            LOCALHOST,
            server.server_address[1],
            tls_args=(certificates.client_context(), "localhost"),
        )
        echo_and_release(assoc)
        assert seen.echoes == 2
        loop.run(server.ae.shutdown())
    finally:
        loop.close()
