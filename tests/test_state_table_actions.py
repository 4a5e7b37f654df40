"""The PS3.8 Upper Layer state machine (fastdimse.fsm), driven without sockets or sleeps: the
semantics of single actions (AE-n, AR-n, AA-n), ARTIM, collisions, and classify_pdu.
"""

from __future__ import annotations

import pytest

from fastdimse._core import (
    Abort,
    AssociateRj,
    CommandSet,
    DataSetStart,
    PDataTf,
    PDataTfHeader,
    Pdv,
    RawPdu,
    ReleaseRp,
    ReleaseRq,
)
from fastdimse.fsm import (
    Action,
    Close,
    Connect,
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
from state_table_support import (
    AC,
    ARTIM,
    CORE_ABORT,
    ECHO_RQ,
    INPUT,
    MSG,
    REL_RP,
    REL_RQ,
    RJ,
    RQ,
    USER_ABORT,
    drive,
    make_rq,
)

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
