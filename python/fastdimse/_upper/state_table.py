"""The DICOM Upper Layer state machine of PS3.8 section 9.2, sans-IO.

States Sta1..Sta13 (Tables 9-1..9-5), events Evt1..Evt19 and the state
transition table (Table 9-10), actions AE-1..AE-8, DT-1, DT-2, AR-1..AR-10 and
AA-1..AA-8 (Tables 9-6..9-9). ``TABLE`` is total: all 13 x 19 cells are
present; the cells the standard leaves blank map to ``Action.INVALID``.

The machine opens no socket, starts no thread and reads no clock. The caller
(the I/O layer) feeds it events with the current time, and executes the
effects it returns, in order:

- ``Connect()``: open the transport connection to the peer (AE-1).
- ``Send(pdu)``: write this PDU to the transport.
- ``Indicate(kind, pdu)``: tell the service user (ACSE/DIMSE) about something.
- ``Close()``: close the transport connection. Every transition to Sta1 from
  a state with a transport connection ends with ``Close()``, also when the
  peer closed first (Evt17): the I/O layer then releases its end of the
  socket; closing an already closed socket is harmless. So ``Close()`` is the
  one place where the I/O layer cleans up.

The ARTIM timer is a deadline (``artim_deadline``, absolute, in the caller's
clock); the caller calls ``handle_timeout(now)`` when it passes. The deadline
is set exactly while the machine is in Sta2 or Sta13.

A-ABORT PDUs the machine builds itself (PS3.8 9.3.8: source 0 = service-user,
2 = service-provider; provider reasons 0 = not specified, 1 = unrecognized
PDU, 2 = unexpected PDU):

- AA-1 (Evt15, A-ABORT request): the Abort the caller passes, else (0, 0).
- AA-1 (Sta2, a PDU other than A-ASSOCIATE-RQ or A-ABORT): (0, 0). The
  standard says "service-user source" for AA-1 and makes no exception for
  Sta2, so neither do we, even for Evt19.
- AA-8 (a PDU unexpected in this state): (2, 2), unexpected-PDU. For Evt19
  (unrecognized or invalid PDU), the Abort the caller passes (the core's
  default answer for that PDU), else (2, 0), reason not specified.
- AA-7 (Sta13): the same rule as AA-8 (the standard names no source).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import NamedTuple, TypeAlias

from fastdimse._core import (
    Abort,
    AssociateAc,
    AssociateRj,
    AssociateRq,
    DataSetStart,
    Message,
    PDataTf,
    PDataTfHeader,
    RawPdu,
    ReleaseRp,
    ReleaseRq,
)
from fastdimse._upper.codes import (
    ABORT_SOURCE_USER,
    PROVIDER_ABORT,
    UNEXPECTED_PDU_ABORT,
    USER_ABORT,
)

__all__ = [
    "TABLE",
    "Action",
    "Close",
    "Connect",
    "Effect",
    "Event",
    "Indicate",
    "Indication",
    "InvalidEventError",
    "Send",
    "State",
    "StateMachine",
    "Transition",
    "classify_pdu",
]

LOGGER = logging.getLogger("fastdimse.fsm")


class InvalidEventError(RuntimeError):
    """An event in a state where PS3.8 Table 9-10 leaves the cell blank.

    The event cannot happen in that state (a local primitive issued at the
    wrong time, or a transport event without a transport connection): it is
    the caller's bug, not the peer's. The machine is left unchanged.
    """


class State(enum.IntEnum):
    """The states of PS3.8 Tables 9-1..9-5."""

    # Table 9-1: no association
    STA1 = 1
    # Table 9-2: association establishment
    STA2 = 2
    STA3 = 3
    STA4 = 4
    STA5 = 5
    # Table 9-3: data transfer
    STA6 = 6
    # Table 9-4: association release
    STA7 = 7
    STA8 = 8
    STA9 = 9
    STA10 = 10
    STA11 = 11
    STA12 = 12
    # Table 9-5: waiting for transport connection close
    STA13 = 13

    @property
    def label(self) -> str:
        """The standard's name of the state, e.g. ``"Sta6"``."""
        return f"Sta{self.value}"

    @property
    def description(self) -> str:
        """The standard's definition of the state."""
        return _STATE_TEXT[self]


_STATE_TEXT: Mapping[State, str] = MappingProxyType(
    {
        State.STA1: "Idle",
        State.STA2: "Transport connection open (Awaiting A-ASSOCIATE-RQ PDU)",
        State.STA3: "Awaiting local A-ASSOCIATE response primitive (from local user)",
        State.STA4: (
            "Awaiting transport connection opening to complete (from local transport service)"
        ),
        State.STA5: "Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU",
        State.STA6: "Association established and ready for data transfer",
        State.STA7: "Awaiting A-RELEASE-RP PDU",
        State.STA8: "Awaiting local A-RELEASE response primitive (from local user)",
        State.STA9: (
            "Release collision requestor side; awaiting A-RELEASE response (from local user)"
        ),
        State.STA10: "Release collision acceptor side; awaiting A-RELEASE-RP PDU",
        State.STA11: "Release collision requestor side; awaiting A-RELEASE-RP PDU",
        State.STA12: (
            "Release collision acceptor side; awaiting A-RELEASE response primitive "
            "(from local user)"
        ),
        State.STA13: (
            "Awaiting Transport Connection Close Indication (Association no longer exists)"
        ),
    }
)


class Event(enum.IntEnum):
    """The events of PS3.8 Table 9-10 (its row headings)."""

    EVT1 = 1  # A-ASSOCIATE Request (local user)
    EVT2 = 2  # Transport Conn. Confirm (local transport service)
    EVT3 = 3  # A-ASSOCIATE-AC PDU (received on transport connection)
    EVT4 = 4  # A-ASSOCIATE-RJ PDU (received on transport connection)
    EVT5 = 5  # Transport Connection Indication (local transport service)
    EVT6 = 6  # A-ASSOCIATE-RQ PDU (received on transport connection)
    EVT7 = 7  # A-ASSOCIATE response primitive (accept)
    EVT8 = 8  # A-ASSOCIATE response primitive (reject)
    EVT9 = 9  # P-DATA request primitive
    EVT10 = 10  # P-DATA-TF PDU
    EVT11 = 11  # A-RELEASE Request primitive
    EVT12 = 12  # A-RELEASE-RQ PDU (received on open transport connection)
    EVT13 = 13  # A-RELEASE-RP PDU (received on transport connection)
    EVT14 = 14  # A-RELEASE Response primitive
    EVT15 = 15  # A-ABORT Request primitive
    EVT16 = 16  # A-ABORT PDU (received on open transport connection)
    EVT17 = 17  # Transport connection closed indication (local transport service)
    EVT18 = 18  # ARTIM timer expired (Association reject/release timer)
    EVT19 = 19  # Unrecognized or invalid PDU received

    @property
    def label(self) -> str:
        """The standard's name of the event, e.g. ``"Evt12"``."""
        return f"Evt{self.value}"

    @property
    def description(self) -> str:
        """The standard's wording of the event."""
        return _EVENT_TEXT[self]


_EVENT_TEXT: Mapping[Event, str] = MappingProxyType(
    {
        Event.EVT1: "A-ASSOCIATE Request (local user)",
        Event.EVT2: "Transport Conn. Confirm (local transport service)",
        Event.EVT3: "A-ASSOCIATE-AC PDU (received on transport connection)",
        Event.EVT4: "A-ASSOCIATE-RJ PDU (received on transport connection)",
        Event.EVT5: "Transport Connection Indication (local transport service)",
        Event.EVT6: "A-ASSOCIATE-RQ PDU (received on transport connection)",
        Event.EVT7: "A-ASSOCIATE response primitive (accept)",
        Event.EVT8: "A-ASSOCIATE response primitive (reject)",
        Event.EVT9: "P-DATA request primitive",
        Event.EVT10: "P-DATA-TF PDU",
        Event.EVT11: "A-RELEASE Request primitive",
        Event.EVT12: "A-RELEASE-RQ PDU (received on open transport connection)",
        Event.EVT13: "A-RELEASE-RP PDU (received on transport connection)",
        Event.EVT14: "A-RELEASE Response primitive",
        Event.EVT15: "A-ABORT Request primitive",
        Event.EVT16: "A-ABORT PDU (received on open transport connection)",
        Event.EVT17: "Transport connection closed indication (local transport service)",
        Event.EVT18: "ARTIM timer expired (Association reject/release timer)",
        Event.EVT19: "Unrecognized or invalid PDU received",
    }
)


class Action(enum.Enum):
    """The actions of PS3.8 Tables 9-6..9-9; the value is the standard's name."""

    # Table 9-6: association establishment related actions
    AE1 = "AE-1"
    AE2 = "AE-2"
    AE3 = "AE-3"
    AE4 = "AE-4"
    AE5 = "AE-5"
    AE6 = "AE-6"
    AE7 = "AE-7"
    AE8 = "AE-8"
    # Table 9-7: data transfer related actions
    DT1 = "DT-1"
    DT2 = "DT-2"
    # Table 9-8: association release related actions
    AR1 = "AR-1"
    AR2 = "AR-2"
    AR3 = "AR-3"
    AR4 = "AR-4"
    AR5 = "AR-5"
    AR6 = "AR-6"
    AR7 = "AR-7"
    AR8 = "AR-8"
    AR9 = "AR-9"
    AR10 = "AR-10"
    # Table 9-9: association abort related actions
    AA1 = "AA-1"
    AA2 = "AA-2"
    AA3 = "AA-3"
    AA4 = "AA-4"
    AA5 = "AA-5"
    AA6 = "AA-6"
    AA7 = "AA-7"
    AA8 = "AA-8"
    # Not in the standard: a blank cell of Table 9-10; handle() raises InvalidEventError
    INVALID = "blank"

    @property
    def description(self) -> str:
        """The standard's definition of the action, next state included."""
        return _ACTION_TEXT[self]


_ACTION_TEXT: Mapping[Action, str] = MappingProxyType(
    {
        Action.AE1: (
            "Issue TRANSPORT CONNECT request primitive to local transport service. "
            "Next state is Sta4"
        ),
        Action.AE2: "Send A-ASSOCIATE-RQ-PDU. Next state is Sta5",
        Action.AE3: "Issue A-ASSOCIATE confirmation (accept) primitive. Next state is Sta6",
        Action.AE4: (
            "Issue A-ASSOCIATE confirmation (reject) primitive and close transport "
            "connection. Next state is Sta1"
        ),
        Action.AE5: (
            "Issue Transport connection response primitive; start ARTIM timer. Next state is Sta2"
        ),
        Action.AE6: (
            "Stop ARTIM timer and if A-ASSOCIATE-RQ acceptable by service-provider: issue "
            "A-ASSOCIATE indication primitive, next state is Sta3; otherwise: issue "
            "A-ASSOCIATE-RJ-PDU and start ARTIM timer, next state is Sta13"
        ),
        Action.AE7: "Send A-ASSOCIATE-AC PDU. Next state is Sta6",
        Action.AE8: "Send A-ASSOCIATE-RJ PDU and start ARTIM timer. Next state is Sta13",
        Action.DT1: "Send P-DATA-TF PDU. Next state is Sta6",
        Action.DT2: "Send P-DATA indication primitive. Next state is Sta6",
        Action.AR1: "Send A-RELEASE-RQ PDU. Next state is Sta7",
        Action.AR2: "Issue A-RELEASE indication primitive. Next state is Sta8",
        Action.AR3: (
            "Issue A-RELEASE confirmation primitive, and close transport connection. "
            "Next state is Sta1"
        ),
        Action.AR4: "Issue A-RELEASE-RP PDU and start ARTIM timer. Next state is Sta13",
        Action.AR5: "Stop ARTIM timer. Next state is Sta1",
        Action.AR6: "Issue P-DATA indication. Next state is Sta7",
        Action.AR7: "Issue P-DATA-TF PDU. Next state is Sta8",
        Action.AR8: (
            "Issue A-RELEASE indication (release collision): if association-requestor, "
            "next state is Sta9; if not, next state is Sta10"
        ),
        Action.AR9: "Send A-RELEASE-RP PDU. Next state is Sta11",
        Action.AR10: "Issue A-RELEASE confirmation primitive. Next state is Sta12",
        Action.AA1: (
            "Send A-ABORT PDU (service-user source) and start (or restart if already "
            "started) ARTIM timer. Next state is Sta13"
        ),
        Action.AA2: "Stop ARTIM timer if running. Close transport connection. Next state is Sta1",
        Action.AA3: (
            "If (service-user initiated abort): issue A-ABORT indication and close transport "
            "connection; otherwise (service-provider initiated abort): issue A-P-ABORT "
            "indication and close transport connection. Next state is Sta1"
        ),
        Action.AA4: "Issue A-P-ABORT indication primitive. Next state is Sta1",
        Action.AA5: "Stop ARTIM timer. Next state is Sta1",
        Action.AA6: "Ignore PDU. Next state is Sta13",
        Action.AA7: "Send A-ABORT PDU. Next state is Sta13",
        Action.AA8: (
            "Send A-ABORT PDU (service-provider source), issue an A-P-ABORT indication, and "
            "start ARTIM timer. Next state is Sta13"
        ),
        Action.INVALID: "Blank cell of Table 9-10: the event cannot occur in this state",
    }
)


# PS3.8 Table 9-10, laid out as the standard prints it: one row per event,
# one column per state (Sta1 .. Sta13); `__` is a blank cell.
# fmt: off
_AE1, _AE2, _AE3, _AE4 = Action.AE1, Action.AE2, Action.AE3, Action.AE4
_AE5, _AE6, _AE7, _AE8 = Action.AE5, Action.AE6, Action.AE7, Action.AE8
_DT1, _DT2 = Action.DT1, Action.DT2
_AR1, _AR2, _AR3, _AR4, _AR5 = Action.AR1, Action.AR2, Action.AR3, Action.AR4, Action.AR5
_AR6, _AR7, _AR8, _AR9, _AR10 = Action.AR6, Action.AR7, Action.AR8, Action.AR9, Action.AR10
_AA1, _AA2, _AA3, _AA4 = Action.AA1, Action.AA2, Action.AA3, Action.AA4
_AA5, _AA6, _AA7, _AA8 = Action.AA5, Action.AA6, Action.AA7, Action.AA8
__ = Action.INVALID

_ROWS: dict[Event, tuple[Action, ...]] = {
    #             Sta1  Sta2  Sta3  Sta4  Sta5  Sta6  Sta7  Sta8  Sta9  Sta10  Sta11 Sta12 Sta13
    Event.EVT1:  (_AE1, __,   __,   __,   __,   __,   __,   __,   __,   __,    __,   __,   __),
    Event.EVT2:  (__,   __,   __,   _AE2, __,   __,   __,   __,   __,   __,    __,   __,   __),
    Event.EVT3:  (__,   _AA1, _AA8, __,   _AE3, _AA8, _AA8, _AA8, _AA8, _AA8,  _AA8, _AA8, _AA6),
    Event.EVT4:  (__,   _AA1, _AA8, __,   _AE4, _AA8, _AA8, _AA8, _AA8, _AA8,  _AA8, _AA8, _AA6),
    Event.EVT5:  (_AE5, __,   __,   __,   __,   __,   __,   __,   __,   __,    __,   __,   __),
    Event.EVT6:  (__,   _AE6, _AA8, __,   _AA8, _AA8, _AA8, _AA8, _AA8, _AA8,  _AA8, _AA8, _AA7),
    Event.EVT7:  (__,   __,   _AE7, __,   __,   __,   __,   __,   __,   __,    __,   __,   __),
    Event.EVT8:  (__,   __,   _AE8, __,   __,   __,   __,   __,   __,   __,    __,   __,   __),
    Event.EVT9:  (__,   __,   __,   __,   __,   _DT1, __,   _AR7, __,   __,    __,   __,   __),
    Event.EVT10: (__,   _AA1, _AA8, __,   _AA8, _DT2, _AR6, _AA8, _AA8, _AA8,  _AA8, _AA8, _AA6),
    Event.EVT11: (__,   __,   __,   __,   __,   _AR1, __,   __,   __,   __,    __,   __,   __),
    Event.EVT12: (__,   _AA1, _AA8, __,   _AA8, _AR2, _AR8, _AA8, _AA8, _AA8,  _AA8, _AA8, _AA6),
    Event.EVT13: (__,   _AA1, _AA8, __,   _AA8, _AA8, _AR3, _AA8, _AA8, _AR10, _AR3, _AA8, _AA6),
    Event.EVT14: (__,   __,   __,   __,   __,   __,   __,   _AR4, _AR9, __,    __,   _AR4, __),
    Event.EVT15: (__,   __,   _AA1, _AA2, _AA1, _AA1, _AA1, _AA1, _AA1, _AA1,  _AA1, _AA1, __),
    Event.EVT16: (__,   _AA2, _AA3, __,   _AA3, _AA3, _AA3, _AA3, _AA3, _AA3,  _AA3, _AA3, _AA2),
    Event.EVT17: (__,   _AA5, _AA4, _AA4, _AA4, _AA4, _AA4, _AA4, _AA4, _AA4,  _AA4, _AA4, _AR5),
    Event.EVT18: (__,   _AA2, __,   __,   __,   __,   __,   __,   __,   __,    __,   __,   _AA2),
    Event.EVT19: (__,   _AA1, _AA8, __,   _AA8, _AA8, _AA8, _AA8, _AA8, _AA8,  _AA8, _AA8, _AA7),
}
# fmt: on

TABLE: Mapping[tuple[State, Event], Action] = MappingProxyType(
    {(state, event): row[state - 1] for event, row in _ROWS.items() for state in State}
)
"""PS3.8 Table 9-10: ``TABLE[(state, event)]`` is the action; total over 13 x 19 cells."""

del _AE1, _AE2, _AE3, _AE4, _AE5, _AE6, _AE7, _AE8, _DT1, _DT2
del _AR1, _AR2, _AR3, _AR4, _AR5, _AR6, _AR7, _AR8, _AR9, _AR10
del _AA1, _AA2, _AA3, _AA4, _AA5, _AA6, _AA7, _AA8, __


class Indication(enum.Enum):
    """What an ``Indicate`` effect tells the service user (ACSE/DIMSE layer)."""

    # The transport connection is open: AE-2 (requestor, just before the
    # A-ASSOCIATE-RQ is sent) and AE-5 (acceptor). pdu is None.
    TRANSPORT_CONNECTED = enum.auto()
    # A-ASSOCIATE indication (AE-6, RQ acceptable): pdu is the AssociateRq.
    ASSOCIATE_RQ = enum.auto()
    # A-ASSOCIATE confirmation (accept) (AE-3): pdu is the AssociateAc.
    ASSOCIATE_AC = enum.auto()
    # A-ASSOCIATE confirmation (reject) (AE-4): pdu is the AssociateRj.
    ASSOCIATE_RJ = enum.auto()
    # P-DATA indication (DT-2, AR-6): pdu is what came with Evt10.
    P_DATA = enum.auto()
    # A-RELEASE indication (AR-2, and AR-8 in a release collision, when
    # StateMachine.collision is True): pdu is the ReleaseRq.
    RELEASE_RQ = enum.auto()
    # A-RELEASE confirmation (AR-3, AR-10): pdu is the ReleaseRp.
    RELEASE_RP = enum.auto()
    # A-ABORT indication (AA-3, source 0): pdu is the received Abort.
    ABORT = enum.auto()
    # A-P-ABORT indication: AA-3 (received Abort with a source other than 0;
    # pdu is that Abort), AA-8 (pdu is the Abort we sent, which carries the
    # provider reason), AA-4 (the transport closed under us; pdu is None).
    P_ABORT = enum.auto()
    # Not from Table 9-10: the connection's own ACSE or network timer expired
    # and it sent an A-ABORT (Evt15) on the user's behalf; pdu is that Abort.
    TIMED_OUT = enum.auto()


# The effects and Transition are named tuples and plain classes, not frozen dataclasses:
# those cost about a millisecond each to define, at every start of every app.


class Marker:
    """An effect without data: equal to any other of its class."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return True

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Connect(Marker):
    """Open the transport connection to the peer (AE-1)."""

    __slots__ = ()


class Send(NamedTuple):
    """Write this PDU to the transport (a core PDU object, or encoded P-DATA bytes)."""

    pdu: object


class Indicate(NamedTuple):
    """Tell the service user about ``kind``; ``pdu`` is the PDU behind it, if any."""

    kind: Indication
    pdu: object | None = None


class Close(Marker):
    """Close (or release, when the peer closed first) the transport connection."""

    __slots__ = ()


Effect: TypeAlias = Connect | Send | Indicate | Close


class Transition(NamedTuple):
    """One step of the machine, for logging and ``EVT_FSM_TRANSITION``."""

    state: State
    event: Event
    action: Action
    next_state: State


def classify_pdu(pdu: object) -> Event:
    """The event for a PDU (or P-DATA event) received from the core's ``Receiver``.

    ``Message``, ``DataSetStart``, ``PDataTfHeader`` and ``PDataTf`` are all
    P-DATA (Evt10). A ``RawPdu`` is only an observation of a PDU whose decoded
    form follows it, so it is refused (``TypeError``) rather than taken for an
    invalid PDU. Anything else is Evt19.
    """
    if isinstance(pdu, Message | DataSetStart | PDataTfHeader | PDataTf):
        return Event.EVT10
    if isinstance(pdu, AssociateRq):
        return Event.EVT6
    if isinstance(pdu, AssociateAc):
        return Event.EVT3
    if isinstance(pdu, AssociateRj):
        return Event.EVT4
    if isinstance(pdu, ReleaseRq):
        return Event.EVT12
    if isinstance(pdu, ReleaseRp):
        return Event.EVT13
    if isinstance(pdu, Abort):
        return Event.EVT16
    if isinstance(pdu, RawPdu):
        raise TypeError("a RawPdu observes a PDU; feed the decoded event that follows it")
    return Event.EVT19


class StateMachine:
    """One association's PS3.8 Upper Layer state machine, starting in Sta1.

    ``requestor`` is the association role (AR-8 needs it). ``artim_timeout``
    is the ARTIM duration in the caller's clock units (seconds).
    """

    def __init__(self, *, requestor: bool, artim_timeout: float) -> None:
        if artim_timeout < 0:
            raise ValueError(f"artim_timeout must not be negative, got {artim_timeout!r}")
        self.requestor = requestor
        self.artim_timeout = artim_timeout
        self._state = State.STA1
        self._artim_deadline: float | None = None
        self._associate_rq: object | None = None  # kept from Evt1 until AE-2 sends it
        self._last: Transition | None = None
        self._actions: dict[Action, Callable[[Event, float, object | None], list[Effect]]] = {
            Action.AE1: self._ae1,
            Action.AE2: self._ae2,
            Action.AE3: self._ae3,
            Action.AE4: self._ae4,
            Action.AE5: self._ae5,
            Action.AE7: self._ae7,
            Action.AE8: self._ae8,
            Action.DT1: self._dt1,
            Action.DT2: self._dt2,
            Action.AR1: self._ar1,
            Action.AR2: self._ar2,
            Action.AR3: self._ar3,
            Action.AR4: self._ar4,
            Action.AR5: self._ar5,
            Action.AR6: self._ar6,
            Action.AR7: self._ar7,
            Action.AR8: self._ar8,
            Action.AR9: self._ar9,
            Action.AR10: self._ar10,
            Action.AA1: self._aa1,
            Action.AA2: self._aa2,
            Action.AA3: self._aa3,
            Action.AA4: self._aa4,
            Action.AA5: self._aa5,
            Action.AA6: self._aa6,
            Action.AA7: self._aa7,
            Action.AA8: self._aa8,
        }

    @property
    def state(self) -> State:
        """The current state."""
        return self._state

    @property
    def artim_deadline(self) -> float | None:
        """When ARTIM expires (absolute, caller's clock), or None when it is stopped."""
        return self._artim_deadline

    @property
    def collision(self) -> bool:
        """Whether a release collision is under way (Sta9..Sta12).

        In a collision the acceptor (Sta10) must not answer the A-RELEASE
        indication until the RELEASE_RP indication has come (Sta12); the
        requestor (Sta9) answers at once.
        """
        return State.STA9 <= self._state <= State.STA12

    @property
    def last_transition(self) -> Transition | None:
        """The last transition made, or None before the first."""
        return self._last

    def handle(
        self, event: Event, now: float, pdu: object | None = None, *, reject: object | None = None
    ) -> list[Effect]:
        """Perform ``TABLE[(state, event)]``, move to the next state, return the effects.

        ``pdu``: for Evt1 the AssociateRq (kept and sent at AE-2, on Evt2);
        for Evt7/Evt8/Evt9 the AssociateAc/AssociateRj/P-DATA to send; for
        Evt11/Evt14 the ReleaseRq/ReleaseRp to send (default: a new one); for
        Evt15 the Abort to send (default: service-user source, reason 0); for
        Evt19 the Abort the core proposes; for received PDUs (Evt3, 4, 6,
        10, 12, 13, 16) the PDU, passed on in the indication.

        ``reject`` (Evt6 only): None when the service-provider accepts the
        A-ASSOCIATE-RQ (AE-6 issues the indication), else the AssociateRj
        to send (AE-6 sends it and starts ARTIM).

        Raises InvalidEventError (blank cell) or ValueError (a missing PDU)
        without changing anything.
        """
        action = TABLE[(self._state, event)]
        if action is Action.INVALID:
            raise InvalidEventError(
                f"{event.label} ({event.description}) cannot occur in {self._state.label} "
                f"({self._state.description})"
            )
        if reject is not None and event is not Event.EVT6:
            raise ValueError(f"reject is only for Evt6, not {event.label}")
        if pdu is None and event in _PDU_REQUIRED:
            raise ValueError(f"{event.label} ({event.description}) needs the PDU to send")
        before = self._state
        if action is Action.AE6:
            effects = self._ae6(pdu, reject, now)
        else:
            effects = self._actions[action](event, now, pdu)
        self._last = Transition(before, event, action, self._state)
        if LOGGER.isEnabledFor(logging.DEBUG):
            LOGGER.debug(
                "%s + %s -> %s -> %s",
                before.label,
                event.label,
                action.value,
                self._state.label,
            )
        return effects

    def handle_timeout(self, now: float) -> list[Effect]:
        """Evt18 (ARTIM timer expired) if ``now`` has reached the deadline, else ``[]``."""
        if self._artim_deadline is None or now < self._artim_deadline:
            return []
        return self.handle(Event.EVT18, now)

    # Timer and state helpers

    def _start_artim(self, now: float) -> None:
        # Start and restart are the same thing for a deadline.
        self._artim_deadline = now + self.artim_timeout

    def _to_idle(self) -> list[Effect]:
        # Every way back to Sta1 stops ARTIM and ends with Close().
        self._artim_deadline = None
        self._associate_rq = None
        self._state = State.STA1
        return [Close()]

    # Table 9-6: association establishment

    def _ae1(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        self._associate_rq = pdu
        self._state = State.STA4
        return [Connect()]

    def _ae2(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        rq, self._associate_rq = self._associate_rq, None
        self._state = State.STA5
        return [Indicate(Indication.TRANSPORT_CONNECTED), Send(rq)]

    def _ae3(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        self._state = State.STA6
        return [Indicate(Indication.ASSOCIATE_AC, pdu)]

    def _ae4(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        return [Indicate(Indication.ASSOCIATE_RJ, pdu), *self._to_idle()]

    def _ae5(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        self._start_artim(now)
        self._state = State.STA2
        return [Indicate(Indication.TRANSPORT_CONNECTED)]

    def _ae6(self, pdu: object | None, reject: object | None, now: float) -> list[Effect]:
        self._artim_deadline = None
        if reject is None:
            self._state = State.STA3
            return [Indicate(Indication.ASSOCIATE_RQ, pdu)]
        self._start_artim(now)
        self._state = State.STA13
        return [Send(reject)]

    def _ae7(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        self._state = State.STA6
        return [Send(pdu)]

    def _ae8(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        self._start_artim(now)
        self._state = State.STA13
        return [Send(pdu)]

    # Table 9-7: data transfer

    def _dt1(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        self._state = State.STA6
        return [Send(pdu)]

    def _dt2(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        self._state = State.STA6
        return [Indicate(Indication.P_DATA, pdu)]

    # Table 9-8: association release

    def _ar1(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        self._state = State.STA7
        return [Send(ReleaseRq() if pdu is None else pdu)]

    def _ar2(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        self._state = State.STA8
        return [Indicate(Indication.RELEASE_RQ, pdu)]

    def _ar3(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        return [Indicate(Indication.RELEASE_RP, pdu), *self._to_idle()]

    def _ar4(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        self._start_artim(now)
        self._state = State.STA13
        return [Send(ReleaseRp() if pdu is None else pdu)]

    def _ar5(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        return self._to_idle()

    def _ar6(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        self._state = State.STA7
        return [Indicate(Indication.P_DATA, pdu)]

    def _ar7(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        self._state = State.STA8
        return [Send(pdu)]

    def _ar8(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        self._state = State.STA9 if self.requestor else State.STA10
        return [Indicate(Indication.RELEASE_RQ, pdu)]

    def _ar9(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        self._state = State.STA11
        return [Send(ReleaseRp() if pdu is None else pdu)]

    def _ar10(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        self._state = State.STA12
        return [Indicate(Indication.RELEASE_RP, pdu)]

    # Table 9-9: association abort

    def _aa1(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        # Only Evt15 carries the user's own Abort; in Sta2 the standard's
        # AA-1 is service-user source whatever PDU arrived.
        if event is Event.EVT15 and pdu is not None:
            abort = pdu
        else:
            abort = Abort(*USER_ABORT)
        self._start_artim(now)
        self._state = State.STA13
        return [Send(abort)]

    def _aa2(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        return self._to_idle()

    def _aa3(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        by_user = isinstance(pdu, Abort) and pdu.source == ABORT_SOURCE_USER
        kind = Indication.ABORT if by_user else Indication.P_ABORT
        return [Indicate(kind, pdu), *self._to_idle()]

    def _aa4(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        return [Indicate(Indication.P_ABORT), *self._to_idle()]

    def _aa5(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        return self._to_idle()

    def _aa6(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        return []

    def _aa7(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        return [Send(_provider_abort(event, pdu))]

    def _aa8(self, event: Event, now: float, pdu: object | None) -> list[Effect]:
        abort = _provider_abort(event, pdu)
        self._start_artim(now)
        self._state = State.STA13
        return [Send(abort), Indicate(Indication.P_ABORT, abort)]


# Local primitives that only make sense with the PDU they send.
_PDU_REQUIRED = frozenset({Event.EVT1, Event.EVT7, Event.EVT8, Event.EVT9})


def _provider_abort(event: Event, pdu: object | None) -> object:
    """The A-ABORT (service-provider source) answering a PDU in AA-7 or AA-8."""
    if event is Event.EVT19:
        # The caller's Abort is the core's diagnosis of the invalid PDU.
        return Abort(*PROVIDER_ABORT) if pdu is None else pdu
    return Abort(*UNEXPECTED_PDU_ABORT)
