"""The sans-IO upper layer (``fastdimse._upper.connection``), without sockets or sleeps.

Each decision the socket driver used to take is driven here with bytes and a
simulated clock: a malformed PDU and P-DATA in every state (expected answers
from PS3.8 Table 9-10 and 9.3.8, not from the code under test), ARTIM, the
ACSE and network timeouts, the end of the stream, and the rule that the
service user answers each indication before the next PDU is taken.
"""

from __future__ import annotations

from collections.abc import Callable

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
    decode_pdu,
    encode_command_set,
    encode_pdu,
    fragment_message,
)
from fastdimse._upper.connection import (
    Connect,
    Deliver,
    Disconnect,
    Observe,
    Output,
    Transitioned,
    UpperLayerConnection,
    Write,
)
from fastdimse.fsm import Event, Indication, InvalidEventError, State

VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
ARTIM = 30.0
ACSE = 20.0
NETWORK = 60.0

RQ = AssociateRq(
    "ANY-SCP",
    "ECHOSCU",
    [PresentationContextRq(1, VERIFICATION, [IMPLICIT_LE])],
    [MaximumLength(16382)],
)
AC = AssociateAc(
    "ANY-SCP", "ECHOSCU", [PresentationContextAc(1, 0, IMPLICIT_LE)], [MaximumLength(16382)]
)
ECHO_RQ = CommandSet(0x0030, affected_sop_class_uid=VERIFICATION, message_id=7)
ECHO_BYTES = fragment_message(16382, 1, encode_command_set(ECHO_RQ))
# A PDU type PS3.8 does not define (Evt19: unrecognized PDU).
UNKNOWN_PDU = b"\x08\x00\x00\x00\x00\x02\x00\x00"

# PS3.8 9.3.8: A-ABORT sources and provider reasons.
USER = 0
PROVIDER = 2
NOT_SPECIFIED = 0
UNRECOGNIZED_PDU = 1
UNEXPECTED_PDU = 2


def new(*, requestor: bool, **timeouts: float | None) -> UpperLayerConnection:
    options: dict[str, float | None] = {
        "artim_timeout": ARTIM,
        "acse_timeout": ACSE,
        "network_timeout": NETWORK,
    }
    options.update(timeouts)
    return UpperLayerConnection(requestor=requestor, local_max_pdu=16382, **options)  # type: ignore[arg-type]


def written(outputs: list[Output]) -> list[object]:
    """The PDUs the outputs write, decoded (P-DATA runs as their first PDU)."""
    return [decode_pdu(o.data) for o in outputs if isinstance(o, Write)]


def delivered(outputs: list[Output]) -> list[Indication]:
    return [o.kind for o in outputs if isinstance(o, Deliver)]


def receive_all(conn: UpperLayerConnection, data: bytes, now: float) -> list[Output]:
    """Feed ``data`` and poll until nothing waits, as a driver does."""
    out = conn.receive(data, now)
    while conn.pending:
        out += conn.poll(now)
    return out


# Paths to every state with a transport connection, through the public API only.
Step = Callable[[UpperLayerConnection, float], list[Output]]


def _recv(pdu: object) -> Step:
    return lambda conn, now: receive_all(conn, encode_pdu(pdu), now)


def _ask(event: Event, pdu: object | None = None) -> Step:
    return lambda conn, now: conn.request(event, pdu, now)


def _open(conn: UpperLayerConnection, now: float) -> list[Output]:
    return conn.associate(RQ, now) + conn.transport_open(now)


def _accepted(conn: UpperLayerConnection, now: float) -> list[Output]:
    return conn.transport_accepted(now)


REQUESTOR_PATHS: dict[State, list[Step]] = {
    State.STA5: [_open],
    State.STA6: [_open, _recv(AC)],
    State.STA7: [_open, _recv(AC), _ask(Event.EVT11)],
    State.STA8: [_open, _recv(AC), _recv(ReleaseRq())],
    State.STA9: [_open, _recv(AC), _ask(Event.EVT11), _recv(ReleaseRq())],
    State.STA11: [
        _open,
        _recv(AC),
        _ask(Event.EVT11),
        _recv(ReleaseRq()),
        _ask(Event.EVT14, ReleaseRp()),
    ],
    State.STA13: [_open, _recv(AC), _ask(Event.EVT15)],
}
ACCEPTOR_PATHS: dict[State, list[Step]] = {
    State.STA2: [_accepted],
    State.STA3: [_accepted, _recv(RQ)],
    State.STA10: [
        _accepted,
        _recv(RQ),
        _ask(Event.EVT7, AC),
        _ask(Event.EVT11),
        _recv(ReleaseRq()),
    ],
    State.STA12: [
        _accepted,
        _recv(RQ),
        _ask(Event.EVT7, AC),
        _ask(Event.EVT11),
        _recv(ReleaseRq()),
        _recv(ReleaseRp()),
    ],
}


def drive(state: State, **timeouts: float | None) -> UpperLayerConnection:
    """A connection taken to ``state`` at t=0..n, one second a step."""
    requestor = state in REQUESTOR_PATHS
    conn = new(requestor=requestor, **timeouts)
    for second, step in enumerate((REQUESTOR_PATHS if requestor else ACCEPTOR_PATHS)[state]):
        step(conn, float(second))
    assert conn.state is state
    return conn


CONNECTED_STATES = sorted(set(REQUESTOR_PATHS) | set(ACCEPTOR_PATHS))


# -- a malformed PDU in every state (Evt19) ---------------------------------------


@pytest.mark.parametrize("state", CONNECTED_STATES, ids=lambda s: s.label)
def test_an_unrecognized_pdu_in_each_state(state: State) -> None:
    conn = drive(state)
    out = receive_all(conn, UNKNOWN_PDU, 100.0)
    pdus = written(out)
    if state is State.STA2:
        # AA-1: A-ABORT with service-user source, ARTIM started, Sta13.
        assert pdus == [Abort(USER, NOT_SPECIFIED)]
        assert delivered(out) == []
    elif state is State.STA13:
        # AA-7: A-ABORT, stay in Sta13.
        assert pdus == [Abort(PROVIDER, UNRECOGNIZED_PDU)]
        assert delivered(out) == []
    else:
        # AA-8: A-ABORT (service-provider, unrecognized PDU), A-P-ABORT indication.
        assert pdus == [Abort(PROVIDER, UNRECOGNIZED_PDU)]
        assert delivered(out) == [Indication.P_ABORT]
    assert conn.state is State.STA13
    assert conn.next_deadline == 100.0 + ARTIM or state is State.STA13


def test_a_broken_rq_the_standard_rejects_gets_an_rj_in_sta2() -> None:
    conn = drive(State.STA2)
    rq = bytearray(encode_pdu(RQ))
    rq[10] = 0x01  # a control character in the Called AE Title (bytes 11-26, PS3.8 9.3.2)
    out = receive_all(conn, bytes(rq), 1.0)
    # AE-6's "not acceptable" branch: rejected-permanent, service-user, called AE
    # title not recognized (PS3.8 9.3.4).
    assert written(out) == [AssociateRj(1, 1, 7)]
    assert conn.state is State.STA13


# -- P-DATA in every state (Evt10) --------------------------------------------------


@pytest.mark.parametrize("state", CONNECTED_STATES, ids=lambda s: s.label)
def test_p_data_in_each_state(state: State) -> None:
    conn = drive(state)
    out = receive_all(conn, ECHO_BYTES, 100.0)
    if state in (State.STA6, State.STA7):
        # DT-2 / AR-6: one P-DATA indication carrying the whole message.
        messages = [o.pdu for o in out if isinstance(o, Deliver)]
        assert delivered(out) == [Indication.P_DATA]
        assert isinstance(messages[0], Message)
        assert messages[0].command.message_id == 7
        assert written(out) == []
        assert conn.state is state
    elif state is State.STA13:
        assert out == [o for o in out if isinstance(o, Transitioned)]  # AA-6: ignored
        assert conn.state is State.STA13
    elif state is State.STA2:
        assert written(out) == [Abort(USER, NOT_SPECIFIED)]  # AA-1
        assert conn.state is State.STA13
    else:
        assert written(out) == [Abort(PROVIDER, UNEXPECTED_PDU)]  # AA-8
        assert delivered(out) == [Indication.P_ABORT]
        assert conn.state is State.STA13


# -- timers in simulated time --------------------------------------------------------


def test_network_timeout_aborts_after_silence_and_bytes_push_it_back() -> None:
    conn = drive(State.STA6)  # last step at t=1
    assert conn.next_deadline == 1.0 + NETWORK
    assert conn.expire(1.0 + NETWORK - 0.001) == []
    receive_all(conn, ECHO_BYTES, 30.0)
    assert conn.next_deadline == 30.0 + NETWORK
    assert conn.expire(61.0) == []
    out = conn.expire(30.0 + NETWORK)
    assert written(out) == [Abort(PROVIDER, NOT_SPECIFIED)]
    assert delivered(out) == [Indication.TIMED_OUT]
    assert conn.state is State.STA13
    # Then ARTIM waits for the peer to close, and closes if it does not.
    assert conn.next_deadline == 30.0 + NETWORK + ARTIM
    assert Disconnect() in conn.expire(30.0 + NETWORK + ARTIM)
    assert conn.state is State.STA1
    assert conn.next_deadline is None


def test_no_network_timeout_when_none() -> None:
    conn = drive(State.STA6, network_timeout=None)
    assert conn.next_deadline is None
    assert conn.expire(1e9) == []


def test_a_shorter_network_timeout_moves_the_deadline() -> None:
    conn = drive(State.STA6)
    conn.network_timeout = 5.0
    assert conn.next_deadline == 6.0


def test_artim_closes_a_silent_connection_in_sta2() -> None:
    conn = drive(State.STA2)  # accepted at t=0
    assert conn.next_deadline == ARTIM  # ARTIM (30) comes before the network timeout (60)
    assert conn.expire(ARTIM - 0.5) == []
    out = conn.expire(ARTIM)
    assert Disconnect() in out
    assert written(out) == []
    assert conn.state is State.STA1


def test_acse_timeout_waiting_for_the_ac() -> None:
    conn = drive(State.STA5)  # connected at t=0
    assert conn.next_deadline == ACSE
    out = conn.expire(ACSE)
    assert written(out) == [Abort(USER, NOT_SPECIFIED)]
    assert delivered(out) == [Indication.TIMED_OUT]
    assert conn.state is State.STA13


def test_acse_timeout_waiting_for_the_release_rp() -> None:
    conn = drive(State.STA7)  # release requested at t=2
    assert conn.next_deadline == 2.0 + ACSE
    # P-DATA still arriving in Sta7 (AR-6) does not restart the ACSE timer.
    receive_all(conn, ECHO_BYTES, 10.0)
    assert conn.next_deadline == 2.0 + ACSE
    out = conn.expire(2.0 + ACSE)
    assert written(out) == [Abort(USER, NOT_SPECIFIED)]
    assert delivered(out) == [Indication.TIMED_OUT]


def test_no_acse_timer_once_the_answer_came() -> None:
    conn = drive(State.STA6, network_timeout=None)
    assert conn.next_deadline is None


# -- the stream -------------------------------------------------------------------------


def test_end_of_stream_in_sta6_is_a_provider_abort_indication() -> None:
    conn = drive(State.STA6)
    out = conn.transport_closed(5.0)
    assert delivered(out) == [Indication.P_ABORT]  # AA-4
    assert out.count(Disconnect()) == 1
    assert conn.closed
    assert conn.next_deadline is None


def test_end_of_stream_inside_a_pdu_is_still_just_the_end() -> None:
    conn = drive(State.STA6)
    receive_all(conn, ECHO_BYTES[:9], 2.0)
    out = conn.transport_closed(3.0)
    assert delivered(out) == [Indication.P_ABORT]


def test_connect_failure_is_a_provider_abort_indication() -> None:
    conn = new(requestor=True)
    assert Connect() in conn.associate(RQ, 0.0)
    assert conn.state is State.STA4
    out = conn.transport_failed(1.0)
    assert delivered(out) == [Indication.P_ABORT]
    assert Disconnect() not in out  # nothing was open
    assert conn.closed and conn.state is State.STA1


def test_each_indication_is_answered_before_the_next_pdu_is_taken() -> None:
    conn = drive(State.STA2)
    out = conn.receive(encode_pdu(RQ) + encode_pdu(RQ), 1.0)
    assert delivered(out) == [Indication.ASSOCIATE_RQ]
    assert conn.pending
    # The user accepts; only then does the second RQ meet Sta6 (AA-8).
    conn.request(Event.EVT7, AC, 1.0)
    rest = conn.poll(1.0)
    assert written(rest) == [Abort(PROVIDER, UNEXPECTED_PDU)]
    assert not conn.pending


def test_two_messages_in_one_read_are_two_indications() -> None:
    conn = drive(State.STA6)
    first = conn.receive(ECHO_BYTES + ECHO_BYTES, 2.0)
    assert delivered(first) == [Indication.P_DATA]
    assert delivered(conn.poll(2.0)) == [Indication.P_DATA]
    assert conn.poll(2.0) == []


def test_pdus_after_the_connection_closed_are_dropped() -> None:
    conn = drive(State.STA6)
    out = receive_all(conn, encode_pdu(Abort(USER, 0)) + ECHO_BYTES, 2.0)
    assert delivered(out) == [Indication.ABORT]  # AA-3, then nothing more
    assert conn.state is State.STA1 and not conn.pending


def test_a_local_primitive_out_of_place_changes_nothing() -> None:
    conn = drive(State.STA2)
    with pytest.raises(InvalidEventError):
        conn.request(Event.EVT9, ECHO_BYTES, 1.0)
    assert conn.state is State.STA2


def test_observing_reports_each_pdu_both_ways() -> None:
    conn = new(requestor=False)
    conn.observe_pdus()
    conn.transport_accepted(0.0)
    out = receive_all(conn, encode_pdu(RQ), 1.0)
    assert [o.sent for o in out if isinstance(o, Observe)] == [False]
    out = conn.request(Event.EVT7, AC, 1.0)
    observed = [o for o in out if isinstance(o, Observe)]
    assert [o.sent for o in observed] == [True]
    assert observed[0].data == encode_pdu(AC)


def test_data_sets_go_where_the_router_says() -> None:
    import tempfile

    conn = drive(State.STA6)
    store = CommandSet(
        0x0001,
        affected_sop_class_uid="1.2.840.10008.5.1.4.1.1.2",
        affected_sop_instance_uid="1.2.3",
        message_id=3,
        priority=0,
        command_data_set_type=0x0000,
    )
    payload = fragment_message(16382, 1, encode_command_set(store), b"\x08\x00\x16\x00" * 64)
    with tempfile.TemporaryFile() as file:
        fd = file.fileno()
        asked: list[int] = []

        def router(start: object) -> int:
            asked.append(start.command.message_id)  # type: ignore[attr-defined]
            return fd  # the core writes through its own duplicate

        conn.route_data_sets(router)
        out = receive_all(conn, payload, 2.0)
        assert asked == [3]
        assert delivered(out) == [Indication.P_DATA]
        file.seek(0)
        assert file.read() == b"\x08\x00\x16\x00" * 64


def test_a_message_in_parts_is_never_interleaved_with_another() -> None:
    """PS3.8 E.1: no fragment of another message until the current one is whole."""
    conn = drive(State.STA6)
    stream = object()
    first = conn.send_message(b"part-1", 2.0, stream=stream, last=False)
    held = conn.send_message(b"other", 2.0)
    second = conn.send_message(b"part-2", 2.0, stream=stream, last=True)
    assert [o.data for o in first if isinstance(o, Write)] == [b"part-1"]
    assert held == []
    assert [o.data for o in second if isinstance(o, Write)] == [b"part-2", b"other"]


def test_a_held_message_is_dropped_when_the_association_ends_first() -> None:
    conn = drive(State.STA6)
    stream = object()
    conn.send_message(b"part-1", 2.0, stream=stream, last=False)
    conn.send_message(b"other", 2.0)
    out = receive_all(conn, encode_pdu(ReleaseRq()), 3.0)  # now in Sta8: P-DATA still allowed
    assert delivered(out) == [Indication.RELEASE_RQ]
    conn.request(Event.EVT14, ReleaseRp(), 3.0)  # Sta13: no more P-DATA
    with pytest.raises(InvalidEventError):
        conn.send_message(b"part-2", 3.0, stream=stream, last=True)
