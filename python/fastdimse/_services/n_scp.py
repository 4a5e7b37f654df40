"""The SCP side of the DIMSE-N services (PS3.7 10.1): one request answered from its
handler, with pynetdicom 3.0.4's handler contract and status rules.

The handler bound to the service's event (``EVT_N_ACTION``, ...) returns
``(status, data set)``; N-DELETE's returns the status alone. The status is taken
as ``ServiceClass.validate_status`` has it; the data set goes in the response
(Action Reply, Attribute List, Event Reply) only with a Success or Warning of the
service's status table. A handler that raises is answered 0x0110 (Processing
failure), and so is a data set that cannot be encoded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING, Any

from fastdimse import events as evt
from fastdimse._dimse.answers import PROCESSING_FAILURE
from fastdimse._dimse.primitives.n_services import (
    N_ACTION,
    N_CREATE,
    N_DELETE,
    N_EVENT_REPORT,
    N_GET,
    N_SET,
)
from fastdimse._files.encoding import encode_data_set
from fastdimse._services.steps import HandlerCall
from fastdimse.status import STATUS_SUCCESS, STATUS_WARNING

if TYPE_CHECKING:
    from fastdimse._services.base import Serve, ServiceClass
    from fastdimse._upper.contexts import PresentationContext

__all__ = ["N_SERVICES", "serve_n"]

LOGGER = logging.getLogger("fastdimse.service_class")


# The categories whose response carries the handler's data set.
_SUCCESS_OR_WARNING = (STATUS_SUCCESS, STATUS_WARNING)


@dataclass(frozen=True)
class _NService:
    """What differs between the six N-services' answers."""

    name: str
    event: evt.InterventionEvent
    # The response of a request: its IDs copied (PS3.7 10.1, the "=" parameters).
    response: Callable[[Any], Any]
    # The response's data set attribute and its name in log messages; None: N-DELETE.
    reply: str | None
    reply_label: str


def _requested(rsp: Any, req: Any) -> Any:
    rsp.MessageIDBeingRespondedTo = req.MessageID
    rsp.AffectedSOPClassUID = req.RequestedSOPClassUID
    rsp.AffectedSOPInstanceUID = req.RequestedSOPInstanceUID
    return rsp


def _affected(rsp: Any, req: Any) -> Any:
    rsp.MessageIDBeingRespondedTo = req.MessageID
    rsp.AffectedSOPClassUID = req.AffectedSOPClassUID
    rsp.AffectedSOPInstanceUID = req.AffectedSOPInstanceUID
    return rsp


def _action_response(req: N_ACTION) -> Any:
    rsp = _requested(N_ACTION(), req)
    rsp.ActionTypeID = req.ActionTypeID
    return rsp


def _event_report_response(req: N_EVENT_REPORT) -> Any:
    rsp = _affected(N_EVENT_REPORT(), req)
    rsp.EventTypeID = req.EventTypeID
    return rsp


# The six services by request primitive.
N_SERVICES: dict[type[Any], _NService] = {
    N_ACTION: _NService(
        "N-ACTION", evt.EVT_N_ACTION, _action_response, "ActionReply", "Action Reply"
    ),
    N_CREATE: _NService(
        "N-CREATE",
        evt.EVT_N_CREATE,
        lambda req: _affected(N_CREATE(), req),
        "AttributeList",
        "Attribute List",
    ),
    N_DELETE: _NService(
        "N-DELETE", evt.EVT_N_DELETE, lambda req: _requested(N_DELETE(), req), None, ""
    ),
    N_EVENT_REPORT: _NService(
        "N-EVENT-REPORT",
        evt.EVT_N_EVENT_REPORT,
        _event_report_response,
        "EventReply",
        "Event Reply",
    ),
    N_GET: _NService(
        "N-GET",
        evt.EVT_N_GET,
        lambda req: _requested(N_GET(), req),
        "AttributeList",
        "Attribute List",
    ),
    N_SET: _NService(
        "N-SET",
        evt.EVT_N_SET,
        lambda req: _requested(N_SET(), req),
        "AttributeList",
        "Attribute List",
    ),
}


def serve_n(service: ServiceClass, req: Any, context: PresentationContext) -> Serve:
    """Answer the N-request ``req`` from its event's handler; the response to send
    (None when the handler released or aborted the association)."""
    spec = N_SERVICES[type(req)]
    rsp = spec.response(req)
    try:
        returned = yield HandlerCall(spec.event, {"request": req, "context": context.as_tuple})
    except Exception as exc:
        LOGGER.error("Exception in the handler bound to 'evt.%s'", spec.event.name)
        LOGGER.exception(exc)
        rsp.Status = PROCESSING_FAILURE
        return rsp
    if not service.assoc.is_established:
        return None
    if spec.reply is None:
        return service.validate_status(returned, rsp)
    try:
        status, dataset = returned
    except (TypeError, ValueError):
        LOGGER.error(
            "The handler bound to 'evt.%s' must return (status, dataset), not %r",
            spec.event.name,
            type(returned).__name__,
        )
        rsp.Status = PROCESSING_FAILURE
        return rsp
    rsp = service.validate_status(status, rsp)
    found = service.statuses.get(int(rsp.Status))
    if found is None or found[0] not in _SUCCESS_OR_WARNING:
        return rsp  # an unknown status or a failure: no data set
    if (
        isinstance(req, N_CREATE)
        and found[0] == STATUS_SUCCESS
        and req.AffectedSOPInstanceUID is None
    ):
        if not _take_created_instance(rsp, dataset):
            return rsp
    if dataset:
        try:
            encoded = encode_data_set(dataset, context.transfer_syntax[0])
        except Exception as error:  # the handler's data set: any failure is reported
            LOGGER.error("Failed encoding the response '%s' dataset", spec.reply_label)
            LOGGER.exception(error)
            rsp.Status = PROCESSING_FAILURE
        else:
            setattr(rsp, spec.reply, BytesIO(encoded))
    return rsp


def _take_created_instance(rsp: N_CREATE, dataset: Any) -> bool:
    """PS3.7 10.1.5.1.4: the SCP names the instance it created when the request did
    not; the handler gives it as the data set's Affected SOP Instance UID, which is
    moved into the response. False (and 0x0110 set) when it did not."""
    from pydicom.dataset import Dataset

    if isinstance(dataset, Dataset) and "AffectedSOPInstanceUID" in dataset:
        rsp.AffectedSOPInstanceUID = dataset.AffectedSOPInstanceUID
        del dataset.AffectedSOPInstanceUID
        return True
    LOGGER.error(
        "The N-CREATE-RQ has no 'Affected SOP Instance UID' value and the "
        "'evt.EVT_N_CREATE' handler doesn't include one in the 'Attribute List' dataset"
    )
    rsp.Status = PROCESSING_FAILURE
    return False
