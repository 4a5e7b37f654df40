"""What the state table tests (tests/test_state_table_*.py) share: PS3.8 Table 9-10 transcribed
independently of fastdimse.fsm, the payload of each event, and machines driven to each state
by legal events.
"""

from __future__ import annotations

import pytest

from fastdimse._core import (
    Abort,
    AssociateAc,
    AssociateRj,
    AssociateRq,
    CommandSet,
    MaximumLength,
    Message,
    PresentationContextAc,
    PresentationContextRq,
    ReleaseRp,
    ReleaseRq,
    encode_command_set,
    fragment_message,
)
from fastdimse.fsm import (
    Close,
    Connect,
    Effect,
    Event,
    Indicate,
    Indication,
    Send,
    State,
    StateMachine,
)

ARTIM = 30.0
VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT_LE = "1.2.840.10008.1.2"

# PS3.8 Table 9-10, transcribed from the standard (rows: events; columns: states
# Sta1..Sta13; "." is a blank cell). Independent of the module's own layout.
EXPECTED_TABLE_TEXT = """
       Sta1 Sta2 Sta3 Sta4 Sta5 Sta6 Sta7 Sta8 Sta9 Sta10 Sta11 Sta12 Sta13
Evt1   AE-1 .    .    .    .    .    .    .    .    .     .     .     .
Evt2   .    .    .    AE-2 .    .    .    .    .    .     .     .     .
Evt3   .    AA-1 AA-8 .    AE-3 AA-8 AA-8 AA-8 AA-8 AA-8  AA-8  AA-8  AA-6
Evt4   .    AA-1 AA-8 .    AE-4 AA-8 AA-8 AA-8 AA-8 AA-8  AA-8  AA-8  AA-6
Evt5   AE-5 .    .    .    .    .    .    .    .    .     .     .     .
Evt6   .    AE-6 AA-8 .    AA-8 AA-8 AA-8 AA-8 AA-8 AA-8  AA-8  AA-8  AA-7
Evt7   .    .    AE-7 .    .    .    .    .    .    .     .     .     .
Evt8   .    .    AE-8 .    .    .    .    .    .    .     .     .     .
Evt9   .    .    .    .    .    DT-1 .    AR-7 .    .     .     .     .
Evt10  .    AA-1 AA-8 .    AA-8 DT-2 AR-6 AA-8 AA-8 AA-8  AA-8  AA-8  AA-6
Evt11  .    .    .    .    .    AR-1 .    .    .    .     .     .     .
Evt12  .    AA-1 AA-8 .    AA-8 AR-2 AR-8 AA-8 AA-8 AA-8  AA-8  AA-8  AA-6
Evt13  .    AA-1 AA-8 .    AA-8 AA-8 AR-3 AA-8 AA-8 AR-10 AR-3  AA-8  AA-6
Evt14  .    .    .    .    .    .    .    AR-4 AR-9 .     .     AR-4  .
Evt15  .    .    AA-1 AA-2 AA-1 AA-1 AA-1 AA-1 AA-1 AA-1  AA-1  AA-1  .
Evt16  .    AA-2 AA-3 .    AA-3 AA-3 AA-3 AA-3 AA-3 AA-3  AA-3  AA-3  AA-2
Evt17  .    AA-5 AA-4 AA-4 AA-4 AA-4 AA-4 AA-4 AA-4 AA-4  AA-4  AA-4  AR-5
Evt18  .    AA-2 .    .    .    .    .    .    .    .     .     .     AA-2
Evt19  .    AA-1 AA-8 .    AA-8 AA-8 AA-8 AA-8 AA-8 AA-8  AA-8  AA-8  AA-7
"""


def parse_expected_table() -> dict[tuple[int, int], str | None]:
    lines = [line.split() for line in EXPECTED_TABLE_TEXT.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    states = [int(name.removeprefix("Sta")) for name in header]
    cells: dict[tuple[int, int], str | None] = {}
    for row in rows:
        event = int(row[0].removeprefix("Evt"))
        for state, cell in zip(states, row[1:], strict=True):
            cells[(state, event)] = None if cell == "." else cell
    return cells


EXPECTED = parse_expected_table()

# Actions that start (or restart) ARTIM, and the states where it may run.
STARTS_ARTIM = {"AE-5", "AE-8", "AR-4", "AA-1", "AA-8"}
KEEPS_ARTIM = {"AA-6", "AA-7"}


# Real core PDUs used as event payloads.


def make_rq() -> AssociateRq:
    return AssociateRq(
        "ANY-SCP",
        "ECHOSCU",
        [PresentationContextRq(1, VERIFICATION, [IMPLICIT_LE])],
        [MaximumLength(16382)],
    )


def make_ac() -> AssociateAc:
    return AssociateAc(
        "ANY-SCP",
        "ECHOSCU",
        [PresentationContextAc(1, 0, IMPLICIT_LE)],
        [MaximumLength(16382)],
    )


ECHO_RQ = CommandSet(0x0030, affected_sop_class_uid=VERIFICATION, message_id=1)
RQ = make_rq()
AC = make_ac()
RJ = AssociateRj(1, 1, 7)  # rejected-permanent, service-user, called AE title not recognized
PDATA = fragment_message(16382, 1, encode_command_set(ECHO_RQ))  # encoded P-DATA-TF bytes
MSG = Message(1, ECHO_RQ)
REL_RQ = ReleaseRq()
REL_RP = ReleaseRp()
USER_ABORT = Abort(0, 0)
CORE_ABORT = Abort(2, 6)  # what the core proposes for an invalid PDU parameter value

# The payload each event carries in the cell tests.
INPUT: dict[Event, object | None] = {
    Event.EVT1: RQ,
    Event.EVT2: None,
    Event.EVT3: AC,
    Event.EVT4: RJ,
    Event.EVT5: None,
    Event.EVT6: RQ,
    Event.EVT7: AC,
    Event.EVT8: RJ,
    Event.EVT9: PDATA,
    Event.EVT10: MSG,
    Event.EVT11: REL_RQ,
    Event.EVT12: REL_RQ,
    Event.EVT13: REL_RP,
    Event.EVT14: REL_RP,
    Event.EVT15: USER_ABORT,
    Event.EVT16: USER_ABORT,
    Event.EVT17: None,
    Event.EVT18: None,
    Event.EVT19: CORE_ABORT,
}

# Legal paths from Sta1 to each state, and the role(s) in which the state exists.
PATHS: dict[State, list[Event]] = {
    State.STA1: [],
    State.STA2: [Event.EVT5],
    State.STA3: [Event.EVT5, Event.EVT6],
    State.STA4: [Event.EVT1],
    State.STA5: [Event.EVT1, Event.EVT2],
    State.STA6: [Event.EVT1, Event.EVT2, Event.EVT3],
    State.STA7: [Event.EVT1, Event.EVT2, Event.EVT3, Event.EVT11],
    State.STA8: [Event.EVT1, Event.EVT2, Event.EVT3, Event.EVT12],
    State.STA9: [Event.EVT1, Event.EVT2, Event.EVT3, Event.EVT11, Event.EVT12],
    State.STA10: [Event.EVT5, Event.EVT6, Event.EVT7, Event.EVT11, Event.EVT12],
    State.STA11: [Event.EVT1, Event.EVT2, Event.EVT3, Event.EVT11, Event.EVT12, Event.EVT14],
    State.STA12: [Event.EVT5, Event.EVT6, Event.EVT7, Event.EVT11, Event.EVT12, Event.EVT13],
    State.STA13: [Event.EVT1, Event.EVT2, Event.EVT3, Event.EVT15],
}
ACCEPTOR_PATHS: dict[State, list[Event]] = {
    State.STA6: [Event.EVT5, Event.EVT6, Event.EVT7],
    State.STA7: [Event.EVT5, Event.EVT6, Event.EVT7, Event.EVT11],
    State.STA8: [Event.EVT5, Event.EVT6, Event.EVT7, Event.EVT12],
    State.STA13: [Event.EVT5, Event.EVT6, Event.EVT8],
}
ROLE_OF = {State.STA2: False, State.STA3: False, State.STA10: False, State.STA12: False}


def drive(state: State, *, requestor: bool, now: float = 0.0) -> StateMachine:
    """A fresh machine taken to ``state`` by legal events, one second apart."""
    machine = StateMachine(requestor=requestor, artim_timeout=ARTIM)
    path = PATHS[state]
    if not requestor and state in ACCEPTOR_PATHS:
        path = ACCEPTOR_PATHS[state]
    for i, event in enumerate(path):
        machine.handle(event, now + i, INPUT[event])
    assert machine.state is state
    return machine


def roles_for(state: State) -> list[bool]:
    if state in ROLE_OF:
        return [ROLE_OF[state]]
    if state in (State.STA4, State.STA5, State.STA9, State.STA11):
        return [True]
    return [True, False]


def expected_outcome(
    action: str, event: Event, requestor: bool, pdu: object | None
) -> tuple[State, list[Effect]]:
    """Next state and effects of each action, written from PS3.8 Tables 9-6..9-9."""
    provider_abort = (
        CORE_ABORT if event is Event.EVT19 else Abort(2, 2)  # unexpected-PDU
    )
    close: list[Effect] = [Close()]
    outcomes: dict[str, tuple[State, list[Effect]]] = {
        "AE-1": (State.STA4, [Connect()]),
        "AE-2": (State.STA5, [Indicate(Indication.TRANSPORT_CONNECTED), Send(RQ)]),
        "AE-3": (State.STA6, [Indicate(Indication.ASSOCIATE_AC, pdu)]),
        "AE-4": (State.STA1, [Indicate(Indication.ASSOCIATE_RJ, pdu), *close]),
        "AE-5": (State.STA2, [Indicate(Indication.TRANSPORT_CONNECTED)]),
        "AE-6": (State.STA3, [Indicate(Indication.ASSOCIATE_RQ, pdu)]),
        "AE-7": (State.STA6, [Send(pdu)]),
        "AE-8": (State.STA13, [Send(pdu)]),
        "DT-1": (State.STA6, [Send(pdu)]),
        "DT-2": (State.STA6, [Indicate(Indication.P_DATA, pdu)]),
        "AR-1": (State.STA7, [Send(pdu)]),
        "AR-2": (State.STA8, [Indicate(Indication.RELEASE_RQ, pdu)]),
        "AR-3": (State.STA1, [Indicate(Indication.RELEASE_RP, pdu), *close]),
        "AR-4": (State.STA13, [Send(pdu)]),
        "AR-5": (State.STA1, close),
        "AR-6": (State.STA7, [Indicate(Indication.P_DATA, pdu)]),
        "AR-7": (State.STA8, [Send(pdu)]),
        "AR-8": (
            State.STA9 if requestor else State.STA10,
            [Indicate(Indication.RELEASE_RQ, pdu)],
        ),
        "AR-9": (State.STA11, [Send(pdu)]),
        "AR-10": (State.STA12, [Indicate(Indication.RELEASE_RP, pdu)]),
        "AA-1": (State.STA13, [Send(pdu if event is Event.EVT15 else Abort(0, 0))]),
        "AA-2": (State.STA1, close),
        # INPUT[EVT16] is a service-user abort: A-ABORT indication
        "AA-3": (State.STA1, [Indicate(Indication.ABORT, pdu), *close]),
        "AA-4": (State.STA1, [Indicate(Indication.P_ABORT), *close]),
        "AA-5": (State.STA1, close),
        "AA-6": (State.STA13, []),
        "AA-7": (State.STA13, [Send(provider_abort)]),
        "AA-8": (
            State.STA13,
            [Send(provider_abort), Indicate(Indication.P_ABORT, provider_abort)],
        ),
    }
    return outcomes[action]


CELLS = [
    pytest.param(
        state, event, requestor, id=f"{state.label}-{event.label}-{'rq' if requestor else 'ac'}"
    )
    for state in State
    for event in Event
    for requestor in roles_for(state)
]
