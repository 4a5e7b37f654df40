"""The C-GET and C-MOVE SCPs (PS3.4 C.4.2, C.4.3): a handler's instances sent as
C-STORE sub-operations, counted, and answered.

The handler bound to EVT_C_GET yields the number of sub-operations, then
``(status, dataset)`` pairs; one bound to EVT_C_MOVE first yields the move
destination, ``(address, port)`` or ``(address, port, associate kwargs)``
(``(None, None)`` when the AE title is unknown: 0xA801). Each Pending pair's
data set is sent as a C-STORE sub-operation (a pydicom Dataset, or, beyond
pynetdicom, the path of a DICOM file, streamed from disk unchanged when its
transfer syntax was accepted): on the request's own association
for C-GET (its reader reads on meanwhile, so the sub-operation's response
comes back while the handler waits), on one association to the destination,
opened once and reused for the whole move, for C-MOVE. A Pending response
with the counters follows each sub-operation; the final response carries the
counters and, after failures, the Failed SOP Instance UID List (PS3.4
C.4.2.1.4, C.4.3.1.3). Cancel, Failure, Warning and Success statuses from the
handler end the operation early, as pynetdicom does.
"""

from __future__ import annotations

import copy
import logging
import os
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from fastdimse._dimse.primitives.c_services import C_GET, C_MOVE
from fastdimse._files.part10 import read_file_meta
from fastdimse._services.base import Serve, context_id_of, with_status
from fastdimse._services.qr_find import (
    encode_identifier,
    find_attrs,
    log_request_identifier,
    response_to,
)
from fastdimse._services.steps import (
    EXHAUSTED,
    Associate,
    AwaitStore,
    HandlerCall,
    NextResult,
    Release,
    SubmitStore,
    results_of,
)
from fastdimse._upper.negotiation_items import AsynchronousOperationsWindowNegotiation
from fastdimse.events import EVT_C_GET, EVT_C_MOVE, InterventionEvent
from fastdimse.status import (
    STATUS_CANCEL,
    STATUS_FAILURE,
    STATUS_PENDING,
    STATUS_SUCCESS,
    STATUS_WARNING,
    STORAGE_SERVICE_CLASS_STATUS,
    code_to_category,
)

if TYPE_CHECKING:
    from fastdimse._services.base import ServiceClass
    from fastdimse._upper.contexts import PresentationContext

__all__ = ["GET", "MOVE", "Retrieve", "serve_retrieve"]

LOGGER = logging.getLogger("fastdimse.service_class")

# Number of ... Sub-operations are US: no more can be counted (PS3.7 C.4.2, C.4.3).
MAX_SUB_OPERATIONS = 0xFFFF
# Failure: sub-operations could not be performed (all of them failed).
_ALL_FAILED = 0xA702
# Warning: sub-operations complete, one or more failures or warnings.
_SOME_FAILED = 0xB000
# Failure: Move Destination unknown.
_UNKNOWN_DESTINATION = 0xA801
# Composite Instance Retrieve Without Bulk Data - GET (PS3.4 Z).
_WITHOUT_BULK_DATA = "1.2.840.10008.5.1.4.1.2.5.3"


class Retrieve(NamedTuple):
    """What differs between C-GET and C-MOVE: names, event, and pynetdicom's
    Unable to Process codes."""

    name: str
    primitive: type[Any]
    event: InterventionEvent
    handler_failed: int  # the handler raised
    bad_count: int  # the number of sub-operations is not an int
    too_many: int  # more sub-operations than the counters can hold
    no_destination: int = 0  # (C-MOVE) the handler yielded no destination
    bad_destination: int = 0  # (C-MOVE) the destination is not (address, port[, kwargs])


GET = Retrieve("Get", C_GET, EVT_C_GET, 0xC411, 0xC413, 0xC416)
MOVE = Retrieve("Move", C_MOVE, EVT_C_MOVE, 0xC511, 0xC513, 0xC516, 0xC514, 0xC515)


class _Counters:
    """The sub-operations' counters and the UIDs of the failed ones."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.remaining = total
        self.failed = 0
        self.warning = 0
        self.completed = 0
        self.failed_uids: list[str] = []

    def put(self, rsp: Any, *, remaining: bool = True, failed: int | None = None) -> Any:
        # A final response has no remaining count but after a Cancel (PS3.4 C.4.2.1.5).
        rsp.NumberOfRemainingSuboperations = self.remaining if remaining else None
        rsp.NumberOfFailedSuboperations = self.failed if failed is None else failed
        rsp.NumberOfWarningSuboperations = self.warning
        rsp.NumberOfCompletedSuboperations = self.completed
        return rsp

    def failed_list(self, given: Any = None) -> Any:
        """The Failed SOP Instance UID List identifier: the handler's, if it gave one."""
        from pydicom.dataset import Dataset

        if isinstance(given, Dataset) and "FailedSOPInstanceUIDList" in given:
            return given
        identifier = Dataset()
        identifier.FailedSOPInstanceUIDList = self.failed_uids
        return identifier


def serve_retrieve(
    service: ServiceClass, req: Any, context: PresentationContext, kind: Retrieve
) -> Serve:
    """Answer a C-GET or C-MOVE with the handler's sub-operations (see the module)."""
    rsp = response_to(req)
    log_request_identifier(kind.name, req, context)
    try:
        results = _iterate((yield HandlerCall(kind.event, find_attrs(service, req, context))))
    except Exception as error:
        LOGGER.error("Exception in handler bound to 'evt.%s'", kind.event.name)
        LOGGER.exception(error)
        return with_status(rsp, kind.handler_failed) if service.assoc.is_established else None
    if not service.assoc.is_established:
        return None
    destination: Any = None
    if kind is MOVE:
        destination = yield from _destination(results, req, rsp)
        if destination is None:
            return rsp if service.assoc.is_established else None
    try:
        first = yield NextResult(results)
        refused = _refusal(first)
        if refused is not None:
            return with_status(rsp, refused)
        total = int(first)
    except Exception as error:
        LOGGER.error(
            "The %s request handler yielded an invalid number of sub-operations value: %s",
            kind.primitive.__name__.replace("_", "-"),
            error,
        )
        return with_status(rsp, kind.bad_count)
    if not service.assoc.is_established:
        return None
    if total < 1:
        return _Counters(0).put(with_status(rsp, 0x0000), remaining=False)
    if total > MAX_SUB_OPERATIONS:
        LOGGER.error(
            "The %s request handler yielded more than 65535 matches",
            kind.primitive.__name__.replace("_", "-"),
        )
        return with_status(rsp, kind.too_many)
    target = service.assoc
    if kind is MOVE:
        target = yield from _open_destination(service, req, rsp, destination, kind)
        if target is None:
            return rsp
    counters = _Counters(total)
    try:
        final = yield from _sub_operations(
            service, req, rsp, context, kind, results, target, counters
        )
    except Exception:
        if kind is MOVE:
            yield Release(target)
        raise
    if kind is MOVE:
        yield Release(target)  # before the final response, as pynetdicom
    return final if service.assoc.is_established else None


def _sub_operations(
    service: ServiceClass,
    req: Any,
    rsp: Any,
    context: PresentationContext,
    kind: Retrieve,
    results: Any,
    target: Any,
    counters: _Counters,
) -> Serve:
    """The C-STORE sub-operations of the handler's results; the final response.

    Up to the target association's window of sub-operations are outstanding at
    once (one unless the peer granted more, PS3.7 D.3.3.3): each is answered by
    a Pending response in order as its C-STORE response comes; anything but a
    sub-operation from the handler waits until those outstanding are answered.
    """
    from pydicom.dataset import Dataset

    context_id = context_id_of(context)
    window = _window_of(target)
    in_flight: deque[_InFlight] = deque()
    number = 0
    while True:
        try:
            item = yield NextResult(results)
            if item is EXHAUSTED:
                break
            status, dataset = item
        except Exception as error:
            LOGGER.error("Exception in handler bound to 'evt.%s'", kind.event.name)
            LOGGER.exception(error)
            status, dataset = kind.handler_failed, None
        number += 1
        if not service.assoc.is_established:
            return None
        if counters.remaining - len(in_flight) <= 0:
            LOGGER.warning(
                "The handler bound to 'evt.%s' yielded further (status, dataset) results "
                "but these will be ignored as the sub-operations are complete",
                kind.event.name,
            )
            break
        rsp.Identifier = None
        rsp = service.validate_status(status, rsp)
        category = service.statuses.get(int(rsp.Status), (None, ""))[0]
        if category == STATUS_PENDING and not dataset:
            continue  # nothing to send (pynetdicom's rule): not counted either
        is_file = category == STATUS_PENDING and _is_file(dataset)
        if is_file:
            dataset = _file_to_send(dataset, context)
        if category == STATUS_PENDING and (is_file or isinstance(dataset, Dataset)):
            if isinstance(dataset, Dataset) and str(context.abstract_syntax) == _WITHOUT_BULK_DATA:
                _remove_bulk_data(dataset)
            handle = yield from _submit(req, target, dataset, number, kind, service)
            in_flight.append(_InFlight(handle, dataset, number, copy.copy(rsp)))
            while len(in_flight) >= window:
                yield from _settle(in_flight.popleft(), counters, kind, service, context_id)
            continue
        # The handler's other results come after the sub-operations in flight.
        yield from _settle_all(in_flight, counters, kind, service, context_id)
        if not service.assoc.is_established:
            return None
        if category is None:
            return rsp  # a status the service class does not know ends the operation
        if category == STATUS_CANCEL:
            LOGGER.info("%s SCP Response %d: 0x%04X (Cancel)", kind.name, number, rsp.Status)
            rsp.Identifier = encode_identifier(counters.failed_list(dataset), context)
            return counters.put(rsp)
        if category in (STATUS_FAILURE, STATUS_WARNING):
            LOGGER.info("%s SCP Response %d: 0x%04X (%s)", kind.name, number, rsp.Status, category)
            rsp.Identifier = encode_identifier(counters.failed_list(dataset), context)
            return counters.put(rsp, remaining=False, failed=counters.failed + counters.remaining)
        if category == STATUS_SUCCESS:
            return _final(rsp, counters, context)
        if category == STATUS_PENDING:
            LOGGER.error("Received invalid dataset from callback")
            counters.failed += 1
            counters.failed_uids.append("")
            service.dimse.send_msg(counters.put(rsp), context_id)
    yield from _settle_all(in_flight, counters, kind, service, context_id)
    if not service.assoc.is_established:
        return None
    return _final(rsp, counters, context)


class _InFlight(NamedTuple):
    """A sub-operation sent and not yet answered, with its Pending response to send."""

    handle: Any
    dataset: Any
    number: int
    pending: Any


def _window_of(target: Any) -> int:
    """How many sub-operations may be outstanding on ``target`` (0, no limit: 16)."""
    window = int(getattr(target.dimse.invoked, "window", 1))
    return window if window > 0 else 16


def _submit(
    req: Any, target: Any, dataset: Any, number: int, kind: Retrieve, service: ServiceClass
) -> Serve:
    """Send one C-STORE sub-operation; its handle, or the error that stopped it."""
    # pynetdicom's Message IDs: the request's, counted on by the results (16 bits).
    message_id = (int(req.MessageID) + number - 1) % 0xFFFF + 1
    originator = (service.ae.ae_title, int(req.MessageID)) if kind is MOVE else (None, None)
    try:
        return (yield SubmitStore(target, dataset, message_id, *originator))
    except Exception as error:
        return error


def _settle(
    sent: _InFlight, counters: _Counters, kind: Retrieve, service: ServiceClass, context_id: int
) -> Serve:
    """Wait for a sub-operation's C-STORE response, count it, send its Pending response."""
    try:
        if isinstance(sent.handle, Exception):
            raise sent.handle
        status = yield AwaitStore(sent.handle)
        code = int(status.Status)
        category = STORAGE_SERVICE_CLASS_STATUS[code][0]
        LOGGER.info("%s SCP: Received Store SCP response 0x%04X (%s)", kind.name, code, category)
    except Exception as error:
        LOGGER.warning("C-STORE sub-operation failed.")
        LOGGER.error(str(error))
        LOGGER.info("%s SCP: Received Store SCP response (Failure)", kind.name)
        category = STATUS_FAILURE
    if category == STATUS_FAILURE:
        counters.failed += 1
        uid = _instance_uid(sent.dataset)
        if uid is not None:
            counters.failed_uids.append(uid)
    elif category == STATUS_WARNING:
        counters.warning += 1
    elif category == STATUS_SUCCESS:
        counters.completed += 1
    counters.remaining -= 1
    if not service.assoc.is_established:
        return
    pending = sent.pending
    pending.Identifier = None
    LOGGER.info("%s SCP Response %d: 0x%04X (Pending)", kind.name, sent.number, pending.Status)
    service.dimse.send_msg(counters.put(pending), context_id)


def _settle_all(
    in_flight: deque[_InFlight],
    counters: _Counters,
    kind: Retrieve,
    service: ServiceClass,
    context_id: int,
) -> Serve:
    """``_settle`` every sub-operation in flight, in the order they were sent."""
    while in_flight:
        yield from _settle(in_flight.popleft(), counters, kind, service, context_id)


def _is_file(dataset: Any) -> bool:
    """Whether a yielded value is a file to send: a path object, or a string naming an
    existing file (any other string is an invalid data set, as in pynetdicom)."""
    if isinstance(dataset, os.PathLike):
        return True
    return isinstance(dataset, str) and os.path.isfile(dataset)


def _file_to_send(path: str | os.PathLike[str], context: PresentationContext) -> Any:
    """A yielded file path, sent from disk as it is (``send_c_store`` streams it); read
    only when the bulk data must go first (Composite Instance Retrieve Without Bulk
    Data), or its file meta does not read (then it fails as its C-STORE would)."""
    if str(context.abstract_syntax) != _WITHOUT_BULK_DATA:
        return path
    from pydicom import dcmread

    try:
        return dcmread(path)
    except Exception as error:
        LOGGER.error("The file %s could not be read: %s", path, error)
        return path


def _instance_uid(dataset: Any) -> str | None:
    """The SOP Instance UID of a sub-operation's data set or file (None if unknown)."""
    if not isinstance(dataset, str | os.PathLike):
        uid = getattr(dataset, "SOPInstanceUID", None)
        return None if uid is None else str(uid)
    try:
        return read_file_meta(dataset).sop_instance_uid
    except (OSError, ValueError):
        return None


def _final(rsp: Any, counters: _Counters, context: PresentationContext) -> Any:
    """The last response: Success, or Warning (some failed or warned) or Failure (all
    failed) with the Failed SOP Instance UID List."""
    if counters.failed or counters.warning:
        status = _ALL_FAILED if counters.failed == counters.total else _SOME_FAILED
        rsp.Status = status
        rsp.Identifier = encode_identifier(counters.failed_list(), context)
    else:
        rsp.Status = 0x0000
        rsp.Identifier = None
    return counters.put(rsp, remaining=False)


def _refusal(item: Any) -> int | None:
    """(Ours) A handler that yields ``(status, None)`` with a Failure or Cancel status in
    place of the number of sub-operations (C-GET) or the destination (C-MOVE) refuses the
    request with that status: an archive that finds the identifier invalid answers 0xA900,
    not the 0xC413 or 0xA801 the standard gives a malformed count or an unknown destination."""
    if not (isinstance(item, tuple) and len(item) == 2 and item[1] is None):
        return None
    status = item[0]
    if not isinstance(status, int) or isinstance(status, bool):
        return None
    return status if code_to_category(status) in (STATUS_FAILURE, STATUS_CANCEL) else None


def _destination(results: Any, req: Any, rsp: Any) -> Serve:
    """(C-MOVE) The handler's destination, or None (``rsp`` then says why)."""
    try:
        destination = yield NextResult(results)
        if destination is EXHAUSTED:
            raise ValueError("no destination was yielded")
        refused = _refusal(destination)
        if refused is not None:
            with_status(rsp, refused)
            return None
    except Exception as error:
        LOGGER.error(
            "The C-MOVE request handler must yield the (address, port) of the destination "
            "AE, then yield the number of sub-operations, then yield (status, dataset) "
            "pairs: %s",
            error,
        )
        with_status(rsp, MOVE.no_destination)
        return None
    try:
        unknown = None in destination[:2]
    except Exception:
        LOGGER.error(_BAD_DESTINATION)
        with_status(rsp, MOVE.bad_destination)
        return None
    if unknown:
        LOGGER.error("Unknown Move Destination: %s", req.MoveDestination)
        with_status(rsp, _UNKNOWN_DESTINATION)
        return None
    return destination


_BAD_DESTINATION = (
    "The handler bound to 'evt.EVT_C_MOVE' yielded an invalid destination AE "
    "(addr, port) or (addr, port, kwargs) value"
)


def _open_destination(
    service: ServiceClass, req: Any, rsp: Any, destination: Any, kind: Retrieve
) -> Serve:
    """(C-MOVE) The association to the destination, or None (``rsp`` says why).

    When our AE may invoke several operations at once (``maximum_operations_invoked``
    above pynetdicom's 1) and the handler gave no negotiation items of its own, it
    proposes that window, so that the sub-operations can be pipelined."""
    try:
        kwargs = {"ae_title": req.MoveDestination}
        if len(destination) >= 3 and destination[2]:
            kwargs.update(destination[2])
        window = int(getattr(service.ae, "maximum_operations_invoked", 1) or 1)
        if window > 1 and not kwargs.get("ext_neg"):
            kwargs["ext_neg"] = [AsynchronousOperationsWindowNegotiation.of(window)]
        assoc = yield Associate(destination[0], destination[1], kwargs)
    except Exception as error:
        LOGGER.error("%s: %s", _BAD_DESTINATION, error)
        with_status(rsp, kind.bad_destination)
        return None
    if not assoc.is_established:
        LOGGER.error("Move SCP: Unable to associate with destination AE")
        with_status(rsp, _UNKNOWN_DESTINATION)
        return None
    return assoc


# Bulk data removed for Composite Instance Retrieve Without Bulk Data (PS3.4 Z.1.2.1):
# top-level keywords, and the repeating groups (Audio Sample, Curve, Overlay Data).
_BULK_DATA_KEYWORDS = (
    "PixelData",
    "FloatPixelData",
    "DoubleFloatPixelData",
    "PixelDataProviderURL",
    "SpectroscopyData",
    "EncapsulatedDocument",
)
_REPEATING_BULK_DATA = ((0x5000, 0x200C), (0x5000, 0x3000), (0x6000, 0x3000))


def _remove_bulk_data(dataset: Any) -> None:
    removed = [keyword for keyword in _BULK_DATA_KEYWORDS if keyword in dataset]
    for keyword in removed:
        delattr(dataset, keyword)
    for item in dataset.get("WaveformSequence", []) or []:
        if "WaveformData" in item:
            del item.WaveformData
            if "WaveformData" not in removed:
                removed.append("WaveformData")
    for offset in range(0, 256, 2):
        for group, element in _REPEATING_BULK_DATA:
            tag = ((group + offset) << 16) | element
            if tag in dataset:
                del dataset[tag]
    if removed:
        LOGGER.warning(
            "The Query/Retrieve - Composite Instance Retrieve Without Bulk Data service is "
            "requested but a yielded dataset contains the following (to be removed) bulk "
            "data elements: %s",
            ",".join(removed),
        )


def _iterate(results: Any) -> Iterator[Any]:
    """The handler's results as an iterator; one that is not iterable (None) fails
    at its first item, where pynetdicom finds out (so the status is that step's)."""
    try:
        return results_of(results)  # type: ignore[no-any-return]
    except TypeError as error:
        return _failing(error)


def _failing(error: Exception) -> Iterator[Any]:
    raise error
    yield  # a generator that raises when first asked
