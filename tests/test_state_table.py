"""The PS3.8 Upper Layer state machine (fastdimse.fsm), driven without sockets or sleeps.

1. The table against an independent transcription of PS3.8 Table 9-10.
2. Every one of the 13 x 19 cells executed on a machine driven to its state by
   legal events, effects and next state checked against the action tables.
3. Two machines (requestor and acceptor) wired back to back through the real
   core (PDUs encoded, then decoded by a core Receiver) in simulated time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from fastdimse._core import (
    Abort,
    AssociateAc,
    AssociateRj,
    AssociateRq,
    CommandSet,
    DataSetStart,
    MaximumLength,
    Message,
    PDataTf,
    PDataTfHeader,
    Pdv,
    PresentationContextAc,
    PresentationContextRq,
    RawPdu,
    Receiver,
    ReleaseRp,
    ReleaseRq,
    encode_command_set,
    encode_pdu,
    fragment_message,
)
from fastdimse.fsm import (
    TABLE,
    Action,
    Close,
    Connect,
    Effect,
    Event,
    Indicate,
    Indication,
    InvalidEventError,
    Send,
    State,
    StateMachine,
    Transition,
    classify_pdu,
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


# 1. The table


def test_table_is_total() -> None:
    assert set(TABLE) == {(s, e) for s in State for e in Event}
    assert len(TABLE) == 13 * 19
    assert len(EXPECTED) == 13 * 19


def test_table_matches_the_standard_cell_by_cell() -> None:
    mismatches = []
    for (state, event), action in TABLE.items():
        want = EXPECTED[(state.value, event.value)]
        got = None if action is Action.INVALID else action.value
        if got != want:
            mismatches.append((state.label, event.label, got, want))
    assert mismatches == []


def test_defined_cells_count() -> None:
    # 123 non-blank cells in PS3.8 Table 9-10
    assert sum(action is not Action.INVALID for action in TABLE.values()) == 123


def test_every_action_is_used() -> None:
    assert set(TABLE.values()) == set(Action)


def test_enums_name_the_standard() -> None:
    assert [s.label for s in State] == [f"Sta{i}" for i in range(1, 14)]
    assert [e.label for e in Event] == [f"Evt{i}" for i in range(1, 20)]
    assert State.STA13.description.startswith("Awaiting Transport Connection Close")
    assert State.STA9.description.startswith("Release collision requestor side")
    assert Event.EVT18.description.startswith("ARTIM timer expired")
    assert Event.EVT19.description == "Unrecognized or invalid PDU received"
    assert Action.AA6.value == "AA-6"
    assert Action.AA6.description.startswith("Ignore PDU")
    assert "service-provider source" in Action.AA8.description
    assert "service-user source" in Action.AA1.description
    for member in [*State, *Event, *Action]:
        assert member.description


# 2. Every cell


@pytest.mark.parametrize(("state", "event", "requestor"), CELLS)
def test_cell(state: State, event: Event, requestor: bool) -> None:
    machine = drive(state, requestor=requestor)
    deadline_before = machine.artim_deadline
    last_before = machine.last_transition
    want = EXPECTED[(state.value, event.value)]
    now = 100.0
    pdu = INPUT[event]

    if want is None:
        with pytest.raises(InvalidEventError, match=f"{event.label} .* {state.label}"):
            machine.handle(event, now, pdu)
        assert machine.state is state
        assert machine.artim_deadline == deadline_before
        assert machine.last_transition is last_before
        return

    effects = machine.handle(event, now, pdu)
    next_state, want_effects = expected_outcome(want, event, requestor, pdu)
    assert effects == want_effects
    assert machine.state is next_state
    assert machine.last_transition == Transition(state, event, Action(want), next_state)

    # ARTIM runs exactly in Sta2 and Sta13; AA-6/AA-7 leave it as it was.
    if want in STARTS_ARTIM:
        assert machine.artim_deadline == now + ARTIM
    elif want in KEEPS_ARTIM:
        assert machine.artim_deadline == deadline_before
    else:
        assert machine.artim_deadline is None
    assert (machine.artim_deadline is not None) == (machine.state in (State.STA2, State.STA13))

    # Every way back to Sta1 ends with Close(), and only those.
    assert (machine.state is State.STA1) == (effects[-1:] == [Close()])
    assert machine.collision == (State.STA9 <= machine.state <= State.STA12)


# Targeted semantics


def test_ae1_keeps_the_rq_and_ae2_sends_that_object() -> None:
    rq = make_rq()
    machine = StateMachine(requestor=True, artim_timeout=ARTIM)
    assert machine.handle(Event.EVT1, 0.0, rq) == [Connect()]
    effects = machine.handle(Event.EVT2, 1.0)
    assert isinstance(effects[-1], Send)
    assert effects[-1].pdu is rq
    assert machine.state is State.STA5
    assert machine.artim_deadline is None


def test_ae5_starts_artim_and_ae6_accept_stops_it() -> None:
    machine = StateMachine(requestor=False, artim_timeout=ARTIM)
    machine.handle(Event.EVT5, 10.0)
    assert machine.artim_deadline == 10.0 + ARTIM
    effects = machine.handle(Event.EVT6, 12.0, RQ)
    assert effects == [Indicate(Indication.ASSOCIATE_RQ, RQ)]
    assert isinstance(effects[0], Indicate)
    assert effects[0].pdu is RQ
    assert machine.state is State.STA3
    assert machine.artim_deadline is None


def test_ae6_reject_sends_the_rj_and_restarts_artim() -> None:
    machine = StateMachine(requestor=False, artim_timeout=ARTIM)
    machine.handle(Event.EVT5, 10.0)
    rj = AssociateRj(2, 3, 2)  # transient, provider (presentation), local limit exceeded
    effects = machine.handle(Event.EVT6, 12.0, RQ, reject=rj)
    assert effects == [Send(rj)]
    assert machine.state is State.STA13
    assert machine.artim_deadline == 12.0 + ARTIM
    assert machine.last_transition == Transition(State.STA2, Event.EVT6, Action.AE6, State.STA13)
    # The peer closes after reading the RJ: AR-5
    assert machine.handle(Event.EVT17, 13.0) == [Close()]
    assert machine.state is State.STA1
    assert machine.artim_deadline is None


def test_reject_is_only_for_evt6() -> None:
    machine = drive(State.STA3, requestor=False)
    with pytest.raises(ValueError, match="Evt8"):
        machine.handle(Event.EVT8, 5.0, RJ, reject=RJ)
    assert machine.state is State.STA3


@pytest.mark.parametrize("event", [Event.EVT1, Event.EVT7, Event.EVT8, Event.EVT9])
def test_primitives_that_send_need_their_pdu(event: Event) -> None:
    state = {
        Event.EVT1: State.STA1,
        Event.EVT7: State.STA3,
        Event.EVT8: State.STA3,
        Event.EVT9: State.STA6,
    }[event]
    machine = drive(state, requestor=not state == State.STA3)
    with pytest.raises(ValueError, match=event.label):
        machine.handle(event, 50.0)
    assert machine.state is state


def test_release_and_abort_primitives_build_default_pdus() -> None:
    machine = drive(State.STA6, requestor=True)
    assert machine.handle(Event.EVT11, 5.0) == [Send(ReleaseRq())]
    machine = drive(State.STA8, requestor=False)
    assert machine.handle(Event.EVT14, 5.0) == [Send(ReleaseRp())]
    machine = drive(State.STA9, requestor=True)
    assert machine.handle(Event.EVT14, 5.0) == [Send(ReleaseRp())]
    assert machine.state is State.STA11
    machine = drive(State.STA6, requestor=False)
    assert machine.handle(Event.EVT15, 5.0) == [Send(Abort(0, 0))]


def test_aa1_sends_the_users_own_abort_object() -> None:
    machine = drive(State.STA6, requestor=True)
    mine = Abort(0, 0)
    effects = machine.handle(Event.EVT15, 5.0, mine)
    assert isinstance(effects[0], Send)
    assert effects[0].pdu is mine


@pytest.mark.parametrize(
    "event", [Event.EVT3, Event.EVT4, Event.EVT10, Event.EVT12, Event.EVT13, Event.EVT19]
)
def test_aa1_in_sta2_is_service_user_source_and_restarts_artim(event: Event) -> None:
    machine = StateMachine(requestor=False, artim_timeout=ARTIM)
    machine.handle(Event.EVT5, 0.0)
    assert machine.artim_deadline == ARTIM
    # Even for Evt19 the standard's AA-1 is service-user source: the core's
    # provider abort is not used.
    assert machine.handle(event, 7.0, INPUT[event]) == [Send(Abort(0, 0))]
    assert machine.state is State.STA13
    assert machine.artim_deadline == 7.0 + ARTIM


def test_aa2_in_sta4_closes_the_pending_connection() -> None:
    machine = drive(State.STA4, requestor=True)
    assert machine.handle(Event.EVT15, 1.0, USER_ABORT) == [Close()]
    assert machine.state is State.STA1


def test_aa2_on_abort_in_sta2_and_sta13_without_indication() -> None:
    machine = drive(State.STA2, requestor=False)
    assert machine.handle(Event.EVT16, 1.0, USER_ABORT) == [Close()]
    assert machine.artim_deadline is None
    machine = drive(State.STA13, requestor=True)
    assert machine.artim_deadline is not None
    assert machine.handle(Event.EVT16, 9.0, Abort(2, 0)) == [Close()]
    assert machine.state is State.STA1
    assert machine.artim_deadline is None


@pytest.mark.parametrize(
    ("abort", "kind"),
    [
        (Abort(0, 0), Indication.ABORT),
        (Abort(2, 0), Indication.P_ABORT),
        (Abort(2, 2), Indication.P_ABORT),
        (Abort(2, 6), Indication.P_ABORT),
    ],
)
def test_aa3_tells_user_abort_from_provider_abort(abort: Abort, kind: Indication) -> None:
    machine = drive(State.STA6, requestor=True)
    effects = machine.handle(Event.EVT16, 5.0, abort)
    assert effects == [Indicate(kind, abort), Close()]
    assert machine.state is State.STA1


def test_aa4_transport_closed_under_us() -> None:
    machine = drive(State.STA7, requestor=True)
    assert machine.handle(Event.EVT17, 5.0) == [Indicate(Indication.P_ABORT, None), Close()]
    assert machine.state is State.STA1


def test_aa5_transport_closed_before_any_rq() -> None:
    machine = drive(State.STA2, requestor=False)
    assert machine.handle(Event.EVT17, 5.0) == [Close()]
    assert machine.artim_deadline is None


@pytest.mark.parametrize("event", [Event.EVT3, Event.EVT4, Event.EVT10, Event.EVT12, Event.EVT13])
def test_aa6_ignores_pdus_in_sta13_without_touching_artim(event: Event) -> None:
    machine = drive(State.STA13, requestor=True)
    deadline = machine.artim_deadline
    assert machine.handle(event, 20.0, INPUT[event]) == []
    assert machine.state is State.STA13
    assert machine.artim_deadline == deadline


def test_aa7_answers_rq_and_invalid_pdu_in_sta13() -> None:
    machine = drive(State.STA13, requestor=False)
    deadline = machine.artim_deadline
    assert machine.handle(Event.EVT6, 20.0, RQ) == [Send(Abort(2, 2))]
    assert machine.handle(Event.EVT19, 21.0, CORE_ABORT) == [Send(CORE_ABORT)]
    assert machine.handle(Event.EVT19, 22.0) == [Send(Abort(2, 0))]
    assert machine.state is State.STA13
    assert machine.artim_deadline == deadline


def test_aa8_unexpected_pdu_and_invalid_pdu() -> None:
    machine = drive(State.STA6, requestor=True)
    effects = machine.handle(Event.EVT6, 5.0, RQ)
    assert effects == [Send(Abort(2, 2)), Indicate(Indication.P_ABORT, Abort(2, 2))]
    assert machine.artim_deadline == 5.0 + ARTIM

    machine = drive(State.STA6, requestor=True)
    effects = machine.handle(Event.EVT19, 5.0, CORE_ABORT)
    assert isinstance(effects[0], Send)
    assert effects[0].pdu is CORE_ABORT

    machine = drive(State.STA8, requestor=False)
    effects = machine.handle(Event.EVT19, 5.0)
    assert effects == [Send(Abort(2, 0)), Indicate(Indication.P_ABORT, Abort(2, 0))]
    assert machine.state is State.STA13


def test_ar4_then_peer_close_then_ar5() -> None:
    machine = drive(State.STA8, requestor=False)
    assert machine.handle(Event.EVT14, 5.0, REL_RP) == [Send(REL_RP)]
    assert machine.state is State.STA13
    assert machine.artim_deadline == 5.0 + ARTIM
    assert machine.handle(Event.EVT17, 6.0) == [Close()]
    assert machine.state is State.STA1
    assert machine.artim_deadline is None


@pytest.mark.parametrize(("requestor", "state"), [(True, State.STA9), (False, State.STA10)])
def test_ar8_collision_state_depends_on_role(requestor: bool, state: State) -> None:
    machine = drive(State.STA7, requestor=requestor)
    assert not machine.collision
    assert machine.handle(Event.EVT12, 5.0, REL_RQ) == [Indicate(Indication.RELEASE_RQ, REL_RQ)]
    assert machine.state is state
    assert machine.collision


def test_collision_sequence_requestor_side() -> None:
    machine = drive(State.STA7, requestor=True)
    machine.handle(Event.EVT12, 1.0, REL_RQ)  # AR-8
    assert machine.state is State.STA9
    assert machine.handle(Event.EVT14, 2.0, REL_RP) == [Send(REL_RP)]  # AR-9
    assert machine.state is State.STA11
    assert machine.collision
    effects = machine.handle(Event.EVT13, 3.0, REL_RP)  # AR-3
    assert effects == [Indicate(Indication.RELEASE_RP, REL_RP), Close()]
    assert machine.state is State.STA1
    assert not machine.collision


def test_collision_sequence_acceptor_side() -> None:
    machine = drive(State.STA7, requestor=False)
    machine.handle(Event.EVT12, 1.0, REL_RQ)  # AR-8
    assert machine.state is State.STA10
    # The acceptor must wait for the peer's A-RELEASE-RP before answering.
    with pytest.raises(InvalidEventError):
        machine.handle(Event.EVT14, 1.5, REL_RP)
    assert machine.handle(Event.EVT13, 2.0, REL_RP) == [  # AR-10
        Indicate(Indication.RELEASE_RP, REL_RP)
    ]
    assert machine.state is State.STA12
    assert machine.handle(Event.EVT14, 3.0, REL_RP) == [Send(REL_RP)]  # AR-4
    assert machine.state is State.STA13
    assert machine.artim_deadline == 3.0 + ARTIM
    assert machine.handle(Event.EVT17, 4.0) == [Close()]  # AR-5
    assert machine.state is State.STA1


def test_handle_timeout_fires_only_at_the_deadline() -> None:
    machine = StateMachine(requestor=False, artim_timeout=ARTIM)
    assert machine.handle_timeout(1e9) == []  # no timer in Sta1
    machine.handle(Event.EVT5, 100.0)
    assert machine.handle_timeout(100.0 + ARTIM - 0.001) == []
    assert machine.state is State.STA2
    assert machine.handle_timeout(100.0 + ARTIM) == [Close()]
    assert machine.state is State.STA1
    assert machine.last_transition == Transition(State.STA2, Event.EVT18, Action.AA2, State.STA1)
    assert machine.handle_timeout(1e9) == []


def test_no_timer_outside_sta2_and_sta13() -> None:
    machine = drive(State.STA6, requestor=True)
    assert machine.artim_deadline is None
    assert machine.handle_timeout(1e9) == []
    assert machine.state is State.STA6


def test_zero_artim_timeout_expires_at_once_and_negative_is_refused() -> None:
    machine = StateMachine(requestor=False, artim_timeout=0.0)
    machine.handle(Event.EVT5, 5.0)
    assert machine.handle_timeout(5.0) == [Close()]
    with pytest.raises(ValueError, match="artim_timeout"):
        StateMachine(requestor=False, artim_timeout=-1.0)


def test_machine_is_reusable_after_sta1() -> None:
    machine = drive(State.STA6, requestor=True)
    machine.handle(Event.EVT15, 1.0, USER_ABORT)
    machine.handle(Event.EVT17, 2.0)
    assert machine.state is State.STA1
    assert machine.handle(Event.EVT1, 3.0, RQ) == [Connect()]
    assert machine.handle(Event.EVT2, 4.0)[-1] == Send(RQ)


def test_initial_state() -> None:
    machine = StateMachine(requestor=True, artim_timeout=ARTIM)
    assert machine.state is State.STA1
    assert machine.artim_deadline is None
    assert not machine.collision
    assert machine.last_transition is None


# classify_pdu


@pytest.mark.parametrize(
    ("pdu", "event"),
    [
        (RQ, Event.EVT6),
        (AC, Event.EVT3),
        (RJ, Event.EVT4),
        (MSG, Event.EVT10),
        (DataSetStart(1, ECHO_RQ), Event.EVT10),
        (PDataTfHeader(100), Event.EVT10),
        (PDataTf([Pdv(1, True, True, b"\x00\x00")]), Event.EVT10),
        (REL_RQ, Event.EVT12),
        (REL_RP, Event.EVT13),
        (USER_ABORT, Event.EVT16),
        (b"\x09\x00", Event.EVT19),
        (None, Event.EVT19),
        (CommandSet(0x0030), Event.EVT19),
    ],
)
def test_classify_pdu(pdu: object, event: Event) -> None:
    assert classify_pdu(pdu) is event


def test_classify_pdu_refuses_raw_pdu_observations() -> None:
    with pytest.raises(TypeError, match="RawPdu"):
        classify_pdu(RawPdu(REL_RQ.encode()))


# 3. Two machines back to back in simulated time


@dataclass
class Endpoint:
    name: str
    fsm: StateMachine
    receiver: Receiver = field(default_factory=Receiver)
    indications: list[Indicate] = field(default_factory=list)
    closed: bool = False  # this end closed its transport
    deaf: bool = False  # drops everything it receives (a hung peer)

    def kinds(self) -> list[Indication]:
        return [i.kind for i in self.indications]


class Network:
    """A requestor and an acceptor joined by one simulated TCP connection.

    Effects are executed as an I/O layer would: Send encodes the PDU and puts
    the bytes on the wire; the receiving end decodes them with a core
    Receiver and feeds the events to its machine; Close sends an end of
    stream after the bytes already in flight, and the peer that has not
    closed its own end then sees Evt17.
    """

    def __init__(self) -> None:
        self.now = 0.0
        self.a = Endpoint("requestor", StateMachine(requestor=True, artim_timeout=ARTIM))
        self.b = Endpoint("acceptor", StateMachine(requestor=False, artim_timeout=ARTIM))
        self.wire: deque[tuple[Endpoint, str, bytes]] = deque()
        self.connected = False

    def peer(self, end: Endpoint) -> Endpoint:
        return self.b if end is self.a else self.a

    def do(self, end: Endpoint, event: Event, pdu: object | None = None) -> None:
        self.run(end, end.fsm.handle(event, self.now, pdu))

    def run(self, end: Endpoint, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, Connect):
                self.wire.append((self.b, "connect", b""))
            elif isinstance(effect, Send):
                pdu = effect.pdu
                data = pdu if isinstance(pdu, bytes) else encode_pdu(pdu)  # type: ignore[arg-type]
                self.wire.append((self.peer(end), "data", data))
            elif isinstance(effect, Close):
                end.closed = True
                if self.connected:
                    self.wire.append((self.peer(end), "eof", b""))
            else:
                end.indications.append(effect)

    def step(self) -> None:
        dst, kind, data = self.wire.popleft()
        if kind == "connect":
            if self.a.closed:  # the requestor gave up before the connection completed
                return
            self.connected = True
            self.run(self.b, self.b.fsm.handle(Event.EVT5, self.now))
            self.run(self.a, self.a.fsm.handle(Event.EVT2, self.now))
            return
        if dst.closed or dst.deaf:
            return
        if kind == "eof":
            self.run(dst, dst.fsm.handle(Event.EVT17, self.now))
            return
        for item in dst.receiver.feed(data):
            self.run(dst, dst.fsm.handle(classify_pdu(item), self.now, item))

    def pump(self) -> None:
        while self.wire:
            self.step()

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for end in (self.a, self.b):
            self.run(end, end.fsm.handle_timeout(self.now))
        self.pump()

    def states(self) -> tuple[State, State]:
        return self.a.fsm.state, self.b.fsm.state


def associated() -> Network:
    net = Network()
    net.do(net.a, Event.EVT1, make_rq())
    net.pump()
    assert net.states() == (State.STA5, State.STA3)
    assert net.b.kinds() == [Indication.TRANSPORT_CONNECTED, Indication.ASSOCIATE_RQ]
    assert net.b.indications[-1].pdu == make_rq()
    net.do(net.b, Event.EVT7, make_ac())
    net.pump()
    assert net.states() == (State.STA6, State.STA6)
    assert net.a.kinds() == [Indication.TRANSPORT_CONNECTED, Indication.ASSOCIATE_AC]
    return net


def is_echo_message(indication: Indicate) -> bool:
    # Message compares by identity: check what was decoded
    pdu = indication.pdu
    return (
        indication.kind is Indication.P_DATA
        and isinstance(pdu, Message)
        and pdu.context_id == 1
        and pdu.command == ECHO_RQ
        and pdu.data_set is None
    )


def both_idle_and_closed(net: Network) -> None:
    assert net.states() == (State.STA1, State.STA1)
    assert net.a.closed
    assert net.b.closed
    assert net.a.fsm.artim_deadline is None
    assert net.b.fsm.artim_deadline is None
    assert not net.wire


def test_association_data_and_release_by_requestor() -> None:
    net = associated()
    net.do(net.a, Event.EVT9, PDATA)
    net.do(net.b, Event.EVT9, PDATA)
    net.pump()
    assert is_echo_message(net.a.indications[-1])
    assert is_echo_message(net.b.indications[-1])

    net.do(net.a, Event.EVT11, ReleaseRq())
    net.pump()
    assert net.states() == (State.STA7, State.STA8)
    assert net.b.kinds()[-1] is Indication.RELEASE_RQ
    # The acceptor may still send P-DATA before answering (AR-7), the requestor gets it (AR-6)
    net.do(net.b, Event.EVT9, PDATA)
    net.pump()
    assert net.states() == (State.STA7, State.STA8)
    assert is_echo_message(net.a.indications[-1])

    net.do(net.b, Event.EVT14, ReleaseRp())
    net.pump()
    assert net.a.kinds()[-1] is Indication.RELEASE_RP
    both_idle_and_closed(net)
    # The acceptor's ARTIM never expired: the requestor closed first (AR-3, then AR-5).
    assert net.b.fsm.last_transition == Transition(State.STA13, Event.EVT17, Action.AR5, State.STA1)


def test_release_by_acceptor() -> None:
    net = associated()
    net.do(net.b, Event.EVT11)
    net.pump()
    assert net.states() == (State.STA8, State.STA7)
    net.do(net.a, Event.EVT14)
    net.pump()
    assert net.b.kinds()[-1] is Indication.RELEASE_RP
    both_idle_and_closed(net)


def test_association_rejected_by_user() -> None:
    net = Network()
    net.do(net.a, Event.EVT1, make_rq())
    net.pump()
    rj = AssociateRj(1, 1, 3)
    net.do(net.b, Event.EVT8, rj)  # AE-8
    assert net.b.fsm.state is State.STA13
    net.pump()
    assert net.a.indications[-1] == Indicate(Indication.ASSOCIATE_RJ, rj)  # AE-4
    both_idle_and_closed(net)


def test_association_rejected_by_provider() -> None:
    net = Network()
    net.do(net.a, Event.EVT1, make_rq())
    net.step()  # connected; the A-ASSOCIATE-RQ is on the wire
    # The acceptor's I/O layer decodes it and its service-provider rejects it (AE-6)
    _, _, data = net.wire.popleft()
    (item,) = net.b.receiver.feed(data)
    rj = AssociateRj(2, 2, 2)
    net.run(net.b, net.b.fsm.handle(classify_pdu(item), net.now, item, reject=rj))
    assert net.b.fsm.state is State.STA13
    assert net.b.kinds() == [Indication.TRANSPORT_CONNECTED]  # no A-ASSOCIATE indication
    net.pump()
    assert net.a.indications[-1] == Indicate(Indication.ASSOCIATE_RJ, rj)
    both_idle_and_closed(net)


@pytest.mark.parametrize("first", ["requestor", "acceptor"])
def test_release_collision(first: str) -> None:
    net = associated()
    # Both ask to release before either request arrives.
    net.do(net.a, Event.EVT11)
    net.do(net.b, Event.EVT11)
    assert net.states() == (State.STA7, State.STA7)
    if first == "acceptor":
        net.wire.rotate(1)
    net.pump()
    assert net.states() == (State.STA9, State.STA10)  # AR-8 in both roles
    assert net.a.fsm.collision
    assert net.b.fsm.collision
    assert net.a.kinds()[-1] is Indication.RELEASE_RQ
    assert net.b.kinds()[-1] is Indication.RELEASE_RQ

    net.do(net.a, Event.EVT14)  # AR-9
    assert net.states() == (State.STA11, State.STA10)
    net.pump()  # the acceptor gets the RP: AR-10
    assert net.states() == (State.STA11, State.STA12)
    assert net.b.kinds()[-1] is Indication.RELEASE_RP
    net.do(net.b, Event.EVT14)  # AR-4
    assert net.b.fsm.state is State.STA13
    net.pump()  # the requestor gets the RP: AR-3 closes; the acceptor: AR-5
    assert net.a.kinds()[-1] is Indication.RELEASE_RP
    both_idle_and_closed(net)


# Configurations (requestor state, acceptor state) in which a side may abort,
# each built by legal steps; a pending PDU may still be on the wire.


def cfg_sta5_sta2() -> Network:
    net = Network()
    net.do(net.a, Event.EVT1, make_rq())
    net.step()  # connected; the RQ is on the wire
    assert net.states() == (State.STA5, State.STA2)
    return net


def cfg_sta5_sta3() -> Network:
    net = Network()
    net.do(net.a, Event.EVT1, make_rq())
    net.pump()
    return net


def cfg_sta6_sta6() -> Network:
    return associated()


def cfg_sta7_sta8() -> Network:
    net = associated()
    net.do(net.a, Event.EVT11)
    net.pump()
    return net


def cfg_sta8_sta7() -> Network:
    net = associated()
    net.do(net.b, Event.EVT11)
    net.pump()
    return net


def cfg_sta9_sta10() -> Network:
    net = associated()
    net.do(net.a, Event.EVT11)
    net.do(net.b, Event.EVT11)
    net.pump()
    return net


def cfg_sta11_sta10() -> Network:
    net = cfg_sta9_sta10()
    net.do(net.a, Event.EVT14)  # the RP is still on the wire
    return net


def cfg_sta11_sta12() -> Network:
    net = cfg_sta11_sta10()
    net.pump()
    return net


CONFIGS: dict[str, tuple[Callable[[], Network], tuple[State, State]]] = {
    "sta5-sta2": (cfg_sta5_sta2, (State.STA5, State.STA2)),
    "sta5-sta3": (cfg_sta5_sta3, (State.STA5, State.STA3)),
    "sta6-sta6": (cfg_sta6_sta6, (State.STA6, State.STA6)),
    "sta7-sta8": (cfg_sta7_sta8, (State.STA7, State.STA8)),
    "sta8-sta7": (cfg_sta8_sta7, (State.STA8, State.STA7)),
    "sta9-sta10": (cfg_sta9_sta10, (State.STA9, State.STA10)),
    "sta11-sta10": (cfg_sta11_sta10, (State.STA11, State.STA10)),
    "sta11-sta12": (cfg_sta11_sta12, (State.STA11, State.STA12)),
}


@pytest.mark.parametrize("aborter", ["requestor", "acceptor"])
@pytest.mark.parametrize("config", list(CONFIGS))
def test_abort_from_either_side(config: str, aborter: str) -> None:
    build, states = CONFIGS[config]
    net = build()
    assert net.states() == states
    end = net.a if aborter == "requestor" else net.b
    other = net.peer(end)
    if end.fsm.state is State.STA2:
        # No user yet on this side: A-ABORT request is a blank cell in Sta2
        with pytest.raises(InvalidEventError):
            net.do(end, Event.EVT15, Abort(0, 0))
        return
    net.do(end, Event.EVT15, Abort(0, 0))  # AA-1
    assert end.fsm.state is State.STA13
    assert end.fsm.artim_deadline == net.now + ARTIM
    net.pump()
    both_idle_and_closed(net)
    # The peer got A-ABORT (AA-3). (From Sta2 too: the A-ASSOCIATE-RQ in flight
    # arrives first, so the acceptor is in Sta3 when the A-ABORT comes.)
    assert other.indications[-1] == Indicate(Indication.ABORT, Abort(0, 0))
    assert end.kinds().count(Indication.ABORT) == 0
    assert end.fsm.last_transition == Transition(State.STA13, Event.EVT17, Action.AR5, State.STA1)


def test_abort_while_connecting() -> None:
    net = Network()
    net.do(net.a, Event.EVT1, make_rq())
    assert net.a.fsm.state is State.STA4
    net.do(net.a, Event.EVT15, Abort(0, 0))  # AA-2
    assert net.a.fsm.state is State.STA1
    assert net.a.closed
    net.pump()
    assert net.b.fsm.state is State.STA1  # the connection never reached the acceptor


def test_artim_expiry_in_sta2() -> None:
    net = Network()
    net.a.deaf = True
    net.run(net.b, net.b.fsm.handle(Event.EVT5, net.now))  # a peer that connects, sends nothing
    assert net.b.fsm.state is State.STA2
    net.advance(ARTIM - 1)
    assert net.b.fsm.state is State.STA2
    net.advance(1)
    assert net.b.fsm.state is State.STA1
    assert net.b.closed
    assert net.b.fsm.last_transition == Transition(State.STA2, Event.EVT18, Action.AA2, State.STA1)


@pytest.mark.parametrize("how", ["release", "reject", "abort"])
def test_artim_expiry_in_sta13_when_the_peer_never_closes(how: str) -> None:
    if how == "reject":
        net = cfg_sta5_sta3()
        net.a.deaf = True
        net.do(net.b, Event.EVT8, AssociateRj(1, 1, 1))  # AE-8
    else:
        net = cfg_sta7_sta8() if how == "release" else associated()
        net.a.deaf = True
        if how == "release":
            net.do(net.b, Event.EVT14)  # AR-4
        else:
            net.do(net.b, Event.EVT15, Abort(0, 0))  # AA-1
    net.pump()
    assert net.b.fsm.state is State.STA13
    net.advance(ARTIM / 2)
    assert net.b.fsm.state is State.STA13
    net.advance(ARTIM / 2)
    assert net.b.fsm.state is State.STA1  # AA-2
    assert net.b.closed


def test_peer_sending_garbage_in_sta6_gets_provider_abort() -> None:
    net = associated()
    # The requestor's machine answers an invalid PDU with what the core proposes.
    net.run(net.a, net.a.fsm.handle(Event.EVT19, net.now, Abort(2, 1)))  # AA-8
    assert net.a.indications[-1] == Indicate(Indication.P_ABORT, Abort(2, 1))
    assert net.a.fsm.state is State.STA13
    net.pump()
    assert net.b.indications[-1] == Indicate(Indication.P_ABORT, Abort(2, 1))  # AA-3
    both_idle_and_closed(net)


def test_unexpected_associate_rq_after_association() -> None:
    net = associated()
    net.run(net.b, [Send(make_rq())])  # a misbehaving acceptor sends an A-ASSOCIATE-RQ
    net.pump()
    # The requestor: AA-8 (unexpected PDU), the acceptor: AA-3 (provider abort)
    assert net.a.indications[-1] == Indicate(Indication.P_ABORT, Abort(2, 2))
    assert net.b.indications[-1] == Indicate(Indication.P_ABORT, Abort(2, 2))
    both_idle_and_closed(net)
