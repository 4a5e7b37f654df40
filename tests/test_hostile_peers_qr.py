"""Hostile and broken peers of Query/Retrieve: each case ends with a good query, so
the SCP is shown to keep serving (on the same association where it can go on, on a
new one where the protocol says it must end).

The raw peers speak bytes (tests/hostile_peer.py); the others are our own SCU
misbehaving as a peer may (refusing every sub-operation)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydicom.dataset import Dataset

from fastdimse import AE, _core, evt
from fastdimse._files.encoding import encode_data_set
from fastdimse.sop_class import (
    CTImageStorage,
    PatientRootQueryRetrieveInformationModelFind,
    PatientRootQueryRetrieveInformationModelGet,
    PatientRootQueryRetrieveInformationModelMove,
)
from helpers import DEADLINE, LOCALHOST, wait_until
from hostile_peer import IMPLICIT, Peer, associate_rq, running_scp
from test_qr_services import Stored, associate, ct, match, qr_ae, query

FIND = PatientRootQueryRetrieveInformationModelFind
GET = PatientRootQueryRetrieveInformationModelGet
MOVE = PatientRootQueryRetrieveInformationModelMove

_C_FIND_RQ, _C_GET_RQ, _C_CANCEL_RQ = 0x0020, 0x0010, 0x0FFF


def find_matches(event: Any) -> Iterator[tuple[int, Dataset]]:
    for number in range(3):
        yield 0xFF00, match(number)


def get_three(event: Any) -> Iterator[Any]:
    yield 3
    for number in range(3):
        yield 0xFF00, ct(number)


@pytest.fixture(params=["threaded", "asyncio"])
def scp(request: pytest.FixtureRequest) -> Iterator[tuple[int, Any]]:
    """Our Q/R SCP (DIMSE and ACSE timeouts 2 s), threaded or under asyncio: its port
    and its AE (whose ``active_associations`` a test may watch)."""

    def configure(ae: Any) -> None:
        qr_ae(ae)
        ae.dimse_timeout = ae.acse_timeout = 2

    handlers = [(evt.EVT_C_FIND, find_matches), (evt.EVT_C_GET, get_three)]
    with running_scp(request.param, configure, handlers, "QR-SCP") as served:
        yield served


def good_query(port: int) -> list[int]:
    """A C-FIND on a new association: the SCP still serves."""
    assoc = associate(port)
    statuses = [int(status.Status) for status, _ in assoc.send_c_find(query(), FIND)]
    assoc.release()
    return statuses


def request(
    command_field: int,
    model: str,
    message_id: int,
    context_id: int = 1,
    identifier: Dataset | None = None,
) -> bytes:
    """A C-FIND or C-GET request (with the usual identifier), as P-DATA-TF bytes."""
    command = _core.CommandSet(
        command_field,
        affected_sop_class_uid=model,
        message_id=message_id,
        priority=0,
        command_data_set_type=0x0001,
    ).encode()
    data_set = encode_data_set(query() if identifier is None else identifier, IMPLICIT)
    return _core.fragment_message(16382, context_id, command, data_set)


def cancel(message_id: int, context_id: int = 1) -> bytes:
    command = _core.CommandSet(_C_CANCEL_RQ, message_id_being_responded_to=message_id).encode()
    return _core.fragment_message(16382, context_id, command)


def messages(answer: Any) -> list[_core.Message]:
    return [pdu for pdu in answer.pdus if isinstance(pdu, _core.Message)]


def test_cancel_for_an_unknown_message_id_is_ignored(scp: tuple[int, Any]) -> None:
    port, _ = scp
    with Peer(port) as peer:
        peer.associate(associate_rq(contexts=[(1, FIND, (IMPLICIT,))]))
        peer.send(cancel(4242))  # no request of ours has this ID
        peer.send(request(_C_FIND_RQ, FIND, 1))
        answer = peer.read(count=4, deadline=DEADLINE)
    statuses = [m.command.status for m in messages(answer)]
    assert statuses == [0xFF00, 0xFF00, 0xFF00, 0x0000]  # answered as if no cancel came
    assert not answer.closed
    assert good_query(port) == [0xFF00] * 3 + [0x0000]


def test_get_whose_peer_never_answers_its_sub_operation_is_aborted(
    scp: tuple[int, Any],
) -> None:
    port, ae = scp
    contexts = [(1, GET, (IMPLICIT,)), (3, CTImageStorage, (IMPLICIT,))]
    roles = [_core.RoleSelection(CTImageStorage, 0, 1)]
    items = [_core.MaximumLength(16382), _core.ImplementationClassUid("1.2.3.4"), *roles]
    with Peer(port) as peer:
        peer.associate(associate_rq(contexts=contexts, user_items=items))
        peer.send(request(_C_GET_RQ, GET, 1))
        first = peer.read(count=1, deadline=DEADLINE)
        # The SCP sent its C-STORE sub-operation; we never answer it. After its
        # DIMSE timeout (2 s) the SCP gives up on this association.
        rest = peer.read(deadline=4 * DEADLINE)
    store = messages(first)[0]
    assert store.command.command_field == 0x0001  # C-STORE-RQ
    assert rest.closed
    assert any(isinstance(pdu, _core.Abort) for pdu in rest.pdus)
    assert good_query(port) == [0xFF00] * 3 + [0x0000]
    # Nothing of the aborted association is left behind.
    assert wait_until(lambda: not ae.active_associations)


def test_sub_operations_refused_by_the_peer_end_in_a702(scp: tuple[int, Any]) -> None:
    port, _ = scp
    assoc = associate(port, Stored(status=0xA700))  # our SCU refusing every instance
    results = list(assoc.send_c_get(query(), GET))
    again = [int(status.Status) for status, _ in assoc.send_c_find(query(), FIND)]
    assoc.release()
    final = results[-1][0]
    assert int(final.Status) == 0xA702
    assert int(final.NumberOfFailedSuboperations) == 3
    assert again == [0xFF00] * 3 + [0x0000]


def test_move_to_an_unknown_destination_then_a_good_query() -> None:
    def handle(event: Any) -> Iterator[Any]:
        yield None, None  # the handler does not know the AE title

    ae = qr_ae(AE("QR-SCP"))
    server = ae.start_server(
        (LOCALHOST, 0),
        block=False,
        evt_handlers=[(evt.EVT_C_MOVE, handle), (evt.EVT_C_FIND, find_matches)],
    )
    try:
        port = int(server.server_address[1])
        assoc = associate(port)
        moved = [int(s.Status) for s, _ in assoc.send_c_move(query(), "NOT-KNOWN", MOVE)]
        found = [int(s.Status) for s, _ in assoc.send_c_find(query(), FIND)]
        assoc.release()
    finally:
        server.shutdown()
    assert moved == [0xA801]
    assert found == [0xFF00] * 3 + [0x0000]


def test_huge_identifier_is_refused_then_a_good_query_on_the_same_association(
    scp: tuple[int, Any],
) -> None:
    huge = query()
    huge.add_new(0x00091010, "OB", bytes(2 * 1024 * 1024))  # 2 MiB: over the 1 MiB cap
    with Peer(port := scp[0]) as peer:
        peer.associate(associate_rq(contexts=[(1, FIND, (IMPLICIT,))]))
        peer.send(request(_C_FIND_RQ, FIND, 1, identifier=huge))
        refused = peer.read(count=1, deadline=DEADLINE)
        peer.send(request(_C_FIND_RQ, FIND, 2))
        served = peer.read(count=4, deadline=DEADLINE)
    assert [m.command.status for m in messages(refused)] == [0xA700]
    assert [m.command.status for m in messages(served)] == [0xFF00, 0xFF00, 0xFF00, 0x0000]
    assert good_query(port) == [0xFF00] * 3 + [0x0000]
