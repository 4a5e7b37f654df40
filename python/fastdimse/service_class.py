"""pynetdicom's ``fastdimse.service_class``: the service classes.

A thin re-export: the code lives in ``fastdimse._services`` (one module a service).
"""

from fastdimse._services.base import (
    ServiceClass,
)
from fastdimse._services.not_yet import (
    ApplicationEventLoggingServiceClass,
    BasicWorklistManagementServiceClass,
    ColorPaletteQueryRetrieveServiceClass,
    DefinedProcedureProtocolQueryRetrieveServiceClass,
    DisplaySystemManagementServiceClass,
    HangingProtocolQueryRetrieveServiceClass,
    ImplantTemplateQueryRetrieveServiceClass,
    InstanceAvailabilityNotificationServiceClass,
    InventoryQueryRetrieveServiceClass,
    MediaCreationManagementServiceClass,
    PrintManagementServiceClass,
    ProcedureStepServiceClass,
    ProtocolApprovalQueryRetrieveServiceClass,
    QueryRetrieveServiceClass,
    RelevantPatientInformationQueryServiceClass,
    RTMachineVerificationServiceClass,
    StorageCommitmentServiceClass,
    StorageManagementServiceClass,
    SubstanceAdministrationQueryServiceClass,
    UnifiedProcedureStepServiceClass,
)
from fastdimse._services.storage import (
    NonPatientObjectStorageServiceClass,
    StorageServiceClass,
)
from fastdimse._services.verification import (
    VerificationServiceClass,
)

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
