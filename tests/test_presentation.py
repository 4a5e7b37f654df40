"""Presentation contexts: validation, negotiation per PS3.8 / PS3.7 D.3.3.4, core conversions."""

from __future__ import annotations

import types

import pytest
from pydicom.uid import UID

from fastdimse import _config, _core
from fastdimse._upper.contexts import (
    ALL_TRANSFER_SYNTAXES,
    DEFAULT_TRANSFER_SYNTAXES,
    AllStoragePresentationContexts,
    PresentationContext,
    PresentationContextTuple,
    QueryRetrievePresentationContexts,
    StoragePresentationContexts,
    VerificationPresentationContexts,
    build_context,
    build_role,
    from_core_ac,
    from_core_rq,
    negotiate_as_acceptor,
    negotiate_as_requestor,
    negotiate_unrestricted,
    role_outcome,
    to_core_ac,
    to_core_rq,
)
from fastdimse.pdu_primitives import SCP_SCU_RoleSelectionNegotiation

IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
BIG = "1.2.840.10008.1.2.2"
VERIFICATION = "1.2.840.10008.1.1"
CT = "1.2.840.10008.5.1.4.1.1.2"
FIND = "1.2.840.10008.5.1.4.1.2.2.1"


def proposed(cid: int, uid: str, *ts: str) -> PresentationContext:
    cx = build_context(uid, list(ts))
    cx.context_id = cid
    return cx


def supported(uid: str, *ts: str, scu: bool | None = None, scp: bool | None = None):
    cx = build_context(uid, list(ts))
    cx.scu_role = scu
    cx.scp_role = scp
    return cx


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """fastdimse._config with ENFORCE_UID_CONFORMANCE off, restored afterwards."""
    monkeypatch.setattr(_config, "ENFORCE_UID_CONFORMANCE", False)
    return _config


class TestPresentationContext:
    def test_defaults(self) -> None:
        cx = PresentationContext()
        assert cx.context_id is None and cx.abstract_syntax is None and cx.result is None
        assert cx.transfer_syntax == []
        assert (cx.scu_role, cx.scp_role, cx.as_scu, cx.as_scp) == (None, None, None, None)
        assert cx.status == "Pending"

    @pytest.mark.parametrize("bad", [0, 2, 256, -1, 254])
    def test_context_id_must_be_odd_1_to_255(self, bad: int) -> None:
        cx = PresentationContext()
        with pytest.raises(ValueError, match="odd integer between 1 and 255"):
            cx.context_id = bad
        cx.context_id = 255
        assert cx.context_id == 255

    def test_abstract_syntax_types(self) -> None:
        cx = PresentationContext()
        cx.abstract_syntax = b"1.2.3"
        assert isinstance(cx.abstract_syntax, UID) and cx.abstract_syntax == "1.2.3"
        with pytest.raises(TypeError, match="'abstract_syntax' must be str, bytes or UID"):
            cx.abstract_syntax = 12  # type: ignore[assignment]
        with pytest.raises(ValueError, match="must not exceed 64 characters"):
            cx.abstract_syntax = "1." * 40

    def test_enforced_conformance_is_read_at_call_time(self, config: types.ModuleType) -> None:
        cx = PresentationContext()
        cx.abstract_syntax = "1.2.03"  # leading zero: not conformant, but allowed
        config.ENFORCE_UID_CONFORMANCE = True  # type: ignore[attr-defined]
        with pytest.raises(ValueError, match="UID is non-conformant"):
            cx.abstract_syntax = "1.2.03"
        with pytest.raises(ValueError, match="'transfer_syntax' contains an invalid UID"):
            cx.add_transfer_syntax("1.2.03")

    def test_transfer_syntaxes_deduplicated_and_filtered(self) -> None:
        cx = PresentationContext()
        cx.transfer_syntax = [IMPLICIT, b"1.2.840.10008.1.2.1", IMPLICIT, 5, None]  # type: ignore[list-item]
        assert cx.transfer_syntax == [IMPLICIT, EXPLICIT]
        assert all(isinstance(ts, UID) for ts in cx.transfer_syntax)
        with pytest.raises(TypeError, match="'transfer_syntax' must be a list"):
            cx.transfer_syntax = IMPLICIT  # type: ignore[assignment]

    def test_roles_must_be_bool_or_none(self) -> None:
        cx = PresentationContext()
        with pytest.raises(TypeError, match="'scu_role' must be a bool or None"):
            cx.scu_role = 1  # type: ignore[assignment]
        with pytest.raises(TypeError, match="'scp_role' must be a bool or None"):
            cx.scp_role = "yes"  # type: ignore[assignment]
        with pytest.raises(AttributeError):
            cx.as_scu = True  # type: ignore[misc]

    def test_str_repr_tuple(self) -> None:
        cx = proposed(3, VERIFICATION, IMPLICIT)
        cx.result = 0
        cx._as_scu, cx._as_scp = False, True
        assert str(cx) == (
            "ID: 3\nAbstract Syntax: Verification SOP Class\nTransfer Syntax(es):\n"
            "    =Implicit VR Little Endian\nResult: Accepted\nRole: SCP only"
        )
        assert repr(cx) == "Verification SOP Class"
        assert cx.as_tuple == PresentationContextTuple(3, UID(VERIFICATION), UID(IMPLICIT))

    def test_equality_and_hash(self) -> None:
        a, b = proposed(1, CT, IMPLICIT), proposed(1, CT, IMPLICIT)
        assert a == b and hash(a) == hash(b)
        b.scu_role = True
        assert a != b
        assert a != "x"

    def test_status_names(self) -> None:
        cx = PresentationContext()
        names = {}
        for result in (0, 1, 2, 3, 4, 5):
            cx.result = result
            names[result] = cx.status
        assert names == {
            0: "Accepted",
            1: "User Rejected",
            2: "Provider Rejected",
            3: "Abstract Syntax Not Supported",
            4: "Transfer Syntax(es) Not Supported",
            5: "Unknown",
        }


def test_build_context_and_role() -> None:
    cx = build_context(VERIFICATION)
    assert cx.transfer_syntax == DEFAULT_TRANSFER_SYNTAXES
    assert build_context(CT, IMPLICIT).transfer_syntax == [IMPLICIT]
    role = build_role(CT, scp_role=True)
    assert isinstance(role, SCP_SCU_RoleSelectionNegotiation)
    assert (role.sop_class_uid, role.scu_role, role.scp_role) == (CT, False, True)


def test_prebuilt_lists() -> None:
    assert [cx.abstract_syntax for cx in VerificationPresentationContexts] == [VERIFICATION]
    assert len(StoragePresentationContexts) == 120  # fits in one request with room to spare
    assert len(AllStoragePresentationContexts) > 120
    assert any(cx.abstract_syntax == FIND for cx in QueryRetrievePresentationContexts)
    assert DEFAULT_TRANSFER_SYNTAXES == ALL_TRANSFER_SYNTAXES[:4]
    for cx in StoragePresentationContexts:
        assert cx.transfer_syntax == DEFAULT_TRANSFER_SYNTAXES


# PS3.7 D.3.3.4: requestor proposes (SCU, SCP) for itself, the acceptor answers.
# Outcome: (requestor SCU, requestor SCP, acceptor SCU, acceptor SCP).
DEFAULT = (True, False, False, True)
BOTH = (True, True, True, True)
INVERTED = (False, True, True, False)
NONE = (False, False, False, False)
ROLE_TABLE = [
    # no proposal or no answer: default roles
    ((None, None), (True, True), DEFAULT),
    ((True, True), (None, None), DEFAULT),
    # proposal (1, 1)
    ((True, True), (True, True), BOTH),
    ((True, True), (True, False), DEFAULT),
    ((True, True), (False, True), INVERTED),
    ((True, True), (False, False), NONE),
    # proposal (1, 0): only the SCU role was on offer
    ((True, False), (True, False), DEFAULT),
    ((True, False), (False, False), NONE),
    # proposal (0, 1): only the SCP role was on offer
    ((False, True), (False, True), INVERTED),
    ((False, True), (False, False), NONE),
    # an answer of 1 for a role proposed as 0 does not grant it
    ((True, False), (True, True), DEFAULT),
    ((False, True), (True, True), INVERTED),
    ((False, True), (True, False), NONE),
    ((True, False), (False, True), NONE),
]


@pytest.mark.parametrize(("requested", "answered", "outcome"), ROLE_TABLE)
def test_role_outcome(requested, answered, outcome) -> None:  # type: ignore[no-untyped-def]
    assert role_outcome(requested, answered) == outcome


class TestAcceptor:
    def test_nothing_proposed(self) -> None:
        assert negotiate_as_acceptor([], [supported(CT, IMPLICIT)]) == ([], [])

    def test_abstract_syntax_not_supported(self) -> None:
        (cx,), roles = negotiate_as_acceptor(
            [proposed(1, CT, EXPLICIT, IMPLICIT)], [supported(VERIFICATION, IMPLICIT)]
        )
        assert (cx.context_id, cx.result, cx.transfer_syntax, roles) == (1, 3, [EXPLICIT], [])
        # nothing supported at all: same reason
        (cx,), _ = negotiate_as_acceptor([proposed(1, CT, IMPLICIT)], [])
        assert cx.result == 3

    def test_transfer_syntax_not_supported(self) -> None:
        (cx,), _ = negotiate_as_acceptor([proposed(5, CT, BIG)], [supported(CT, IMPLICIT)])
        assert (cx.result, cx.status, cx.transfer_syntax) == (
            4,
            "Transfer Syntax(es) Not Supported",
            [BIG],
        )
        assert (cx.as_scu, cx.as_scp) == (False, False)

    def test_acceptor_preference_wins(self) -> None:
        rq = [proposed(1, CT, IMPLICIT, EXPLICIT, BIG)]
        (cx,), _ = negotiate_as_acceptor(rq, [supported(CT, BIG, EXPLICIT)])
        assert (cx.result, cx.transfer_syntax) == (0, [BIG])
        (cx,), _ = negotiate_as_acceptor(rq, [supported(CT, EXPLICIT, BIG)])
        assert cx.transfer_syntax == [EXPLICIT]

    def test_default_roles_without_role_selection(self) -> None:
        (cx,), roles = negotiate_as_acceptor([proposed(1, CT, IMPLICIT)], [supported(CT, IMPLICIT)])
        assert (cx.result, cx.as_scu, cx.as_scp, roles) == (0, False, True, [])
        # a proposal the acceptor does not take part in: default roles, no reply
        (cx,), roles = negotiate_as_acceptor(
            [proposed(1, CT, IMPLICIT)], [supported(CT, IMPLICIT)], {UID(CT): (False, True)}
        )
        assert (cx.as_scu, cx.as_scp, roles) == (False, True, [])

    def test_user_rejection_when_roles_leave_nobody(self) -> None:
        # requestor wants to be SCP only, the acceptor refuses both roles
        (cx,), roles = negotiate_as_acceptor(
            [proposed(1, CT, IMPLICIT)],
            [supported(CT, IMPLICIT, scu=False, scp=False)],
            {UID(CT): (False, True)},
        )
        assert (cx.result, cx.status, roles) == (1, "User Rejected", [])

    def test_role_reply_never_grants_unproposed_role(self) -> None:
        (cx,), (reply,) = negotiate_as_acceptor(
            [proposed(1, CT, IMPLICIT)],
            [supported(CT, IMPLICIT, scu=True, scp=True)],
            {UID(CT): (False, True)},
        )
        assert (cx.result, cx.as_scu, cx.as_scp) == (0, True, False)
        assert (reply.sop_class_uid, reply.scu_role, reply.scp_role) == (CT, False, True)

    def test_same_abstract_syntax_in_several_contexts(self) -> None:
        rq = [proposed(3, CT, BIG), proposed(1, CT, IMPLICIT), proposed(5, VERIFICATION, IMPLICIT)]
        results, _ = negotiate_as_acceptor(rq, [supported(CT, IMPLICIT)])
        assert [(c.context_id, c.result) for c in results] == [(1, 0), (3, 4), (5, 3)]

    def test_unrestricted_accepts_storage_like(self) -> None:
        rq = [
            proposed(1, "1.2.3.4.5", BIG),  # unknown
            proposed(3, CT, EXPLICIT),  # storage
            proposed(5, FIND, IMPLICIT),  # known, not storage: negotiated as usual
        ]
        results, roles = negotiate_unrestricted(rq, [], {UID(CT): (False, True)})
        assert [(c.context_id, c.result, c.transfer_syntax) for c in results] == [
            (1, 0, [BIG]),
            (3, 0, [EXPLICIT]),
            (5, 3, [IMPLICIT]),
        ]
        assert (results[1].as_scu, results[1].as_scp) == (True, False)
        assert [(r.sop_class_uid, r.scu_role, r.scp_role) for r in roles] == [(CT, False, True)]


class TestRequestor:
    def test_requires_contexts(self) -> None:
        with pytest.raises(ValueError, match="Requestor contexts are required"):
            negotiate_as_requestor([], [])

    def test_answers_paired_by_id(self) -> None:
        rq = [proposed(1, CT, IMPLICIT, EXPLICIT), proposed(3, VERIFICATION, IMPLICIT)]
        answer = PresentationContext()
        answer.context_id = 1
        answer.result = 0
        answer.transfer_syntax = [EXPLICIT]
        ct, echo = negotiate_as_requestor(rq, [answer])
        assert (ct.abstract_syntax, ct.result, ct.transfer_syntax) == (CT, 0, [EXPLICIT])
        assert (ct.as_scu, ct.as_scp) == (True, False)
        # missing from the answer: provider rejection
        assert (echo.result, echo.transfer_syntax, echo.as_scu) == (2, [IMPLICIT], False)

    @pytest.mark.parametrize(("requested", "answered", "outcome"), ROLE_TABLE[2:10])
    def test_both_ends_agree(self, requested, answered, outcome) -> None:  # type: ignore[no-untyped-def]
        rq = proposed(1, CT, IMPLICIT)
        rq.scu_role, rq.scp_role = requested
        ac_results, replies = negotiate_as_acceptor(
            [rq], [supported(CT, IMPLICIT, scu=answered[0], scp=answered[1])], {UID(CT): requested}
        )
        reply_roles = {r.sop_class_uid: (r.scu_role, r.scp_role) for r in replies}
        (mine,) = negotiate_as_requestor([rq], ac_results, reply_roles)
        (theirs,) = ac_results
        if outcome == NONE:
            assert theirs.result == mine.result == 1
            return
        assert (mine.as_scu, mine.as_scp, theirs.as_scu, theirs.as_scp) == outcome


class TestCoreConversions:
    def test_rq_round_trip_through_the_wire(self) -> None:
        cx = proposed(7, CT, IMPLICIT, EXPLICIT)
        item = to_core_rq(cx)
        assert (item.id, item.abstract_syntax, item.transfer_syntaxes) == (
            7,
            CT,
            [IMPLICIT, EXPLICIT],
        )
        pdu = _core.decode_pdu(
            _core.AssociateRq("B", "A", [item], [_core.MaximumLength(0)]).encode()
        )
        assert isinstance(pdu, _core.AssociateRq)
        back = from_core_rq(pdu.presentation_contexts[0])
        assert back == cx

    def test_ac_round_trip_accepted_and_rejected(self) -> None:
        results, _ = negotiate_as_acceptor(
            [proposed(1, CT, EXPLICIT), proposed(3, VERIFICATION, IMPLICIT)],
            [supported(CT, EXPLICIT)],
        )
        items = [to_core_ac(cx) for cx in results]
        pdu = _core.decode_pdu(
            _core.AssociateAc("B", "A", items, [_core.MaximumLength(0)]).encode()
        )
        assert isinstance(pdu, _core.AssociateAc)
        back = [from_core_ac(item) for item in pdu.presentation_contexts]
        assert [(c.context_id, c.result, c.transfer_syntax, c.abstract_syntax) for c in back] == [
            (1, 0, [EXPLICIT], None),
            (3, 3, [IMPLICIT], None),
        ]

    def test_ac_without_transfer_syntax(self) -> None:
        cx = from_core_ac(_core.PresentationContextAc(9, 4, None))
        assert (cx.context_id, cx.result, cx.transfer_syntax) == (9, 4, [])
        assert to_core_ac(cx).transfer_syntax is None

    def test_incomplete_contexts_refused(self) -> None:
        with pytest.raises(ValueError, match="context ID"):
            to_core_rq(build_context(CT))
        cx = proposed(1, CT, IMPLICIT)
        with pytest.raises(ValueError, match="result"):
            to_core_ac(cx)
        cx.transfer_syntax = []
        with pytest.raises(ValueError, match="transfer syntax"):
            to_core_rq(cx)
