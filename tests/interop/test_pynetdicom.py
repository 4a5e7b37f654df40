"""pynetdicom 3.0.4 as the real peer, in both directions, in this process.

Each test runs twice: pynetdicom's SCU against our SCP, and our SCU against
pynetdicom's SCP. The two libraries share an API, so one test body drives
either; only the objects (AE, evt, build_role, pdu_primitives) come from the
side that uses them.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest

import fastdimse
import fastdimse.pdu_primitives
from helpers import DEADLINE, LOCALHOST, PORT, Server, pynetdicom_app, require_module, wait_until

from .conftest import BIG_ENDIAN, CT_STORAGE, DEFLATED, EXPLICIT, IMPLICIT, VERIFICATION, Served

pynetdicom = require_module("pynetdicom")
pn_primitives = require_module("pynetdicom.pdu_primitives")
pn_presentation = require_module("pynetdicom.presentation")


@dataclass
class Library:
    """One library's public objects."""

    name: str
    module: ModuleType
    primitives: ModuleType

    @property
    def evt(self) -> Any:
        return self.module.evt

    def build_role(self, uid: str, scu_role: bool, scp_role: bool) -> Any:
        return self.module.build_role(uid, scu_role=scu_role, scp_role=scp_role)

    def user_identity(
        self, kind: int, primary: bytes, secondary: bytes = b"", response: bool = True
    ) -> Any:
        item = self.primitives.UserIdentityNegotiation()
        item.user_identity_type = kind
        item.primary_field = primary
        if secondary:
            item.secondary_field = secondary
        item.positive_response_requested = response
        return item


OURS = Library("fastdimse", fastdimse, fastdimse.pdu_primitives)
THEIRS = Library("pynetdicom", pynetdicom, pn_primitives)


@dataclass
class ServerSide:
    """What the acceptor's handlers saw (they run on its association threads)."""

    assocs: list[Any] = field(default_factory=list)
    echoes: int = 0
    released: threading.Event = field(default_factory=threading.Event)
    aborted: threading.Event = field(default_factory=threading.Event)
    identities: list[tuple[int, bytes, bytes | None]] = field(default_factory=list)
    identity_answer: tuple[bool, bytes | None] = (True, None)

    def handlers(self, lib: Library) -> list[tuple[Any, Callable[..., Any]]]:
        return [
            (lib.evt.EVT_ESTABLISHED, lambda event: self.assocs.append(event.assoc)),
            (lib.evt.EVT_C_ECHO, self._echo),
            (lib.evt.EVT_RELEASED, lambda event: self.released.set()),
            (lib.evt.EVT_ABORTED, lambda event: self.aborted.set()),
            (lib.evt.EVT_USER_ID, self._user_id),
        ]

    def _echo(self, event: Any) -> int:
        self.echoes += 1
        return 0x0000

    def _user_id(self, event: Any) -> tuple[bool, bytes | None]:
        self.identities.append((event.user_id_type, event.primary_field, event.secondary_field))
        return self.identity_answer

    def assoc(self) -> Any:
        """The acceptor's association (its EVT_ESTABLISHED may trail the requestor's return)."""
        if not wait_until(lambda: bool(self.assocs)):
            raise AssertionError("the acceptor never reported an established association")
        return self.assocs[-1]


@dataclass
class Peers:
    """A requestor library and an acceptor library, with factories that clean up."""

    scu: Library
    scp: Library
    _our_aes: Callable[[str], Any]
    _pn_aes: Callable[[str], Any]

    def scu_ae(self, *contexts: tuple[str, list[str]]) -> Any:
        ae = self._make(self.scu, "REQUESTOR")
        for abstract, syntaxes in contexts or ((VERIFICATION, [IMPLICIT]),):
            ae.add_requested_context(abstract, syntaxes)
        return ae

    def scp_ae(self) -> Any:
        return self._make(self.scp, "ACCEPTOR")

    def serve(self, ae: Any, seen: ServerSide) -> Served:
        server = ae.start_server((LOCALHOST, 0), block=False, evt_handlers=seen.handlers(self.scp))
        return Served(ae, server, int(server.server_address[1]))

    def _make(self, lib: Library, title: str) -> Any:
        return (self._our_aes if lib is OURS else self._pn_aes)(title)


@pytest.fixture(params=["pynetdicom-scu", "pynetdicom-scp"])
def peers(
    request: pytest.FixtureRequest,
    our_aes: Callable[[str], Any],
    pn_aes: Callable[[str], Any],
) -> Peers:
    if request.param == "pynetdicom-scu":
        return Peers(THEIRS, OURS, our_aes, pn_aes)
    return Peers(OURS, THEIRS, our_aes, pn_aes)


def verification_scp(peers: Peers, syntaxes: list[str] | None = None) -> Any:
    ae = peers.scp_ae()
    ae.add_supported_context(VERIFICATION, syntaxes)
    return ae


# -- echo, contexts, transfer syntaxes -----------------------------------------------


def test_echo_and_release(peers: Peers) -> None:
    seen = ServerSide()
    served = peers.serve(verification_scp(peers), seen)
    scu = peers.scu_ae()
    assoc = scu.associate(LOCALHOST, served.port, ae_title="ACCEPTOR")
    assert assoc.is_established
    assert assoc.acceptor.ae_title == "ACCEPTOR"
    server_assoc = seen.assoc()
    assert server_assoc.requestor.ae_title == "REQUESTOR"
    for msg_id in (1, 2, 3):
        assert assoc.send_c_echo(msg_id=msg_id).Status == 0x0000
    assert seen.echoes == 3
    assoc.release()
    assert assoc.is_released and not assoc.is_established
    assert seen.released.wait(DEADLINE)
    assert wait_until(lambda: not served.ae.active_associations)
    assert wait_until(lambda: not scu.active_associations)


def test_abstract_syntax_not_supported(peers: Peers) -> None:
    seen = ServerSide()
    served = peers.serve(verification_scp(peers), seen)
    scu = peers.scu_ae((VERIFICATION, [IMPLICIT]), (CT_STORAGE, [IMPLICIT]))
    assoc = scu.associate(LOCALHOST, served.port)
    assert assoc.is_established
    assert [cx.abstract_syntax for cx in assoc.accepted_contexts] == [VERIFICATION]
    assert [(cx.context_id, cx.abstract_syntax, cx.result) for cx in assoc.rejected_contexts] == [
        (3, CT_STORAGE, 0x03)
    ]
    server_assoc = seen.assoc()
    assert [cx.abstract_syntax for cx in server_assoc.accepted_contexts] == [VERIFICATION]
    assert [(cx.context_id, cx.result) for cx in server_assoc.rejected_contexts] == [(3, 0x03)]
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()


def test_transfer_syntax_not_supported(peers: Peers) -> None:
    seen = ServerSide()
    scp = peers.scp_ae()
    scp.add_supported_context(VERIFICATION, [BIG_ENDIAN])
    scp.add_supported_context(CT_STORAGE, [IMPLICIT, EXPLICIT])
    served = peers.serve(scp, seen)
    scu = peers.scu_ae((VERIFICATION, [IMPLICIT, EXPLICIT]), (CT_STORAGE, [EXPLICIT]))
    assoc = scu.associate(LOCALHOST, served.port)
    assert assoc.is_established
    assert [(cx.abstract_syntax, cx.transfer_syntax) for cx in assoc.accepted_contexts] == [
        (CT_STORAGE, [EXPLICIT])
    ]
    assert [(cx.context_id, cx.result) for cx in assoc.rejected_contexts] == [(1, 0x04)]
    server_assoc = seen.assoc()
    assert [(cx.context_id, cx.result) for cx in server_assoc.rejected_contexts] == [(1, 0x04)]
    assoc.release()


def test_no_context_accepted(peers: Peers) -> None:
    seen = ServerSide()
    served = peers.serve(verification_scp(peers), seen)
    scu = peers.scu_ae((CT_STORAGE, [IMPLICIT]))
    assoc = scu.associate(LOCALHOST, served.port)
    # The acceptor accepts the association with every context rejected; the
    # requestor then has nothing to use and aborts.
    assert not assoc.is_established
    assert assoc.is_aborted
    assert wait_until(lambda: not served.ae.active_associations)
    assert wait_until(lambda: not scu.active_associations)


@pytest.mark.parametrize(
    ("offered", "preferred", "expected"),
    [
        ([IMPLICIT, BIG_ENDIAN, EXPLICIT], [EXPLICIT, BIG_ENDIAN, IMPLICIT], EXPLICIT),
        ([EXPLICIT, IMPLICIT], [BIG_ENDIAN, IMPLICIT, EXPLICIT], IMPLICIT),
        ([IMPLICIT, EXPLICIT, DEFLATED], [DEFLATED, EXPLICIT], DEFLATED),
    ],
)
def test_acceptor_transfer_syntax_preference(
    peers: Peers, offered: list[str], preferred: list[str], expected: str
) -> None:
    seen = ServerSide()
    served = peers.serve(verification_scp(peers, preferred), seen)
    assoc = peers.scu_ae((VERIFICATION, offered)).associate(LOCALHOST, served.port)
    assert assoc.is_established
    assert assoc.accepted_contexts[0].transfer_syntax == [expected]
    assert seen.assoc().accepted_contexts[0].transfer_syntax == [expected]
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()


# -- SCP/SCU role selection -----------------------------------------------------------

PROPOSED_ROLES = [(True, True), (True, False), (False, True)]
ACCEPTOR_ROLES = [(None, None), (True, True), (True, False), (False, True), (False, False)]


@pytest.mark.parametrize("acceptor_roles", ACCEPTOR_ROLES, ids=str)
@pytest.mark.parametrize("proposed", PROPOSED_ROLES, ids=str)
def test_role_selection(
    peers: Peers,
    proposed: tuple[bool, bool],
    acceptor_roles: tuple[bool | None, bool | None],
) -> None:
    # pynetdicom's outcome table (requestor and acceptor roles) is the oracle:
    # (requestor as SCU, as SCP, acceptor as SCU, as SCP), all False = rejected.
    outcome = pn_presentation.SCP_SCU_ROLES[proposed][acceptor_roles]
    seen = ServerSide()
    scp = verification_scp(peers)
    scp.add_supported_context(
        CT_STORAGE, [IMPLICIT], scu_role=acceptor_roles[0], scp_role=acceptor_roles[1]
    )
    served = peers.serve(scp, seen)
    scu = peers.scu_ae((VERIFICATION, [IMPLICIT]), (CT_STORAGE, [IMPLICIT]))
    role = peers.scu.build_role(CT_STORAGE, *proposed)
    assoc = scu.associate(LOCALHOST, served.port, ext_neg=[role])
    assert assoc.is_established
    server_assoc = seen.assoc()
    if not any(outcome):
        # Usable in no role: the acceptor rejects the context (user rejection).
        assert [(cx.abstract_syntax, cx.result) for cx in assoc.rejected_contexts] == [
            (CT_STORAGE, 0x01)
        ]
        assert [cx.result for cx in server_assoc.rejected_contexts] == [0x01]
    else:
        [ours] = [cx for cx in assoc.accepted_contexts if cx.abstract_syntax == CT_STORAGE]
        [theirs] = [cx for cx in server_assoc.accepted_contexts if cx.abstract_syntax == CT_STORAGE]
        assert (ours.as_scu, ours.as_scp, theirs.as_scu, theirs.as_scp) == outcome
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()


# -- user identity ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "primary", "secondary"),
    [(3, b"kerberos-ticket", b""), (4, b"<saml/>", b""), (5, b"eyJhbGciOi.jwt", b"")],
)
def test_user_identity_with_server_response(
    peers: Peers, kind: int, primary: bytes, secondary: bytes
) -> None:
    seen = ServerSide(identity_answer=(True, b"resp"))
    served = peers.serve(verification_scp(peers), seen)
    identity = peers.scu.user_identity(kind, primary, secondary, response=True)
    assoc = peers.scu_ae().associate(LOCALHOST, served.port, ext_neg=[identity])
    assert assoc.is_established
    assert seen.identities == [(kind, primary, secondary)]
    response = assoc.acceptor.user_identity
    assert response is not None and response.server_response == b"resp"
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()


def test_user_identity_no_response_unless_requested(peers: Peers) -> None:
    seen = ServerSide(identity_answer=(True, b"resp"))
    served = peers.serve(verification_scp(peers), seen)
    identity = peers.scu.user_identity(3, b"ticket", response=False)
    assoc = peers.scu_ae().associate(LOCALHOST, served.port, ext_neg=[identity])
    assert assoc.is_established
    assert seen.identities == [(3, b"ticket", b"")]
    assert assoc.acceptor.user_identity is None
    assoc.release()


def test_user_identity_username_and_passcode(peers: Peers) -> None:
    seen = ServerSide(identity_answer=(True, None))
    served = peers.serve(verification_scp(peers), seen)
    identity = peers.scu.user_identity(2, b"alice", b"secret", response=False)
    assoc = peers.scu_ae().associate(LOCALHOST, served.port, ext_neg=[identity])
    assert assoc.is_established
    assert seen.identities == [(2, b"alice", b"secret")]
    assoc.release()


def test_user_identity_refused(peers: Peers) -> None:
    seen = ServerSide(identity_answer=(False, None))
    served = peers.serve(verification_scp(peers), seen)
    rejected: list[Any] = []
    identity = peers.scu.user_identity(1, b"mallory", response=True)
    # pynetdicom 3.0.4's requestor now and then ends an association it was
    # answered on as aborted (the polling race the benchmark also meets, about
    # one run in a hundred here): such an attempt is repeated, at most twice.
    for _ in range(3):
        rejected.clear()
        assoc = peers.scu_ae().associate(
            LOCALHOST,
            served.port,
            ext_neg=[identity],
            evt_handlers=[(peers.scu.evt.EVT_REJECTED, rejected.append)],
        )
        if peers.scu is OURS or not assoc.is_aborted:
            break
    assert assoc.is_rejected and not assoc.is_established
    assert len(rejected) == 1
    assert set(seen.identities) == {(1, b"mallory", b"")}
    assert seen.assocs == []
    assert wait_until(lambda: not served.ae.active_associations)


def test_user_identity_refusal_reason(peers: Peers, request: pytest.FixtureRequest) -> None:
    seen = ServerSide(identity_answer=(False, None))
    served = peers.serve(verification_scp(peers), seen)
    received: list[Any] = []
    identity = peers.scu.user_identity(2, b"mallory", b"guess", response=False)
    # pynetdicom 3.0.4's requestor race, as in test_user_identity_refused: an attempt
    # it ends as aborted is repeated, at most twice.
    for _ in range(3):
        received.clear()
        assoc = peers.scu_ae().associate(
            LOCALHOST,
            served.port,
            ext_neg=[identity],
            evt_handlers=[(peers.scu.evt.EVT_ACSE_RECV, received.append)],
        )
        if peers.scu is OURS or not assoc.is_aborted:
            break
    assert assoc.is_rejected
    rj = [e.primitive for e in received if getattr(e.primitive, "result", None) is not None]
    # A-ASSOCIATE-RJ: rejected-transient, ACSE-related, no reason given.
    assert [(p.result, p.result_source, p.diagnostic) for p in rj] == [(2, 2, 1)]


def test_user_identity_username_with_positive_response_requested(
    peers: Peers, request: pytest.FixtureRequest
) -> None:
    # PS3.7 Table D.3-15: the server response "shall be zero length" for
    # identity types 1 and 2, whatever the handler returns. pynetdicom sends no
    # response item at all for them (its documented behaviour).
    seen = ServerSide(identity_answer=(True, b"resp"))
    served = peers.serve(verification_scp(peers), seen)
    identity = peers.scu.user_identity(2, b"alice", b"secret", response=True)
    assoc = peers.scu_ae().associate(LOCALHOST, served.port, ext_neg=[identity])
    assert assoc.is_established
    assert seen.identities == [(2, b"alice", b"secret")]
    response = assoc.acceptor.user_identity
    if peers.scp is THEIRS:
        assert response is None
    else:
        assert response is not None and response.server_response == b""
    assoc.release()


# -- maximum PDU ---------------------------------------------------------------------------


@pytest.mark.parametrize("requestor_max", [0, 16384, 1048576])
@pytest.mark.parametrize("acceptor_max", [0, 16384, 1048576])
def test_maximum_pdu(peers: Peers, requestor_max: int, acceptor_max: int) -> None:
    seen = ServerSide()
    scp = verification_scp(peers)
    scp.maximum_pdu_size = acceptor_max
    served = peers.serve(scp, seen)
    assoc = peers.scu_ae().associate(LOCALHOST, served.port, max_pdu=requestor_max)
    assert assoc.is_established
    assert assoc.acceptor.maximum_length == acceptor_max
    assert seen.assoc().requestor.maximum_length == requestor_max
    for msg_id in range(1, 6):
        assert assoc.send_c_echo(msg_id=msg_id).Status == 0x0000
    assoc.release()
    assert assoc.is_released


# -- release and abort from either side ----------------------------------------------------


class Requestor:
    """A requestor's association and what its own handlers saw."""

    def __init__(self, peers: Peers, port: int) -> None:
        self.released = threading.Event()
        self.aborted = threading.Event()
        self.ae = peers.scu_ae()
        evt = peers.scu.evt
        self.assoc = self.ae.associate(
            LOCALHOST,
            port,
            evt_handlers=[
                (evt.EVT_RELEASED, lambda event: self.released.set()),
                (evt.EVT_ABORTED, lambda event: self.aborted.set()),
            ],
        )
        if not self.assoc.is_established:
            raise AssertionError("association not established")


def test_requestor_releases(peers: Peers) -> None:
    seen = ServerSide()
    served = peers.serve(verification_scp(peers), seen)
    side = Requestor(peers, served.port)
    server_assoc = seen.assoc()
    side.assoc.release()
    assert side.assoc.is_released and not side.assoc.is_aborted
    assert seen.released.wait(DEADLINE)
    assert wait_until(lambda: server_assoc.is_released and not server_assoc.is_established)
    assert not seen.aborted.is_set() and not server_assoc.is_aborted
    assert wait_until(lambda: not served.ae.active_associations)
    assert wait_until(lambda: not side.ae.active_associations)


def test_acceptor_releases(peers: Peers) -> None:
    seen = ServerSide()
    served = peers.serve(verification_scp(peers), seen)
    side = Requestor(peers, served.port)
    server_assoc = seen.assoc()
    server_assoc.release()
    assert server_assoc.is_released
    assert side.released.wait(DEADLINE)
    assert wait_until(lambda: side.assoc.is_released and not side.assoc.is_established)
    assert not side.aborted.is_set() and not side.assoc.is_aborted
    assert wait_until(lambda: not served.ae.active_associations)
    assert wait_until(lambda: not side.ae.active_associations)


def test_requestor_aborts(peers: Peers) -> None:
    seen = ServerSide()
    served = peers.serve(verification_scp(peers), seen)
    side = Requestor(peers, served.port)
    server_assoc = seen.assoc()
    side.assoc.abort()
    assert side.assoc.is_aborted and not side.assoc.is_established
    assert seen.aborted.wait(DEADLINE)
    assert wait_until(lambda: server_assoc.is_aborted and not server_assoc.is_established)
    assert not seen.released.is_set()
    assert wait_until(lambda: not served.ae.active_associations)
    assert wait_until(lambda: not side.ae.active_associations)


def test_acceptor_aborts(peers: Peers) -> None:
    seen = ServerSide()
    served = peers.serve(verification_scp(peers), seen)
    side = Requestor(peers, served.port)
    server_assoc = seen.assoc()
    server_assoc.abort()
    assert server_assoc.is_aborted
    assert side.aborted.wait(DEADLINE)
    assert wait_until(lambda: side.assoc.is_aborted and not side.assoc.is_established)
    assert not side.released.is_set()
    assert wait_until(lambda: not served.ae.active_associations)
    assert wait_until(lambda: not side.ae.active_associations)
    # The server serves the next peer.
    again = peers.scu_ae().associate(LOCALHOST, served.port)
    assert again.is_established
    assert again.send_c_echo().Status == 0x0000
    again.release()


# -- pynetdicom's own apps, as separate processes ---------------------------------------


def test_pynetdicom_echoscu_app_to_our_scp(serve: Callable[..., Served]) -> None:
    seen = ServerSide()
    served = serve(evt_handlers=seen.handlers(OURS))
    result = subprocess.run(
        pynetdicom_app("echoscu", "-v", LOCALHOST, str(served.port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    assert "Received Echo Response (Status: 0x0000 - Success)" in result.stdout
    assert seen.echoes == 1
    assert seen.released.is_set()
    assert wait_until(lambda: not served.ae.active_associations)


@pytest.fixture
def pynetdicom_echoscp(subprocess_servers: Callable[..., Server]) -> int:
    """``python -m pynetdicom echoscp PORT`` on a free port; killed at the end."""
    argv = pynetdicom_app("echoscp", "-pdu", "0", PORT)
    return int(subprocess_servers(argv, name="pynetdicom-echoscp").port)


def test_our_scu_to_pynetdicom_echoscp_app(
    pynetdicom_echoscp: int, our_aes: Callable[[str], Any]
) -> None:
    scu = our_aes("OURSCU")
    scu.add_requested_context(VERIFICATION)
    assoc = scu.associate(LOCALHOST, pynetdicom_echoscp, max_pdu=0)
    assert assoc.is_established
    assert assoc.acceptor.maximum_length == 0
    assert [assoc.send_c_echo(msg_id=i).Status for i in range(1, 4)] == [0, 0, 0]
    assoc.release()
    assert assoc.is_released
