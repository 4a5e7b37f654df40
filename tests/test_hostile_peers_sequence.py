"""Hostile peers over raw sockets: PDUs out of order, half a PDU then silence, the slot of a
finished association, and a crowd of connections at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from fastdimse import _core
from hostile_peer import (
    IMPLICIT as IMPLICIT_UID,
)
from hostile_peer import (
    Answer,
    Peer,
    associate_rq,
    describe,
    echo_rq,
    echo_works,
    pdu,
)
from hostile_peers_support import (
    AA1,
    ACSE,
    ANSWER_DEADLINE,
    LOCAL_MAX_PDU,
    NETWORK,
    NETWORK_ABORT,
    SLACK,
    UNEXPECTED,
    Scp,
    assert_answer,
    exchange,
)

# -- (f) PDUs out of order ------------------------------------------------------------------

OUT_OF_ORDER_FIRST = {
    "p-data-tf": echo_rq(),
    "release-rq": _core.ReleaseRq().encode(),
    "release-rp": _core.ReleaseRp().encode(),
    "associate-ac": _core.AssociateAc(
        "HOSTILE", "HOSTILE-SCP", [_core.PresentationContextAc(1, 0, IMPLICIT_UID)], []
    ).encode(),
    "associate-rj": _core.AssociateRj(1, 1, 1).encode(),
}


@pytest.mark.parametrize("name", OUT_OF_ORDER_FIRST)
def test_out_of_order_before_association(scp: Scp, name: str) -> None:
    """Sta2: anything but A-ASSOCIATE-RQ gets AA-1."""
    assert_answer(exchange(scp, OUT_OF_ORDER_FIRST[name]), AA1)
    scp.echo_after()


def test_peer_that_never_closes_after_abort(scp: Scp) -> None:
    """Sta13 after AA-1: ARTIM closes the connection the peer leaves open."""
    with scp.peer() as peer:
        peer.send(_core.ReleaseRq().encode())
        answer = peer.read(deadline=ACSE + SLACK)
    assert_answer(answer, AA1)
    scp.echo_after()


def test_abort_before_association(scp: Scp) -> None:
    """Sta2 + A-ABORT: AA-2, the server just closes."""
    with scp.peer() as peer:
        peer.send(_core.Abort(0, 0).encode())
        answer = peer.read(deadline=ANSWER_DEADLINE)
    assert answer.pdus == [] and answer.closed
    scp.echo_after()


OUT_OF_ORDER_AFTER = {
    "associate-rq": associate_rq(),
    "associate-ac": OUT_OF_ORDER_FIRST["associate-ac"],
    "associate-rj": OUT_OF_ORDER_FIRST["associate-rj"],
    "release-rp": OUT_OF_ORDER_FIRST["release-rp"],
}


@pytest.mark.parametrize("name", OUT_OF_ORDER_AFTER)
def test_out_of_order_after_association(scp: Scp, name: str) -> None:
    """Sta6: AA-8, A-ABORT (2, 2) unexpected PDU."""
    answer = exchange(scp, OUT_OF_ORDER_AFTER[name], associate=True)
    assert_answer(answer, UNEXPECTED)
    scp.echo_after()


def test_associate_rq_twice_in_one_write(scp: Scp) -> None:
    """The first is accepted, the second is unexpected (Sta6): AC, then A-ABORT (2, 2)."""
    rq = associate_rq()
    assert_answer(exchange(scp, rq + rq, answers=2), "AC", UNEXPECTED)
    scp.echo_after()


def test_p_data_on_a_context_never_proposed(scp: Scp) -> None:
    """A C-ECHO-RQ on presentation context 3 (we proposed only 1): aborted at once."""
    answer = exchange(scp, echo_rq(context_id=3), associate=True)
    assert describe(answer.first).startswith("A-ABORT(")
    assert answer.closed
    scp.echo_after()


def test_c_store_on_a_context_never_proposed(scp: Scp) -> None:
    """A C-STORE-RQ with 4 MB of data set on context 3: dropped as it comes, then aborted."""
    command = _core.CommandSet(
        0x0001,
        message_id=9,
        affected_sop_class_uid="1.2.840.10008.5.1.4.1.1.2",
        affected_sop_instance_uid="1.2.3.4",
        priority=2,
        command_data_set_type=0x0001,
    ).encode()
    data = _core.fragment_message(LOCAL_MAX_PDU, 3, command, bytes(4 * 1024 * 1024))
    answer = exchange(scp, data, associate=True)
    assert describe(answer.first).startswith("A-ABORT(")
    assert answer.closed
    scp.echo_after()


def test_release_then_echo_on_the_same_connection(scp: Scp) -> None:
    """After our A-RELEASE-RQ is answered, a P-DATA-TF is Sta13's business: no answer."""
    with scp.peer() as peer:
        peer.associate()
        peer.send(_core.ReleaseRq().encode())
        assert describe(peer.read(count=1).first) == "RELEASE-RP"
        peer.send(echo_rq())
        answer = peer.read(deadline=ACSE + SLACK)
    assert answer.closed
    assert all(describe(p).startswith("A-ABORT(") for p in answer.pdus)
    scp.echo_after()


# -- (g) half a PDU, then silence -----------------------------------------------------------


def test_silent_connection_closed_by_artim(scp: Scp) -> None:
    with scp.peer() as peer:
        answer = peer.read(deadline=ACSE + SLACK)
    assert answer.pdus == [] and answer.closed
    scp.echo_after()


@pytest.mark.parametrize("size", [1, 6, 150])
def test_half_associate_rq_closed_by_artim(scp: Scp, size: int) -> None:
    """Sta2: ARTIM runs from the connection, whatever trickles in; AA-2 closes silently."""
    with scp.peer() as peer:
        peer.send(associate_rq()[:size])
        answer = peer.read(deadline=ACSE + SLACK)
    assert answer.pdus == [] and answer.closed
    scp.echo_after()


def test_associate_rq_dripped_byte_by_byte_closed_by_artim(scp: Scp) -> None:
    """A slow drip does not restart ARTIM in Sta2."""
    data = associate_rq()
    end = time.monotonic() + ACSE + SLACK
    with scp.peer() as peer:
        answer = Answer()
        for byte in data:
            if not peer.send(bytes([byte])):
                answer.closed = True
                break
            answer = peer.read(deadline=0.1)  # paces the drip; returns at once on close
            if answer.closed or answer.pdus or time.monotonic() > end:
                break
    assert answer.pdus == [] and answer.closed
    scp.echo_after()


@pytest.mark.parametrize("size", [1, 12])
def test_half_p_data_after_association_closed_by_network_timeout(scp: Scp, size: int) -> None:
    """Sta6: the network timeout aborts (2, 0); the server then closes (ARTIM in Sta13)."""
    with scp.peer() as peer:
        peer.associate()
        peer.send(echo_rq()[:size])
        answer = peer.read(deadline=NETWORK + ACSE + SLACK)
    assert [describe(p) for p in answer.pdus] == [NETWORK_ABORT]
    assert answer.closed
    scp.echo_after()


def test_silent_after_association_closed_by_network_timeout(scp: Scp) -> None:
    with scp.peer() as peer:
        peer.associate()
        answer = peer.read(deadline=NETWORK + ACSE + SLACK)
    assert [describe(p) for p in answer.pdus] == [NETWORK_ABORT]
    assert answer.closed
    scp.echo_after()


def test_peer_that_never_closes_after_rj(scp: Scp) -> None:
    """Sta13 after A-ASSOCIATE-RJ: ARTIM closes the connection the peer leaves open."""
    with scp.peer() as peer:
        peer.send(associate_rq(application_context="1.2.3"))
        answer = peer.read(deadline=ACSE + SLACK)
    assert_answer(answer, "RJ(1,1,2)")
    scp.echo_after()


# -- the slot of a finished association -----------------------------------------------------


@pytest.mark.parametrize("ending", ["release", "reject", "abort-before-association"])
def test_slot_free_once_association_is_over(
    start_scp: Callable[..., AbstractContextManager[Scp]], ending: str
) -> None:
    with start_scp(acse_timeout=5.0) as scp:
        port = scp.port
        with Peer(port) as peer:
            if ending == "release":
                peer.associate()
                peer.send(_core.ReleaseRq().encode())
                expected = "RELEASE-RP"
            elif ending == "reject":
                peer.send(associate_rq(application_context="1.2.3"))
                expected = "RJ(1,1,2)"
            else:
                peer.send(pdu(0xFF, b"\x00" * 4))
                expected = AA1
            assert describe(peer.read(count=1).first) == expected
            # The association is over (Sta13); the peer lingers. A new one must fit.
            assert echo_works(port) == 0
        assert not scp.crashes.messages()


# -- (h) a crowd: 200 connections at once, 10 slots -------------------------------------------

CROWD = 200
CROWD_SLOTS = 10
LOCAL_LIMIT = "RJ(2,3,2)"  # rejected-transient, service-provider (presentation), local limit


def test_crowd_of_associate_requests(
    start_scp: Callable[..., AbstractContextManager[Scp]],
) -> None:
    """Every peer gets an answer, AC or RJ local-limit-exceeded, never silence."""
    # The accepted peers stay silent: a network timeout longer than the whole crowd
    # takes keeps their slots held however slow the machine is.
    with start_scp(maximum_associations=CROWD_SLOTS, network_timeout=ACSE + 4 * SLACK) as scp:
        peers = [scp.peer() for _ in range(CROWD)]
        try:
            rq = associate_rq()
            for peer in peers:
                assert peer.send(rq)
            end = time.monotonic() + ACSE + SLACK
            answers = [
                peer.read(count=1, deadline=max(0.0, end - time.monotonic())) for peer in peers
            ]
        finally:
            for peer in peers:
                peer.close()
        got = [describe(a.first) for a in answers]
        assert "nothing" not in got
        assert set(got) <= {"AC", LOCAL_LIMIT}, set(got)
        # Nobody released a slot while the crowd waited: exactly the limit got in.
        assert got.count("AC") == CROWD_SLOTS
        scp.settle()
        assert scp.ae.active_associations == []
        scp.echo_after()
        assert not scp.crashes.messages()
