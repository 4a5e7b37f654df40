"""What ``send_c_find``, ``send_c_get`` and ``send_c_move`` send and how their
responses read, for both drivers.

``prepare_query`` builds the request (its context, its identifier encoded in
the context's transfer syntax) and raises before anything is sent;
``read_response`` turns each response into pynetdicom's ``(status,
identifier)`` pair and says whether it was the last. The drivers do the
waiting: the threaded ``Association`` as a generator, ``fastdimse.aio`` as an
async iterator.
"""

from __future__ import annotations

import logging
from io import BytesIO
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from fastdimse import _config
from fastdimse._dimse.primitives.c_services import C_CANCEL, C_FIND, C_GET, C_MOVE
from fastdimse._files.encoding import decode_data_set, encode_data_set, new_dataset

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

    from fastdimse._upper.contexts import PresentationContext

__all__ = [
    "InvalidResponse",
    "QueryRequest",
    "cancel_request",
    "prepare_query",
    "read_response",
]

LOGGER = logging.getLogger("fastdimse.assoc")

# The names pynetdicom's log uses for each service.
_NAMES: dict[type, str] = {C_FIND: "Find", C_GET: "Get", C_MOVE: "Move"}


class Contexts(Protocol):
    """The association as far as a query needs it: its accepted contexts."""

    def valid_context(
        self,
        ab_syntax: str,
        tr_syntax: str,
        role: str | None = None,
        context_id: int | None = None,
        allow_conversion: bool = True,
    ) -> PresentationContext: ...


# Repository Query (PS3.4 C.6.4): 0xB001 ends one batch of matches, not the query.
_REPOSITORY_QUERY = "1.2.840.10008.5.1.4.1.1.201.6"
_BATCH_ENDS = frozenset({0xB001})


class QueryRequest(NamedTuple):
    """A C-FIND, C-GET or C-MOVE request ready to send."""

    primitive: Any
    context_id: int
    transfer_syntax: str
    # Statuses after which more responses come, besides Pending.
    continuing: frozenset[int] = frozenset()

    @property
    def message_id(self) -> int:
        return int(self.primitive.MessageID)

    @property
    def name(self) -> str:
        return _NAMES[type(self.primitive)]


class InvalidResponse(Exception):
    """The peer answered with something that cannot be the response (the association
    is aborted)."""


def prepare_query(
    contexts: Contexts,
    service: type[Any],
    dataset: Dataset,
    query_model: str,
    msg_id: int,
    priority: int,
    move_aet: str | None = None,
) -> QueryRequest:
    """The request of ``service`` (C_FIND, C_GET or C_MOVE) for ``dataset`` under
    ``query_model``: ValueError when no context is accepted for it or the
    identifier cannot be encoded."""
    from pydicom.uid import UID

    context = contexts.valid_context(query_model, "", "scu")
    req = service()
    req.MessageID = msg_id
    req.AffectedSOPClassUID = UID(str(query_model))
    req.Priority = priority
    if move_aet is not None:
        req.MoveDestination = move_aet
    transfer_syntax = str(context.transfer_syntax[0])
    try:
        req.Identifier = BytesIO(encode_data_set(dataset, transfer_syntax))
    except ValueError:
        LOGGER.error("Failed to encode the supplied Identifier dataset")
        raise ValueError("Failed to encode the supplied Identifier dataset") from None
    name = _NAMES[service]
    LOGGER.info("Sending %s Request: MsgID %s", name, msg_id)
    if _config.LOG_REQUEST_IDENTIFIERS and LOGGER.isEnabledFor(logging.INFO):
        LOGGER.info("")
        LOGGER.info("# Request Identifier")
        for line in str(dataset).splitlines():
            LOGGER.info(line)
        LOGGER.info("")
    continuing = _BATCH_ENDS if str(query_model) == _REPOSITORY_QUERY else frozenset()
    return QueryRequest(req, int(context.context_id or 0), transfer_syntax, continuing)


def cancel_request(
    contexts: Contexts, msg_id: int, context_id: int | None, query_model: str | None
) -> tuple[C_CANCEL, int]:
    """The C-CANCEL of request ``msg_id`` and its context: the query model's (which
    must be accepted) or ``context_id``; ValueError when neither is given."""
    if isinstance(query_model, str):
        context_id = int(contexts.valid_context(query_model, "", "scu").context_id or 0)
    elif not isinstance(context_id, int):
        raise ValueError(
            "'send_c_cancel' requires either the 'query_model' used for the service "
            "request or the corresponding 'context_id'"
        )
    primitive = C_CANCEL()
    primitive.MessageIDBeingRespondedTo = msg_id
    LOGGER.info("Sending C-CANCEL request")
    return primitive, context_id


def read_response(
    rsp: Any, request: QueryRequest, number: int
) -> tuple[Dataset, Dataset | None, bool]:
    """``(status, identifier, final)`` of response ``number`` to ``request``.

    A Pending C-FIND response's identifier is decoded (None if it cannot be),
    as are the Failed SOP Instance UID List of a C-GET or C-MOVE that ends in
    Cancel, Warning or Failure; ``InvalidResponse`` for a message that is not a
    valid response of the request's service.
    """

    # Here: an SCU that never queries (echoscu) does not load the status tables.
    from fastdimse.status import (
        STATUS_CANCEL,
        STATUS_FAILURE,
        STATUS_PENDING,
        STATUS_WARNING,
        code_to_category,
    )

    if type(rsp) is not type(request.primitive):
        name = type(rsp).__name__.replace("_", "-")
        LOGGER.error("Received an unexpected %s message from the peer", name)
        raise InvalidResponse(name)
    if not rsp.is_valid_response:
        name = type(rsp).__name__.replace("_", "-")
        LOGGER.error("Received an invalid %s response from the peer", name)
        raise InvalidResponse(name)
    code = int(rsp.Status)
    status = _status_dataset(code)
    for keyword in rsp.STATUS_OPTIONAL_KEYWORDS:
        value = getattr(rsp, keyword, None)
        if value is not None:
            setattr(status, keyword, value)
    category = code_to_category(code)
    final = category != STATUS_PENDING and code not in request.continuing
    if code in request.continuing:
        LOGGER.info("%s SCP Response: %d - 0x%04X (%s)", request.name, number, code, category)
    elif final:
        LOGGER.info("%s SCP Result: 0x%04X (%s)", request.name, code, category)
    else:
        LOGGER.info("%s SCP Response: %d - 0x%04X (Pending)", request.name, number, code)
    if request.name != "Find":
        LOGGER.info(
            "Sub-Operations Remaining: %s, Completed: %s, Failed: %s, Warning: %s",
            rsp.NumberOfRemainingSuboperations or "0",
            rsp.NumberOfCompletedSuboperations or "0",
            rsp.NumberOfFailedSuboperations or "0",
            rsp.NumberOfWarningSuboperations or "0",
        )
    decodes = (
        category == STATUS_PENDING
        if request.name == "Find"
        else category in (STATUS_CANCEL, STATUS_WARNING, STATUS_FAILURE)
    )
    identifier = None
    if decodes:
        # pynetdicom's: an ending C-GET or C-MOVE without a data set gives an empty one.
        stream = rsp.Identifier or BytesIO()
        identifier = _decode_identifier(stream, request.transfer_syntax)
    return status, identifier, final


def _status_dataset(code: int) -> Dataset:
    """A Dataset of (0000,0900) Status, built from its element (a C-FIND makes one
    per match: by keyword it costs ten times as much)."""
    from pydicom.dataelem import DataElement
    from pydicom.tag import Tag

    tag = Tag(0x00000900)
    return new_dataset({tag: DataElement(tag, "US", code)})


def _decode_identifier(stream: BytesIO, transfer_syntax: str) -> Dataset | None:
    try:
        identifier = decode_data_set(stream.getvalue(), transfer_syntax)
    except Exception as error:
        LOGGER.error("Failed to decode the received Identifier dataset")
        LOGGER.exception(error)
        return None
    # At INFO, as pynetdicom (findscu shows its matches so); formatted only if shown.
    if _config.LOG_RESPONSE_IDENTIFIERS and LOGGER.isEnabledFor(logging.INFO):
        LOGGER.info("")
        LOGGER.info("# Response Identifier")
        for line in str(identifier).splitlines():
            LOGGER.info(line)
        LOGGER.info("")
    return identifier
