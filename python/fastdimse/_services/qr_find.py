"""The C-FIND SCP (PS3.4 C.4.1, and every service built on C-FIND): a handler's
matches as pending responses, then the final one.

The handler bound to EVT_C_FIND returns (or is) a generator of ``(status,
identifier)``: each Pending status goes out at once with its identifier, a
Warning goes out and matching goes on, and Success, Failure, Cancel or a
status unknown to the service class ends the operation. A handler that
yields nothing is answered with Success. ``event.is_cancelled`` turns True as
soon as the peer's C-CANCEL is read, while the handler runs.
"""

from __future__ import annotations

import logging
from io import BytesIO
from typing import TYPE_CHECKING, Any

from fastdimse import _config
from fastdimse._dimse.primitives.c_services import C_FIND
from fastdimse._dimse.primitives.checked import copy_uids
from fastdimse._files.encoded import EncodedDataSet
from fastdimse._files.encoding import decode_data_set, encode_data_set
from fastdimse._services.base import Serve, context_id_of, with_status
from fastdimse._services.steps import EXHAUSTED, HandlerCall, NextResult, results_of
from fastdimse.events import EVT_C_FIND
from fastdimse.status import (
    STATUS_CANCEL,
    STATUS_FAILURE,
    STATUS_PENDING,
    STATUS_SUCCESS,
    STATUS_WARNING,
)

if TYPE_CHECKING:
    from fastdimse._services.base import ServiceClass
    from fastdimse._upper.contexts import PresentationContext

__all__ = ["serve_find", "serve_single_find"]

LOGGER = logging.getLogger("fastdimse.service_class")

# Failure: Unable to Process, the handler raised (PS3.4 C.4.1.1.4, pynetdicom's code).
HANDLER_FAILED = 0xC311
# Failure: Unable to Process, the handler's identifier could not be encoded.
IDENTIFIER_NOT_ENCODED = 0xC312
_HANDLER_ERROR = "Exception in handler bound to 'evt.EVT_C_FIND'"


def serve_find(service: ServiceClass, req: C_FIND, context: PresentationContext) -> Serve:
    """Answer a C-FIND with the EVT_C_FIND handler's matches (see the module)."""
    rsp = response_to(req)
    log_request_identifier("Find", req, context)
    try:
        results = yield HandlerCall(EVT_C_FIND, find_attrs(service, req, context))
        results = results_of([(0x0000, None)] if results is None else results)
    except Exception as error:
        LOGGER.error(_HANDLER_ERROR)
        LOGGER.exception(error)
        return with_status(rsp, HANDLER_FAILED) if service.assoc.is_established else None
    if not service.assoc.is_established:
        return None  # the handler released or aborted the association
    count = 0
    while True:
        try:
            item = yield NextResult(results)
            if item is EXHAUSTED:
                break
            status, identifier = item
        except Exception as error:
            LOGGER.error(_HANDLER_ERROR)
            LOGGER.exception(error)
            status, identifier = HANDLER_FAILED, None
        if not service.assoc.is_established:
            return None
        count += 1
        rsp.Identifier = None
        rsp = service.validate_status(status, rsp)
        category = service.statuses.get(int(rsp.Status), (None, ""))[0]
        if category == STATUS_PENDING:
            if not _attach(rsp, identifier, context):
                return with_status(rsp, IDENTIFIER_NOT_ENCODED)
            _log_response(count, rsp, "Pending")
            service.dimse.send_msg(rsp, context_id_of(context))
        elif category == STATUS_WARNING:
            # Matching goes on (a Repository Query's 0xB001 ends one batch, PS3.4 C.6.4).
            _log_response(count, rsp, "Warning")
            service.dimse.send_msg(rsp, context_id_of(context), answers_request=False)
        else:
            _log_response(count, rsp, category or "Unknown")
            if category not in (STATUS_CANCEL, STATUS_FAILURE, STATUS_SUCCESS):
                LOGGER.debug("Ending the C-FIND on a status the service class does not know")
            return rsp
    if not service.assoc.is_established:
        return None
    rsp.Identifier = None
    _log_response(count + 1, rsp, "Success")
    return with_status(rsp, 0x0000)


def serve_single_find(service: ServiceClass, req: C_FIND, context: PresentationContext) -> Serve:
    """A C-FIND answered by at most one match (Relevant Patient Information Query,
    PS3.4 Q): the handler's first result, then Success after a Pending one."""
    rsp = response_to(req)
    log_request_identifier("Find", req, context)
    try:
        results = yield HandlerCall(EVT_C_FIND, find_attrs(service, req, context))
        item = EXHAUSTED if results is None else (yield NextResult(results_of(results)))
    except Exception as error:
        LOGGER.error(_HANDLER_ERROR)
        LOGGER.exception(error)
        return with_status(rsp, HANDLER_FAILED) if service.assoc.is_established else None
    if not service.assoc.is_established:
        return None
    if item is EXHAUSTED:
        return with_status(rsp, 0x0000)
    status, identifier = item
    rsp = service.validate_status(status, rsp)
    if service.statuses.get(int(rsp.Status), (None, ""))[0] != STATUS_PENDING:
        return rsp
    if not _attach(rsp, identifier, context):
        return with_status(rsp, IDENTIFIER_NOT_ENCODED)
    service.dimse.send_msg(rsp, context_id_of(context))
    rsp.Identifier = None
    return with_status(rsp, 0x0000)


def response_to(req: Any) -> Any:
    """The response of ``req``'s service (C-FIND, C-GET or C-MOVE), its IDs filled in."""
    rsp = type(req)()
    rsp.MessageID = req.MessageID
    rsp.MessageIDBeingRespondedTo = req.MessageID
    copy_uids(req, rsp, "AffectedSOPClassUID")
    return rsp


def find_attrs(service: ServiceClass, req: Any, context: PresentationContext) -> dict[str, Any]:
    """The event attributes of a C-FIND, C-GET or C-MOVE request."""
    return {
        "request": req,
        "context": context.as_tuple,
        "_is_cancelled": service.dimse.performed.is_cancelled,
    }


def log_request_identifier(name: str, req: Any, context: PresentationContext) -> None:
    """Log the request's identifier (``_config.LOG_REQUEST_IDENTIFIERS``); one that does
    not decode is the handler's to judge, so it is not logged."""
    if not _config.LOG_REQUEST_IDENTIFIERS or not LOGGER.isEnabledFor(logging.INFO):
        return
    try:
        identifier = decode_data_set(req.Identifier.getvalue(), context.transfer_syntax[0])
        lines = str(identifier).splitlines()
    except Exception:
        return
    LOGGER.info("%s SCP Request Identifier:", name)
    LOGGER.info("")
    LOGGER.info("# DICOM Dataset")
    for line in lines:
        LOGGER.info(line)
    LOGGER.info("")


def encode_identifier(identifier: Any, context: PresentationContext) -> BytesIO | None:
    """``identifier`` encoded in the context's transfer syntax; None when it cannot be.
    An ``EncodedDataSet`` (an archive's, cut from what it stored) goes as it is when it
    is in that syntax."""
    from pydicom.dataset import Dataset

    try:
        if isinstance(identifier, EncodedDataSet):
            return BytesIO(identifier.encoded_in(context.transfer_syntax[0]))
        if not isinstance(identifier, Dataset):
            LOGGER.error("Failed encoding the response 'Identifier' dataset")
            return None
        return BytesIO(encode_data_set(identifier, context.transfer_syntax[0]))
    except ValueError:
        LOGGER.error("Failed encoding the response 'Identifier' dataset")
        return None


def _attach(rsp: C_FIND, identifier: Any, context: PresentationContext) -> bool:
    encoded = encode_identifier(identifier, context)
    if encoded is None:
        return False
    rsp.Identifier = encoded
    if _config.LOG_RESPONSE_IDENTIFIERS and LOGGER.isEnabledFor(logging.DEBUG):
        LOGGER.debug("Find SCP Response Identifier:")
        shown = identifier.decode() if isinstance(identifier, EncodedDataSet) else identifier
        for line in str(shown).splitlines():
            LOGGER.debug(line)
    return True


def _log_response(number: int, rsp: C_FIND, category: str) -> None:
    LOGGER.info("Find SCP Response %d: 0x%04X (%s)", number, rsp.Status, category)
