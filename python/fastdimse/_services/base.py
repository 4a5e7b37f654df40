"""What every service class is: an SCP bound to one association, written once.

Each service is a generator (``serve``) that yields the steps it needs
(``steps``: a handler call, the next of a handler's results, a C-STORE
sub-operation, ...), is sent each step's outcome (or has its exception thrown
in), and returns the final response to send, or None (it may send pending
responses itself on the way). The drivers run it: ``SCP`` (pynetdicom's name)
performs the steps in the current thread (``run_serve``); ``fastdimse.aio``
awaits ``async def`` handlers on its event loop and runs plain ones on worker
threads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeAlias

from fastdimse import status as _status
from fastdimse._dimse.answers import status_response
from fastdimse._services.steps import HandlerCall, perform_step

if TYPE_CHECKING:
    from fastdimse._dimse.provider import DIMSEServiceProvider
    from fastdimse._upper.contexts import PresentationContext

__all__ = [
    "STATUS_SOP_CLASS_NOT_SUPPORTED",
    "STATUS_UNRECOGNISED_OPERATION",
    "HandlerCall",
    "Serve",
    "Served",
    "ServiceClass",
    "context_id_of",
    "run_serve",
    "with_status",
]

LOGGER = logging.getLogger("fastdimse.service_class")

# 0x0211: Unrecognized Operation (PS3.7 C.5.9).
STATUS_UNRECOGNISED_OPERATION = 0x0211
# 0x0122: SOP Class Not Supported (PS3.7 C.5.13).
STATUS_SOP_CLASS_NOT_SUPPORTED = 0x0122


# A service's run: yields steps, is sent their outcomes, returns the final response.
Serve: TypeAlias = Generator[Any, Any, Any]


def run_serve(serve: Serve, call: Callable[[Any], Any]) -> Any:
    """Run ``serve`` to its end, each step through ``call`` in this thread; its response."""
    try:
        request = next(serve)
        while True:
            try:
                result = call(request)
            except Exception as error:
                request = serve.throw(error)
            else:
                request = serve.send(result)
    except StopIteration as stop:
        return stop.value


class Served(Protocol):
    """The association a service class answers for, as far as the service looks:
    its AE, its DIMSE provider, whether it still stands, and its handlers."""

    @property
    def ae(self) -> Any: ...

    @property
    def dimse(self) -> DIMSEServiceProvider: ...

    @property
    def is_established(self) -> bool: ...

    def get_handlers(self, event: Any) -> Any: ...


class ServiceClass:
    """The base of every service class: an SCP bound to one association."""

    uid: ClassVar[str | None] = None
    # The status table of the service; a service with several sets it per request.
    statuses: dict[int, tuple[str, str]] = _status.GENERAL_STATUS

    def __init__(self, assoc: Served) -> None:
        self.assoc = assoc

    @property
    def ae(self) -> Any:
        return self.assoc.ae

    @property
    def dimse(self) -> DIMSEServiceProvider:
        return self.assoc.dimse

    def is_valid_status(self, status: int) -> bool:
        return status in self.statuses

    def validate_status(self, status: Any, rsp: Any) -> Any:
        """Set ``rsp.Status`` (and the optional status elements) from a handler's return.

        pynetdicom's rules: a Dataset gives its elements (without Status:
        0xC001), an int is the status, anything else is 0xC002; an unknown
        status is sent all the same, with a warning.
        """
        from pydicom.dataset import Dataset

        if isinstance(status, Dataset):
            if "Status" in status:
                for elem in status:
                    if hasattr(rsp, elem.keyword):
                        setattr(rsp, elem.keyword, elem.value)
                    else:
                        LOGGER.warning(
                            "Status dataset returned by callback contained an "
                            "unsupported Element '%s'",
                            elem.keyword,
                        )
            else:
                LOGGER.error("User callback returned a `Dataset` without a Status element")
                rsp.Status = 0xC001
        elif isinstance(status, int):
            rsp.Status = status
        else:
            LOGGER.error("Invalid status returned by callback")
            rsp.Status = 0xC002
        if not self.is_valid_status(int(rsp.Status)):
            LOGGER.warning("Unknown status value returned by callback - 0x%04X", rsp.Status)
        return rsp

    def SCP(self, req: Any, context: PresentationContext) -> None:
        """Serve ``req`` in this thread (handlers called here) and send the response."""
        rsp = run_serve(self.serve(req, context), lambda step: perform_step(self.assoc, step))
        if rsp is not None:
            self.dimse.send_msg(rsp, context_id_of(context))

    def serve(self, req: Any, context: PresentationContext) -> Serve:
        """Answer a request on a context whose SOP class no service class serves (one
        the AE accepted all the same, e.g. a private one not registered)."""
        LOGGER.error(
            "No service class serves the SOP class of context %s (see "
            "fastdimse.sop_class.register_uid): answering 0x%04X",
            context.context_id,
            STATUS_UNRECOGNISED_OPERATION,
        )
        return status_response(req, STATUS_UNRECOGNISED_OPERATION)
        yield  # a generator with no handler to call


def with_status(rsp: Any, status: int) -> Any:
    """``rsp`` with its Status set to ``status``."""
    rsp.Status = status
    return rsp


def context_id_of(context: PresentationContext) -> int:
    if context.context_id is None:
        raise ValueError("the presentation context has no ID")
    return int(context.context_id)
