"""TCP (and TLS) transport: the association server and the requestor's connection.

The server is one accept thread; each accepted connection becomes an
``Association`` thread at once, before anything is read, so a slow or silent
peer holds only its own thread (closed by ARTIM) and a peer over the
association limit still gets its A-ASSOCIATE-RJ. Sockets are TCP_NODELAY:
every PDU, or one message's run of P-DATA PDUs, leaves in a single write.
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import TYPE_CHECKING, Any

from fastdimse._engine.server_base import ServerBase
from fastdimse._upper.addresses import AddressInformation, address_family

if TYPE_CHECKING:
    import ssl  # only for annotations: a process without TLS never loads ssl

    from fastdimse._engine.ae_base import AEBase as ApplicationEntity
    from fastdimse._upper.contexts import PresentationContext

__all__ = [
    "AddressInformation",
    "AssociationServer",
    "ThreadedAssociationServer",
    "address_family",
    "connect",
    "listening_socket",
]

LOGGER = logging.getLogger("fastdimse.transport")

# Pending connections the kernel queues while the accept thread works: enough
# for a burst of hundreds of modalities connecting at once.
_BACKLOG = 512


def connect(
    address: tuple[Any, ...],
    *,
    bind_address: tuple[Any, ...] | None = None,
    timeout: float | None = None,
    tls_args: tuple[ssl.SSLContext, str] | None = None,
) -> socket.socket:
    """A connected TCP_NODELAY socket (TLS-wrapped with ``tls_args``) to ``address``."""
    remote = AddressInformation.from_tuple(address)
    sock = socket.socket(remote.address_family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if bind_address is not None:
            sock.bind(bind_address)
        sock.settimeout(timeout)
        sock.connect(remote.as_tuple)
        if tls_args is not None:
            context, hostname = tls_args
            sock = context.wrap_socket(sock, server_hostname=hostname)
        sock.settimeout(None)
    except BaseException:
        sock.close()
        raise
    return sock


def listening_socket(address: AddressInformation, *, reuse_port: bool = False) -> socket.socket:
    """A TCP socket bound to ``address`` and listening.

    ``reuse_port`` (Linux ``SO_REUSEPORT``): several sockets, in one process or
    several of the same user, may listen on the same port, and the kernel
    spreads new connections over them (``fastdimse.ProcessServer``).
    """
    sock = socket.socket(address.address_family, socket.SOCK_STREAM)
    try:
        # A restarted server must not wait for the old connections' TIME_WAIT to end.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address.as_tuple)
        sock.listen(_BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock


class AssociationServer(ServerBase):
    """Accepts connections for an AE and serves each on its own association thread."""

    def __init__(
        self,
        ae: ApplicationEntity,
        address: tuple[Any, ...],
        ae_title: str,
        contexts: list[PresentationContext],
        ssl_context: ssl.SSLContext | None = None,
        evt_handlers: list[Any] | None = None,
        request_handler: Any = None,
        _listen_socket: socket.socket | None = None,
    ) -> None:
        ServerBase.__init__(self, ae, ae_title, contexts, ssl_context, evt_handlers)
        self.allow_reuse_address = True
        self.address_info = AddressInformation.from_tuple(address)
        self.socket = (
            _listen_socket if _listen_socket is not None else listening_socket(self.address_info)
        )
        self.server_address: tuple[Any, ...] = self.socket.getsockname()
        self.address_info.port = self.server_address[1]
        self._closing = threading.Event()
        self._serving = threading.Event()
        self._stopped = threading.Event()
        self._stopped.set()

    # -- the accept loop ----------------------------------------------------

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Accept connections until ``shutdown``; ``poll_interval`` is unused (no polling)."""
        self._stopped.clear()
        self._serving.set()
        try:
            while not self._closing.is_set():
                try:
                    conn, peer = self.socket.accept()
                except OSError:
                    if self._closing.is_set():
                        break
                    LOGGER.exception("accept() failed")
                    continue
                self._start_association(conn, peer)
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop accepting and close the listening socket; running associations go on."""
        self._closing.set()
        try:
            # Wakes a thread blocked in accept() (Linux: EINVAL).
            self.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        if self._serving.is_set():
            self._stopped.wait(5)
        self.server_close()

    def server_close(self) -> None:
        self.socket.close()

    # -- helpers ------------------------------------------------------------

    def _start_association(self, conn: socket.socket, peer: tuple[Any, ...]) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        assoc = self.ae._new_association("acceptor")
        self._set_up_acceptor(assoc, self.server_address, peer)
        # Not pynetdicom's "AcceptorThread" prefix: its servers pick threads by that name.
        assoc.name = f"fastdimse-acceptor@{peer[0]}:{peer[1]}"
        assoc._start_acceptor(conn, self, self.ssl_context)


class ThreadedAssociationServer(AssociationServer):
    """An ``AssociationServer`` whose accept loop runs in its own thread."""

    def process_request_thread(self) -> None:  # pynetdicom's name for the per-request step
        self.serve_forever()
