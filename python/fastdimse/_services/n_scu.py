"""The SCU side of the DIMSE-N services (PS3.7 10.1): the request of each, and what
its response gives back, with pynetdicom 3.0.4's signatures and rules.

``prepare_n_*`` build the request primitive for the accepted presentation context
(found by the SOP class, or by the Meta SOP Class of Print Management), its data
set encoded in that context's transfer syntax (``ValueError`` when it cannot be);
``reply_of`` decodes the data set of a Success or Warning response. A driver sends
the request, waits for its response and returns ``(status, reply)``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from io import BytesIO
from typing import Any, Protocol

from fastdimse._dimse.answers import PROCESSING_FAILURE
from fastdimse._dimse.primitives.n_services import (
    N_ACTION,
    N_CREATE,
    N_DELETE,
    N_EVENT_REPORT,
    N_GET,
    N_SET,
)
from fastdimse._files.encoding import decode_data_set, encode_data_set

__all__ = [
    "NRequest",
    "prepare_n_action",
    "prepare_n_create",
    "prepare_n_delete",
    "prepare_n_event_report",
    "prepare_n_get",
    "prepare_n_set",
    "reply_of",
]

LOGGER = logging.getLogger("fastdimse.assoc")


class Contexts(Protocol):
    """What the requests need of an association: its accepted contexts."""

    def valid_context(self, ab_syntax: str, tr_syntax: str, role: str | None = None) -> Any: ...


@dataclass(frozen=True)
class NRequest:
    """A request ready to send, and where its response's data set is (None: N-DELETE)."""

    name: str
    primitive: Any
    context_id: int
    transfer_syntax: str
    reply: str | None


def prepare_n_action(
    contexts: Contexts,
    dataset: Any,
    action_type: int,
    class_uid: str,
    instance_uid: str,
    msg_id: int,
    meta_uid: str | None,
) -> NRequest:
    req = N_ACTION()
    req.MessageID = msg_id
    req.RequestedSOPClassUID = str(class_uid)
    req.RequestedSOPInstanceUID = str(instance_uid)
    req.ActionTypeID = action_type
    return _prepare(
        "Action",
        req,
        contexts,
        meta_uid or class_uid,
        "scu",
        "ActionReply",
        (
            "ActionInformation",
            dataset,
            "Failed to encode the supplied 'Action Information' dataset",
        ),
    )


def prepare_n_create(
    contexts: Contexts,
    dataset: Any,
    class_uid: str,
    instance_uid: str | None,
    msg_id: int,
    meta_uid: str | None,
) -> NRequest:
    req = N_CREATE()
    req.MessageID = msg_id
    req.AffectedSOPClassUID = str(class_uid)
    req.AffectedSOPInstanceUID = str(instance_uid) if instance_uid else None
    return _prepare(
        "Create",
        req,
        contexts,
        meta_uid or class_uid,
        "scu",
        "AttributeList",
        ("AttributeList", dataset, "Failed to encode the supplied 'Attribute List' dataset"),
    )


def prepare_n_delete(
    contexts: Contexts, class_uid: str, instance_uid: str, msg_id: int, meta_uid: str | None
) -> NRequest:
    req = N_DELETE()
    req.MessageID = msg_id
    req.RequestedSOPClassUID = str(class_uid)
    req.RequestedSOPInstanceUID = str(instance_uid)
    return _prepare("Delete", req, contexts, meta_uid or class_uid, "scu", None, None)


def prepare_n_event_report(
    contexts: Contexts,
    dataset: Any,
    event_type: int,
    class_uid: str,
    instance_uid: str,
    msg_id: int,
    meta_uid: str | None,
) -> NRequest:
    req = N_EVENT_REPORT()
    req.MessageID = msg_id
    req.AffectedSOPClassUID = str(class_uid)
    req.AffectedSOPInstanceUID = str(instance_uid)
    req.EventTypeID = event_type
    # Either role: the SCP of a service reports events to its SCU, on a context the
    # SCU proposed (PS3.4 J.3.3.1.3 has it the other way round for Storage Commitment).
    return _prepare(
        "Event Report",
        req,
        contexts,
        meta_uid or class_uid,
        None,
        "EventReply",
        ("EventInformation", dataset, "Unable to encode the supplied 'Event Information' dataset"),
    )


def prepare_n_get(
    contexts: Contexts,
    identifier_list: Any,
    class_uid: str,
    instance_uid: str,
    msg_id: int,
    meta_uid: str | None,
) -> NRequest:
    req = N_GET()
    req.MessageID = msg_id
    req.RequestedSOPClassUID = str(class_uid)
    req.RequestedSOPInstanceUID = str(instance_uid)
    req.AttributeIdentifierList = identifier_list
    return _prepare("Get", req, contexts, meta_uid or class_uid, "scu", "AttributeList", None)


def prepare_n_set(
    contexts: Contexts,
    dataset: Any,
    class_uid: str,
    instance_uid: str,
    msg_id: int,
    meta_uid: str | None,
) -> NRequest:
    req = N_SET()
    req.MessageID = msg_id
    req.RequestedSOPClassUID = str(class_uid)
    req.RequestedSOPInstanceUID = str(instance_uid)
    return _prepare(
        "Set",
        req,
        contexts,
        meta_uid or class_uid,
        "scu",
        "AttributeList",
        ("ModificationList", dataset, "Failed to encode the supplied 'Modification List' dataset"),
    )


def reply_of(request: NRequest, status: Any, rsp: Any) -> Any:
    """The response's data set: decoded for a Success or Warning (an empty Dataset when
    it has none), None otherwise. One that cannot be decoded is None, and the status
    becomes 0x0110 (Processing failure), as pynetdicom has it."""
    from pydicom.dataset import Dataset

    # Here, not at the top: an SCU that sends no N-request never loads the status tables.
    from fastdimse.status import STATUS_SUCCESS, STATUS_WARNING, code_to_category

    code = getattr(status, "Status", None)
    if request.reply is None or code is None:
        return None
    if code_to_category(int(code)) not in (STATUS_SUCCESS, STATUS_WARNING):
        return None
    encoded = getattr(rsp, request.reply, None)
    data = encoded.getvalue() if encoded is not None else b""
    if not data:
        return Dataset()
    try:
        return decode_data_set(data, request.transfer_syntax)
    except Exception as error:  # any decoding failure is the peer's: reported as 0x0110
        LOGGER.error("Unable to decode the received '%s' dataset", _label(request.reply))
        LOGGER.exception(error)
        status.Status = PROCESSING_FAILURE
        return None


def _prepare(
    name: str,
    req: Any,
    contexts: Contexts,
    sop_class: str,
    role: str | None,
    reply: str | None,
    data_set: tuple[str, Any, str] | None,
) -> NRequest:
    context = contexts.valid_context(str(sop_class), "", role)
    syntax = str(context.transfer_syntax[0])
    if data_set is not None and data_set[1] is not None:
        attribute, dataset, failure = data_set
        try:
            setattr(req, attribute, BytesIO(encode_data_set(dataset, syntax)))
        except (ValueError, TypeError, AttributeError) as error:
            LOGGER.error(failure)
            raise ValueError(failure) from error
    LOGGER.info("Sending %s Request: MsgID %d", name, req.MessageID)
    return NRequest(name, req, int(context.context_id or 0), syntax, reply)


def _label(attribute: str) -> str:
    return "".join(f" {c}" if c.isupper() else c for c in attribute).strip()
