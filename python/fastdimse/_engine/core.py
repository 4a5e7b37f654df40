"""The policy of one association, whichever driver moves its bytes.

``AssociationCore`` is what the threaded ``fastdimse.Association`` and the
asyncio ``fastdimse.aio.Association`` share: the two service users and their
negotiation (the A-ASSOCIATE indications, ``acse``), the accepted contexts,
the handlers bound to events, the DIMSE provider with its operations window,
release and abort indications, and the choice of service class for a
request. It never waits and never touches a socket: a driver
(``UpperLayerDriver``: ``dul.UpperLayer`` for threads, ``_io.aio`` for
asyncio) feeds it indications and carries its requests, and the subclass
says how a request from the peer is performed (``start_request``), how the
association aborts (``abort``) and which driver it has (``_make_upper_layer``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from fastdimse import _config, _core
from fastdimse import events as evt
from fastdimse._dimse.primitives.c_services import C_STORE
from fastdimse._dimse.provider import DIMSEServiceProvider, Request
from fastdimse._engine.signal import Signal
from fastdimse._logging import log_abort, log_associate_ac, log_associate_rj, log_associate_rq
from fastdimse._services.qr_scu import InvalidResponse, QueryRequest, cancel_request, read_response
from fastdimse._upper.codes import PROVIDER_ABORT as _PROVIDER_ABORT
from fastdimse._upper.codes import REJECT_REASON_TEXT as _REJECT_REASONS
from fastdimse._upper.codes import RESULT_TEXT as _REJECT_RESULTS
from fastdimse._upper.codes import SOURCE_TEXT as _REJECT_SOURCES
from fastdimse._upper.codes import USER_ABORT
from fastdimse._upper.negotiation import (
    associate_primitive,
    build_associate_rq,
    evaluate_associate_rq,
    read_associate_ac,
)
from fastdimse._upper.service_user import MODE_ACCEPTOR, MODE_REQUESTOR, ServiceUser
from fastdimse._upper.state_table import Event, Indication, State, Transition
from fastdimse._validation import as_uid

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

    from fastdimse._engine.ae_base import AEBase as ApplicationEntity
    from fastdimse._services.base import ServiceClass
    from fastdimse._upper.connection import DataSetRouter
    from fastdimse._upper.contexts import PresentationContext

__all__ = ["AssociationCore", "UpperLayerDriver"]

LOGGER = logging.getLogger("fastdimse.assoc")

# Any storage SOP class (CR Image Storage) to pick the storage service class for
# a C-STORE of whatever SOP class, under UNRESTRICTED_STORAGE_SERVICE (as pynetdicom).
_ANY_STORAGE_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.1"

# Events whose handlers need every PDU's bytes.
_WIRE_EVENTS = (
    evt.EVT_DATA_RECV,
    evt.EVT_DATA_SENT,
    evt.EVT_PDU_RECV,
    evt.EVT_PDU_SENT,
)


class UpperLayerDriver(Protocol):
    """What the core needs of a driver (``dul.UpperLayer``, ``_io.aio.AsyncUpperLayer``)."""

    @property
    def state(self) -> State: ...

    @property
    def closed(self) -> threading.Event: ...

    network_timeout: float | None
    acse_timeout: float | None

    # Whether the state machine's steps are reported (EVT_FSM_TRANSITION is bound).
    report_transitions: bool

    def request(self, event: Event, pdu: object | None = None) -> bool: ...

    def send_message(
        self, encoded: bytes, *, stream: object | None = None, last: bool = True
    ) -> bool: ...

    def observe(self, on_pdu: Callable[[bytes, bool], None]) -> None: ...

    def route_data_sets(self, destination: DataSetRouter) -> None: ...

    def kill(self) -> None: ...


def reject_text(rj: _core.AssociateRj) -> tuple[str, str, str]:
    """pynetdicom's wording of an A-ASSOCIATE-RJ's result, source and reason."""
    return (
        _REJECT_RESULTS.get(rj.result, f"0x{rj.result:02X}"),
        _REJECT_SOURCES.get(rj.source, f"0x{rj.source:02X}"),
        _REJECT_REASONS.get(rj.source, {}).get(rj.reason, f"0x{rj.reason:02X}"),
    )


_ASSOCIATE_PDUS = (_core.AssociateRq, _core.AssociateAc, _core.AssociateRj)


def primitive_of(pdu: _core.AssociateRq | _core.AssociateAc | _core.AssociateRj) -> Any:
    """pynetdicom's A_ASSOCIATE view of an associate PDU, or None if it has none."""
    try:
        return associate_primitive(pdu)
    except (TypeError, ValueError) as error:
        # A peer's odd but decodable RQ still gets negotiated; only this view fails.
        LOGGER.debug("No A-ASSOCIATE primitive for %r: %s", pdu, error)
        return None


def _convertible(wanted: str, accepted: str) -> bool:
    """Whether a data set in ``wanted`` may go in ``accepted`` instead (pynetdicom's
    rule: both uncompressed, of the same byte order)."""
    wanted_uid, accepted_uid = as_uid(wanted), as_uid(accepted)
    if wanted_uid.is_compressed or accepted_uid.is_compressed:
        return False
    return bool(wanted_uid.is_little_endian == accepted_uid.is_little_endian)


def _split_pdus(data: bytes) -> list[bytes]:
    """The PDUs of a buffer we wrote or received whole (6-byte headers)."""
    pdus = []
    offset = 0
    while offset + 6 <= len(data):
        end = offset + 6 + int.from_bytes(data[offset + 2 : offset + 6], "big")
        pdus.append(data[offset:end])
        offset = end
    return pdus


class AssociationCore:
    """One association's policy, as requestor or acceptor (see the module)."""

    def __init__(self, ae: ApplicationEntity, mode: str) -> None:
        mode = mode.lower() if isinstance(mode, str) else mode
        if mode not in (MODE_REQUESTOR, MODE_ACCEPTOR):
            raise ValueError(
                "Invalid association `mode` value, must be either 'requestor' or 'acceptor'"
            )
        self._ae = ae
        self._mode = mode
        self.requestor = ServiceUser(self, MODE_REQUESTOR)
        self.acceptor = ServiceUser(self, MODE_ACCEPTOR)
        self.is_established = False
        self.is_rejected = False
        self.is_aborted = False
        self.is_released = False
        self._accepted_cx: dict[int, PresentationContext] = {}
        self._rejected_cx: list[PresentationContext] = []
        self._acse_timeout = ae.acse_timeout
        self._dimse_timeout = ae.dimse_timeout
        self._network_timeout = ae.network_timeout
        self.connection_timeout = ae.connection_timeout
        self._handlers: dict[Any, Any] = {}
        self.dul: UpperLayerDriver = self._make_upper_layer()
        self.dimse = DIMSEServiceProvider(self, self.dul, self._accepted_cx)
        self.dul.route_data_sets(self.dimse.data_set_destination)
        self.dul.report_transitions = False  # until EVT_FSM_TRANSITION is bound
        # As pynetdicom: every intervention event starts bound to its default handler.
        for event in evt._INTERVENTION_EVENTS:
            self.bind(event, evt.get_default_handler(event))
        self.server: Any = None
        # Set when the answer to the A-ASSOCIATE-RQ is known, when the release (or
        # the end) came, and when the connection is over.
        self._negotiated = Signal()
        self._released = Signal()
        self._ended = Signal()
        self._lock = threading.Lock()
        self._over_limit = False
        self._rq: _core.AssociateRq | None = None
        self._services: dict[tuple[int, type], ServiceClass] = {}
        self._exact_index: dict[tuple[str, str], int] | None = None

    @property
    def ae(self) -> ApplicationEntity:
        return self._ae

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def is_requestor(self) -> bool:
        return self._mode == MODE_REQUESTOR

    @property
    def is_acceptor(self) -> bool:
        return self._mode == MODE_ACCEPTOR

    @property
    def local(self) -> dict[str, Any]:
        """The local AE's ``info``: ae_title, address, port, mode, pdv_size."""
        return (self.requestor if self.is_requestor else self.acceptor).info

    @property
    def remote(self) -> dict[str, Any]:
        """The peer's ``info``: ae_title, address, port, mode, pdv_size."""
        return (self.acceptor if self.is_requestor else self.requestor).info

    @property
    def lock(self) -> threading.Lock:
        return self._lock

    @property
    def accepted_contexts(self) -> list[PresentationContext]:
        return [self._accepted_cx[k] for k in sorted(self._accepted_cx)]

    @property
    def rejected_contexts(self) -> list[PresentationContext]:
        return list(self._rejected_cx)

    @property
    def acse_timeout(self) -> float | None:
        return self._acse_timeout

    @acse_timeout.setter
    def acse_timeout(self, value: float | None) -> None:
        self._acse_timeout = value
        self.dul.acse_timeout = value

    @property
    def dimse_timeout(self) -> float | None:
        return self._dimse_timeout

    @dimse_timeout.setter
    def dimse_timeout(self, value: float | None) -> None:
        self._dimse_timeout = value

    @property
    def network_timeout(self) -> float | None:
        return self._network_timeout

    @network_timeout.setter
    def network_timeout(self, value: float | None) -> None:
        self._network_timeout = value
        self.dul.network_timeout = value

    def bind(self, event: Any, handler: Callable[..., Any], args: list[Any] | None = None) -> None:
        """Bind ``handler`` (with optional extra ``args``) to ``event``."""
        evt._add_handler(event, self._handlers, (handler, args))
        if event is evt.EVT_FSM_TRANSITION:
            self.dul.report_transitions = True

    def unbind(self, event: Any, handler: Callable[..., Any]) -> None:
        evt._remove_handler(event, self._handlers, handler)
        if event is evt.EVT_FSM_TRANSITION:
            self.dul.report_transitions = self._is_bound(event)

    def get_handlers(self, event: Any) -> Any:
        if event not in self._handlers:
            return [] if event.is_notification else (evt.get_default_handler(event), None)
        handlers = self._handlers[event]
        return list(handlers) if isinstance(handlers, list) else handlers

    def get_events(self) -> list[Any]:
        return sorted(self._handlers, key=lambda e: e.name)

    def notify(self, event: Any, message: Any) -> None:
        """EVT_DIMSE_RECV/SENT for ``message``, when a handler is bound."""
        if self._is_bound(event):
            evt.trigger(self, event, {"message": message})

    def _is_bound(self, event: Any) -> bool:
        return bool(self._handlers.get(event))

    def send_c_cancel(
        self, msg_id: int, context_id: int | None = None, query_model: str | None = None
    ) -> None:
        """Send a C-CANCEL for our request ``msg_id`` (a C-FIND, C-GET or C-MOVE), on
        ``query_model``'s context or ``context_id``; returns once it is written
        (never waits: the request's responses end with the peer's Cancel status)."""
        self._check_established("C-CANCEL")
        primitive, context_id = cancel_request(self, msg_id, context_id, query_model)
        self.dimse.send_msg(primitive, context_id)

    def _query_outcome(
        self, rsp: Any, request: QueryRequest, number: int
    ) -> tuple[Dataset, Dataset | None, bool]:
        """Response ``number`` to a C-FIND, C-GET or C-MOVE as ``(status, identifier,
        last)``; an empty status, the last, when none came (the DIMSE timeout aborts)
        or the peer sent what cannot be one (the association is aborted)."""
        from pydicom.dataset import Dataset

        if rsp is None:
            self._handle_no_response()
            return Dataset(), None, True
        try:
            return read_response(rsp, request, number)
        except InvalidResponse:
            self.abort()
            return Dataset(), None, True

    def _check_established(self, service: str) -> None:
        if not self.is_established:
            raise RuntimeError(
                f"The association with a peer SCP must be established before "
                f"sending a {service} request"
            )

    def _message_id(self, msg_id: int | None) -> int:
        return self.dimse.invoked.next_message_id() if msg_id is None else msg_id

    def _check_received_status(self, rsp: Any) -> Dataset:
        from pydicom.dataset import Dataset

        status = Dataset()
        if getattr(rsp, "is_valid_response", False):
            status.Status = rsp.Status
            for keyword in getattr(rsp, "STATUS_OPTIONAL_KEYWORDS", ()):
                value = getattr(rsp, keyword, None)
                if value is not None:
                    setattr(status, keyword, value)
        else:
            LOGGER.error(
                "Received an invalid %s response from the peer",
                type(rsp).__name__.replace("_", "-"),
            )
            self.abort()
        return status

    def _handle_no_response(self) -> None:
        if self.is_aborted:
            return
        if not self.is_established or self.dul.closed.is_set():
            LOGGER.error("Connection closed while waiting for DIMSE message")
            return
        LOGGER.error("DIMSE timeout reached while waiting for message response")
        self.abort()

    def exact_context(self, sop_class: str, transfer_syntax: str) -> int | None:
        """The ID of an accepted context for exactly this SOP class and transfer
        syntax in which we may be SCU (for ``store_scu``: a file sent unchanged)."""
        index = self._exact_index
        if index is None:
            # Built once: the accepted contexts are fixed from the A-ASSOCIATE-AC on.
            index = self._exact_index = {}
            for context_id in sorted(self._accepted_cx):
                context = self._accepted_cx[context_id]
                syntaxes = context.transfer_syntax_str
                if context.as_scu is False or not syntaxes:
                    continue
                index.setdefault((context.abstract_syntax_str or "", syntaxes[0]), context_id)
        return index.get((sop_class, transfer_syntax))

    def valid_context(
        self,
        ab_syntax: str,
        tr_syntax: str,
        role: str | None = None,
        context_id: int | None = None,
        allow_conversion: bool = True,
    ) -> PresentationContext:
        """An accepted context for ``ab_syntax`` (and ``tr_syntax`` if given) in ``role``."""
        abstract = str(ab_syntax).strip()
        transfer = str(tr_syntax).strip()
        if context_id is not None and context_id in self._accepted_cx:
            candidates = [self._accepted_cx[context_id]]
        else:
            candidates = self.accepted_contexts
        candidates = [cx for cx in candidates if cx.abstract_syntax_str == abstract]
        if role == "scu":
            candidates = [cx for cx in candidates if cx.as_scu is True]
        elif role == "scp":
            candidates = [cx for cx in candidates if cx.as_scp is True]
        matches = []
        for cx in candidates:
            syntax = cx.transfer_syntax_str[0]
            if transfer:
                if transfer == syntax:
                    return cx
                if not _convertible(transfer, syntax):
                    continue
            matches.append(cx)
        if allow_conversion and matches:
            return matches[0]
        msg = f"No presentation context for '{as_uid(abstract).name}' has been accepted by the peer"
        if transfer:
            msg += f" with '{as_uid(transfer).name}' transfer syntax"
        msg += f" for the {(role or 'scu').upper()} role"
        LOGGER.error(msg)
        raise ValueError(msg)

    _get_valid_context = valid_context  # pynetdicom's name

    def _on_ended(self) -> None:
        if self._ended.is_set():
            return
        self._ended.set()
        self.is_established = False
        self._negotiated.set()
        self._released.set()
        self.dimse.end()
        self._ae._remove_association(self)
        evt.trigger(self, evt.EVT_CONN_CLOSE, {})

    def _observe_if_bound(self) -> None:
        if any(evt.is_bound(self, e) for e in _WIRE_EVENTS):
            self.dul.observe(self._on_wire)

    def _on_wire(self, data: bytes, sent: bool) -> None:
        data_event, pdu_event = (
            (evt.EVT_DATA_SENT, evt.EVT_PDU_SENT) if sent else (evt.EVT_DATA_RECV, evt.EVT_PDU_RECV)
        )
        if evt.is_bound(self, data_event):
            evt.trigger(self, data_event, {"data": data})
        if evt.is_bound(self, pdu_event):
            for pdu in _split_pdus(data):
                evt.trigger(self, pdu_event, {"pdu": _core.decode_pdu(pdu)})

    def _on_transition(self, transition: Transition) -> None:
        if evt.is_bound(self, evt.EVT_FSM_TRANSITION):
            evt.trigger(
                self,
                evt.EVT_FSM_TRANSITION,
                {
                    "current_state": transition.state.label,
                    "fsm_event": transition.event.label,
                    "action": transition.action.value,
                    "next_state": transition.next_state.label,
                },
            )

    def _acse_event(self, pdu: object, sent: bool) -> None:
        event = evt.EVT_ACSE_SENT if sent else evt.EVT_ACSE_RECV
        if evt.is_bound(self, event):
            # pynetdicom's A_ASSOCIATE view where it has one; the core's PDU otherwise.
            primitive = primitive_of(pdu) if isinstance(pdu, _ASSOCIATE_PDUS) else pdu
            evt.trigger(self, event, {"primitive": primitive})

    def _on_indication(self, kind: Indication, pdu: object | None) -> None:
        if kind is Indication.P_DATA:
            if isinstance(pdu, _core.Message):
                self.dimse.receive(pdu)
            return
        if kind is Indication.TRANSPORT_CONNECTED:
            if self.is_requestor:
                address = (self.acceptor.address, self.acceptor.port)
                evt.trigger(self, evt.EVT_CONN_OPEN, {"address": address})
            return
        handler = self._INDICATIONS.get(kind)
        if handler is not None:
            handler(self, pdu)

    def _on_associate_rq(self, pdu: object | None) -> None:
        if not isinstance(pdu, _core.AssociateRq):
            return
        log_associate_rq(LOGGER, pdu, sent=False)
        self._acse_event(pdu, sent=False)
        evt.trigger(self, evt.EVT_REQUESTED, {})
        self.requestor.primitive = primitive_of(pdu)
        self._over_limit = self._ae._over_limit(self)
        acceptance = evaluate_associate_rq(
            self.requestor,
            self.acceptor,
            self._ae,
            partial(evt.trigger, self),
            pdu,
            over_limit=self._over_limit,
        )
        if acceptance.reject is not None or acceptance.ac is None:
            result, source, reason = acceptance.reject or (1, 1, 1)
            rj = _core.AssociateRj(result, source, reason)
            LOGGER.info("Rejecting Association")
            log_associate_rj(LOGGER, rj, sent=True)
            self.is_rejected = True
            self._acse_event(rj, sent=True)
            self.dul.request(Event.EVT8, rj)
            evt.trigger(self, evt.EVT_REJECTED, {})
            self._negotiated.set()
            return
        self._accepted_cx.update(
            (int(cx.context_id or 0), cx) for cx in acceptance.contexts if cx.result == 0
        )
        self._rejected_cx = [cx for cx in acceptance.contexts if cx.result != 0]
        self.acceptor.record_results(acceptance.contexts)
        self.dimse.peer_max_pdu = self.requestor.maximum_length
        # The requestor may invoke what the reply grants it, which we perform.
        invoked, performed = self.acceptor.asynchronous_operations
        self.dimse.performed.window, self.dimse.invoked.window = invoked, performed
        LOGGER.info("Accepting Association")
        log_associate_ac(LOGGER, acceptance.ac, sent=True, rq=pdu)
        self._acse_event(acceptance.ac, sent=True)
        # Established from the moment the AC can be read: the peer may act at once.
        self.is_established = True
        if not self.dul.request(Event.EVT7, acceptance.ac):
            self.is_established = False
        evt.trigger(self, evt.EVT_ACCEPTED, {})
        self._negotiated.set()
        evt.trigger(self, evt.EVT_ESTABLISHED, {})

    def _on_associate_ac(self, pdu: object | None) -> None:
        if not isinstance(pdu, _core.AssociateAc):
            return
        log_associate_ac(LOGGER, pdu, sent=False, rq=self._rq)
        self._acse_event(pdu, sent=False)
        contexts = read_associate_ac(self.requestor, self.acceptor, pdu)
        self.acceptor.record_results(contexts)
        self._accepted_cx.update((int(cx.context_id or 0), cx) for cx in contexts if cx.result == 0)
        self._rejected_cx = [cx for cx in contexts if cx.result != 0]
        self.dimse.peer_max_pdu = self.acceptor.maximum_length
        # The acceptor's reply item (or none: 1, 1) is the window both ways.
        invoked, performed = self.acceptor.asynchronous_operations
        self.dimse.invoked.window, self.dimse.performed.window = invoked, performed
        evt.trigger(self, evt.EVT_ACCEPTED, {})
        if not self._accepted_cx:
            LOGGER.error("No accepted presentation contexts")
            self.dul.request(Event.EVT15, _core.Abort(*_PROVIDER_ABORT))
            self.is_aborted = True
            self._negotiated.set()
            return
        LOGGER.info("Association Accepted")
        self.is_established = True
        self._negotiated.set()
        evt.trigger(self, evt.EVT_ESTABLISHED, {})

    def _on_associate_rj(self, pdu: object | None) -> None:
        LOGGER.error("Association Rejected")
        if isinstance(pdu, _core.AssociateRj):
            LOGGER.error("Result: %s, Source: %s", *reject_text(pdu)[:2])
            LOGGER.error("Reason: %s", reject_text(pdu)[2])
            log_associate_rj(LOGGER, pdu, sent=False)
            self._acse_event(pdu, sent=False)
        self.is_rejected = True
        evt.trigger(self, evt.EVT_REJECTED, {})
        self._negotiated.set()

    def _on_release_rq(self, pdu: object | None) -> None:
        if self.dul.state is State.STA10:
            LOGGER.info("Association Released")
            return  # release collision, acceptor: we answer after the peer's RP (AR-10)
        # The requests the peer sent before its A-RELEASE-RQ are answered first (PS3.8
        # Sta8 may still send P-DATA): the reply waits until none is being performed.
        self.dimse.performed.when_idle(self._answer_release)

    def _answer_release(self) -> None:
        if self.dul.state is not State.STA8:
            return  # aborted, or the connection closed, while the requests finished
        LOGGER.info("Association Released")
        self.is_established = False
        self.is_released = True
        evt.trigger(self, evt.EVT_RELEASED, {})
        self.dul.request(Event.EVT14, _core.ReleaseRp())
        self._released.set()

    def _on_release_rp(self, pdu: object | None) -> None:
        if self.dul.state is State.STA12:
            self.dul.request(Event.EVT14, _core.ReleaseRp())  # AR-4 after a collision
        self.is_established = False
        self.is_released = True
        evt.trigger(self, evt.EVT_RELEASED, {})
        self._released.set()

    def _on_abort(self, pdu: object | None) -> None:
        if not self._negotiated.is_set():
            LOGGER.error("Association Aborted")
        else:
            LOGGER.info("Association Aborted")
        if isinstance(pdu, _core.Abort):
            log_abort(LOGGER, pdu.source, pdu.reason, sent=False)
        else:
            LOGGER.error("Association aborted by the service provider")
        self._aborted(tell=self.is_established or not self._negotiated.is_set())

    def _on_timed_out(self, pdu: object | None) -> None:
        """The connection aborted on an ACSE or network timeout (it logged which)."""
        LOGGER.info("Aborting Association")
        self._aborted(tell=self.is_established)

    def _aborted(self, *, tell: bool) -> None:
        """The association is aborted: wake every wait on it, and tell EVT_ABORTED's
        handlers if ``tell``."""
        self.is_aborted = True
        self.is_established = False
        self._negotiated.set()
        self._released.set()
        self.dimse.end()
        if tell:
            evt.trigger(self, evt.EVT_ABORTED, {})

    def _request_abort(self) -> bool:
        """A-ABORT (service-user source) for ``abort()``; False when it is too late."""
        if self.is_released or (self.is_aborted and self._ended.is_set()):
            return False
        was = self.is_established
        LOGGER.info("Aborting Association")
        # Aborted from the moment the peer can know it.
        self.is_aborted = True
        self.is_established = False
        self.dul.request(Event.EVT15, _core.Abort(*USER_ABORT))
        self._negotiated.set()
        # No response will come: wake our requests' waits (and a reading thread held
        # by responses nobody takes), rather than after the connection closes.
        self.dimse.invoked.end()
        if was:
            evt.trigger(self, evt.EVT_ABORTED, {})
        return True

    _INDICATIONS: ClassVar[dict[Indication, Callable[[AssociationCore, object | None], None]]] = {
        Indication.ASSOCIATE_RQ: _on_associate_rq,
        Indication.ASSOCIATE_AC: _on_associate_ac,
        Indication.ASSOCIATE_RJ: _on_associate_rj,
        Indication.RELEASE_RQ: _on_release_rq,
        Indication.RELEASE_RP: _on_release_rp,
        Indication.ABORT: _on_abort,
        Indication.P_ABORT: _on_abort,
        Indication.TIMED_OUT: _on_timed_out,
    }

    def serve_request(self, primitive: Any, context_id: int) -> None:
        """Serve a request in this thread (handlers called here) and answer it."""
        found = self._service_for(primitive, context_id)
        if found is not None:
            service, context = found
            service.SCP(primitive, context)

    def _service_for(
        self, primitive: Any, context_id: int
    ) -> tuple[ServiceClass, PresentationContext] | None:
        """The service class that answers ``primitive``, and its context; None (and
        an abort) for a message on a context never accepted."""
        context = self._accepted_cx.get(context_id)
        if context is None:
            LOGGER.error("Received a message on an unaccepted presentation context %d", context_id)
            self.abort()
            return None
        key = (context_id, type(primitive))
        service = self._services.get(key)
        if service is None:
            # One instance per context and service for the association's life: the
            # lookup (and pynetdicom's constructor) is not repeated per message.
            # Imported here: it loads pydicom, which an SCU that serves nothing never needs.
            from fastdimse.sop_class import uid_to_service_class

            service_class = uid_to_service_class(self._service_class_uid(primitive, context))
            service = self._services[key] = service_class(self)
        return service, context

    def _service_class_uid(self, primitive: Any, context: PresentationContext) -> str:
        """The UID that picks the service class: the context's SOP class, its
        service class when common extended negotiation named one, and any
        storage SOP class for a C-STORE under UNRESTRICTED_STORAGE_SERVICE."""
        if _config.UNRESTRICTED_STORAGE_SERVICE and isinstance(primitive, C_STORE):
            return _ANY_STORAGE_SOP_CLASS
        uid = str(context.abstract_syntax_str)
        if not self.acceptor._common_ext:  # the usual case: skip building the mapping
            return uid
        common = self.acceptor.accepted_common_extended.get(uid)
        return common[0] if common else uid

    def _associate_rq(self) -> _core.AssociateRq:
        """The A-ASSOCIATE-RQ to send as requestor, announced (log, events)."""
        rq = build_associate_rq(self.requestor, self.acceptor)
        LOGGER.info("Requesting Association")
        log_associate_rq(LOGGER, rq, sent=True)
        self._rq = rq
        self.requestor.primitive = primitive_of(rq)
        evt.trigger(self, evt.EVT_REQUESTED, {})
        self._observe_if_bound()
        self._acse_event(rq, sent=True)
        return rq

    # -- what a driver's association provides ----------------------------------

    def abort(self) -> None:
        raise NotImplementedError

    def start_request(self, request: Request, done: Callable[[], None]) -> None:
        """Perform a request from the peer (off the reading thread), then ``done()``."""
        raise NotImplementedError

    def _make_upper_layer(self) -> UpperLayerDriver:
        raise NotImplementedError
