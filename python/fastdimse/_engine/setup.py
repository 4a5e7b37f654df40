"""Setting up an association or a server from an AE's settings, for either driver.

``plan_requestor`` checks ``associate``'s arguments as pynetdicom does and gives
the requestor association its service users' settings; ``server_settings``
checks a server's AE title and contexts.
"""

from __future__ import annotations

import logging
from copy import deepcopy
from typing import TYPE_CHECKING, Any

from fastdimse import _config
from fastdimse._engine.ae_base import AEBase, check_bind_address, text_title
from fastdimse._upper.addresses import AddressInformation
from fastdimse.utils import set_ae

if TYPE_CHECKING:
    from fastdimse._engine.core import AssociationCore
    from fastdimse._upper.contexts import PresentationContext

__all__ = ["RequestorPlan", "plan_requestor", "server_settings"]

LOGGER = logging.getLogger("fastdimse")


class RequestorPlan:
    """Where a requestor connects: the peer's address tuple and our bind address."""

    def __init__(self, remote: tuple[Any, ...], bind_address: tuple[Any, ...]) -> None:
        self.remote = remote
        self.bind_address = bind_address


def plan_requestor(
    ae: AEBase,
    assoc: AssociationCore,
    addr: str | tuple[str, int, int],
    port: int,
    contexts: list[PresentationContext] | None,
    ae_title: str,
    max_pdu: int,
    ext_neg: list[Any] | None,
    bind_address: tuple[Any, ...] | None,
    evt_handlers: list[Any] | None,
) -> RequestorPlan:
    """Check ``associate``'s arguments (pynetdicom's errors) and set up ``assoc``
    as the requestor; where to connect."""
    if not isinstance(addr, (str, tuple)):
        raise TypeError("'addr' must be str or tuple[str, int, int]")
    if isinstance(addr, tuple) and (
        len(addr) != 3
        or not isinstance(addr[0], str)
        or not isinstance(addr[1], int)
        or not isinstance(addr[2], int)
    ):
        raise TypeError("'addr' must be str or tuple[str, int, int]")
    if not isinstance(port, int):
        raise TypeError("'port' must be int")
    remote_info = AddressInformation.from_addr_port(addr, port)
    if bind_address is None:
        bind_address = ("::0", 0) if remote_info.is_ipv6 else ("", 0)
    check_bind_address(bind_address)
    ae_title = text_title(ae_title, "ae_title")

    assoc.acceptor.ae_title = ae_title
    assoc.acceptor.address, assoc.acceptor.port = remote_info.address, port
    assoc.requestor.address, assoc.requestor.port = bind_address[0], bind_address[1]
    assoc.requestor.ae_title = ae.ae_title
    assoc.requestor.maximum_length = max_pdu
    assoc.requestor.implementation_class_uid = ae.implementation_class_uid
    assoc.requestor.implementation_version_name = ae.implementation_version_name
    for item in ext_neg or []:
        assoc.requestor.add_negotiation_item(item)

    contexts = contexts or ae.requested_contexts
    ae._validate_requested_contexts(contexts)
    if not contexts:
        raise RuntimeError(
            "At least one requested presentation context is required before associating with a peer"
        )
    contexts = deepcopy(contexts)
    for index, context in enumerate(contexts):
        context.context_id = 2 * index + 1
    assoc.requestor.requested_contexts = contexts
    for item in evt_handlers or []:
        assoc.bind(*item)
    return RequestorPlan(remote_info.as_tuple, bind_address)


def server_settings(
    ae: AEBase, ae_title: str | None, contexts: list[PresentationContext] | None
) -> tuple[str, list[PresentationContext]]:
    """A server's AE title and contexts, checked as pynetdicom checks them."""
    unrestricted = getattr(_config, "UNRESTRICTED_STORAGE_SERVICE", False)
    if not unrestricted and not contexts and not ae.supported_contexts:
        msg = "No supported Presentation Contexts have been defined"
        LOGGER.error(msg)
        raise ValueError(msg)
    title = (
        set_ae(
            text_title(ae_title, "ae_title") if ae_title else ae.ae_title,
            "ae_title",
            False,
            False,
        )
        or ""
    )
    contexts = contexts or ae.supported_contexts
    bad = [
        cx.abstract_syntax
        for cx in contexts
        if None in (cx.scu_role, cx.scp_role) and (cx.scu_role, cx.scp_role) != (None, None)
    ]
    if bad:
        raise ValueError(
            "The following presentation contexts have inconsistent "
            "scu_role/scp_role values (if one is None, both must be):\n  "
            + "\n  ".join(str(uid) for uid in bad)
        )
    return title, contexts
