"""The cap on data sets held in memory (``_config.MAX_IN_MEMORY_DATA_SET``, the core's
``Receiver(max_memory_data_set=...)``): a C-FIND identifier, a C-GET/C-MOVE identifier, an
N-service data set, any response's data set. C-STORE data sets go to spool files and are
not capped.

Over real sockets: a raw peer sends our SCP a C-FIND-RQ whose identifier is larger than the
cap, in many P-DATA-TF PDUs; it gets a C-FIND-RSP with 0xA700 (Out of Resources), the
EVT_C_FIND handler never runs, and the association goes on (a C-ECHO, then release). A raw
SCP that answers our C-FIND with an identifier over the cap gets an A-ABORT from us.
"""

from __future__ import annotations

import asyncio
import pickle
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydicom.dataset import Dataset

from fastdimse import AE, _config, _core, evt
from fastdimse.errors import CoreError, DataSetTooLargeError
from fastdimse.sop_class import PatientRootQueryRetrieveInformationModelFind
from hostile_peer import IMPLICIT, VERIFICATION, Peer, associate_rq, describe, echo_rq

PATIENT_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.1.1"
MIB = 1024 * 1024
DEADLINE = 30.0  # generous: nothing here waits for a timer
OUT_OF_RESOURCES = 0xA700
FIND_CONTEXT = 3  # the peer proposes Verification as 1 and Patient Root Find as 3


def element(group: int, elem: int, value: bytes) -> bytes:
    """One Implicit VR Little Endian element, its value padded to even length."""
    if len(value) % 2:
        value += b" "
    return struct.pack("<HHI", group, elem, len(value)) + value


def identifier(length: int) -> bytes:
    """A Patient Root identifier of exactly ``length`` bytes (even): the query, and a
    private element (read back as UN) that makes up the size."""
    head = element(0x0008, 0x0052, b"PATIENT") + element(0x0009, 0x0010, b"FASTDIMSE CAP")
    tail = element(0x0010, 0x0010, b"CAP^TEST")
    filler = length - len(head) - len(tail) - 8
    if filler < 0 or length % 2:
        raise ValueError(f"no identifier of {length} bytes")
    return head + element(0x0009, 0x1000, bytes(filler)) + tail


def c_find_rq(message_id: int, data: bytes, context_id: int = FIND_CONTEXT) -> bytes:
    """A C-FIND-RQ and its identifier, in P-DATA-TF PDUs of at most 16382 bytes."""
    command = _core.CommandSet(
        0x0020,
        message_id=message_id,
        affected_sop_class_uid=PATIENT_ROOT_FIND,
        priority=2,
        command_data_set_type=0x0000,
    ).encode()
    return _core.fragment_message(16382, context_id, command, data)


# -- the core's binding -------------------------------------------------------------------


def test_receiver_reports_a_data_set_over_its_cap_on_the_message() -> None:
    data = identifier(3000)
    receiver = _core.Receiver(max_memory_data_set=2048)
    message, echo = receiver.feed(c_find_rq(1, data) + echo_rq())
    assert isinstance(message, _core.Message) and isinstance(echo, _core.Message)
    assert echo.command.command_field == 0x0030
    assert message.data_set is None
    assert message.data_set_length == len(data)
    error = message.data_set_error
    assert isinstance(error, DataSetTooLargeError)
    assert isinstance(error, CoreError) and isinstance(error, ValueError)
    assert (error.limit, error.length) == (2048, len(data))
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.limit, copy.length) == (
        DataSetTooLargeError,
        str(error),
        2048,
        len(data),
    )


def test_receiver_keeps_a_data_set_at_its_cap_and_goes_on_after_one_over_it() -> None:
    receiver = _core.Receiver(max_memory_data_set=2048, announce_data_sets=True)
    (start,) = receiver.feed(c_find_rq(1, identifier(2050)))
    assert isinstance(start, _core.DataSetStart)
    (dropped,) = receiver.resume()
    assert isinstance(dropped, _core.Message)
    assert isinstance(dropped.data_set_error, DataSetTooLargeError)
    (start,) = receiver.feed(c_find_rq(2, identifier(2048)))
    (kept,) = receiver.resume()
    assert isinstance(kept, _core.Message)
    assert kept.data_set_error is None
    assert kept.data_set is not None and bytes(kept.data_set) == identifier(2048)
    (echo,) = receiver.feed(echo_rq())
    assert isinstance(echo, _core.Message) and echo.command.command_field == 0x0030


def test_the_default_cap_is_the_config_constant() -> None:
    assert _config.MAX_IN_MEMORY_DATA_SET == MIB
    receiver = _core.Receiver()
    (message,) = receiver.feed(c_find_rq(1, identifier(MIB + 2)))
    assert isinstance(message, _core.Message)
    assert isinstance(message.data_set_error, DataSetTooLargeError)
    assert message.data_set_error.limit == MIB


# -- our SCP, attacked by a raw peer --------------------------------------------------------


@dataclass
class FindScp:
    """Our SCP (Verification and Patient Root Find) and what its EVT_C_FIND handler saw."""

    port: int
    # The Patient Name of each identifier the handler was called with.
    found: list[str] = field(default_factory=list)

    def handler(self, event: Any) -> list[tuple[int, Dataset | None]]:
        self.found.append(str(event.identifier.PatientName))
        return []  # no match: Success


def _configure(ae: Any) -> None:
    ae.add_supported_context(VERIFICATION, IMPLICIT)
    ae.add_supported_context(PATIENT_ROOT_FIND, IMPLICIT)
    ae.network_timeout = ae.acse_timeout = DEADLINE


@contextmanager
def threaded_find_scp() -> Iterator[FindScp]:
    ae = AE("CAP-SCP")
    _configure(ae)
    scp = FindScp(0)
    server = ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_FIND, scp.handler)]
    )
    if server is None:
        raise AssertionError("start_server(block=False) returned no server")
    scp.port = server.server_address[1]
    try:
        yield scp
    finally:
        ae.shutdown()


@contextmanager
def asyncio_find_scp() -> Iterator[FindScp]:
    from fastdimse import aio

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="cap-aio-loop", daemon=True)
    thread.start()
    ae = aio.AE("CAP-SCP")
    _configure(ae)
    scp = FindScp(0)
    starting = ae.start_server(("127.0.0.1", 0), evt_handlers=[(evt.EVT_C_FIND, scp.handler)])
    server = asyncio.run_coroutine_threadsafe(starting, loop).result(DEADLINE)
    scp.port = server.server_address[1]
    try:
        yield scp
    finally:
        asyncio.run_coroutine_threadsafe(ae.shutdown(), loop).result(DEADLINE)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(DEADLINE)
        loop.close()


SERVERS: dict[str, Callable[[], Any]] = {
    "threaded": threaded_find_scp,
    "asyncio": asyncio_find_scp,
}


@pytest.fixture(params=sorted(SERVERS))
def find_scp(request: pytest.FixtureRequest) -> Iterator[FindScp]:
    with SERVERS[request.param]() as scp:
        yield scp


def associated_peer(port: int) -> Peer:
    peer = Peer(port)
    peer.sock.settimeout(DEADLINE)
    peer.associate(
        associate_rq(
            called="CAP-SCP",
            contexts=(
                (1, VERIFICATION, (IMPLICIT,)),
                (FIND_CONTEXT, PATIENT_ROOT_FIND, (IMPLICIT,)),
            ),
        )
    )
    return peer


def one_response(peer: Peer) -> _core.Message:
    answer = peer.read(count=1, deadline=DEADLINE)
    assert answer.garbage is None, answer.garbage
    message = answer.first
    assert isinstance(message, _core.Message), describe(message)
    return message


def final_find_response(peer: Peer) -> _core.Message:
    """The C-FIND-RSP that ends the operation (pending ones skipped)."""
    while True:
        message = one_response(peer)
        assert message.command.command_field == 0x8020, message.command
        if message.command.status not in (0xFF00, 0xFF01):
            return message


def assert_refused(rsp: _core.Message, message_id: int, limit: int) -> None:
    command = rsp.command
    assert rsp.context_id == FIND_CONTEXT
    assert command.command_field == 0x8020  # C-FIND-RSP
    assert command.status == OUT_OF_RESOURCES
    assert command.message_id_being_responded_to == message_id
    assert command.affected_sop_class_uid == PATIENT_ROOT_FIND
    assert command.command_data_set_type == 0x0101  # no identifier
    comment = command.error_comment
    assert comment is not None and len(comment) <= 64
    assert str(limit) in comment, comment


def echo_then_release(peer: Peer, message_id: int) -> None:
    """The association still serves: a C-ECHO succeeds, then it releases."""
    peer.send(echo_rq(context_id=1, message_id=message_id))
    echo = one_response(peer)
    assert echo.command.command_field == 0x8030
    assert echo.command.message_id_being_responded_to == message_id
    assert echo.command.status == 0x0000
    peer.send(_core.ReleaseRq().encode())
    assert describe(peer.read(count=1, deadline=DEADLINE).first) == "RELEASE-RP"


def test_find_identifier_over_the_cap_is_refused_and_the_association_goes_on(
    find_scp: FindScp, caplog: pytest.LogCaptureFixture
) -> None:
    """2 MiB in ~130 P-DATA-TF PDUs: 0xA700, no handler call, then a C-ECHO works."""
    with associated_peer(find_scp.port) as peer:
        assert peer.send(c_find_rq(5, identifier(2 * MIB)))
        assert_refused(one_response(peer), 5, MIB)
        echo_then_release(peer, 6)
    assert find_scp.found == []
    refusals = [r for r in caplog.records if "0xA700" in r.getMessage()]
    assert [r.levelname for r in refusals] == ["ERROR"]
    assert "C-FIND request 5" in refusals[0].getMessage()


@pytest.mark.parametrize("length", [MIB - 2, MIB])
def test_find_identifier_up_to_the_cap_reaches_the_handler(find_scp: FindScp, length: int) -> None:
    with associated_peer(find_scp.port) as peer:
        assert peer.send(c_find_rq(5, identifier(length)))
        rsp = final_find_response(peer)
        assert rsp.command.status == 0x0000
        assert rsp.command.message_id_being_responded_to == 5
        echo_then_release(peer, 6)
    assert find_scp.found == ["CAP^TEST"]


def test_a_lower_cap_set_in_config_is_honoured(
    find_scp: FindScp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read when the association starts: 64 KiB refuses 64 KiB + 2, keeps 64 KiB."""
    monkeypatch.setattr(_config, "MAX_IN_MEMORY_DATA_SET", 64 * 1024)
    with associated_peer(find_scp.port) as peer:
        assert peer.send(c_find_rq(5, identifier(64 * 1024 + 2)))
        assert_refused(one_response(peer), 5, 64 * 1024)
        assert peer.send(c_find_rq(6, identifier(64 * 1024)))
        assert final_find_response(peer).command.status == 0x0000
        echo_then_release(peer, 7)
    assert find_scp.found == ["CAP^TEST"]


def test_find_identifier_over_the_cap_on_a_context_never_proposed_is_aborted(
    find_scp: FindScp,
) -> None:
    """Nothing may be sent on context 5: the association is aborted, as for any message there."""
    with associated_peer(find_scp.port) as peer:
        assert peer.send(c_find_rq(5, identifier(2 * MIB), context_id=5))
        answer = peer.read(count=1, deadline=DEADLINE)
    assert describe(answer.first).startswith("A-ABORT("), describe(answer.first)
    assert find_scp.found == []


# -- our SCU, answered by a raw SCP -----------------------------------------------------------


class OverCapFindScp:
    """A raw SCP on a loopback port: it accepts one association, answers the first
    C-FIND-RQ with a Pending C-FIND-RSP carrying a 2 MiB identifier, then records every
    PDU it receives until the connection ends."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(DEADLINE)
        self.port: int = self.listener.getsockname()[1]
        self.received: list[object] = []
        self.closed = False
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._serve, name="over-cap-scp", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
            with conn:
                conn.settimeout(DEADLINE)
                self._talk(conn)
        except BaseException as error:  # reported by the test
            self.error = error

    def _talk(self, conn: socket.socket) -> None:
        receiver = _core.Receiver(0)
        pending: list[object] = []

        def next_pdu() -> object | None:
            while not pending:
                data = conn.recv(65536)
                if not data:
                    self.closed = True
                    return None
                pending.extend(receiver.feed(data))
            return pending.pop(0)

        rq = next_pdu()
        if not isinstance(rq, _core.AssociateRq):
            raise AssertionError(f"expected A-ASSOCIATE-RQ, got {describe(rq)}")
        contexts = [
            _core.PresentationContextAc(cx.id, 0, IMPLICIT) for cx in rq.presentation_contexts
        ]
        ac = _core.AssociateAc(
            rq.called_ae_title, rq.calling_ae_title, contexts, [_core.MaximumLength(16382)]
        )
        conn.sendall(ac.encode())
        find = next_pdu()
        if not isinstance(find, _core.Message) or find.command.command_field != 0x0020:
            raise AssertionError(f"expected C-FIND-RQ, got {describe(find)}")
        command = _core.CommandSet(
            0x8020,
            message_id_being_responded_to=find.command.message_id,
            affected_sop_class_uid=PATIENT_ROOT_FIND,
            command_data_set_type=0x0000,
            status=0xFF00,
        ).encode()
        conn.sendall(_core.fragment_message(16382, find.context_id, command, identifier(2 * MIB)))
        while (pdu := next_pdu()) is not None:
            self.received.append(pdu)

    def join(self) -> None:
        self.thread.join(DEADLINE)
        self.listener.close()
        if self.error is not None:
            raise self.error


def test_a_response_over_the_cap_aborts_the_association(caplog: pytest.LogCaptureFixture) -> None:
    scp = OverCapFindScp()
    ae = AE("CAP-SCU")
    ae.add_requested_context(PatientRootQueryRetrieveInformationModelFind, IMPLICIT)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    assoc = ae.associate("127.0.0.1", scp.port)
    assert assoc.is_established
    query = Dataset()
    query.QueryRetrieveLevel = "PATIENT"
    query.PatientName = "*"
    responses = list(assoc.send_c_find(query, PatientRootQueryRetrieveInformationModelFind))
    # No match was handed over: the association ended before the operation did.
    assert [(status, found) for status, found in responses if found is not None] == []
    assert responses[-1][0] == Dataset()
    assert assoc.is_aborted
    ae.shutdown()
    scp.join()
    assert [describe(pdu) for pdu in scp.received] == ["A-ABORT(0,0)"]
    assert scp.closed
    aborts = [r for r in caplog.records if "aborting the association" in r.getMessage()]
    assert [r.levelname for r in aborts] == ["ERROR"]
    assert "C-FIND-RSP" in aborts[0].getMessage()
