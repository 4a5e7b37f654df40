"""The engine's concurrency over loopback: handlers off the reading thread, responses
routed by Message ID, and the asynchronous operations window (PS3.7 D.3.3.3)
performed on both sides.

Waits are on events with generous deadlines, never sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from tests.hostile_peer import Peer, associate_rq, describe

from fastdimse import AE, build_role, evt
from fastdimse._core import (
    AsyncOpsWindow,
    CommandSet,
    MaximumLength,
    Message,
    encode_command_set,
    fragment_message,
)
from fastdimse._dimse.window import HELD_BEYOND_WINDOW
from fastdimse._upper.negotiation import negotiate_window
from fastdimse.pdu_primitives import AsynchronousOperationsWindowNegotiation
from fastdimse.sop_class import Verification

DEADLINE = 20.0  # generous: these machines are shared and noisy
VERIFICATION = "1.2.840.10008.1.1"
CT = "1.2.840.10008.5.1.4.1.1.2"


def window_item(invoked: int, performed: int) -> AsynchronousOperationsWindowNegotiation:
    item = AsynchronousOperationsWindowNegotiation()
    item.maximum_number_operations_invoked = invoked
    item.maximum_number_operations_performed = performed
    return item


@pytest.fixture
def scp() -> Iterator[AE]:
    ae = AE("SCP")
    ae.add_supported_context(Verification)
    ae.acse_timeout = DEADLINE
    ae.dimse_timeout = DEADLINE
    yield ae
    ae.shutdown()


def serve(ae: AE, handlers: list[Any]) -> int:
    server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=handlers)
    assert server is not None
    return int(server.server_address[1])


def requestor() -> AE:
    ae = AE("SCU")
    ae.add_requested_context(Verification)
    ae.acse_timeout = DEADLINE
    ae.dimse_timeout = DEADLINE
    return ae


# -- negotiation -----------------------------------------------------------------------


def test_the_window_crosses_the_fields_over() -> None:
    # requested (invoked, performed), our limits (invoked, performed)
    assert negotiate_window((8, 3), (2, 5)) == (5, 2)
    assert negotiate_window((0, 0), (4, 6)) == (6, 4)  # 0 requested: unlimited, so ours
    assert negotiate_window((8, 8), (0, 0)) == (8, 8)  # 0 ours: unlimited, so theirs
    assert negotiate_window((8, 8), (0, 0), (3, 0)) == (3, 8)  # the handler caps further


def test_the_default_proposes_nothing_and_stays_one_by_one(scp: AE) -> None:
    seen: list[Any] = []
    port = serve(scp, [(evt.EVT_ACSE_RECV, lambda e: seen.append(e.primitive))])
    assoc = requestor().associate("127.0.0.1", port)
    assert assoc.is_established
    rq = seen[0]
    assert not [
        i for i in rq.user_information if isinstance(i, AsynchronousOperationsWindowNegotiation)
    ]
    assert not [
        i
        for i in assoc.acceptor.extended_negotiation
        if isinstance(i, AsynchronousOperationsWindowNegotiation)
    ]
    assert (assoc.dimse.invoked.window, assoc.dimse.performed.window) == (1, 1)
    assoc.release()


def test_at_the_defaults_a_proposal_gets_no_reply_unless_a_handler_is_bound(scp: AE) -> None:
    port = serve(scp, [])
    assoc = requestor().associate("127.0.0.1", port, ext_neg=[window_item(5, 5)])
    assert assoc.is_established
    assert assoc.acceptor.asynchronous_operations == (1, 1)
    assert not assoc.acceptor.extended_negotiation
    assoc.release()

    scp.shutdown()
    port = serve(scp, [(evt.EVT_ASYNC_OPS, lambda e: (5, 5))])
    assoc = requestor().associate("127.0.0.1", port, ext_neg=[window_item(5, 5)])
    replies = assoc.acceptor.extended_negotiation
    assert [
        (i.maximum_number_operations_invoked, i.maximum_number_operations_performed)
        for i in replies
    ] == [(1, 1)]  # pynetdicom 3.0.4's answer
    assoc.release()


def test_above_the_defaults_the_acceptor_grants_what_its_limits_allow(scp: AE) -> None:
    scp.maximum_operations_invoked = 3
    scp.maximum_operations_performed = 4
    port = serve(scp, [])
    assoc = requestor().associate("127.0.0.1", port, ext_neg=[window_item(10, 10)])
    assert assoc.acceptor.asynchronous_operations == (4, 3)
    assert (assoc.dimse.invoked.window, assoc.dimse.performed.window) == (4, 3)
    server_side = scp.active_associations[0]
    assert (server_side.dimse.performed.window, server_side.dimse.invoked.window) == (4, 3)
    assoc.release()


# -- 1. a handler blocked until a second request arrives ----------------------------------


def test_a_second_request_is_served_while_the_first_handler_waits(scp: AE) -> None:
    scp.maximum_operations_performed = 2
    scp.maximum_operations_invoked = 2
    second_arrived = threading.Event()
    calls: list[int] = []

    def handler(event: Any) -> int:
        calls.append(event.request.MessageID)
        if len(calls) == 1:
            assert second_arrived.wait(DEADLINE), "the second request never reached a handler"
            return 0x0000
        second_arrived.set()
        return 0x0000

    port = serve(scp, [(evt.EVT_C_ECHO, handler)])
    assoc = requestor().associate("127.0.0.1", port, ext_neg=[window_item(2, 2)])
    assert assoc.dimse.invoked.window == 2
    first = assoc.submit_c_echo()
    second = assoc.submit_c_echo()
    assert first.message_id != second.message_id
    assert second.result().Status == 0x0000
    assert first.result().Status == 0x0000
    assert sorted(calls) == [first.message_id, second.message_id]
    assoc.release()
    assert assoc.is_released


# -- 2. eight outstanding, answered out of order -------------------------------------


def test_eight_outstanding_answered_in_reverse_each_matched_by_message_id(scp: AE) -> None:
    scp.maximum_operations_performed = 8
    scp.maximum_operations_invoked = 8
    arrived = threading.Barrier(8, timeout=DEADLINE)
    sent: dict[int, threading.Event] = {}
    order_lock = threading.Lock()

    def handler(event: Any) -> Any:
        from pydicom.dataset import Dataset

        msg_id = event.request.MessageID
        arrived.wait()  # all eight are being performed at once
        later = sent[msg_id + 1] if msg_id + 1 in sent else None
        if later is not None:
            assert later.wait(DEADLINE), "the later response was never sent"
        status = Dataset()
        status.Status = 0x0000
        status.ErrorComment = f"answer to {msg_id}"
        return status

    def on_sent(event: Any) -> None:
        rsp = event.message
        with order_lock:
            sent[int(rsp.MessageIDBeingRespondedTo)].set()

    port = serve(scp, [(evt.EVT_C_ECHO, handler), (evt.EVT_DIMSE_SENT, on_sent)])
    received: list[int] = []
    assoc = requestor().associate(
        "127.0.0.1",
        port,
        ext_neg=[window_item(8, 8)],
        evt_handlers=[
            (evt.EVT_DIMSE_RECV, lambda e: received.append(e.message.MessageIDBeingRespondedTo))
        ],
    )
    for msg_id in range(1, 9):
        sent[msg_id] = threading.Event()
    pending = [assoc.submit_c_echo(msg_id) for msg_id in range(1, 9)]
    assert assoc.dimse.invoked.outstanding <= 8
    for item in pending:
        rsp = item.response()
        assert rsp is not None
        assert rsp.MessageIDBeingRespondedTo == item.message_id
        assert item.result().ErrorComment == f"answer to {item.message_id}"
    assert received == list(range(8, 0, -1))  # on the wire, last first
    assoc.release()


def test_a_message_id_already_outstanding_is_refused_before_sending(scp: AE) -> None:
    scp.maximum_operations_performed = 2
    release = threading.Event()
    port = serve(scp, [(evt.EVT_C_ECHO, lambda e: 0 if release.wait(DEADLINE) else 0xC000)])
    assoc = requestor().associate("127.0.0.1", port, ext_neg=[window_item(2, 2)])
    first = assoc.submit_c_echo(5)
    with pytest.raises(ValueError, match="already outstanding"):
        assoc.submit_c_echo(5)
    release.set()
    assert first.status() == 0x0000
    assoc.release()


# -- 3. a peer that exceeds the window, and duplicate invocations --------------------------


def echo_rq(message_id: int) -> bytes:
    command = CommandSet(0x0030, affected_sop_class_uid=VERIFICATION, message_id=message_id)
    return fragment_message(16382, 1, encode_command_set(command))


def responses(peer: Peer, count: int) -> list[object]:
    answer = peer.read(count=count, deadline=DEADLINE)
    return answer.pdus


def test_requests_beyond_the_window_are_held_and_served_in_order(scp: AE) -> None:
    go = threading.Event()
    order: list[int] = []

    def handler(event: Any) -> int:
        order.append(event.request.MessageID)
        return 0x0000 if go.wait(DEADLINE) else 0xC000

    port = serve(scp, [(evt.EVT_C_ECHO, handler)])
    with Peer(port) as peer:
        peer.associate(associate_rq(called="SCP"))  # no window item: 1/1
        peer.send(b"".join(echo_rq(i) for i in (1, 2, 3)))
        go.set()
        got = responses(peer, 3)
    assert [describe(p) for p in got] == ["P-DATA(C-ECHO-RSP)"] * 3
    ids = [p.command.message_id_being_responded_to for p in got if isinstance(p, Message)]
    assert ids == [1, 2, 3]
    assert order == [1, 2, 3]


def test_a_peer_flooding_past_its_window_is_aborted(scp: AE) -> None:
    go = threading.Event()
    port = serve(scp, [(evt.EVT_C_ECHO, lambda e: 0 if go.wait(DEADLINE) else 0xC000)])
    with Peer(port) as peer:
        peer.associate(associate_rq(called="SCP"))
        flood = 1 + HELD_BEYOND_WINDOW + 1  # one performed, the allowance held, one more
        peer.send(b"".join(echo_rq(i) for i in range(1, flood + 1)))
        got = peer.read(deadline=DEADLINE)
        go.set()
    assert [describe(p) for p in got.pdus] == ["A-ABORT(0,0)"]
    assert got.closed


def test_a_duplicate_invocation_is_answered_0x0210(scp: AE) -> None:
    go = threading.Event()
    port = serve(scp, [(evt.EVT_C_ECHO, lambda e: 0 if go.wait(DEADLINE) else 0xC000)])
    with Peer(port) as peer:
        peer.associate(associate_rq(called="SCP"))
        peer.send(echo_rq(9) + echo_rq(9))
        duplicate = responses(peer, 1)
        go.set()
        original = responses(peer, 1)
    assert isinstance(duplicate[0], Message) and isinstance(original[0], Message)
    assert duplicate[0].command.status == 0x0210
    assert duplicate[0].command.message_id_being_responded_to == 9
    assert original[0].command.status == 0x0000


# -- 5. release and abort from inside a handler, on both sides ---------------------------


def test_an_acceptor_handler_that_releases(scp: AE) -> None:
    released = threading.Event()

    def handler(event: Any) -> int:
        event.assoc.release()
        if event.assoc.is_released:
            released.set()
        return 0x0000

    port = serve(scp, [(evt.EVT_C_ECHO, handler)])
    assoc = requestor().associate("127.0.0.1", port)
    assert len(assoc.send_c_echo()) == 0  # released instead of answered
    assert released.wait(DEADLINE)
    assert assoc.is_released
    assert not assoc.is_established


def reversed_roles(scp: AE) -> tuple[int, AE]:
    """The requestor is also Verification SCP, so the acceptor may send it C-ECHOs."""
    scp.add_supported_context(Verification, scu_role=True, scp_role=True)
    scu = requestor()
    return serve(scp, []), scu


def test_a_requestor_handler_that_releases(scp: AE) -> None:
    port, scu = reversed_roles(scp)
    done = threading.Event()

    def handler(event: Any) -> int:
        event.assoc.release()
        done.set()
        return 0x0000

    assoc = scu.associate(
        "127.0.0.1",
        port,
        ext_neg=[build_role(Verification, scu_role=True, scp_role=True)],
        evt_handlers=[(evt.EVT_C_ECHO, handler)],
    )
    assert assoc.is_established
    server_side = scp.active_associations[0]
    server_side.send_c_echo()  # answered by the requestor's handler, which releases
    assert done.wait(DEADLINE)
    assert assoc.is_released


def test_a_requestor_handler_that_aborts(scp: AE) -> None:
    port, scu = reversed_roles(scp)
    assoc = scu.associate(
        "127.0.0.1",
        port,
        ext_neg=[build_role(Verification, scu_role=True, scp_role=True)],
        evt_handlers=[(evt.EVT_C_ECHO, lambda e: e.assoc.abort() or 0)],
    )
    server_side = scp.active_associations[0]
    assert len(server_side.send_c_echo()) == 0  # aborted instead of answered
    assert server_side._ended.wait(DEADLINE)
    assert assoc.is_aborted and server_side.is_aborted


# -- 6. a response arriving while a handler runs -------------------------------------------


def test_a_handler_gets_the_response_to_its_own_request(scp: AE) -> None:
    scp.add_supported_context(Verification, scu_role=True, scp_role=True)
    inner: list[int] = []

    def handler(event: Any) -> int:
        # While this handler runs, ask the requestor for an echo: its response
        # must be read and delivered although this request is not answered yet.
        inner.append(int(event.assoc.send_c_echo(msg_id=99).Status))
        return 0x0000

    port = serve(scp, [(evt.EVT_C_ECHO, handler)])
    scu = requestor()
    assoc = scu.associate(
        "127.0.0.1", port, ext_neg=[build_role(Verification, scu_role=True, scp_role=True)]
    )
    assert assoc.send_c_echo().Status == 0x0000
    assert inner == [0x0000]
    assoc.release()


# -- 7. two hundred associations at once -------------------------------------------------


def test_the_threaded_server_serves_200_concurrent_associations(scp: AE) -> None:
    count = 200
    scp.maximum_associations = count
    calls: list[int] = []
    port = serve(scp, [(evt.EVT_C_ECHO, lambda e: calls.append(1) or 0)])
    scu = requestor()
    all_established = threading.Barrier(count, timeout=DEADLINE * 3)
    statuses: list[int] = []
    lock = threading.Lock()

    def one() -> None:
        assoc = scu.associate("127.0.0.1", port)
        if not assoc.is_established:
            all_established.abort()
            return
        all_established.wait()  # every association is open at this point
        status = int(assoc.send_c_echo().Status)
        assoc.release()
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE * 6)
    assert statuses == [0x0000] * count
    assert len(calls) == count


# -- a C-CANCEL is read while the handler of its request runs ---------------------------


def test_a_c_cancel_is_read_while_its_request_is_performed(scp: AE) -> None:
    cancel_read = threading.Event()
    seen_cancelled: list[bool] = []

    def handler(event: Any) -> int:
        assert cancel_read.wait(DEADLINE)
        performed = event.assoc.dimse.performed
        seen_cancelled.append(performed.is_cancelled(event.request.MessageID))
        return 0x0000

    def on_recv(event: Any) -> None:
        if type(event.message).__name__ == "C_CANCEL":
            cancel_read.set()

    port = serve(scp, [(evt.EVT_C_ECHO, handler), (evt.EVT_DIMSE_RECV, on_recv)])
    cancel = CommandSet(0x0FFF, message_id_being_responded_to=4, command_data_set_type=0x0101)
    with Peer(port) as peer:
        peer.associate(associate_rq(called="SCP"))
        peer.send(echo_rq(4) + fragment_message(16382, 1, encode_command_set(cancel)))
        got = responses(peer, 1)
    assert [describe(p) for p in got] == ["P-DATA(C-ECHO-RSP)"]
    assert seen_cancelled == [True]


def test_at_the_worker_limit_requests_wait_and_the_reader_reads_on(scp: AE) -> None:
    """One worker for the whole AE: the second request waits for it, while the reader
    still reads the C-CANCEL that lets the first handler finish."""
    scp.maximum_workers = 1
    scp.maximum_operations_performed = 2
    order: list[int] = []

    cancel_read = threading.Event()
    cancelled: list[bool] = []
    waiting: list[int] = []

    def handler(event: Any) -> int:
        order.append(event.request.MessageID)
        if event.request.MessageID == 1:
            # The only worker is busy here: the C-CANCEL can only come through the reader.
            assert cancel_read.wait(DEADLINE), "the C-CANCEL was not read"
            cancelled.append(event.assoc.dimse.performed.is_cancelled(1))
            waiting.append(event.assoc.ae._workers().waiting)  # request 2, read before the cancel
        return 0x0000

    def on_recv(event: Any) -> None:
        if type(event.message).__name__ == "C_CANCEL":
            cancel_read.set()

    port = serve(scp, [(evt.EVT_C_ECHO, handler), (evt.EVT_DIMSE_RECV, on_recv)])
    cancel = CommandSet(0x0FFF, message_id_being_responded_to=1, command_data_set_type=0x0101)
    window = b"".join(
        [
            echo_rq(1),
            echo_rq(2),
            fragment_message(16382, 1, encode_command_set(cancel)),
        ]
    )
    with Peer(port) as peer:
        peer.associate(
            associate_rq(
                called="SCP",
                user_items=[
                    MaximumLength(16382),
                    AsyncOpsWindow(2, 2),
                ],
            )
        )
        peer.send(window)
        got = responses(peer, 2)
    ids = [p.command.message_id_being_responded_to for p in got if isinstance(p, Message)]
    assert ids == [1, 2]
    assert order == [1, 2]
    assert cancelled == [True]
    assert waiting == [1]  # the second request waited for the one worker
