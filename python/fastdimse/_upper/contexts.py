"""Presentation contexts and their negotiation (pynetdicom's ``presentation``).

A :class:`PresentationContext` is one abstract syntax (SOP class) with the
transfer syntaxes proposed or accepted for it (PS3.8 7.1.1.13 and 9.3.2.2).
The negotiation functions decide, per PS3.8 and PS3.7 Annex D.3.3.4, what an
acceptor answers to a proposal and what a requestor makes of the answer,
including SCP/SCU role selection.

Conversions to and from the protocol core's items:

- ``to_core_rq(cx) -> _core.PresentationContextRq``: context_id, abstract
  syntax and all transfer syntaxes of a proposed context.
- ``to_core_ac(cx) -> _core.PresentationContextAc``: context_id, result and
  the first transfer syntax (None if the context has none).
- ``from_core_rq(item) -> PresentationContext``: context_id, abstract syntax
  and transfer syntaxes set; result, roles None.
- ``from_core_ac(item) -> PresentationContext``: context_id, result and the
  transfer syntax (as a one-item list, empty if None); the abstract syntax is
  None, because an A-ASSOCIATE-AC does not carry it: ``negotiate_as_requestor``
  pairs the answer with the proposal by context ID.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from fastdimse import _core
from fastdimse import _sop_class_table as _table
from fastdimse._upper.negotiation_items import SCP_SCU_RoleSelectionNegotiation
from fastdimse._validation import (
    as_uid,
    is_conformant_uid,
    is_private_uid,
    is_transfer_syntax_uid,
)
from fastdimse.utils import checked_uid, validate_uid

if TYPE_CHECKING:
    from pydicom.uid import UID

__all__ = [
    "ALL_TRANSFER_SYNTAXES",
    "DEFAULT_TRANSFER_SYNTAXES",
    "AllStoragePresentationContexts",
    "ApplicationEventLoggingPresentationContexts",
    "BasicWorklistManagementPresentationContexts",
    "ColorPalettePresentationContexts",
    "DefinedProcedureProtocolPresentationContexts",
    "DisplaySystemPresentationContexts",
    "HangingProtocolPresentationContexts",
    "ImplantTemplatePresentationContexts",
    "InstanceAvailabilityPresentationContexts",
    "MediaCreationManagementPresentationContexts",
    "MediaStoragePresentationContexts",
    "ModalityPerformedPresentationContexts",
    "NonPatientObjectPresentationContexts",
    "PresentationContext",
    "PresentationContextTuple",
    "PrintManagementPresentationContexts",
    "ProcedureStepPresentationContexts",
    "ProtocolApprovalPresentationContexts",
    "QueryRetrievePresentationContexts",
    "RTMachineVerificationPresentationContexts",
    "RelevantPatientInformationPresentationContexts",
    "StorageCommitmentPresentationContexts",
    "StoragePresentationContexts",
    "SubstanceAdministrationPresentationContexts",
    "UnifiedProcedurePresentationContexts",
    "VerificationPresentationContexts",
    "build_context",
    "build_role",
    "from_core_ac",
    "from_core_rq",
    "negotiate_as_acceptor",
    "negotiate_as_requestor",
    "negotiate_unrestricted",
    "to_core_ac",
    "to_core_rq",
]

LOGGER = logging.getLogger("fastdimse.presentation")

DEFAULT_TRANSFER_SYNTAXES: list[str] = [
    "1.2.840.10008.1.2",  # Implicit VR Little Endian
    "1.2.840.10008.1.2.1",  # Explicit VR Little Endian
    "1.2.840.10008.1.2.1.99",  # Deflated Explicit VR Little Endian
    "1.2.840.10008.1.2.2",  # Explicit VR Big Endian (retired)
]
"""Transfer syntaxes proposed by ``build_context`` when none are given."""

ALL_TRANSFER_SYNTAXES: list[str] = [
    *DEFAULT_TRANSFER_SYNTAXES,
    "1.2.840.10008.1.2.4.50",  # JPEG Baseline (Process 1)
    "1.2.840.10008.1.2.4.51",  # JPEG Extended (Process 2 and 4)
    "1.2.840.10008.1.2.4.57",  # JPEG Lossless (Process 14)
    "1.2.840.10008.1.2.4.70",  # JPEG Lossless SV1
    "1.2.840.10008.1.2.4.80",  # JPEG-LS Lossless
    "1.2.840.10008.1.2.4.81",  # JPEG-LS Near-Lossless
    "1.2.840.10008.1.2.4.90",  # JPEG 2000 Lossless
    "1.2.840.10008.1.2.4.91",  # JPEG 2000
    "1.2.840.10008.1.2.4.92",  # JPEG 2000 Multi-component Lossless
    "1.2.840.10008.1.2.4.93",  # JPEG 2000 Multi-component
    "1.2.840.10008.1.2.4.94",  # JPIP Referenced
    "1.2.840.10008.1.2.4.95",  # JPIP Referenced Deflate
    "1.2.840.10008.1.2.4.100",  # MPEG2 MP@ML
    "1.2.840.10008.1.2.4.100.1",
    "1.2.840.10008.1.2.4.101",  # MPEG2 MP@HL
    "1.2.840.10008.1.2.4.101.1",
    "1.2.840.10008.1.2.4.102",  # MPEG-4 AVC/H.264 High Profile / Level 4.1
    "1.2.840.10008.1.2.4.102.1",
    "1.2.840.10008.1.2.4.103",  # MPEG-4 AVC/H.264 BD-compatible
    "1.2.840.10008.1.2.4.103.1",
    "1.2.840.10008.1.2.4.104",  # MPEG-4 AVC/H.264 for 2D video
    "1.2.840.10008.1.2.4.104.1",
    "1.2.840.10008.1.2.4.105",  # MPEG-4 AVC/H.264 for 3D video
    "1.2.840.10008.1.2.4.105.1",
    "1.2.840.10008.1.2.4.106",  # MPEG-4 AVC/H.264 Stereo High Profile
    "1.2.840.10008.1.2.4.106.1",
    "1.2.840.10008.1.2.4.107",  # HEVC/H.265 Main Profile / Level 5.1
    "1.2.840.10008.1.2.4.108",  # HEVC/H.265 Main 10 Profile / Level 5.1
    "1.2.840.10008.1.2.4.110",  # JPEG XL Lossless
    "1.2.840.10008.1.2.4.111",  # JPEG XL JPEG Recompression
    "1.2.840.10008.1.2.4.112",  # JPEG XL
    "1.2.840.10008.1.2.4.201",  # High-Throughput JPEG 2000 Lossless
    "1.2.840.10008.1.2.4.202",  # High-Throughput JPEG 2000 RPCL Lossless
    "1.2.840.10008.1.2.4.203",  # High-Throughput JPEG 2000
    "1.2.840.10008.1.2.4.204",  # JPIP HTJ2K Referenced
    "1.2.840.10008.1.2.4.205",  # JPIP HTJ2K Referenced Deflate
    "1.2.840.10008.1.2.5",  # RLE Lossless
    "1.2.840.10008.1.2.7.1",  # SMPTE ST 2110-20 Uncompressed Progressive Active Video
    "1.2.840.10008.1.2.7.2",  # SMPTE ST 2110-20 Uncompressed Interlaced Active Video
    "1.2.840.10008.1.2.7.3",  # SMPTE ST 2110-30 PCM Digital Audio
    "1.2.840.10008.1.2.8.1",  # Deflated Image Frame Compression
]
"""Every transfer syntax fastdimse knows by name."""


class PresentationContextTuple(NamedTuple):
    """An accepted context as a plain tuple (what event handlers get)."""

    context_id: int
    abstract_syntax: UID
    transfer_syntax: UID


# Role outcomes: (requestor is SCU, requestor is SCP, acceptor is SCU, acceptor is SCP)
_Outcome = tuple[bool, bool, bool, bool]
_DEFAULT: _Outcome = (True, False, False, True)
_BOTH: _Outcome = (True, True, True, True)
_REJECTED: _Outcome = (False, False, False, False)
_INVERTED: _Outcome = (False, True, True, False)

_Role = tuple[bool | None, bool | None]


def role_outcome(requested: _Role, answered: _Role) -> _Outcome:
    """Who may be SCU and SCP, given the requestor's proposal and the acceptor's reply.

    `requested` is the requestor's (SCU role, SCP role) proposal for itself,
    (None, None) when it sent no role selection item; `answered` is the
    acceptor's reply (or, on the acceptor's side, what it is willing to
    accept), with None meaning no reply. This is PS3.7 Table D.3-11, extended
    the way pynetdicom resolves the combinations the standard forbids (an
    acceptor accepting a role that was not proposed is read as not accepting
    it) so both peers agree.
    """
    if None in requested or None in answered:
        return _DEFAULT
    rq_scu, rq_scp = bool(requested[0]), bool(requested[1])
    # The acceptor cannot grant what was not proposed
    ac_scu = bool(answered[0]) and rq_scu
    ac_scp = bool(answered[1]) and rq_scp
    if not rq_scu and not rq_scp:
        return _REJECTED
    if ac_scu and ac_scp:
        return _BOTH
    if ac_scp:
        return _INVERTED
    if ac_scu:
        return _DEFAULT
    return _REJECTED


class PresentationContext:
    """One presentation context: ID, abstract syntax, transfer syntaxes, result, roles.

    For the acceptor's supported contexts ``scu_role`` and ``scp_role`` say
    whether a requestor's proposal of that role for itself is accepted; for a
    requestor's contexts, which roles it proposes. ``as_scu``/``as_scp`` are
    read-only and set by negotiation: whether the *acceptor* (for contexts
    from ``negotiate_as_acceptor``) or the *requestor* (from
    ``negotiate_as_requestor``) may act in that role.
    """

    def __init__(self) -> None:
        self._context_id: int | None = None
        # Plain str until read through the public properties, which make them
        # pydicom UIDs (importing pydicom then): an SCU that never reads them
        # never loads pydicom. UID is a str, so either serves inside.
        self._abstract_syntax: str | None = None
        self._transfer_syntax: list[str] = []
        self._syntax_uids = False  # whether _transfer_syntax holds UIDs only
        self.result: int | None = None
        self._scu_role: bool | None = None
        self._scp_role: bool | None = None
        self._as_scu: bool | None = None
        self._as_scp: bool | None = None

    # Identity -------------------------------------------------------------

    @property
    def context_id(self) -> int | None:
        """The Presentation Context ID: odd, 1 to 255."""
        return self._context_id

    @context_id.setter
    def context_id(self, value: int | None) -> None:
        if value is not None and (not 1 <= value <= 255 or value % 2 == 0):
            raise ValueError("'context_id' must be an odd integer between 1 and 255, inclusive")
        self._context_id = value

    @property
    def abstract_syntax(self) -> UID | None:
        """The abstract syntax (SOP Class UID), as a UID."""
        value = self._abstract_syntax
        if value is None:
            return None
        self._abstract_syntax = uid = as_uid(value)
        return uid

    @abstract_syntax.setter
    def abstract_syntax(self, value: str | bytes | UID | None) -> None:
        self._abstract_syntax = checked_uid(value, "abstract_syntax", True, False)

    @property
    def abstract_syntax_str(self) -> str | None:
        """The abstract syntax as it was given (no pydicom ``UID`` made)."""
        return self._abstract_syntax

    @property
    def transfer_syntax(self) -> list[UID]:
        """The transfer syntaxes, in order of preference, without duplicates."""
        syntaxes = self._transfer_syntax
        if not self._syntax_uids:
            syntaxes[:] = [as_uid(syntax) for syntax in syntaxes]  # the same list, as before
            self._syntax_uids = True
        return cast("list[UID]", syntaxes)

    @transfer_syntax.setter
    def transfer_syntax(self, syntaxes: list[str | bytes | UID]) -> None:
        if not isinstance(syntaxes, list):
            raise TypeError("'transfer_syntax' must be a list")
        self._transfer_syntax = []
        for syntax in syntaxes:
            self.add_transfer_syntax(syntax)

    @property
    def transfer_syntax_str(self) -> list[str]:
        """The transfer syntaxes as they were given (no pydicom ``UID`` made): do
        not change the list."""
        return self._transfer_syntax

    def add_transfer_syntax(self, syntax: str | bytes | UID | None) -> None:
        """Append a transfer syntax (ignored if None, a duplicate or not str/bytes)."""
        if syntax is None:
            return
        if isinstance(syntax, bytes):
            uid = syntax.decode("ascii")
        elif isinstance(syntax, str):
            uid = syntax
        else:
            LOGGER.error("Attempted to add an invalid transfer syntax")
            return
        uid = uid.strip()  # as pydicom's UID does
        if not validate_uid(uid):
            LOGGER.error("'transfer_syntax' contains an invalid UID")
            raise ValueError("'transfer_syntax' contains an invalid UID")
        if uid in self._transfer_syntax or uid == "":
            return
        if not is_conformant_uid(uid):
            LOGGER.warning("A non-conformant UID has been added to 'transfer_syntax'")
        elif not is_private_uid(uid) and not is_transfer_syntax_uid(uid):
            LOGGER.warning(
                f"A UID has been added to 'transfer_syntax' that is not a transfer syntax: '{uid}'"
            )
        self._transfer_syntax.append(uid)
        self._syntax_uids = False

    # Roles ----------------------------------------------------------------

    @property
    def scu_role(self) -> bool | None:
        """SCU role proposed (requestor) or accepted (acceptor); None: no role selection."""
        return self._scu_role

    @scu_role.setter
    def scu_role(self, value: bool | None) -> None:
        if value is not None and not isinstance(value, bool):
            raise TypeError("'scu_role' must be a bool or None")
        self._scu_role = value

    @property
    def scp_role(self) -> bool | None:
        """SCP role proposed (requestor) or accepted (acceptor); None: no role selection."""
        return self._scp_role

    @scp_role.setter
    def scp_role(self, value: bool | None) -> None:
        if value is not None and not isinstance(value, bool):
            raise TypeError("'scp_role' must be a bool or None")
        self._scp_role = value

    @property
    def as_scu(self) -> bool | None:
        """Whether this side may act as SCU on the context (set by negotiation)."""
        return self._as_scu

    @property
    def as_scp(self) -> bool | None:
        """Whether this side may act as SCP on the context (set by negotiation)."""
        return self._as_scp

    # Views ----------------------------------------------------------------

    @property
    def as_tuple(self) -> PresentationContextTuple:
        """(context_id, abstract_syntax, first transfer syntax) of an accepted context."""
        abstract_syntax = self.abstract_syntax  # made a UID once, kept
        if self._context_id is None or abstract_syntax is None:
            raise ValueError("the context has no ID or no abstract syntax")
        return PresentationContextTuple(self._context_id, abstract_syntax, self.transfer_syntax[0])

    @property
    def status(self) -> str:
        """The result as text ("Pending" before negotiation)."""
        return _RESULT_NAMES.get(self.result, "Unknown")

    def __str__(self) -> str:
        lines = []
        if self._context_id is not None:
            lines.append(f"ID: {self._context_id}")
        if self.abstract_syntax is not None:
            lines.append(f"Abstract Syntax: {self.abstract_syntax.name}")
        lines.append("Transfer Syntax(es):")
        lines += [f"    ={ts.name}" for ts in self.transfer_syntax] or ["    (none)"]
        if self.result is not None:
            lines.append(f"Result: {self.status}")
        if self._as_scu is not None and self._as_scp is not None:
            lines.append("Role: " + _ROLE_TEXT[(self._as_scu, self._as_scp)])
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.abstract_syntax.name if self.abstract_syntax is not None else "None"

    def _state(self) -> tuple[Any, ...]:
        return (
            self._context_id,
            self._abstract_syntax,
            self._transfer_syntax,
            self.result,
            self._scu_role,
            self._scp_role,
            self._as_scu,
            self._as_scp,
        )

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if isinstance(other, PresentationContext):
            return self._state() == other._state()
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(
            (
                self._abstract_syntax,
                self._context_id,
                tuple(self._transfer_syntax),
                self._as_scp,
                self._as_scu,
            )
        )


def build_context(
    abstract_syntax: str | UID,
    transfer_syntax: str | UID | list[str] | list[UID] | list[str | UID] | None = None,
) -> PresentationContext:
    """A context for `abstract_syntax` with `transfer_syntax` (one or a list).

    Without transfer syntaxes the context gets ``DEFAULT_TRANSFER_SYNTAXES``.
    """
    if transfer_syntax is None:
        transfer_syntax = DEFAULT_TRANSFER_SYNTAXES
    if isinstance(transfer_syntax, str):
        transfer_syntax = [transfer_syntax]
    context = PresentationContext()
    context.abstract_syntax = abstract_syntax
    context.transfer_syntax = list(transfer_syntax)
    return context


def build_role(
    uid: str | UID, scu_role: bool = False, scp_role: bool = False
) -> SCP_SCU_RoleSelectionNegotiation:
    """An SCP/SCU Role Selection item proposing these roles for the requestor."""
    role = SCP_SCU_RoleSelectionNegotiation()
    role.sop_class_uid = as_uid(uid)
    role.scu_role = scu_role
    role.scp_role = scp_role
    return role


RoleType = dict[str, tuple[bool | None, bool | None]] | None
ListCXType = list[PresentationContext]
CXNegotiationReturn = tuple[list[PresentationContext], list[SCP_SCU_RoleSelectionNegotiation]]


def negotiate_as_acceptor(
    rq_contexts: ListCXType, ac_contexts: ListCXType, roles: RoleType = None
) -> CXNegotiationReturn:
    """The acceptor's answer to the requestor's proposed contexts.

    For each proposed context, in context ID order: result 0x03 if no
    supported context has its abstract syntax; 0x04 if none of the proposed
    transfer syntaxes is supported; otherwise accepted with the first of the
    *acceptor's* transfer syntaxes that was proposed (the acceptor's order of
    preference wins), unless role selection leaves neither side SCU nor SCP,
    which rejects it as 0x01 (user rejection). Rejected contexts keep the
    first proposed transfer syntax.

    `roles` maps SOP Class UIDs to the requestor's (SCU, SCP) proposal. A
    supported context with both ``scu_role`` and ``scp_role`` set answers a
    proposal; then one role selection reply per accepted abstract syntax is
    returned (sorted by UID), never granting a role that was not proposed.
    ``as_scu``/``as_scp`` of the results are the acceptor's own roles.
    """
    roles = roles or {}
    results: list[PresentationContext] = []
    replies: dict[str, SCP_SCU_RoleSelectionNegotiation] = {}
    if not rq_contexts:
        return results, []

    supported = {cx.abstract_syntax_str: cx for cx in ac_contexts}
    # The same abstract syntax may be proposed in several contexts
    proposals = {(cx.context_id, cx.abstract_syntax_str): cx for cx in rq_contexts}
    for (context_id, abstract_syntax), rq_cx in proposals.items():
        out = PresentationContext()
        out.context_id = context_id
        out.abstract_syntax = abstract_syntax
        ac_cx = supported.get(abstract_syntax)
        if ac_cx is None:
            if ac_contexts:
                out._as_scu = out._as_scp = False
            _reject(out, rq_cx, 0x03)
            results.append(out)
            continue
        out._as_scu = out._as_scp = False
        proposed_syntaxes = rq_cx.transfer_syntax_str
        chosen = next((ts for ts in ac_cx.transfer_syntax_str if ts in proposed_syntaxes), None)
        if chosen is None:
            _reject(out, rq_cx, 0x04)
            results.append(out)
            continue

        out.transfer_syntax = [chosen]
        out.result = 0x00
        proposed = roles.get(abstract_syntax) if abstract_syntax is not None else None
        willing = (ac_cx.scu_role, ac_cx.scp_role)
        if None in willing:
            # The acceptor takes no part in role selection: default roles
            out._as_scu, out._as_scp = False, True
        else:
            outcome = role_outcome(proposed or (None, None), willing)
            out._as_scu, out._as_scp = outcome[2], outcome[3]
        if not out._as_scu and not out._as_scp:
            out.result = 0x01
        elif proposed is not None and None not in willing and abstract_syntax is not None:
            reply = SCP_SCU_RoleSelectionNegotiation()
            reply.sop_class_uid = abstract_syntax
            # Never answer 1 for a role proposed as 0
            reply.scu_role = bool(ac_cx.scu_role) if proposed[0] is not False else False
            reply.scp_role = bool(ac_cx.scp_role) if proposed[1] is not False else False
            replies[abstract_syntax] = reply
        results.append(out)

    results.sort(key=_context_id_key)
    return results, sorted(replies.values(), key=lambda r: str(r.sop_class_uid))


def negotiate_as_requestor(
    rq_contexts: ListCXType, ac_contexts: ListCXType, roles: RoleType = None
) -> ListCXType:
    """The requestor's view of the acceptor's answer.

    Returns one context per proposed context (sorted by ID) with the proposed
    abstract syntax, the acceptor's result and transfer syntax; a proposed
    context missing from the answer counts as rejected by the provider
    (0x02). `roles` maps SOP Class UIDs to the acceptor's role selection
    replies; ``as_scu``/``as_scp`` are the requestor's own roles (SCU only
    without a reply). Raises ValueError without proposed contexts.
    """
    if not rq_contexts:
        raise ValueError("Requestor contexts are required")
    roles = roles or {}
    answers = {cx.context_id: cx for cx in ac_contexts}
    output: list[PresentationContext] = []
    for context_id, rq_cx in {cx.context_id: cx for cx in rq_contexts}.items():
        out = PresentationContext()
        out.context_id = context_id
        out.abstract_syntax = rq_cx.abstract_syntax_str
        out._as_scu = out._as_scp = False
        answer = answers.get(context_id)
        if answer is None:
            _reject(out, rq_cx, 0x02)
            output.append(out)
            continue
        if answer.transfer_syntax_str:
            out.transfer_syntax = [answer.transfer_syntax_str[0]]
        out.result = answer.result
        reply: _Role = (None, None)
        if rq_cx.abstract_syntax_str is not None:
            reply = roles.get(rq_cx.abstract_syntax_str, (None, None))
        if answer.result == 0x00 and None not in reply:
            outcome = role_outcome((rq_cx.scu_role, rq_cx.scp_role), reply)
            out._as_scu, out._as_scp = outcome[0], outcome[1]
        else:
            out._as_scu, out._as_scp = True, False
        output.append(out)
    return sorted(output, key=_context_id_key)


def negotiate_unrestricted(
    rq_contexts: ListCXType, ac_contexts: ListCXType, roles: RoleType = None
) -> CXNegotiationReturn:
    """Acceptor negotiation that accepts every storage-like context.

    Contexts whose abstract syntax is a storage SOP class, private, or not a
    SOP class fastdimse knows are accepted with their first proposed transfer
    syntax and both roles; the rest are negotiated by
    ``negotiate_as_acceptor`` against `ac_contexts`.
    """
    roles = roles or {}
    storage_uids = set(_table.STORAGE_CLASSES.values())
    storage_like: list[PresentationContext] = []
    others: list[PresentationContext] = []
    for cx in rq_contexts:
        uid = cx.abstract_syntax_str
        if uid is None:
            others.append(cx)
        elif is_private_uid(uid) or uid in storage_uids or uid not in _named_uids():
            storage_like.append(cx)
        else:
            others.append(cx)

    results, _ = negotiate_as_acceptor(others, ac_contexts, roles)
    replies: dict[str, SCP_SCU_RoleSelectionNegotiation] = {}
    for rq_cx in storage_like:
        out = PresentationContext()
        out.context_id = rq_cx.context_id
        out.abstract_syntax = rq_cx.abstract_syntax_str
        out.transfer_syntax = [rq_cx.transfer_syntax_str[0]]
        out.result = 0x00
        out._as_scu = out._as_scp = True
        uid = rq_cx.abstract_syntax_str
        if uid is not None and uid in roles:
            proposed = roles[uid]
            outcome = role_outcome(proposed, (True, True))
            out._as_scu, out._as_scp = outcome[2], outcome[3]
            reply = SCP_SCU_RoleSelectionNegotiation()
            reply.sop_class_uid = uid
            reply.scu_role = bool(proposed[0])
            reply.scp_role = bool(proposed[1])
            replies[uid] = reply
        results.append(out)

    results.sort(key=_context_id_key)
    return results, sorted(replies.values(), key=lambda r: str(r.sop_class_uid))


# Conversions to and from the protocol core -----------------------------------


def to_core_rq(cx: PresentationContext) -> _core.PresentationContextRq:
    """The core's A-ASSOCIATE-RQ presentation context item for `cx`.

    Raises ValueError if `cx` has no context ID, no abstract syntax or no
    transfer syntax.
    """
    if cx.context_id is None or cx.abstract_syntax_str is None:
        raise ValueError("a proposed presentation context needs a context ID and abstract syntax")
    if not cx.transfer_syntax_str:
        raise ValueError("a proposed presentation context needs at least one transfer syntax")
    return _core.PresentationContextRq(
        cx.context_id, str(cx.abstract_syntax_str), [str(ts) for ts in cx.transfer_syntax_str]
    )


def to_core_ac(cx: PresentationContext) -> _core.PresentationContextAc:
    """The core's A-ASSOCIATE-AC presentation context item for a negotiated `cx`.

    Carries the first transfer syntax, or None if there is none (allowed only
    when the context is rejected). Raises ValueError without a context ID or
    result.
    """
    if cx.context_id is None or cx.result is None:
        raise ValueError("an answered presentation context needs a context ID and result")
    ts = str(cx.transfer_syntax_str[0]) if cx.transfer_syntax_str else None
    return _core.PresentationContextAc(cx.context_id, cx.result, ts)


def from_core_rq(item: _core.PresentationContextRq) -> PresentationContext:
    """A proposed context from the core's A-ASSOCIATE-RQ item."""
    cx = PresentationContext()
    cx.context_id = item.id
    cx.abstract_syntax = item.abstract_syntax
    cx.transfer_syntax = list(item.transfer_syntaxes)
    return cx


def from_core_ac(item: _core.PresentationContextAc) -> PresentationContext:
    """An answered context from the core's A-ASSOCIATE-AC item (no abstract syntax)."""
    cx = PresentationContext()
    cx.context_id = item.id
    cx.result = item.result
    if item.transfer_syntax:
        cx.transfer_syntax = [item.transfer_syntax]
    return cx


# Helpers ---------------------------------------------------------------------

_RESULT_NAMES: dict[int | None, str] = {
    None: "Pending",
    0x00: "Accepted",
    0x01: "User Rejected",
    0x02: "Provider Rejected",
    0x03: "Abstract Syntax Not Supported",
    0x04: "Transfer Syntax(es) Not Supported",
}

_ROLE_TEXT = {
    (True, False): "SCU only",
    (True, True): "SCU and SCP",
    (False, True): "SCP only",
    (False, False): "(none)",
}


def _reject(out: PresentationContext, proposal: PresentationContext, result: int) -> None:
    out.result = result
    if proposal.transfer_syntax_str:
        out.transfer_syntax = [proposal.transfer_syntax_str[0]]


def _context_id_key(cx: PresentationContext) -> int:
    return cx.context_id if cx.context_id is not None else 0


# Pre-built contexts per service ----------------------------------------------


def _contexts(group: Iterable[str]) -> list[PresentationContext]:
    return [build_context(uid) for uid in sorted(group)]


# Each list by name, built when first asked for (``__getattr__``): building
# them all at import would cost every process that needs none of them.
_PREBUILT: dict[str, Callable[[], Iterable[str]]] = {
    "ApplicationEventLoggingPresentationContexts": _table.APPLICATION_EVENT_CLASSES.values,
    "BasicWorklistManagementPresentationContexts": _table.BASIC_WORKLIST_CLASSES.values,
    "ColorPalettePresentationContexts": _table.COLOR_PALETTE_CLASSES.values,
    "DefinedProcedureProtocolPresentationContexts": _table.DEFINED_PROCEDURE_CLASSES.values,
    "DisplaySystemPresentationContexts": _table.DISPLAY_SYSTEM_CLASSES.values,
    "HangingProtocolPresentationContexts": _table.HANGING_PROTOCOL_CLASSES.values,
    "ImplantTemplatePresentationContexts": _table.IMPLANT_TEMPLATE_CLASSES.values,
    "InstanceAvailabilityPresentationContexts": _table.INSTANCE_AVAILABILITY_CLASSES.values,
    "MediaCreationManagementPresentationContexts": _table.MEDIA_CREATION_CLASSES.values,
    "MediaStoragePresentationContexts": _table.MEDIA_STORAGE_CLASSES.values,
    "ModalityPerformedPresentationContexts": _table.PROCEDURE_STEP_CLASSES.values,
    "NonPatientObjectPresentationContexts": _table.NON_PATIENT_OBJECT_CLASSES.values,
    "PrintManagementPresentationContexts": _table.PRINT_MANAGEMENT_CLASSES.values,
    "ProcedureStepPresentationContexts": _table.PROCEDURE_STEP_CLASSES.values,
    "ProtocolApprovalPresentationContexts": _table.PROTOCOL_APPROVAL_CLASSES.values,
    "QueryRetrievePresentationContexts": _table.QR_CLASSES.values,
    "RelevantPatientInformationPresentationContexts": _table.RELEVANT_PATIENT_QUERY_CLASSES.values,
    "RTMachineVerificationPresentationContexts": _table.RT_MACHINE_VERIFICATION_CLASSES.values,
    "AllStoragePresentationContexts": _table.STORAGE_CLASSES.values,
    "StoragePresentationContexts": lambda: _table.STORAGE_SELECTION,
    "StorageCommitmentPresentationContexts": _table.STORAGE_COMMITMENT_CLASSES.values,
    "SubstanceAdministrationPresentationContexts": _table.SUBSTANCE_ADMINISTRATION_CLASSES.values,
    "UnifiedProcedurePresentationContexts": _table.UNIFIED_PROCEDURE_STEP_CLASSES.values,
    "VerificationPresentationContexts": _table.VERIFICATION_CLASSES.values,
}

ApplicationEventLoggingPresentationContexts: list[PresentationContext]
BasicWorklistManagementPresentationContexts: list[PresentationContext]
ColorPalettePresentationContexts: list[PresentationContext]
DefinedProcedureProtocolPresentationContexts: list[PresentationContext]
DisplaySystemPresentationContexts: list[PresentationContext]
HangingProtocolPresentationContexts: list[PresentationContext]
ImplantTemplatePresentationContexts: list[PresentationContext]
InstanceAvailabilityPresentationContexts: list[PresentationContext]
MediaCreationManagementPresentationContexts: list[PresentationContext]
MediaStoragePresentationContexts: list[PresentationContext]
ModalityPerformedPresentationContexts: list[PresentationContext]
NonPatientObjectPresentationContexts: list[PresentationContext]
PrintManagementPresentationContexts: list[PresentationContext]
ProcedureStepPresentationContexts: list[PresentationContext]
ProtocolApprovalPresentationContexts: list[PresentationContext]
QueryRetrievePresentationContexts: list[PresentationContext]
RelevantPatientInformationPresentationContexts: list[PresentationContext]
RTMachineVerificationPresentationContexts: list[PresentationContext]
AllStoragePresentationContexts: list[PresentationContext]
StoragePresentationContexts: list[PresentationContext]
StorageCommitmentPresentationContexts: list[PresentationContext]
SubstanceAdministrationPresentationContexts: list[PresentationContext]
UnifiedProcedurePresentationContexts: list[PresentationContext]
VerificationPresentationContexts: list[PresentationContext]


def __getattr__(name: str) -> list[PresentationContext]:
    uids = _PREBUILT.get(name)
    if uids is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    contexts = globals()[name] = _contexts(uids())
    return contexts


def _named_uids() -> frozenset[str]:
    """Every SOP class and well-known instance UID fastdimse names."""
    groups: list[Iterable[str]] = [_table.WELL_KNOWN_INSTANCES.values()]
    groups += [uids() for uids in _PREBUILT.values()]
    return frozenset(uid for group in groups for uid in group)
