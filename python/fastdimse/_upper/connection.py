"""One association's upper layer, sans-IO: bytes and time in, effects out.

``UpperLayerConnection`` owns the PS3.8 state machine (``fsm.StateMachine``),
the core's ``Receiver`` and the association's timers, and takes every protocol
decision the transport used to take: which received PDU is which state-machine
event, what a malformed PDU gets (Evt19's A-ABORT, or AE-6's A-ASSOCIATE-RJ),
when ARTIM, the ACSE timeout and the network timeout fire, and what the end of
the byte stream means. It opens no socket, starts no thread, reads no clock
and takes no lock: the caller (a driver, ``fastdimse._io``) passes the time in
with every call, executes the effects it gets back in order and serialises the
calls. Each call returns a list of:

- ``Write(data)``: bytes for the peer, in order.
- ``Deliver(kind, pdu)``: an indication for the service user (ACSE/DIMSE).
- ``Connect()``: open the transport connection, then call ``transport_open``
  (or ``transport_failed``).
- ``Disconnect()``: close the transport connection.
- ``Observe(data, sent)``: a PDU's bytes, only when observing was asked for.
- ``Transitioned(transition)``: a step of the state machine.

``next_deadline`` is the earliest moment at which ``expire`` has work to do;
a driver wakes then (or earlier: ``expire`` does nothing before time).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeAlias

from fastdimse import _config, _core

# A-ABORT (source, reason) of PS3.8 9.3.8 for what the connection itself aborts:
# a provider abort, reason not specified, when the peer goes quiet; a user abort
# when the ACSE timeout passes (the ACSE user gave up waiting); a provider abort
# for "unexpected PDU" when the core diagnosed nothing better.
from fastdimse._upper.codes import PROVIDER_ABORT as _NETWORK_TIMEOUT_ABORT
from fastdimse._upper.codes import UNEXPECTED_PDU_ABORT as _UNDIAGNOSED_ABORT
from fastdimse._upper.codes import USER_ABORT as _ACSE_TIMEOUT_ABORT
from fastdimse._upper.state_table import (
    TABLE,
    Action,
    Close,
    Connect,
    Event,
    Indicate,
    Indication,
    InvalidEventError,
    Marker,
    Send,
    State,
    StateMachine,
    Transition,
    classify_pdu,
)
from fastdimse.errors import AbortAnswer, DecodeError, RejectAnswer

__all__ = [
    "Connect",
    "DataSetRouter",
    "Deliver",
    "Disconnect",
    "Observe",
    "Output",
    "Transitioned",
    "UpperLayerConnection",
    "Write",
]

LOGGER = logging.getLogger("fastdimse.dul")


# Named tuples and a Marker, not frozen dataclasses: those cost about a
# millisecond each to define, at every start of every app.


class Write(NamedTuple):
    """Bytes for the peer: one PDU, or one message's run of P-DATA-TF PDUs."""

    data: bytes


class Deliver(NamedTuple):
    """An indication for the service user; ``pdu`` is the PDU (or message) behind it."""

    kind: Indication
    pdu: object | None = None


class Disconnect(Marker):
    """Close the transport connection (also when the peer closed it first)."""

    __slots__ = ()


class Observe(NamedTuple):
    """A PDU's bytes, ``sent`` by us or received: for EVT_PDU_*/EVT_DATA_* only."""

    data: bytes
    sent: bool


class Transitioned(NamedTuple):
    """The state machine took a step (for EVT_FSM_TRANSITION)."""

    transition: Transition


Output: TypeAlias = Write | Deliver | Connect | Disconnect | Observe | Transitioned

# Where a data set announced by the peer goes: a file descriptor the core
# writes it to as it arrives, or None for memory. Called when its command set
# has arrived, before any byte of the data set is taken.
DataSetRouter = Callable[[_core.DataSetStart], "int | None"]

# The states in which P-DATA carries DIMSE messages: a whole message is one
# event there; elsewhere every P-DATA-TF is an event (and refused).
_DATA_TRANSFER = frozenset({State.STA6, State.STA7})
# The states that wait for the peer's A-ASSOCIATE answer or A-RELEASE-RP: the
# ACSE timeout runs in them.
_AWAITING_ACSE = frozenset({State.STA5, State.STA7})
# No transport connection, or one we are only waiting to see closed.
_NO_NETWORK_TIMEOUT = frozenset({State.STA1, State.STA4, State.STA13})


class UpperLayerConnection:
    """The upper layer of one association as requestor or acceptor (see the module)."""

    def __init__(
        self,
        *,
        requestor: bool,
        local_max_pdu: int,
        artim_timeout: float | None,
        acse_timeout: float | None = None,
        network_timeout: float | None = None,
        observe: bool = False,
        data_sets: DataSetRouter | None = None,
    ) -> None:
        # ARTIM: pynetdicom uses the ACSE timeout for it; None means never.
        self._machine = StateMachine(
            requestor=requestor,
            artim_timeout=artim_timeout if artim_timeout is not None else float("inf"),
        )
        self.requestor = requestor
        # Whether to give ``Transitioned`` outputs (only EVT_FSM_TRANSITION wants them).
        self.report_transitions = True
        self.acse_timeout = acse_timeout
        self.network_timeout = network_timeout
        self._observe = observe
        self._data_sets = data_sets
        self._local_max_pdu = local_max_pdu
        self._receiver = self._new_receiver()
        self._report_pdata = True  # the receiver's, cached: a property of the core
        self._closed = False
        self._pending: deque[object] = deque()
        # A message being sent in parts, and the messages held until it is whole.
        self._streaming: object | None = None
        self._held: deque[bytes] = deque()
        self._last_rx = 0.0
        self._acse_since: float | None = None

    # -- state ----------------------------------------------------------------

    @property
    def state(self) -> State:
        return self._machine.state

    @property
    def closed(self) -> bool:
        """Whether the transport connection is closed (or never opened, after a failure)."""
        return self._closed

    @property
    def next_deadline(self) -> float | None:
        """When ``expire`` next has work: ARTIM, the ACSE or the network timeout."""
        candidates = [
            deadline
            for deadline in (self._artim(), self._acse_deadline(), self._network_deadline())
            if deadline is not None
        ]
        return min(candidates) if candidates else None

    def observe_pdus(self) -> None:
        """Report every PDU's bytes (``Observe``) from now on: for EVT_PDU_*/EVT_DATA_*.

        Call it before the connection carries anything: it replaces the
        receiver with one that keeps each PDU's bytes.
        """
        self._observe = True
        self._receiver = self._new_receiver()
        self._report_pdata = True

    def route_data_sets(self, router: DataSetRouter) -> None:
        """Ask ``router`` where each data set goes when its command set arrives
        (without it every data set is received into memory)."""
        self._data_sets = router

    # -- the transport --------------------------------------------------------

    def associate(self, rq: _core.AssociateRq, now: float) -> list[Output]:
        """A-ASSOCIATE request (Evt1): gives ``Connect()``; then ``transport_open``."""
        return self.request(Event.EVT1, rq, now)

    def transport_open(self, now: float) -> list[Output]:
        """The connection we opened is up (Evt2): the A-ASSOCIATE-RQ leaves."""
        self._last_rx = now
        return self._step(Event.EVT2, now)

    def transport_failed(self, now: float) -> list[Output]:
        """The connection could not be opened (Evt17 in Sta4: A-P-ABORT indication)."""
        self._closed = True
        return self._step(Event.EVT17, now)

    def transport_accepted(self, now: float) -> list[Output]:
        """A peer connected to us (Evt5): wait for its A-ASSOCIATE-RQ under ARTIM."""
        self._last_rx = now
        return self._step(Event.EVT5, now)

    def receive(self, data: bytes, now: float) -> list[Output]:
        """Bytes from the peer: the outputs of what they complete, up to the first
        indication; then ``poll`` for the rest while ``pending``.

        The service user answers each indication before the next PDU is taken
        (a second A-ASSOCIATE-RQ in the same read meets the AC already sent).
        """
        self._last_rx = now
        self._pull(self._receiver.feed, data)
        return self.poll(now)

    def read_socket(self, fd: int, now: float) -> bool | None:
        """For the threaded driver on plain TCP: the core reads the socket ``fd``
        itself, GIL released, and feeds what arrives until events are complete.

        Returns None when the peer closed the stream (then ``transport_closed``),
        else ``received`` takes what was read. Raises TimeoutError at
        ``next_deadline`` (then ``expire``) and OSError when the socket fails.
        The only call of the connection that may run outside the caller's lock:
        it touches nothing but the receiver, which has a lock of its own.
        """
        deadline = self.next_deadline
        timeout = None if deadline is None else max(0.0, deadline - now)
        # The network timeout counts from the last byte received, so the core
        # restarts it after each read; ARTIM and the ACSE timeout are fixed
        # deadlines, so under them the core returns after one read.
        fixed = self._artim() is not None or self._acse_deadline() is not None
        idle = None if self._network_deadline() is None else self.network_timeout
        return self._receiver.receive_from(fd, timeout, until_event=not fixed, idle_timeout=idle)

    def received(self, now: float) -> list[Output]:
        """After ``read_socket``: the outputs of what it read, as ``receive`` gives."""
        self._last_rx = now
        self._pull(lambda _: self._receiver.take_events(), None)
        return self.poll(now)

    @property
    def pending(self) -> bool:
        """Whether received events wait for ``poll``."""
        return bool(self._pending)

    @property
    def receiving(self) -> bool:
        """Whether anything the peer sent is not yet delivered: part of a PDU,
        a message begun and not complete, or events waiting for ``poll`` (or,
        read by ``read_socket``, for ``received``)."""
        receiver = self._receiver
        return (
            bool(self._pending)
            or receiver.events_pending
            or receiver.partial_pdu_pending
            or receiver.message_pending
        )

    def poll(self, now: float) -> list[Output]:
        """The outputs of the next received events, up to and including an indication.

        The receiver pauses after each ``DataSetStart`` until it is told where
        that data set goes; the destination is chosen when the start is taken
        here, in the state the earlier events left, and ``resume`` then goes on
        with the bytes the receiver kept.
        """
        out: list[Output] = []
        while self._pending:
            if self._closed:
                self._pending.clear()  # the rest of the stream no longer matters
                break
            item = self._pending.popleft()
            if isinstance(item, _core.DataSetStart):
                self._pull(self._receiver.resume, self._destination(item))
                continue
            produced = (
                self._malformed(item, now)
                if isinstance(item, DecodeError)
                else self._dispatch(item, now)
            )
            out += produced
            if any(isinstance(output, Deliver) for output in produced):
                break
        return out

    def transport_closed(self, now: float) -> list[Output]:
        """The byte stream ended (or broke): Evt17 unless already idle."""
        try:
            self._receiver.finish()
        except DecodeError as error:
            LOGGER.debug("Connection closed inside a PDU: %s", error)
        out = self._step(Event.EVT17, now) if self.state is not State.STA1 else []
        if not self._closed:
            self._closed = True
            out.append(Disconnect())
        return out

    # -- the service user -----------------------------------------------------

    def request(self, event: Event, pdu: object | None, now: float) -> list[Output]:
        """A local primitive (Evt1, 7, 8, 9, 11, 14, 15).

        Raises ``fsm.InvalidEventError`` when it cannot occur in the current
        state (PS3.8 leaves the cell blank), leaving everything as it was.
        """
        return self._step(event, now, pdu)

    def send_message(
        self, encoded: bytes, now: float, *, stream: object | None = None, last: bool = True
    ) -> list[Output]:
        """P-DATA request (Evt9): ``encoded`` is a run of P-DATA-TF PDUs of one message.

        A message sent in parts (a data set read from a file a few MiB at a
        time) names a ``stream`` token for each part and ``last=False`` until its
        final part. Fragments of different messages must not interleave (PS3.8
        E.1), so while such a message is under way any other message is held
        here and leaves right after its final part. A held message that can no
        longer be sent then (the association ended) is dropped.
        """
        if self._streaming is not None and stream is not self._streaming:
            self._machine_check(Event.EVT9)
            self._held.append(encoded)
            return []
        out = self._step(Event.EVT9, now, encoded)
        if stream is not None:
            self._streaming = None if last else stream
        if self._streaming is None:
            while self._held:
                held = self._held.popleft()
                try:
                    out += self._step(Event.EVT9, now, held)
                except InvalidEventError:
                    LOGGER.debug("A held message was not sent: the association ended")
                    self._held.clear()
        return out

    def _machine_check(self, event: Event) -> None:
        """Raise ``InvalidEventError`` now if ``event`` cannot occur in this state."""
        if TABLE[(self.state, event)] is Action.INVALID:
            raise InvalidEventError(f"{event.label} cannot occur in {self.state.label}")

    # -- time -----------------------------------------------------------------

    def expire(self, now: float) -> list[Output]:
        """Whatever timer has passed by ``now``: ARTIM (Evt18), or an A-ABORT when the
        ACSE timeout passed waiting for the peer's answer or the network went quiet."""
        artim = self._artim()
        if artim is not None and now >= artim:
            LOGGER.info("ARTIM timer expired")
            return self._run(self._machine.handle_timeout(now), now)
        acse = self._acse_deadline()
        if acse is not None and now >= acse:
            if self.state is State.STA5:
                LOGGER.error(
                    "ACSE timeout reached while waiting for response to association request"
                )
            else:
                LOGGER.error("ACSE timeout reached while waiting for the release response")
            return self._abort_on_timer(_core.Abort(*_ACSE_TIMEOUT_ABORT), now)
        network = self._network_deadline()
        if network is not None and now >= network:
            LOGGER.error("Network timeout reached")
            return self._abort_on_timer(_core.Abort(*_NETWORK_TIMEOUT_ABORT), now)
        return []

    def _abort_on_timer(self, abort: _core.Abort, now: float) -> list[Output]:
        """A-ABORT (Evt15) for the user, who is told with ``Indication.TIMED_OUT``."""
        return [*self._step(Event.EVT15, now, abort), Deliver(Indication.TIMED_OUT, abort)]

    def _artim(self) -> float | None:
        return None if self._closed else self._machine.artim_deadline

    def _acse_deadline(self) -> float | None:
        if self.acse_timeout is None or self._acse_since is None or self._closed:
            return None
        return self._acse_since + self.acse_timeout

    def _network_deadline(self) -> float | None:
        if self.network_timeout is None or self._closed or self.state in _NO_NETWORK_TIMEOUT:
            return None
        return self._last_rx + self.network_timeout

    # -- incoming -------------------------------------------------------------

    def _pull(self, call: Callable[[Any], Sequence[object]], arg: object) -> None:
        """Queue the events of ``call(arg)``; a decoding failure after those it completed."""
        try:
            events = call(arg)
        except DecodeError as error:
            self._pending.extend(error.events)
            self._pending.append(error)
            return
        self._pending.extend(events)

    def _destination(self, start: _core.DataSetStart) -> int | None:
        # Outside data transfer the message is refused anyway: memory, bounded by
        # what actually arrives before the close.
        if self._data_sets is None or self.state not in _DATA_TRANSFER:
            return None
        return self._data_sets(start)

    def _dispatch(self, item: object, now: float) -> list[Output]:
        if isinstance(item, _core.RawPdu):
            return [Observe(item.data, False)] if self._observe else []
        event = classify_pdu(item)
        if isinstance(item, _core.PDataTfHeader):
            # Only the state machine outside data transfer needs each P-DATA-TF
            # (Sta6/Sta7 treat them all alike), so a whole message is one event there.
            if self.state in _DATA_TRANSFER:
                return []
        elif isinstance(item, _core.Message) and self.state not in _DATA_TRANSFER:
            return []  # its P-DATA-TF was already the event
        return self._step(event, now, item)

    def _malformed(self, error: DecodeError, now: float) -> list[Output]:
        """A PDU the core could not decode: AE-6's reject for a broken A-ASSOCIATE-RQ
        the standard answers that way (e.g. protocol version), else Evt19."""
        answer = error.answer
        LOGGER.error("Malformed PDU from the peer: %s", error)
        if isinstance(answer, RejectAnswer) and self.state is State.STA2:
            reject = _core.AssociateRj(answer.result, answer.source, answer.reason)
            return self._run(self._machine.handle(Event.EVT6, now, None, reject=reject))
        if isinstance(answer, AbortAnswer):
            abort = _core.Abort(answer.source, answer.reason)
        else:
            abort = _core.Abort(*_UNDIAGNOSED_ABORT)
        return self._step(Event.EVT19, now, abort)

    # -- the state machine ----------------------------------------------------

    def _step(self, event: Event, now: float, pdu: object | None = None) -> list[Output]:
        return self._run(self._machine.handle(event, now, pdu), now)

    def _run(self, effects: Sequence[object], now: float | None = None) -> list[Output]:
        """The machine's effects as outputs, with the bookkeeping each state needs."""
        out: list[Output] = []
        transition = self._machine.last_transition
        if transition is not None:
            if self.report_transitions:
                out.append(Transitioned(transition))
            self._track_acse(transition, now)
        report = self.state not in _DATA_TRANSFER
        if self._report_pdata is not report:
            self._report_pdata = self._receiver.report_pdata = report
        for effect in effects:
            kind = type(effect)
            if kind is Send:
                pdu = effect.pdu  # type: ignore[attr-defined]
                data = pdu if type(pdu) is bytes else _encode(pdu)
                if self._closed:
                    continue
                if self._observe:
                    out.append(Observe(data, True))
                out.append(Write(data))
            elif kind is Indicate:
                out.append(Deliver(effect.kind, effect.pdu))  # type: ignore[attr-defined]
            elif kind is Close:
                if not self._closed:
                    self._closed = True
                    out.append(Disconnect())
            elif isinstance(effect, Connect):
                out.append(effect)
        return out

    def _new_receiver(self) -> _core.Receiver:
        return _core.Receiver(
            self._local_max_pdu,
            max_memory_data_set=_config.MAX_IN_MEMORY_DATA_SET,
            observe_pdus=self._observe,
            report_pdata=True,
            announce_data_sets=True,
        )

    def _track_acse(self, transition: Transition, now: float | None) -> None:
        if transition.next_state not in _AWAITING_ACSE:
            self._acse_since = None
        elif transition.state is not transition.next_state and now is not None:
            self._acse_since = now


def _encode(pdu: object) -> bytes:
    encode = getattr(pdu, "encode", None)
    if encode is None:
        raise TypeError(f"cannot send {type(pdu).__name__}")
    data = encode()
    if not isinstance(data, bytes):
        raise TypeError(f"{type(pdu).__name__}.encode() did not return bytes")
    return data
