"""The Application Entity: pynetdicom's ``AE``, with the same names, defaults and errors.

Its configuration lives in ``AEBase``; this is the threaded driver's AE:
``associate`` blocks until the peer answers, ``start_server`` serves each
peer on its own association thread.
"""

from __future__ import annotations

import logging
import threading
from functools import partial
from typing import TYPE_CHECKING, Any

from fastdimse._engine.ae_base import (
    DEFAULT_MAX_LENGTH,
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_VERSION_NAME,
    AEBase,
)
from fastdimse._engine.setup import plan_requestor, server_settings
from fastdimse._io.sockets import AssociationServer, ThreadedAssociationServer, connect
from fastdimse._io.thread_association import Association
from fastdimse._upper.contexts import PresentationContext

if TYPE_CHECKING:
    import socket
    import ssl  # only for annotations: a process without TLS never loads ssl

__all__ = [
    "AE",
    "DEFAULT_MAX_LENGTH",
    "IMPLEMENTATION_CLASS_UID",
    "IMPLEMENTATION_VERSION_NAME",
    "ApplicationEntity",
]

LOGGER = logging.getLogger("fastdimse")


class ApplicationEntity(AEBase):
    """A DICOM Application Entity: requests associations and serves them."""

    def associate(
        self,
        addr: str | tuple[str, int, int],
        port: int,
        contexts: list[PresentationContext] | None = None,
        ae_title: str = "ANY-SCP",
        max_pdu: int = DEFAULT_MAX_LENGTH,
        ext_neg: list[Any] | None = None,
        bind_address: tuple[Any, ...] | None = None,
        tls_args: tuple[ssl.SSLContext, str] | None = None,
        evt_handlers: list[Any] | None = None,
    ) -> Association:
        """Request an association with the peer at ``addr``:``port``.

        Returns the ``Association`` whatever the outcome: check
        ``is_established`` before sending anything.
        """
        assoc = Association(self, "requestor")
        plan = plan_requestor(
            self,
            assoc,
            addr,
            port,
            contexts,
            ae_title,
            max_pdu,
            ext_neg,
            bind_address,
            evt_handlers,
        )
        self._add_association(assoc)
        opener = partial(
            connect,
            plan.remote,
            bind_address=plan.bind_address,
            timeout=self.connection_timeout,
            tls_args=tls_args,
        )
        assoc.request(partial(_connected, assoc, opener))
        if not assoc.is_established and not assoc.is_alive():
            self._remove_association(assoc)
        return assoc

    def make_server(
        self,
        address: tuple[Any, ...],
        ae_title: str | None = None,
        contexts: list[PresentationContext] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        evt_handlers: list[Any] | None = None,
        server_class: type[AssociationServer] | None = None,
        **kwargs: Any,
    ) -> AssociationServer:
        """A server listening on ``address`` (not yet serving)."""
        title, contexts = server_settings(self, ae_title, contexts)
        server_class = server_class or AssociationServer
        return server_class(
            self, address, title, contexts, ssl_context, evt_handlers=evt_handlers or [], **kwargs
        )

    def start_server(
        self,
        address: tuple[Any, ...],
        block: bool = True,
        ssl_context: ssl.SSLContext | None = None,
        evt_handlers: list[Any] | None = None,
        ae_title: str | None = None,
        contexts: list[PresentationContext] | None = None,
        _listen_socket: socket.socket | None = None,
    ) -> ThreadedAssociationServer | None:
        """Serve on ``address``: blocking, or in a thread and return the server.

        ``_listen_socket`` (for the command-line apps): an already listening
        socket to serve on, so that a server can listen before this library
        is even imported.
        """
        if block:
            server = self.make_server(
                address,
                ae_title=ae_title,
                contexts=contexts,
                ssl_context=ssl_context,
                evt_handlers=evt_handlers,
                _listen_socket=_listen_socket,
            )
            self._servers.append(server)
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                server.shutdown()
            return None
        threaded = self.make_server(
            address,
            ae_title=ae_title,
            contexts=contexts,
            ssl_context=ssl_context,
            evt_handlers=evt_handlers,
            server_class=ThreadedAssociationServer,
            _listen_socket=_listen_socket,
        )
        if not isinstance(threaded, ThreadedAssociationServer):
            raise TypeError("make_server() did not build a ThreadedAssociationServer")
        thread = threading.Thread(
            target=threaded.serve_forever,
            name=f"AcceptorServer@{threaded.server_address[1]}",
            daemon=True,
        )
        thread.start()
        self._servers.append(threaded)
        return threaded

    def shutdown(self) -> None:
        """Stop every server of this AE and abort every association."""
        for assoc in self.active_associations:
            assoc.abort()
        for server in self._servers[:]:
            server.shutdown()
        self._servers = []

    def _new_association(self, mode: str) -> Association:
        """A new threaded association of this AE (a server's for each peer)."""
        return Association(self, mode)


AE = ApplicationEntity


def _connected(assoc: Association, opener: Any) -> socket.socket:
    sock: socket.socket = opener()
    local = sock.getsockname()
    assoc.requestor.address, assoc.requestor.port = local[0], local[1]
    return sock
