"""Association negotiation (ACSE policy): what to request, and how to answer a request.

Pure functions over the association's two ``ServiceUser`` objects and the core's
PDU objects; the association calls them and sends what they return. The
checks follow PS3.8 7.1 and PS3.7 Annex D, with pynetdicom's order and answers
where it has them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from fastdimse import _config, _core
from fastdimse._upper import negotiation_items as prim
from fastdimse._upper.codes import (
    REJECT_APPLICATION_CONTEXT,
    REJECT_CALLED_AE,
    REJECT_CALLING_AE,
    REJECT_LOCAL_LIMIT,
    REJECT_NO_REASON,
    REJECT_PROTOCOL_VERSION,
    REJECT_USER_IDENTITY,
)
from fastdimse._upper.contexts import (
    PresentationContext,
    from_core_ac,
    from_core_rq,
    negotiate_as_acceptor,
    negotiate_as_requestor,
    negotiate_unrestricted,
    to_core_ac,
    to_core_rq,
)
from fastdimse._upper.service_primitives import A_ASSOCIATE
from fastdimse.events import (
    EVT_ASYNC_OPS,
    EVT_SOP_COMMON,
    EVT_SOP_EXTENDED,
    EVT_USER_ID,
)

if TYPE_CHECKING:
    from fastdimse._upper.service_user import ServiceUser

__all__ = [
    "APPLICATION_CONTEXT_NAME",
    "Acceptance",
    "associate_primitive",
    "build_associate_rq",
    "evaluate_associate_rq",
    "negotiate_window",
    "read_associate_ac",
    "read_user_information",
]

LOGGER = logging.getLogger("fastdimse.acse")

APPLICATION_CONTEXT_NAME = "1.2.840.10008.3.1.1.1"


class AcceptorPolicy(Protocol):
    """What the acceptor's AE decides negotiation with (``AE`` has all of it)."""

    @property
    def require_calling_aet(self) -> list[str]: ...

    @property
    def require_called_aet(self) -> bool: ...

    @property
    def maximum_operations_invoked(self) -> int: ...

    @property
    def maximum_operations_performed(self) -> int: ...


# Calls the handler bound to a negotiation event with the event's attributes.
Ask = Callable[[Any, dict[str, Any]], Any]


@dataclass
class Acceptance:
    """The acceptor's decision: an AC to send (with the negotiated contexts) or an RJ."""

    reject: tuple[int, int, int] | None = None
    contexts: list[PresentationContext] = field(default_factory=list)
    ac: _core.AssociateAc | None = None


# -- requestor ---------------------------------------------------------------


def build_associate_rq(requestor: ServiceUser, acceptor: ServiceUser) -> _core.AssociateRq:
    """The A-ASSOCIATE-RQ for the requestor's contexts and negotiation items."""
    return _core.AssociateRq(
        acceptor.ae_title,
        requestor.ae_title,
        [to_core_rq(cx) for cx in requestor.requested_contexts],
        [item.to_core() for item in requestor.user_information],
        APPLICATION_CONTEXT_NAME,
    )


def read_associate_ac(
    requestor: ServiceUser, acceptor: ServiceUser, ac: _core.AssociateAc
) -> list[PresentationContext]:
    """Record the acceptor's answer and return the negotiated contexts (requestor side)."""
    read_user_information(acceptor, ac.user_information)
    rq_roles: dict[Any, tuple[bool | None, bool | None]] = {
        uid: (item.scu_role, item.scp_role) for uid, item in requestor.role_selection.items()
    }
    for cx in requestor.requested_contexts:
        if cx.abstract_syntax_str in rq_roles:
            scu, scp = rq_roles[cx.abstract_syntax_str]
            cx.scu_role = bool(scu)
            cx.scp_role = bool(scp)
    ac_roles: dict[Any, tuple[bool | None, bool | None]] = {
        uid: (item.scu_role, item.scp_role) for uid, item in acceptor.role_selection.items()
    }
    results = [from_core_ac(item) for item in ac.presentation_contexts]
    return list(negotiate_as_requestor(requestor.requested_contexts, results, ac_roles))


# -- acceptor ----------------------------------------------------------------


def evaluate_associate_rq(
    requestor: ServiceUser,
    acceptor: ServiceUser,
    policy: AcceptorPolicy,
    ask: Ask,
    rq: _core.AssociateRq,
    *,
    over_limit: bool,
) -> Acceptance:
    """Decide how to answer ``rq``: the checks of pynetdicom's acceptor, in its order.

    ``policy`` is the acceptor's settings (the AE), ``ask`` calls the handler
    bound to a negotiation event (EVT_USER_ID, EVT_SOP_EXTENDED, ...).
    """
    calling = rq.calling_ae_title.strip(" \x00")
    if calling:
        requestor.ae_title = calling
    requestor.requested_contexts = [from_core_rq(item) for item in rq.presentation_contexts]
    read_user_information(requestor, rq.user_information)

    reject: tuple[int, int, int] | None = None
    if not rq.protocol_version & 1:
        # PS3.8 9.3.2: bit 0 is version 1, the only one; without it we cannot talk.
        reject = REJECT_PROTOCOL_VERSION
    allowed = [aet.strip() for aet in policy.require_calling_aet]
    if not calling or (allowed and calling not in allowed):
        # An empty (all-space) title is not a title (PS3.8 9.3.2).
        reject = REJECT_CALLING_AE
    called = rq.called_ae_title.strip(" \x00")
    if not called or (policy.require_called_aet and called != acceptor.ae_title.strip()):
        reject = REJECT_CALLED_AE
    if rq.application_context != APPLICATION_CONTEXT_NAME:
        reject = REJECT_APPLICATION_CONTEXT
    if not rq.presentation_contexts:
        # PS3.8 9.3.2: an RQ carries one or more presentation context items.
        reject = REJECT_NO_REASON

    if requestor.user_identity is not None:
        verified, response = _check_user_identity(ask, requestor.user_identity)
        if not verified:
            LOGGER.info("User identity failed verification")
            reject = REJECT_USER_IDENTITY
        elif requestor.user_identity.positive_response_requested and (
            response is not None or requestor.user_identity.user_identity_type in (1, 2)
        ):
            # PS3.7 D.3.3.7.2: for a username (and passcode) the server response
            # is zero length; the other types carry the handler's bytes.
            reply = prim.UserIdentityNegotiation()
            identity_type = requestor.user_identity.user_identity_type
            reply.server_response = b"" if identity_type in (1, 2) else (response or b"")
            acceptor.add_negotiation_item(reply)

    for item in _check_sop_class_extended(ask, requestor):
        acceptor.add_negotiation_item(item)
    acceptor._common_ext = _check_sop_class_common_extended(ask, requestor)
    if requestor.asynchronous_operations != (1, 1):
        window = _check_async_ops(ask, requestor, policy)
        if window is not None:
            acceptor.add_negotiation_item(window)

    if over_limit:
        reject = REJECT_LOCAL_LIMIT
    if reject is not None:
        return Acceptance(reject=reject)

    rq_roles: dict[Any, tuple[bool | None, bool | None]] = {
        uid: (i.scu_role, i.scp_role) for uid, i in requestor.role_selection.items()
    }
    negotiate = (
        negotiate_unrestricted if _config.UNRESTRICTED_STORAGE_SERVICE else negotiate_as_acceptor
    )
    contexts, ac_roles = negotiate(
        requestor.requested_contexts, acceptor.supported_contexts, rq_roles
    )
    for role in ac_roles:
        acceptor.add_negotiation_item(role)
    ac = _core.AssociateAc(
        rq.called_ae_title,
        rq.calling_ae_title,
        [to_core_ac(cx) for cx in contexts],
        [item.to_core() for item in acceptor.user_information],
        APPLICATION_CONTEXT_NAME,
    )
    return Acceptance(contexts=list(contexts), ac=ac)


def associate_primitive(
    pdu: _core.AssociateRq | _core.AssociateAc | _core.AssociateRj,
) -> A_ASSOCIATE:
    """pynetdicom's view of an A-ASSOCIATE PDU (``ServiceUser.primitive``, EVT_ACSE_*)."""
    primitive = A_ASSOCIATE()
    if isinstance(pdu, _core.AssociateRj):
        primitive.result = pdu.result
        primitive.result_source = pdu.source
        primitive.diagnostic = pdu.reason
        return primitive
    primitive.application_context_name = pdu.application_context
    if isinstance(pdu, _core.AssociateRq):
        primitive.calling_ae_title = pdu.calling_ae_title.strip(" \x00") or "DEFAULT"
        primitive.called_ae_title = pdu.called_ae_title.strip(" \x00") or "DEFAULT"
        primitive.presentation_context_definition_list = [
            from_core_rq(item) for item in pdu.presentation_contexts
        ]
    else:
        primitive.result = 0
    items = [prim.from_core(item) for item in pdu.user_information]
    primitive.user_information = [item for item in items if item is not None]
    return primitive


def read_user_information(user: ServiceUser, items: list[Any]) -> None:
    """Copy the peer's user-information items onto its ``ServiceUser``."""
    user.reset_negotiation_items()
    for core_item in items:
        item = prim.from_core(core_item)
        if isinstance(item, prim.MaximumLengthNotification):
            user.maximum_length = item.maximum_length_received
        elif isinstance(item, prim.ImplementationClassUIDNotification):
            # The core's str (checked there): no pydicom UID made for it.
            user.implementation_class_uid = core_item.uid
        elif isinstance(item, prim.ImplementationVersionNameNotification):
            user.implementation_version_name = item.implementation_version_name
        elif item is not None:
            try:
                user.add_negotiation_item(item)
            except TypeError:
                LOGGER.debug("Ignoring user information item %r", item)


# -- intervention handlers of negotiation ------------------------------------


def _check_user_identity(ask: Ask, item: prim.UserIdentityNegotiation) -> tuple[bool, bytes | None]:
    try:
        verified, response = ask(
            EVT_USER_ID,
            {
                "user_id_type": item.user_identity_type,
                "primary_field": item.primary_field,
                "secondary_field": item.secondary_field,
            },
        )
    except NotImplementedError:
        return True, None  # no handler bound: the identity is not checked
    except Exception:
        LOGGER.exception("Exception in handler bound to 'evt.EVT_USER_ID'")
        return False, None
    return bool(verified), response


def _check_sop_class_extended(
    ask: Ask, requestor: ServiceUser
) -> list[prim.SOPClassExtendedNegotiation]:
    requested = requestor.sop_class_extended
    if not requested:
        return []
    try:
        answer = ask(EVT_SOP_EXTENDED, {"app_info": requested})
    except Exception:
        LOGGER.exception("Exception in handler bound to 'evt.EVT_SOP_EXTENDED'")
        return []
    items = []
    for uid, info in (answer or {}).items():
        if not isinstance(info, bytes):
            continue
        item = prim.SOPClassExtendedNegotiation()
        item.sop_class_uid = uid
        item.service_class_application_information = info
        items.append(item)
    return items


def _check_sop_class_common_extended(
    ask: Ask, requestor: ServiceUser
) -> dict[str, prim.SOPClassCommonExtendedNegotiation]:
    requested = requestor.sop_class_common_extended
    if not requested:
        return {}
    try:
        answer = ask(EVT_SOP_COMMON, {"items": requested})
    except Exception:
        LOGGER.exception("Exception in handler bound to 'evt.EVT_SOP_COMMON'")
        return {}
    return {
        uid: item
        for uid, item in (answer or {}).items()
        if isinstance(item, prim.SOPClassCommonExtendedNegotiation)
    }


def _check_async_ops(
    ask: Ask, requestor: ServiceUser, policy: AcceptorPolicy
) -> prim.AsynchronousOperationsWindowNegotiation | None:
    """The acceptor's reply to a requested window (PS3.7 D.3.3.3), or None for no reply.

    At the AE's default limits (1, 1) this is pynetdicom's behaviour: a reply
    of (1, 1) only when an EVT_ASYNC_OPS handler is bound. Above them, the
    requested values capped by our limits (``window.negotiate_window``) and by
    the handler's answer, if it gives one.
    """
    requested = requestor.asynchronous_operations
    limits = (policy.maximum_operations_invoked, policy.maximum_operations_performed)
    bound = True
    answer: Any = None
    try:
        answer = ask(EVT_ASYNC_OPS, {"nr_invoked": requested[0], "nr_performed": requested[1]})
    except NotImplementedError:
        bound = False  # the default handler: nothing bound
    except Exception:
        LOGGER.exception("Exception in handler bound to 'evt.EVT_ASYNC_OPS'")
    if limits == (1, 1):
        granted = (1, 1) if bound else None
    else:
        granted = negotiate_window(requested, limits, _window_answer(answer))
    if granted is None:
        return None
    window = prim.AsynchronousOperationsWindowNegotiation()
    window.maximum_number_operations_invoked = granted[0]
    window.maximum_number_operations_performed = granted[1]
    return window


def _window_answer(answer: Any) -> tuple[int, int] | None:
    """An EVT_ASYNC_OPS handler's (invoked, performed), if it returned one."""
    if (
        isinstance(answer, tuple | list)
        and len(answer) == 2
        and all(isinstance(v, int) and v >= 0 for v in answer)
    ):
        return int(answer[0]), int(answer[1])
    return None


def negotiate_window(
    requested: tuple[int, int],
    limits: tuple[int, int],
    handler_cap: tuple[int, int] | None = None,
) -> tuple[int, int]:
    """The acceptor's answer to a requested window: (invoked, performed).

    The standard crosses the fields over: what the requestor may *invoke* is
    what we are willing to *perform*, and what it may *perform* is what we
    will *invoke*. ``limits`` is our (invoked, performed); 0 is unlimited on
    either side. ``handler_cap``, an EVT_ASYNC_OPS handler's answer, caps it
    further.
    """
    our_invoked, our_performed = limits
    invoked = _cap(requested[0], our_performed)
    performed = _cap(requested[1], our_invoked)
    if handler_cap is not None:
        invoked = _cap(invoked, handler_cap[0])
        performed = _cap(performed, handler_cap[1])
    return invoked, performed


def _cap(value: int, limit: int) -> int:
    if value == 0:
        return limit
    if limit == 0:
        return value
    return min(value, limit)
