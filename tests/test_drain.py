"""Draining an acceptor association (what a stopping ``ProcessServer`` worker does):
the peer's requests in hand are finished and answered, then the association is aborted.

Over loopback in this process; a raw peer (tests/hostile_peer.py) where a message must be
left half sent. Waits are on events or on what the wire says, with generous deadlines.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from tests.hostile_peer import Peer, associate_rq, describe
from tests.test_engine_concurrency import requestor, serve

from fastdimse import AE, _core, evt
from fastdimse._io.thread_association import Association
from fastdimse._io.threads import UpperLayer
from fastdimse._upper.state_table import State
from fastdimse.pdu_primitives import AsynchronousOperationsWindowNegotiation
from fastdimse.sop_class import Verification
from helpers import DEADLINE, wait_until

CT = "1.2.840.10008.5.1.4.1.1.2"
IMPLICIT = "1.2.840.10008.1.2"


@pytest.fixture
def scp() -> Iterator[AE]:
    ae = AE("SCP")
    ae.add_supported_context(Verification)
    ae.add_supported_context(CT, IMPLICIT)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    yield ae
    ae.shutdown()


def served_association(ae: AE) -> Association:
    assert wait_until(lambda: len(ae.active_associations) == 1)
    assoc = ae.active_associations[0]
    assert isinstance(assoc, Association)
    return assoc


def test_an_idle_association_is_aborted_at_once(scp: AE) -> None:
    port = serve(scp, [])
    assoc = requestor().associate("127.0.0.1", port)
    assert assoc.is_established
    served_association(scp)._drain()
    assert wait_until(lambda: assoc.is_aborted)


def test_requests_in_hand_are_answered_before_the_abort(scp: AE) -> None:
    """A window of 2: both requests are being performed when the drain starts; both get
    their Success, and only then comes the A-ABORT."""
    scp.maximum_operations_performed = 2
    started = threading.Barrier(3, timeout=DEADLINE)
    go = threading.Event()

    def handler(event: Any) -> int:
        started.wait()
        assert go.wait(DEADLINE)
        return 0x0000

    port = serve(scp, [(evt.EVT_C_ECHO, handler)])
    window = AsynchronousOperationsWindowNegotiation()
    window.maximum_number_operations_invoked = window.maximum_number_operations_performed = 2
    assoc = requestor().associate("127.0.0.1", port, ext_neg=[window])
    assert assoc.dimse.invoked.window == 2
    pending = [assoc.submit_c_echo(), assoc.submit_c_echo()]
    started.wait()
    served = served_association(scp)
    served._drain()
    # Both handlers are blocked: nothing has been answered, nothing ended.
    assert served.is_established and not assoc.is_aborted
    go.set()
    assert [p.status() for p in pending] == [0x0000, 0x0000]
    assert wait_until(lambda: assoc.is_aborted)


def test_a_data_set_half_received_is_completed_and_answered(scp: AE) -> None:
    stored: list[int] = []

    def handler(event: Any) -> int:
        stored.append(event.request.MessageID)
        return 0x0000

    port = serve(scp, [(evt.EVT_C_STORE, handler)])
    data_set = bytes(2 * 1024 * 1024)  # zeros: (0000,0000) UL elements, as far as we care
    command = _core.CommandSet(
        0x0001,
        affected_sop_class_uid=CT,
        affected_sop_instance_uid="1.2.3.4",
        message_id=5,
        priority=2,
        command_data_set_type=0x0000,
    ).encode()
    wire = _core.fragment_message(16382, 1, command, data_set)
    with Peer(port) as peer:
        peer.associate(associate_rq(contexts=[(1, CT, [IMPLICIT])]))
        half = len(wire) // 2
        assert peer.send(wire[:half])
        served = served_association(scp)
        # The reader has taken some of it: the message is under way.
        assert wait_until(lambda: served.dul._connection.receiving)
        served._drain()
        assert served.is_established
        assert peer.send(wire[half:])
        answer = peer.read(count=2, deadline=DEADLINE)
    assert [describe(item) for item in answer.pdus] == ["P-DATA(C-STORE-RSP)", "A-ABORT(0,0)"]
    response = answer.pdus[0]
    assert isinstance(response, _core.Message)
    assert response.command.status == 0x0000
    assert stored == [5]


def test_a_connection_not_yet_associated_is_closed(scp: AE) -> None:
    port = serve(scp, [])
    with Peer(port) as peer:
        served_association(scp)._drain()
        answer = peer.read(deadline=DEADLINE)
    assert answer.closed and answer.pdus == []


def test_a_connection_killed_before_its_thread_took_it_over_is_closed() -> None:
    """The race behind the test above, made certain: the server's stop kills the
    association before its thread has handed it the accepted socket. The socket is
    closed when it arrives (it stayed open until garbage collection, and the peer
    waited)."""
    ours, peer = socket.socketpair()
    with ours, peer:
        upper = UpperLayer(
            requestor=False, on_indication=lambda *_: None, local_max_pdu=0, artim_timeout=DEADLINE
        )
        upper.kill()
        upper.accept(ours)
        assert ours.fileno() == -1
        assert upper.closed.is_set()
        assert upper.state is State.STA1
        peer.settimeout(DEADLINE)
        assert peer.recv(1) == b""
        upper.serve()  # returns at once
