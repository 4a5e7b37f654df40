"""Associations between our own two ends, over real loopback sockets.

Negotiation outcomes (each rejection reason, transfer-syntax preference, roles,
user identity, maximum PDU), release and abort from either side, the
association limit and the slot freed when a connection ends.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from fastdimse import AE, build_role, evt
from fastdimse.pdu_primitives import (
    SCP_SCU_RoleSelectionNegotiation,
    UserIdentityNegotiation,
)
from fastdimse.presentation import build_context
from helpers import wait_until

VERIFICATION = "1.2.840.10008.1.1"
CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
BIG_ENDIAN = "1.2.840.10008.1.2.2"
DEADLINE = 10.0


def established(ae: AE) -> bool:
    """One association on ``ae``, and it is established (not merely connected)."""
    active = ae.active_associations
    return len(active) == 1 and active[0].is_established


@pytest.fixture
def scp_ae() -> Iterator[AE]:
    ae = AE("SCP")
    ae.add_supported_context(VERIFICATION)
    yield ae
    ae.shutdown()


def start(ae: AE, **kwargs: Any) -> tuple[Any, int]:
    server = ae.start_server(("127.0.0.1", 0), block=False, **kwargs)
    assert server is not None
    return server, server.server_address[1]


def requestor(*contexts: str, **kwargs: Any) -> AE:
    ae = AE("SCU")
    for uid in contexts or (VERIFICATION,):
        ae.add_requested_context(uid, **kwargs)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    return ae


class TestEcho:
    def test_echo_and_release(self, scp_ae: AE) -> None:
        _, port = start(scp_ae)
        assoc = requestor().associate("127.0.0.1", port, ae_title="SCP")
        assert assoc.is_established
        status = assoc.send_c_echo()
        assert status.Status == 0x0000
        assoc.release()
        assert assoc.is_released and not assoc.is_established
        assert wait_until(lambda: not scp_ae.active_associations)

    def test_many_echoes_on_one_association(self, scp_ae: AE) -> None:
        _, port = start(scp_ae)
        assoc = requestor().associate("127.0.0.1", port)
        statuses = [assoc.send_c_echo(msg_id=i).Status for i in range(1, 201)]
        assert statuses == [0] * 200
        assoc.release()

    def test_handler_status_is_returned(self, scp_ae: AE) -> None:
        _, port = start(scp_ae, evt_handlers=[(evt.EVT_C_ECHO, lambda event: 0x0122)])
        assoc = requestor().associate("127.0.0.1", port)
        assert assoc.send_c_echo().Status == 0x0122
        assoc.release()

    def test_handler_exception_still_answers_success(self, scp_ae: AE) -> None:
        def boom(event: Any) -> int:
            raise RuntimeError("handler failed")

        _, port = start(scp_ae, evt_handlers=[(evt.EVT_C_ECHO, boom)])
        assoc = requestor().associate("127.0.0.1", port)
        assert assoc.send_c_echo().Status == 0x0000
        assoc.release()

    @pytest.mark.parametrize("max_pdu", [0, 16384, 1048576])
    def test_maximum_pdu_both_directions(self, scp_ae: AE, max_pdu: int) -> None:
        scp_ae.maximum_pdu_size = max_pdu
        _, port = start(scp_ae)
        assoc = requestor().associate("127.0.0.1", port, max_pdu=max_pdu)
        assert assoc.is_established
        assert assoc.acceptor.maximum_length == max_pdu
        server_side = scp_ae.active_associations[0]
        assert server_side.requestor.maximum_length == max_pdu
        assert assoc.send_c_echo().Status == 0
        assoc.release()

    def test_ipv6(self, scp_ae: AE) -> None:
        if not socket.has_ipv6:
            pytest.skip("no IPv6 in this kernel")
        server = scp_ae.start_server(("::1", 0), block=False)
        assert server is not None
        assoc = requestor().associate("::1", server.server_address[1])
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0
        assoc.release()


class TestNegotiation:
    def test_abstract_syntax_not_supported(self, scp_ae: AE) -> None:
        _, port = start(scp_ae)
        assoc = requestor(VERIFICATION, CT_STORAGE).associate("127.0.0.1", port)
        assert assoc.is_established
        rejected = {cx.abstract_syntax: cx.result for cx in assoc.rejected_contexts}
        assert rejected == {CT_STORAGE: 0x03}
        assoc.release()

    def test_transfer_syntax_not_supported(self) -> None:
        ae = AE("SCP")
        ae.add_supported_context(VERIFICATION, [BIG_ENDIAN])
        ae.add_supported_context(CT_STORAGE, [IMPLICIT])
        _, port = start(ae)
        try:
            scu = AE("SCU")
            scu.add_requested_context(VERIFICATION, [IMPLICIT])
            scu.add_requested_context(CT_STORAGE, [IMPLICIT])
            assoc = scu.associate("127.0.0.1", port)
            assert [cx.abstract_syntax for cx in assoc.accepted_contexts] == [CT_STORAGE]
            assert [cx.result for cx in assoc.rejected_contexts] == [0x04]
            assoc.release()
        finally:
            ae.shutdown()

    def test_acceptor_transfer_syntax_preference_wins(self) -> None:
        ae = AE("SCP")
        ae.add_supported_context(VERIFICATION, [EXPLICIT, IMPLICIT])
        _, port = start(ae)
        try:
            scu = AE("SCU")
            scu.add_requested_context(VERIFICATION, [IMPLICIT, EXPLICIT])
            assoc = scu.associate("127.0.0.1", port)
            assert assoc.accepted_contexts[0].transfer_syntax[0] == EXPLICIT
            assoc.release()
        finally:
            ae.shutdown()

    def test_no_acceptable_context_aborts(self, scp_ae: AE) -> None:
        _, port = start(scp_ae)
        assoc = requestor(CT_STORAGE).associate("127.0.0.1", port)
        assert not assoc.is_established
        assert assoc.is_aborted
        assert wait_until(lambda: not scp_ae.active_associations)

    def test_called_ae_title_required(self, scp_ae: AE) -> None:
        scp_ae.require_called_aet = True
        _, port = start(scp_ae)
        assoc = requestor().associate("127.0.0.1", port, ae_title="WRONG")
        assert assoc.is_rejected and not assoc.is_established
        assoc = requestor().associate("127.0.0.1", port, ae_title="SCP")
        assert assoc.is_established
        assoc.release()

    def test_calling_ae_title_required(self, scp_ae: AE) -> None:
        scp_ae.require_calling_aet = ["OTHER"]
        _, port = start(scp_ae)
        rejected: list[Any] = []
        assoc = requestor().associate(
            "127.0.0.1", port, evt_handlers=[(evt.EVT_REJECTED, rejected.append)]
        )
        assert assoc.is_rejected
        assert len(rejected) == 1

    def test_roles(self) -> None:
        ae = AE("SCP")
        ae.add_supported_context(CT_STORAGE, scu_role=True, scp_role=True)
        _, port = start(ae)
        try:
            scu = AE("SCU")
            scu.add_requested_context(CT_STORAGE)
            role = build_role(CT_STORAGE, scu_role=True, scp_role=True)
            assoc = scu.associate("127.0.0.1", port, ext_neg=[role])
            assert assoc.is_established
            cx = assoc.accepted_contexts[0]
            assert cx.as_scu is True and cx.as_scp is True
            assoc.release()
        finally:
            ae.shutdown()

    def test_role_not_offered_by_acceptor(self) -> None:
        ae = AE("SCP")
        ae.add_supported_context(CT_STORAGE)
        _, port = start(ae)
        try:
            scu = AE("SCU")
            scu.add_requested_context(CT_STORAGE)
            role = SCP_SCU_RoleSelectionNegotiation()
            role.sop_class_uid = CT_STORAGE
            role.scu_role = False
            role.scp_role = True
            assoc = scu.associate("127.0.0.1", port, ext_neg=[role])
            # The acceptor does not allow the role reversal: the association is
            # established (as with pynetdicom 3.0.4) and we stay SCU only.
            assert assoc.is_established
            [cx] = assoc.accepted_contexts
            assert cx.as_scu is True
            assert cx.as_scp is False
            assoc.release()
            assert assoc.is_released
        finally:
            ae.shutdown()

    def test_user_identity_accepted_with_response(self, scp_ae: AE) -> None:
        seen: list[tuple[int, bytes]] = []

        def check(event: Any) -> tuple[bool, bytes]:
            seen.append((event.user_id_type, event.primary_field))
            return event.primary_field == b"alice", b"welcome"

        _, port = start(scp_ae, evt_handlers=[(evt.EVT_USER_ID, check)])
        identity = UserIdentityNegotiation()
        identity.user_identity_type = 5  # JSON Web Token: the response carries bytes
        identity.primary_field = b"alice"
        identity.positive_response_requested = True
        assoc = requestor().associate("127.0.0.1", port, ext_neg=[identity])
        assert assoc.is_established
        assert seen == [(5, b"alice")]
        response = assoc.acceptor.user_identity
        assert response is not None and response.server_response == b"welcome"
        assoc.release()

    def test_username_gets_a_zero_length_response(self, scp_ae: AE) -> None:
        _, port = start(scp_ae, evt_handlers=[(evt.EVT_USER_ID, lambda e: (True, b"x"))])
        identity = UserIdentityNegotiation()
        identity.user_identity_type = 1
        identity.primary_field = b"alice"
        identity.positive_response_requested = True
        assoc = requestor().associate("127.0.0.1", port, ext_neg=[identity])
        response = assoc.acceptor.user_identity
        assert response is not None and response.server_response == b""
        assoc.release()

    def test_user_identity_refused(self, scp_ae: AE) -> None:
        _, port = start(scp_ae, evt_handlers=[(evt.EVT_USER_ID, lambda e: (False, None))])
        identity = UserIdentityNegotiation()
        identity.user_identity_type = 1
        identity.primary_field = b"mallory"
        assoc = requestor().associate("127.0.0.1", port, ext_neg=[identity])
        assert assoc.is_rejected


class TestReleaseAndAbort:
    def test_acceptor_releases(self, scp_ae: AE) -> None:
        released = threading.Event()
        _, port = start(scp_ae)
        assoc = requestor().associate(
            "127.0.0.1", port, evt_handlers=[(evt.EVT_RELEASED, lambda e: released.set())]
        )
        assert wait_until(lambda: established(scp_ae))
        scp_ae.active_associations[0].release()
        assert released.wait(DEADLINE)
        assert wait_until(lambda: assoc.is_released and not assoc.is_alive())

    def test_requestor_aborts(self, scp_ae: AE) -> None:
        aborted = threading.Event()
        _, port = start(scp_ae, evt_handlers=[(evt.EVT_ABORTED, lambda e: aborted.set())])
        assoc = requestor().associate("127.0.0.1", port)
        assoc.abort()
        assert assoc.is_aborted
        assert aborted.wait(DEADLINE)
        assert wait_until(lambda: not scp_ae.active_associations)

    def test_acceptor_aborts(self, scp_ae: AE) -> None:
        _, port = start(scp_ae)
        assoc = requestor().associate("127.0.0.1", port)
        assert wait_until(lambda: established(scp_ae))
        scp_ae.active_associations[0].abort()
        assert wait_until(lambda: assoc.is_aborted and not assoc.is_alive())
        # The requestor learns of it: a request now fails at once.
        with pytest.raises(RuntimeError):
            assoc.send_c_echo()

    def test_handler_aborts_during_echo(self, scp_ae: AE) -> None:
        def abort(event: Any) -> int:
            event.assoc.abort()
            return 0

        _, port = start(scp_ae, evt_handlers=[(evt.EVT_C_ECHO, abort)])
        assoc = requestor().associate("127.0.0.1", port)
        status = assoc.send_c_echo()
        assert "Status" not in status
        assert wait_until(lambda: assoc.is_aborted)


class TestLimits:
    def test_over_the_limit_is_rejected_at_once_and_the_slot_comes_back(self, scp_ae: AE) -> None:
        scp_ae.maximum_associations = 1
        _, port = start(scp_ae)
        first = requestor().associate("127.0.0.1", port)
        assert first.is_established
        second = requestor().associate("127.0.0.1", port)
        assert second.is_rejected
        first.release()
        assert wait_until(lambda: not scp_ae.active_associations)
        third = requestor().associate("127.0.0.1", port)
        assert third.is_established
        third.release()

    def test_dead_peer_frees_its_slot(self, scp_ae: AE) -> None:
        scp_ae.maximum_associations = 1
        _, port = start(scp_ae)
        first = requestor().associate("127.0.0.1", port)
        assert first.is_established
        first.dul.kill()  # the peer vanishes without a word
        assert wait_until(lambda: not scp_ae.active_associations)
        second = requestor().associate("127.0.0.1", port)
        assert second.is_established
        second.release()

    def test_no_peer(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        assoc = requestor().associate("127.0.0.1", port)
        assert not assoc.is_established and assoc.is_aborted

    def test_server_shutdown_is_clean(self, scp_ae: AE) -> None:
        server, port = start(scp_ae)
        server.shutdown()
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=DEADLINE).close()


def test_build_context_round_trip_through_association(scp_ae: AE) -> None:
    _, port = start(scp_ae)
    assoc = requestor().associate(
        "127.0.0.1", port, contexts=[build_context(VERIFICATION, [EXPLICIT])]
    )
    assert assoc.accepted_contexts[0].transfer_syntax == [EXPLICIT]
    assoc.release()


class TestPerPduEvents:
    def test_pdu_data_acse_and_fsm_events_when_bound(self, scp_ae: AE) -> None:
        seen: dict[str, list[Any]] = {}

        def record(name: str) -> Any:
            return lambda event: seen.setdefault(name, []).append(event)

        events = {
            "pdu_recv": evt.EVT_PDU_RECV,
            "pdu_sent": evt.EVT_PDU_SENT,
            "data_recv": evt.EVT_DATA_RECV,
            "data_sent": evt.EVT_DATA_SENT,
            "acse_sent": evt.EVT_ACSE_SENT,
            "acse_recv": evt.EVT_ACSE_RECV,
            "fsm": evt.EVT_FSM_TRANSITION,
            "open": evt.EVT_CONN_OPEN,
        }
        _, port = start(scp_ae)
        assoc = requestor().associate(
            "127.0.0.1", port, evt_handlers=[(e, record(n)) for n, e in events.items()]
        )
        assert assoc.send_c_echo().Status == 0
        assoc.release()
        # RQ, P-DATA (echo), RELEASE-RQ sent; AC, P-DATA, RELEASE-RP received.
        assert [type(e.pdu).__name__ for e in seen["pdu_sent"]] == [
            "AssociateRq",
            "PDataTf",
            "ReleaseRq",
        ]
        assert [type(e.pdu).__name__ for e in seen["pdu_recv"]] == [
            "AssociateAc",
            "PDataTf",
            "ReleaseRp",
        ]
        assert b"".join(e.data for e in seen["data_sent"])[:1] == b"\x01"
        assert len(seen["data_recv"]) == 3
        assert [type(e.primitive).__name__ for e in seen["acse_sent"]] == ["A_ASSOCIATE"]
        assert [type(e.primitive).__name__ for e in seen["acse_recv"]] == ["A_ASSOCIATE"]
        first = seen["fsm"][0]
        assert (first.current_state, first.fsm_event, first.action, first.next_state) == (
            "Sta1",
            "Evt1",
            "AE-1",
            "Sta4",
        )
        assert seen["open"][0].address == ("127.0.0.1", port)

    def test_unbound_per_pdu_events_keep_the_plain_receiver(self, scp_ae: AE) -> None:
        _, port = start(scp_ae)
        assoc = requestor().associate("127.0.0.1", port)
        assert assoc.dul._on_pdu is None
        assoc.release()


def test_shorter_network_timeout_cuts_a_waiting_read_short(scp_ae: AE) -> None:
    """pynetdicom's #286: the acceptor's timeout changed while it waits for the peer."""
    _, port = start(scp_ae)
    assoc = requestor().associate("127.0.0.1", port)
    assert wait_until(lambda: established(scp_ae))
    scp_ae.network_timeout = 0.3  # the acceptor now gives up on the silent requestor
    assoc.network_timeout = 60
    assert wait_until(lambda: assoc.is_aborted)
    assert wait_until(lambda: not scp_ae.active_associations)


def test_the_results_list_holds_rejected_contexts_on_both_sides(scp_ae: AE) -> None:
    """``get_contexts("pcdrl")``: every context of the A-ASSOCIATE-AC with its result,
    as the requestor read it and as the acceptor sent it."""
    seen: list[dict[int, int]] = []
    _, port = start(
        scp_ae,
        evt_handlers=[
            (
                evt.EVT_ESTABLISHED,
                lambda event: seen.append(
                    {cx.context_id: cx.result for cx in event.assoc.acceptor.get_contexts("pcdrl")}
                ),
            )
        ],
    )
    assoc = requestor(VERIFICATION, CT_STORAGE).associate("127.0.0.1", port)
    assert assoc.is_established
    results = {cx.context_id: cx.result for cx in assoc.acceptor.get_contexts("pcdrl")}
    assoc.release()
    assert results == {1: 0x00, 3: 0x03}  # CT: abstract syntax not supported
    assert wait_until(lambda: seen == [results])
