"""The service classes of later issues, under pynetdicom's names.

They exist so that SOP class lookups work; their SCP answers every request with
0x0211 (Unrecognised Operation) instead of silence (``ServiceClass.serve``).
"""

from __future__ import annotations

from fastdimse._services.base import ServiceClass

__all__ = [
    "ApplicationEventLoggingServiceClass",
    "DisplaySystemManagementServiceClass",
    "InstanceAvailabilityNotificationServiceClass",
    "MediaCreationManagementServiceClass",
    "PrintManagementServiceClass",
    "ProcedureStepServiceClass",
    "RTMachineVerificationServiceClass",
    "StorageCommitmentServiceClass",
    "StorageManagementServiceClass",
]


def _placeholder(name: str) -> type[ServiceClass]:
    return type(name, (ServiceClass,), {"__doc__": f"{name}: not implemented yet."})


# Service classes of later issues, by pynetdicom's names.
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
