"""``fastdimse.aio.AE`` and its server: pynetdicom's AE with awaitable names.

The configuration is ``AEBase``'s, as the threaded ``fastdimse.AE``; what
differs is only how associations are requested (``await ae.associate``) and
served (``await ae.start_server``): on the running event loop, one
``AsyncUpperLayer`` protocol per connection, no thread per association.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any

from fastdimse._engine.ae_base import DEFAULT_MAX_LENGTH, AEBase
from fastdimse._engine.server_base import ServerBase
from fastdimse._engine.setup import plan_requestor, server_settings
from fastdimse._io.aio_association import Association
from fastdimse._upper.addresses import AddressInformation

if TYPE_CHECKING:
    from types import TracebackType

    from fastdimse._upper.contexts import PresentationContext

__all__ = ["AE", "ApplicationEntity", "AssociationServer"]

LOGGER = logging.getLogger("fastdimse")

# Pending connections the kernel queues for a server: a burst of hundreds.
_BACKLOG = 512


class ApplicationEntity(AEBase):
    """A DICOM Application Entity for asyncio: requests associations and serves them."""

    def __init__(self, ae_title: str = "PYNETDICOM") -> None:
        super().__init__(ae_title)
        self._slots: asyncio.Semaphore | None = None

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
    ) -> _Associating:
        """Request an association: ``assoc = await ae.associate(...)``, or
        ``async with ae.associate(...) as assoc:`` (released on the way out,
        aborted on an exception). The association is returned whatever the
        outcome: check ``is_established``. pynetdicom's argument errors are
        raised at once."""
        loop = asyncio.get_running_loop()
        assoc = Association(self, "requestor", loop)
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
        host, remote_port = plan.remote[0], plan.remote[1]
        local: tuple[Any, ...] | None = plan.bind_address if plan.bind_address[1] else None
        if local is not None and not local[0]:
            local = ("0.0.0.0", local[1])

        async def connect(factory: Callable[[], asyncio.Protocol]) -> None:
            opening = loop.create_connection(
                factory,
                host,
                remote_port,
                ssl=tls_args[0] if tls_args else None,
                server_hostname=tls_args[1] if tls_args else None,
                local_addr=local,
            )
            transport, _ = await asyncio.wait_for(opening, self.connection_timeout)
            name = transport.get_extra_info("sockname")
            if name:
                assoc.requestor.address, assoc.requestor.port = name[0], name[1]

        async def run() -> Association:
            self._add_association(assoc)
            await assoc._request(connect)
            if not assoc.is_established:
                self._remove_association(assoc)
            return assoc

        return _Associating(run())

    async def start_server(
        self,
        address: tuple[Any, ...],
        ssl_context: ssl.SSLContext | None = None,
        evt_handlers: list[Any] | None = None,
        ae_title: str | None = None,
        contexts: list[PresentationContext] | None = None,
    ) -> AssociationServer:
        """Listen on ``address`` and serve each peer on the running event loop.

        Returns once listening; ``await server.serve_forever()`` to keep serving,
        ``server.close()`` to stop.
        """
        title, contexts = server_settings(self, ae_title, contexts)
        server = AssociationServer(self, title, contexts, ssl_context, evt_handlers)
        await server._listen(address)
        self._servers.append(server)
        return server

    async def shutdown(self) -> None:
        """Stop every server of this AE and abort every association."""
        for assoc in self.active_associations:
            assoc.abort()
        for server in self._servers[:]:
            server.close()
            await server.wait_closed()
        self._servers = []

    def _handler_slots(self) -> asyncio.Semaphore:
        """At most ``maximum_workers`` handlers at once, async ones included."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.maximum_workers)
        return self._slots


AE = ApplicationEntity


class _Associating:
    """What ``AE.associate`` returns: awaitable, or an async context manager."""

    def __init__(self, opening: Awaitable[Association]) -> None:
        self._opening = opening
        self._assoc: Association | None = None

    def __await__(self) -> Generator[Any, None, Association]:
        return self._opening.__await__()

    async def __aenter__(self) -> Association:
        self._assoc = await self._opening
        return self._assoc

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._assoc is not None:
            await self._assoc.__aexit__(exc_type, exc, tb)


class AssociationServer(ServerBase):
    """Accepts connections for an AE on the event loop; one association per peer."""

    def __init__(
        self,
        ae: ApplicationEntity,
        ae_title: str,
        contexts: list[PresentationContext],
        ssl_context: ssl.SSLContext | None,
        evt_handlers: list[Any] | None,
    ) -> None:
        super().__init__(ae, ae_title, contexts, ssl_context, evt_handlers)
        self._server: asyncio.Server | None = None
        self.server_address: tuple[Any, ...] = ()

    async def serve_forever(self) -> None:
        """Serve until ``close`` (or the task is cancelled)."""
        if self._server is None:
            raise RuntimeError("the server is not listening")
        try:
            await self._server.serve_forever()
        except asyncio.CancelledError:
            if self._server.is_serving():
                raise

    def close(self) -> None:
        """Stop accepting; running associations go on."""
        if self._server is not None:
            self._server.close()

    async def wait_closed(self) -> None:
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> AssociationServer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
        await self.wait_closed()

    async def _listen(self, address: tuple[Any, ...]) -> None:
        loop = asyncio.get_running_loop()
        info = AddressInformation.from_tuple(address)
        self._server = await loop.create_server(
            lambda: self._new_protocol(loop),
            info.address or None,
            info.port,
            ssl=self.ssl_context,
            backlog=_BACKLOG,
            reuse_address=True,
            ssl_handshake_timeout=self.ae.acse_timeout if self.ssl_context else None,
        )
        self.server_address = self._server.sockets[0].getsockname()

    def _new_protocol(self, loop: asyncio.AbstractEventLoop) -> asyncio.Protocol:
        assoc = Association(self.ae, "acceptor", loop)
        protocol = assoc.dul

        def accepted() -> None:
            transport = protocol._transport
            peer = transport.get_extra_info("peername") if transport is not None else None
            self._set_up_acceptor(assoc, self.server_address, tuple(peer or ("", 0)))
            assoc.dul.closed.on_set(assoc._on_closed)

        protocol.accept_with(accepted)
        return protocol
