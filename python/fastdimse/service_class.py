"""Service classes: what an SCP does with a request (PS3.4).

Verification (C-ECHO) is implemented. The other service classes pynetdicom
names exist so that SOP class lookups work; until their issues land, their SCP
answers a request with 0x0211 (Unrecognised Operation) instead of silence.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

from fastdimse import status as _status
from fastdimse.dimse_primitives import C_ECHO
from fastdimse.events import EVT_C_ECHO, trigger

if TYPE_CHECKING:
    from fastdimse.association import Association
    from fastdimse.dimse import DIMSEServiceProvider
    from fastdimse.presentation import PresentationContext

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


class ServiceClass:
    """The base of every service class: an SCP bound to one association."""

    uid: ClassVar[str | None] = None
    statuses: ClassVar[dict[int, tuple[str, str]]] = _status.GENERAL_STATUS

    def __init__(self, assoc: Association) -> None:
        self.assoc = assoc

    @property
    def ae(self) -> Any:
        return self.assoc.ae

    @property
    def dimse(self) -> DIMSEServiceProvider:
        return self.assoc.dimse

    def is_valid_status(self, status: int) -> bool:
        return status in self.statuses

    def SCP(self, req: Any, context: PresentationContext) -> None:
        """Answer a request this service class does not implement yet."""
        LOGGER.error(
            "%s is not implemented yet: answering 0x%04X",
            type(self).__name__,
            STATUS_UNRECOGNISED_OPERATION,
        )
        rsp = type(req)()
        rsp.MessageIDBeingRespondedTo = req.MessageID
        if hasattr(rsp, "AffectedSOPClassUID"):
            rsp.AffectedSOPClassUID = getattr(req, "AffectedSOPClassUID", None) or getattr(
                req, "RequestedSOPClassUID", None
            )
        rsp.Status = STATUS_UNRECOGNISED_OPERATION
        self.dimse.send_msg(rsp, _context_id(context))


class VerificationServiceClass(ServiceClass):
    """Verification SOP class (PS3.4 Annex A): C-ECHO."""

    statuses = _status.VERIFICATION_SERVICE_CLASS_STATUS

    def SCP(self, req: C_ECHO, context: PresentationContext) -> None:
        """Answer a C-ECHO: Success unless the EVT_C_ECHO handler returns another valid status.

        A handler that raises gets Success all the same (pynetdicom's rule: the
        peer asked whether we are there, and we are).
        """
        from pydicom.dataset import Dataset

        rsp = C_ECHO()
        rsp.MessageIDBeingRespondedTo = req.MessageID
        rsp.AffectedSOPClassUID = req.AffectedSOPClassUID
        try:
            status = trigger(self.assoc, EVT_C_ECHO, {"request": req, "context": context.as_tuple})
            if not self.assoc.is_established:
                return  # the handler released or aborted
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
        self.dimse.send_msg(rsp, _context_id(context))


def _context_id(context: PresentationContext) -> int:
    if context.context_id is None:
        raise ValueError("the presentation context has no ID")
    return int(context.context_id)


def _placeholder(name: str, uid: str | None = None) -> type[ServiceClass]:
    namespace: dict[str, object] = {"__doc__": f"{name}: not implemented yet."}
    if uid is not None:
        namespace["uid"] = uid
    return type(name, (ServiceClass,), namespace)


# Service classes of later issues, by pynetdicom's names (the storage ones with
# the Storage Service Class UID, PS3.4 B.2).
StorageServiceClass = _placeholder("StorageServiceClass", "1.2.840.10008.4.2")
QueryRetrieveServiceClass = _placeholder("QueryRetrieveServiceClass")
BasicWorklistManagementServiceClass = _placeholder("BasicWorklistManagementServiceClass")
ColorPaletteQueryRetrieveServiceClass = _placeholder("ColorPaletteQueryRetrieveServiceClass")
DefinedProcedureProtocolQueryRetrieveServiceClass = _placeholder(
    "DefinedProcedureProtocolQueryRetrieveServiceClass"
)
HangingProtocolQueryRetrieveServiceClass = _placeholder("HangingProtocolQueryRetrieveServiceClass")
ImplantTemplateQueryRetrieveServiceClass = _placeholder("ImplantTemplateQueryRetrieveServiceClass")
InventoryQueryRetrieveServiceClass = _placeholder("InventoryQueryRetrieveServiceClass")
NonPatientObjectStorageServiceClass = _placeholder(
    "NonPatientObjectStorageServiceClass", "1.2.840.10008.4.2"
)
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
