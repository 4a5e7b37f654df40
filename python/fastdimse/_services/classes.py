"""Service classes: what an SCP does with a request (PS3.4).

Verification (C-ECHO) and Storage (C-STORE, with Non-Patient Object Storage)
are implemented. The other service classes pynetdicom names exist so that SOP
class lookups work; until their issues land, their SCP answers a request with
0x0211 (Unrecognised Operation) instead of silence.

Each service is written once, as a generator (``serve``) that yields the
handler calls it needs (``HandlerCall``), is sent each handler's result (or
has its exception thrown in), and returns the response to send, or None. The
drivers run it: ``SCP`` (pynetdicom's name) calls the handlers in the
current thread; ``fastdimse.aio`` awaits ``async def`` handlers on its event
loop and runs plain ones on worker threads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeAlias

from fastdimse import status as _status
from fastdimse._dimse.answers import status_response
from fastdimse._dimse.primitives.c_services import C_ECHO, C_STORE
from fastdimse.events import EVT_C_ECHO, EVT_C_STORE, InterventionEvent, trigger

if TYPE_CHECKING:
    from fastdimse._dimse.provider import DIMSEServiceProvider
    from fastdimse._upper.contexts import PresentationContext

__all__ = [
    "ApplicationEventLoggingServiceClass",
    "BasicWorklistManagementServiceClass",
    "ColorPaletteQueryRetrieveServiceClass",
    "DefinedProcedureProtocolQueryRetrieveServiceClass",
    "DisplaySystemManagementServiceClass",
    "HangingProtocolQueryRetrieveServiceClass",
    "ImplantTemplateQueryRetrieveServiceClass",
    "InstanceAvailabilityNotificationServiceClass",
    "InventoryQueryRetrieveServiceClass",
    "MediaCreationManagementServiceClass",
    "NonPatientObjectStorageServiceClass",
    "PrintManagementServiceClass",
    "ProcedureStepServiceClass",
    "ProtocolApprovalQueryRetrieveServiceClass",
    "QueryRetrieveServiceClass",
    "RTMachineVerificationServiceClass",
    "RelevantPatientInformationQueryServiceClass",
    "ServiceClass",
    "StorageCommitmentServiceClass",
    "StorageManagementServiceClass",
    "StorageServiceClass",
    "SubstanceAdministrationQueryServiceClass",
    "UnifiedProcedureStepServiceClass",
    "VerificationServiceClass",
]

LOGGER = logging.getLogger("fastdimse.service_class")

# 0x0211: Unrecognized Operation (PS3.7 C.5.9).
STATUS_UNRECOGNISED_OPERATION = 0x0211


@dataclass(frozen=True, slots=True)
class HandlerCall:
    """What a service asks its driver for: call the handler bound to ``event``."""

    event: InterventionEvent
    attrs: dict[str, Any]


# A service's run: yields handler calls, is sent their results, returns the response.
Serve: TypeAlias = Generator[HandlerCall, Any, Any]


def run_serve(serve: Serve, call: Callable[[HandlerCall], Any]) -> Any:
    """Run ``serve`` to its end, each handler through ``call`` in this thread; its response."""
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
    statuses: ClassVar[dict[int, tuple[str, str]]] = _status.GENERAL_STATUS

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
        rsp = run_serve(
            self.serve(req, context), lambda call: trigger(self.assoc, *call_args(call))
        )
        if rsp is not None:
            self.dimse.send_msg(rsp, _context_id(context))

    def serve(self, req: Any, context: PresentationContext) -> Serve:
        """Answer a request this service class does not implement yet."""
        LOGGER.error(
            "%s is not implemented yet: answering 0x%04X",
            type(self).__name__,
            STATUS_UNRECOGNISED_OPERATION,
        )
        return status_response(req, STATUS_UNRECOGNISED_OPERATION)
        yield  # a generator with no handler to call


def call_args(call: HandlerCall) -> tuple[InterventionEvent, dict[str, Any]]:
    return call.event, call.attrs


class VerificationServiceClass(ServiceClass):
    """Verification SOP class (PS3.4 Annex A): C-ECHO."""

    statuses = _status.VERIFICATION_SERVICE_CLASS_STATUS

    def serve(self, req: C_ECHO, context: PresentationContext) -> Serve:
        """Answer a C-ECHO: Success unless the EVT_C_ECHO handler returns another valid status.

        A handler that raises gets Success all the same (pynetdicom's rule: the
        peer asked whether we are there, and we are).
        """
        from pydicom.dataset import Dataset

        rsp = C_ECHO()
        rsp.MessageIDBeingRespondedTo = req.MessageID
        rsp.AffectedSOPClassUID = req.AffectedSOPClassUID
        try:
            status = yield HandlerCall(EVT_C_ECHO, {"request": req, "context": context.as_tuple})
            if not self.assoc.is_established:
                return None  # the handler released or aborted
            if isinstance(status, Dataset):
                if "Status" not in status:
                    raise AttributeError(
                        "The 'status' dataset returned by the handler bound to "
                        "'evt.EVT_C_ECHO' must contain a (0000,0900) Status element"
                    )
                for elem in status:
                    if hasattr(rsp, elem.keyword):
                        setattr(rsp, elem.keyword, elem.value)
                    else:
                        LOGGER.warning(
                            "The 'status' dataset returned by the handler bound to "
                            "'evt.EVT_C_ECHO' contained an unsupported Element '%s'",
                            elem.keyword,
                        )
            elif isinstance(status, int):
                rsp.Status = status
            else:
                raise TypeError(
                    "Invalid 'status' returned by the handler bound to 'evt.EVT_C_ECHO'"
                )
        except Exception as exc:
            LOGGER.error(
                "Exception in the handler bound to 'evt.EVT_C_ECHO', responding "
                "with a default 'Status' value of 0x0000 (Success)"
            )
            LOGGER.exception(exc)
            rsp.Status = 0x0000

        if not self.is_valid_status(int(rsp.Status or 0)):
            LOGGER.warning(
                "Unknown 'status' value returned by the handler bound to 'evt.EVT_C_ECHO' - 0x%04X",
                int(rsp.Status or 0),
            )
        return rsp


class StorageServiceClass(ServiceClass):
    """Storage Service Class (PS3.4 Annex B): C-STORE.

    The data set is on disk (a spool file) by the time the handler runs; the
    response is sent only after the handler returns, so a handler that stores
    the data set (e.g. ``fastdimse._files.store.FileStore``) acknowledges only what
    it has stored.
    """

    uid = "1.2.840.10008.4.2"
    statuses = _status.STORAGE_SERVICE_CLASS_STATUS

    def serve(self, req: C_STORE, context: PresentationContext) -> Serve:
        """Answer with the EVT_C_STORE handler's status; 0xC211 if it raises."""
        rsp = C_STORE()
        rsp.MessageID = req.MessageID
        rsp.MessageIDBeingRespondedTo = req.MessageID
        rsp.AffectedSOPInstanceUID = req.AffectedSOPInstanceUID
        rsp.AffectedSOPClassUID = req.AffectedSOPClassUID
        try:
            status = yield HandlerCall(EVT_C_STORE, {"request": req, "context": context.as_tuple})
        except Exception as exc:
            LOGGER.error("Exception in handler bound to 'evt.EVT_C_STORE'")
            LOGGER.exception(exc)
            status = 0xC211
        if not self.assoc.is_established:
            return None  # the handler released or aborted the association
        return self.validate_status(status, rsp)


class NonPatientObjectStorageServiceClass(StorageServiceClass):
    """Non-Patient Object Storage Service Class (PS3.4 Annex GG): C-STORE."""

    statuses = _status.NON_PATIENT_SERVICE_CLASS_STATUS


def _context_id(context: PresentationContext) -> int:
    if context.context_id is None:
        raise ValueError("the presentation context has no ID")
    return int(context.context_id)


def _placeholder(name: str) -> type[ServiceClass]:
    return type(name, (ServiceClass,), {"__doc__": f"{name}: not implemented yet."})


# Service classes of later issues, by pynetdicom's names.
QueryRetrieveServiceClass = _placeholder("QueryRetrieveServiceClass")
BasicWorklistManagementServiceClass = _placeholder("BasicWorklistManagementServiceClass")
ColorPaletteQueryRetrieveServiceClass = _placeholder("ColorPaletteQueryRetrieveServiceClass")
DefinedProcedureProtocolQueryRetrieveServiceClass = _placeholder(
    "DefinedProcedureProtocolQueryRetrieveServiceClass"
)
HangingProtocolQueryRetrieveServiceClass = _placeholder("HangingProtocolQueryRetrieveServiceClass")
ImplantTemplateQueryRetrieveServiceClass = _placeholder("ImplantTemplateQueryRetrieveServiceClass")
InventoryQueryRetrieveServiceClass = _placeholder("InventoryQueryRetrieveServiceClass")
ProtocolApprovalQueryRetrieveServiceClass = _placeholder(
    "ProtocolApprovalQueryRetrieveServiceClass"
)
RelevantPatientInformationQueryServiceClass = _placeholder(
    "RelevantPatientInformationQueryServiceClass"
)
SubstanceAdministrationQueryServiceClass = _placeholder("SubstanceAdministrationQueryServiceClass")
ApplicationEventLoggingServiceClass = _placeholder("ApplicationEventLoggingServiceClass")
DisplaySystemManagementServiceClass = _placeholder("DisplaySystemManagementServiceClass")
InstanceAvailabilityNotificationServiceClass = _placeholder(
    "InstanceAvailabilityNotificationServiceClass"
)
MediaCreationManagementServiceClass = _placeholder("MediaCreationManagementServiceClass")
PrintManagementServiceClass = _placeholder("PrintManagementServiceClass")
ProcedureStepServiceClass = _placeholder("ProcedureStepServiceClass")
RTMachineVerificationServiceClass = _placeholder("RTMachineVerificationServiceClass")
StorageCommitmentServiceClass = _placeholder("StorageCommitmentServiceClass")
StorageManagementServiceClass = _placeholder("StorageManagementServiceClass")
UnifiedProcedureStepServiceClass = _placeholder("UnifiedProcedureStepServiceClass")
