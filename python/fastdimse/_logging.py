"""pynetdicom-style summaries of association and DIMSE traffic.

The association calls these with the core's objects as PDUs and messages
pass; each returns at once unless the logger is enabled for the level it
writes at, so they cost one ``isEnabledFor`` call in the hot path. The
layout follows pynetdicom 3.0.4's standard handlers: A-ASSOCIATE and
A-ABORT parameter blocks at DEBUG, one INFO line per DIMSE request and
response where pynetdicom writes one, DIMSE parameter blocks at DEBUG.
pydicom is imported only to print UID names, and only when a block is
written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from fastdimse._upper.codes import (
    ABORT_REASON_TEXT,
    ABORT_SOURCE_PROVIDER,
    ABORT_SOURCE_TEXT,
    REJECT_REASON_TEXT,
    RJ_PDU_RESULT_TEXT,
    RJ_PDU_SOURCE_TEXT,
)
from fastdimse.utils import pretty_bytes

if TYPE_CHECKING:
    from fastdimse._core import AssociateAc, AssociateRj, AssociateRq, PresentationContextRq
    from fastdimse._dimse.primitives.command_set import DimsePrimitiveType

__all__ = [
    "debug_logger",
    "log_abort",
    "log_associate_ac",
    "log_associate_rj",
    "log_associate_rq",
    "log_dimse",
    "log_release",
]

_DEBUG = logging.DEBUG
_INFO = logging.INFO


def debug_logger() -> None:
    """Send the ``fastdimse`` logger's records, DEBUG and up, to stderr as
    ``"<level letter>: <message>"``, replacing any handler attached before
    (as ``pynetdicom.debug_logger`` does)."""
    logger = logging.getLogger("fastdimse")
    logger.handlers = []
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname).1s: %(message)s"))
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)


def log_associate_rq(logger: logging.Logger, rq: AssociateRq, sent: bool) -> None:
    """The A-ASSOCIATE-RQ parameter block (DEBUG)."""
    if not logger.isEnabledFor(_DEBUG):
        return
    info = _UserInfo(rq.user_information)
    direction = "OUTGOING" if sent else "INCOMING"
    lines = ["Request Parameters:", _banner(f" {direction} A-ASSOCIATE-RQ PDU ")]
    if sent:
        lines.append(f"Our Implementation Class UID:      {info.class_uid}")
        if info.version_name:
            lines.append(f"Our Implementation Version Name:   {info.version_name}")
    else:
        lines.append(f"Their Implementation Class UID:      {info.class_uid or 'unknown'}")
        lines.append(f"Their Implementation Version Name:   {info.version_name or 'unknown'}")
    lines += [
        f"Application Context Name:    {rq.application_context}",
        f"Calling Application Name:    {rq.calling_ae_title}",
        f"Called Application Name:     {rq.called_ae_title}",
        (
            f"Our Max PDU Receive Size:    {info.max_length}"
            if sent
            else f"Their Max PDU Receive Size:  {info.max_length}"
        ),
    ]
    contexts: Sequence[PresentationContextRq] = rq.presentation_contexts
    if not sent:
        contexts = sorted(contexts, key=lambda cx: cx.id)
    lines.append("Presentation Context:" if len(contexts) == 1 else "Presentation Contexts:")
    for cx in contexts:
        lines.append(f"  Context ID:        {cx.id} (Proposed)")
        lines.append(f"    Abstract Syntax: ={_uid_name(cx.abstract_syntax)}")
        lines.append(f"    Proposed SCP/SCU Role: {info.role(cx.abstract_syntax)}")
        many = len(cx.transfer_syntaxes) != 1
        lines.append(f"    Proposed Transfer Syntax{'es' if many else ''}:")
        lines += [f"      ={_uid_name(ts)}" for ts in cx.transfer_syntaxes]
    lines += info.extended("Requested")
    if info.common_extended:
        lines.append("Requested Common Extended Negotiation:")
        for item in info.common_extended:
            lines.append(f"  SOP Class: ={_uid_name(item.sop_class_uid)}")
            lines.append(f"    Service Class: ={_uid_name(item.service_class_uid)}")
            if item.related_general_sop_classes:
                lines.append("    Related General SOP Class(es):")
                lines += [f"      ={_uid_name(u)}" for u in item.related_general_sop_classes]
            else:
                lines.append("    Related General SOP Classes: None")
    else:
        lines.append("Requested Common Extended Negotiation: None")
    lines += info.async_ops("Requested")
    lines += _user_identity_rq(info.identity, sent)
    lines.append(_banner(" END A-ASSOCIATE-RQ PDU "))
    _emit(logger, _DEBUG, lines)


def log_associate_ac(
    logger: logging.Logger,
    ac: AssociateAc,
    sent: bool,
    rq: AssociateRq | None = None,
) -> None:
    """The A-ASSOCIATE-AC parameter block (DEBUG). `rq` is the request it
    answers, which gives each context's abstract syntax (shown as
    ``unknown`` without it)."""
    if not logger.isEnabledFor(_DEBUG):
        return
    info = _UserInfo(ac.user_information)
    proposed = {cx.id: cx.abstract_syntax for cx in (rq.presentation_contexts if rq else [])}
    lines = ["Accept Parameters:"]
    if sent:
        lines.append(_banner(" OUTGOING A-ASSOCIATE-AC PDU "))
        lines.append(f"Our Implementation Class UID:      {info.class_uid}")
        if info.version_name:
            lines.append(f"Our Implementation Version Name:   {info.version_name}")
        lines += [
            f"Application Context Name:    {ac.application_context}",
            "Responding Application Name: resp. AE Title",
            f"Our Max PDU Receive Size:    {info.max_length}",
        ]
    else:
        lines += [
            _banner(" INCOMING A-ASSOCIATE-AC PDU "),
            f"Their Implementation Class UID:    {info.class_uid or 'unknown'}",
            f"Their Implementation Version Name: {info.version_name or 'unknown'}",
            f"Application Context Name:    {ac.application_context}",
            f"Calling Application Name:    {_text(ac.calling_ae_title)}",
            f"Called Application Name:     {_text(ac.called_ae_title)}",
            f"Their Max PDU Receive Size:  {info.max_length}",
        ]
    contexts = sorted(ac.presentation_contexts, key=lambda cx: cx.id)
    if contexts or not sent:
        lines.append("Presentation Contexts:")
    else:
        lines.append("Presentation Contexts: None")
    for cx in contexts:
        abstract = proposed.get(cx.id)
        result = _CONTEXT_RESULTS.get(cx.result, "(no value available)")
        lines.append(f"  Context ID:        {cx.id} ({result})")
        lines.append(f"    Abstract Syntax: ={_uid_name(abstract) if abstract else 'unknown'}")
        if cx.result == 0:
            lines.append(f"    Accepted SCP/SCU Role: {info.role(abstract or '')}")
            lines.append(f"    Accepted Transfer Syntax: ={_uid_name(cx.transfer_syntax or '')}")
    lines += info.extended("Accepted")
    lines += info.async_ops("Accepted")
    lines.append(f"User Identity Negotiation Response: {'Yes' if info.identity else 'None'}")
    lines.append(_banner(" END A-ASSOCIATE-AC PDU "))
    _emit(logger, _DEBUG, lines)


def log_associate_rj(logger: logging.Logger, rj: AssociateRj, sent: bool) -> None:
    """The A-ASSOCIATE-RJ parameter block (DEBUG)."""
    if not logger.isEnabledFor(_DEBUG):
        return
    direction = "OUTGOING" if sent else "INCOMING"
    reasons = REJECT_REASON_TEXT.get(rj.source, {})
    lines = [
        "Reject Parameters:",
        _banner(f" {direction} A-ASSOCIATE-RJ PDU "),
        f"Result:    {RJ_PDU_RESULT_TEXT.get(rj.result, '(no value available)')}",
        f"Source:    {RJ_PDU_SOURCE_TEXT.get(rj.source, '(no value available)')}",
        f"Reason:    {reasons.get(rj.reason, 'Reserved' if reasons else '(no value available)')}",
        _banner(" END A-ASSOCIATE-RJ PDU "),
    ]
    _emit(logger, _DEBUG, lines)


def log_abort(logger: logging.Logger, source: int, reason: int, sent: bool) -> None:
    """The A-ABORT parameter block (DEBUG)."""
    if not logger.isEnabledFor(_DEBUG):
        return
    direction = "OUTGOING" if sent else "INCOMING"
    reason_str = "(no value available)"
    if source == ABORT_SOURCE_PROVIDER:
        reason_str = ABORT_REASON_TEXT.get(reason, reason_str)
    lines = [
        "Abort Parameters:",
        _banner(f" {direction} A-ABORT PDU "),
        f"Abort Source: {ABORT_SOURCE_TEXT.get(source, '(no value available)')}",
        f"Abort Reason: {reason_str}",
        _banner(" END A-ABORT PDU "),
    ]
    _emit(logger, _DEBUG, lines)


def log_release(logger: logging.Logger, sent: bool, is_response: bool) -> None:
    """A-RELEASE-RQ/RP: pynetdicom writes no block for these PDUs (the
    association's own INFO lines, "Releasing Association" and "Association
    Released", cover them), so this writes one DEBUG line."""
    if not logger.isEnabledFor(_DEBUG):
        return
    pdu = "A-RELEASE-RP" if is_response else "A-RELEASE-RQ"
    logger.debug(f"{'Sent' if sent else 'Received'} {pdu} PDU")


def log_dimse(logger: logging.Logger, primitive: DimsePrimitiveType, sent: bool) -> None:
    """The INFO line and DEBUG block for a DIMSE message.

    C-ECHO: "Sending Echo Request: MsgID <id>" when sending a request (the
    line pynetdicom's ``send_c_echo`` writes, so the association must not
    write it again), "Received Echo Request (MsgID <id>)" plus a block, and
    "Received Echo Response (Status: 0x0000 - Success)". C-STORE and
    C-CANCEL follow pynetdicom too; other messages get the common block.
    """
    if not logger.isEnabledFor(_INFO):
        return
    from fastdimse._dimse.primitives.c_services import C_CANCEL, C_ECHO, C_STORE
    from fastdimse._dimse.primitives.command_set import command_field_of

    field = command_field_of(primitive)
    is_rsp = bool(field & 0x8000)
    debug = logger.isEnabledFor(_DEBUG)
    context_id = getattr(primitive, "_context_id", None)
    cmd: Any = primitive

    if isinstance(primitive, C_CANCEL):
        if sent:
            logger.info("Sending C-CANCEL request")
        if debug:
            lines = [
                _banner(f" {'OUTGOING' if sent else 'INCOMING'} DIMSE MESSAGE "),
                "Message Type                  : C-CANCEL RQ",
                f"Message ID Being Responded To : {primitive.MessageIDBeingRespondedTo}",
                _banner(" END DIMSE MESSAGE "),
            ]
            _emit(logger, _DEBUG, lines)
        return

    if isinstance(primitive, C_ECHO):
        if sent and not is_rsp:
            logger.info(f"Sending Echo Request: MsgID {cmd.MessageID}")
        elif not sent and not is_rsp:
            logger.info(f"Received Echo Request (MsgID {cmd.MessageID})")
            if debug:
                _emit(
                    logger,
                    _DEBUG,
                    [
                        _banner(" INCOMING DIMSE MESSAGE "),
                        "Message Type                  : C-ECHO RQ",
                        f"Presentation Context ID       : {context_id}",
                        f"Message ID                    : {cmd.MessageID}",
                        "Data Set                      : None",
                        _banner(" END DIMSE MESSAGE "),
                    ],
                )
        elif not sent:
            status = cmd.Status
            meaning = "Success" if status == 0 else "Unknown"
            logger.info(f"Received Echo Response (Status: {_hex(status)} - {meaning})")
        return

    if isinstance(primitive, C_STORE):
        _log_store(logger, cmd, sent, is_rsp, context_id, debug)
        return

    if debug:
        _emit(logger, _DEBUG, _generic_block(cmd, field, sent, context_id))


# Helpers
def _log_store(
    logger: logging.Logger,
    cmd: Any,
    sent: bool,
    is_rsp: bool,
    context_id: int | None,
    debug: bool,
) -> None:
    if not is_rsp:
        data = cmd.DataSet
        present = (data is not None and len(data.getvalue()) > 0) or (cmd._dataset_path is not None)
        sop_class = _uid_name(cmd.AffectedSOPClassUID or "")
        if sent:
            kind = {"CT Image Storage": ", (CT)", "MR Image Storage": ", (MR)"}.get(sop_class, "")
            logger.info(f"Sending Store Request: MsgID {cmd.MessageID}{kind}")
        else:
            logger.info("Received Store Request")
        if not debug:
            return
        lines = [
            _banner(f" {'OUTGOING' if sent else 'INCOMING'} DIMSE MESSAGE "),
            "Message Type                  : C-STORE RQ",
        ]
        if not sent:
            lines.append(f"Presentation Context ID       : {context_id}")
        lines += [
            f"Message ID                    : {cmd.MessageID}",
            f"Affected SOP Class UID        : {sop_class}",
            f"Affected SOP Instance UID     : {cmd.AffectedSOPInstanceUID}",
        ]
        if not sent and cmd.MoveOriginatorApplicationEntityTitle is not None:
            lines.append(
                f"Move Originator               : {cmd.MoveOriginatorApplicationEntityTitle}"
            )
        lines += [
            f"Data Set                      : {'Present' if present else 'None'}",
            f"Priority                      : {_PRIORITIES.get(cmd.Priority, cmd.Priority)}",
            _banner(" END DIMSE MESSAGE "),
        ]
        _emit(logger, _DEBUG, lines)
        return
    if sent:
        return
    from fastdimse.status import STORAGE_SERVICE_CLASS_STATUS

    status = cmd.Status
    meaning = STORAGE_SERVICE_CLASS_STATUS.get(status, ("Unknown", ""))[0]
    status_str = f"{_hex(status)} - {meaning}"
    logger.info(f"Received Store Response (Status: {status_str})")
    if not debug:
        return
    lines = [
        _banner(" INCOMING DIMSE MESSAGE "),
        "Message Type                  : C-STORE RSP",
        f"Presentation Context ID       : {context_id}",
        f"Message ID Being Responded To : {cmd.MessageIDBeingRespondedTo}",
    ]
    if cmd.AffectedSOPClassUID is not None:
        lines.append(f"Affected SOP Class UID        : {_uid_name(cmd.AffectedSOPClassUID)}")
    if cmd.AffectedSOPInstanceUID is not None:
        lines.append(f"Affected SOP Instance UID     : {cmd.AffectedSOPInstanceUID}")
    lines.append(f"Status                        : {status_str}")
    lines.append(_banner(" END DIMSE MESSAGE "))
    _emit(logger, _DEBUG, lines)


def _generic_block(cmd: Any, field: int, sent: bool, context_id: int | None) -> list[str]:
    is_rsp = bool(field & 0x8000)
    name = cmd.msg_type + (" RSP" if is_rsp else " RQ")
    lines = [
        _banner(f" {'OUTGOING' if sent else 'INCOMING'} DIMSE MESSAGE "),
        f"Message Type                  : {name}",
    ]
    if not sent:
        lines.append(f"Presentation Context ID       : {context_id}")
    if is_rsp:
        lines.append(f"Message ID Being Responded To : {cmd.MessageIDBeingRespondedTo}")
    else:
        lines.append(f"Message ID                    : {cmd.MessageID}")
    for keyword, label in (
        ("AffectedSOPClassUID", "Affected SOP Class UID        "),
        ("RequestedSOPClassUID", "Requested SOP Class UID       "),
        ("AffectedSOPInstanceUID", "Affected SOP Instance UID     "),
        ("RequestedSOPInstanceUID", "Requested SOP Instance UID    "),
    ):
        value = getattr(cmd, keyword, None)
        if value is not None:
            shown = _uid_name(value) if "Class" in keyword else value
            lines.append(f"{label}: {shown}")
    if is_rsp and cmd.Status is not None:
        lines.append(f"Status                        : {_hex(cmd.Status)}")
    lines.append(_banner(" END DIMSE MESSAGE "))
    return lines


class _UserInfo:
    """The user information sub-items of an A-ASSOCIATE PDU, by kind."""

    def __init__(self, items: Iterable[Any]) -> None:
        from fastdimse import _core

        self.max_length: int | None = None
        self.class_uid = ""
        self.version_name = ""
        self.async_window: Any = None
        self.roles: dict[str, Any] = {}
        self.ext_neg: list[Any] = []
        self.common_extended: list[Any] = []
        self.identity: Any = None
        for item in items:
            if isinstance(item, _core.MaximumLength):
                self.max_length = item.value
            elif isinstance(item, _core.ImplementationClassUid):
                self.class_uid = item.uid
            elif isinstance(item, _core.ImplementationVersionName):
                self.version_name = item.name
            elif isinstance(item, _core.AsyncOpsWindow):
                self.async_window = item
            elif isinstance(item, _core.RoleSelection):
                self.roles[item.sop_class_uid] = item
            elif isinstance(item, _core.SopClassExtended):
                self.ext_neg.append(item)
            elif isinstance(item, _core.SopClassCommonExtended):
                self.common_extended.append(item)
            elif isinstance(item, _core.UserIdentityRq | _core.UserIdentityAc):
                self.identity = item

    def role(self, abstract_syntax: str) -> str:
        item = self.roles.get(abstract_syntax)
        if item is None:
            return "Default"
        return "/".join(n for n, on in (("SCP", item.scp_role), ("SCU", item.scu_role)) if on)

    def extended(self, verb: str) -> list[str]:
        if not self.ext_neg:
            return [f"{verb} Extended Negotiation: None"]
        lines = [f"{verb} Extended Negotiation:"]
        for item in self.ext_neg:
            lines.append(f"  SOP Class: ={item.sop_class_uid}")
            info = item.service_class_application_information
            lines += [f"  {line}" for line in pretty_bytes(info)]
        return lines

    def async_ops(self, verb: str) -> list[str]:
        window = self.async_window
        if window is None:
            return [f"{verb} Asynchronous Operations Window Negotiation: None"]
        return [
            f"{verb} Asynchronous Operations Window Negotiation:",
            f"  Maximum Invoked Operations:     {window.max_operations_invoked}",
            f"  Maximum Performed Operations:   {window.max_operations_performed}",
        ]


def _user_identity_rq(identity: Any, sent: bool) -> list[str]:
    if identity is None or not hasattr(identity, "identity_type"):
        return ["Requested User Identity Negotiation: None"]
    kind = identity.identity_type
    primary: bytes = identity.primary_field
    lines = [
        "Requested User Identity Negotiation:",
        f"  Authentication Mode: {kind} - {_IDENTITY_TYPES.get(kind, 'Unknown')}",
    ]
    if kind in (1, 2):
        lines.append(f"  Username: [{primary.decode('utf-8', 'replace')}]")
    if kind == 2:
        lines.append(f"  Password: [{identity.secondary_field.decode('utf-8', 'replace')}]")
    elif kind in _OPAQUE_IDENTITIES:
        lines.append(f"  {_OPAQUE_IDENTITIES[kind]} (not dumped) length: {len(primary)}")
    # pynetdicom words the negative answer differently by direction
    no = "No" if sent else "None"
    lines.append(
        f"  Positive Response Requested: {'Yes' if identity.positive_response_requested else no}"
    )
    return lines


def _emit(logger: logging.Logger, level: int, lines: Iterable[str]) -> None:
    for line in lines:
        logger.log(level, line)


def _banner(title: str) -> str:
    return f"{title:=^76}"


def _hex(value: int | None) -> str:
    return "None" if value is None else f"0x{value:04X}"


def _text(value: bytes | str) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


def _uid_name(uid: str) -> str:
    from pydicom.uid import UID

    return str(UID(uid).name)


_PRIORITIES = {2: "Low", 0: "Medium", 1: "High"}
_CONTEXT_RESULTS = {
    0: "Accepted",
    1: "User Rejection",
    2: "Provider Rejection",
    3: "Rejected - Abstract Syntax Not Supported",
    4: "Rejected - Transfer Syntax Not Supported",
}
_IDENTITY_TYPES = {
    1: "Username",
    2: "Username/Password",
    3: "Kerberos",
    4: "SAML",
    5: "JSON Web Token",
}
_OPAQUE_IDENTITIES = {3: "Kerberos Service Ticket", 4: "SAML Assertion", 5: "JSON Web Token"}
