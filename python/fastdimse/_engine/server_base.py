"""What every association server has, whichever driver accepts its connections."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastdimse import events as evt

if TYPE_CHECKING:
    import ssl

    from fastdimse._engine.ae_base import AEBase
    from fastdimse._engine.core import AssociationCore
    from fastdimse._upper.contexts import PresentationContext

__all__ = ["ServerBase"]


class ServerBase:
    """The AE title, contexts and handlers a server gives each association it accepts."""

    def __init__(
        self,
        ae: AEBase,
        ae_title: str,
        contexts: list[PresentationContext],
        ssl_context: ssl.SSLContext | None,
        evt_handlers: list[Any] | None,
    ) -> None:
        self.ae: Any = ae
        self.ae_title = ae_title
        self.contexts = contexts
        self.ssl_context = ssl_context
        self._handlers: dict[Any, Any] = {}
        for item in evt_handlers or []:
            self.bind(*item)

    @property
    def active_associations(self) -> list[Any]:
        return [a for a in self.ae.active_associations if a.server is self]

    # -- event handlers bound server-wide -----------------------------------

    def bind(self, event: Any, handler: Callable[..., Any], args: list[Any] | None = None) -> None:
        evt._add_handler(event, self._handlers, (handler, args))
        for assoc in self.active_associations:
            assoc.bind(event, handler, args)

    def unbind(self, event: Any, handler: Callable[..., Any]) -> None:
        evt._remove_handler(event, self._handlers, handler)
        for assoc in self.active_associations:
            assoc.unbind(event, handler)

    def get_handlers(self, event: Any) -> Any:
        if event not in self._handlers:
            return [] if event.is_notification else (evt.get_default_handler(event), None)
        return self._handlers[event]

    def get_events(self) -> list[Any]:
        return sorted(self._handlers, key=lambda e: e.name)

    # -- a new peer ------------------------------------------------------------

    def _set_up_acceptor(
        self, assoc: AssociationCore, local: tuple[Any, ...], peer: tuple[Any, ...]
    ) -> None:
        """Give a newly accepted association this server's settings and handlers,
        and count it among the AE's associations."""
        ae = self.ae
        assoc.server = self
        assoc.acceptor.ae_title = self.ae_title
        assoc.acceptor.supported_contexts = list(self.contexts)
        assoc.acceptor.maximum_length = ae.maximum_pdu_size
        assoc.acceptor.implementation_class_uid = ae.implementation_class_uid
        assoc.acceptor.implementation_version_name = ae.implementation_version_name
        assoc.acceptor.address, assoc.acceptor.port = local[:2]
        assoc.requestor.address, assoc.requestor.port = peer[:2]
        for event, handlers in self._handlers.items():
            for handler, args in handlers if isinstance(handlers, list) else [handlers]:
                assoc.bind(event, handler, args)
        ae._add_association(assoc)
