"""The service classes built on DIMSE-N (PS3.4), under pynetdicom's names: each
says which N-services it answers and with which status table; ``serve_n`` does
the answering. A request of another service gets 0x0211 (Unrecognized
Operation), where pynetdicom raises and leaves the peer waiting.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

from fastdimse import status as _status
from fastdimse._dimse.answers import status_response
from fastdimse._dimse.primitives.n_services import (
    N_ACTION,
    N_CREATE,
    N_DELETE,
    N_EVENT_REPORT,
    N_GET,
    N_SET,
)
from fastdimse._services.base import STATUS_UNRECOGNISED_OPERATION, Serve, ServiceClass
from fastdimse._services.n_scp import serve_n

if TYPE_CHECKING:
    from fastdimse._upper.contexts import PresentationContext

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

LOGGER = logging.getLogger("fastdimse.service_class")

_ALL_SIX = frozenset((N_ACTION, N_CREATE, N_DELETE, N_EVENT_REPORT, N_GET, N_SET))


class NServiceClass(ServiceClass):
    """A service class of N-services: those in ``services``, answered by ``serve_n``."""

    services: ClassVar[frozenset[type[Any]]] = frozenset()

    def serve(self, req: Any, context: PresentationContext) -> Serve:
        if type(req) in self.services:
            return (yield from serve_n(self, req, context))
        return refuse_operation(self, req)


def refuse_operation(service: ServiceClass, req: Any) -> Any:
    """0x0211 (Unrecognized Operation, PS3.7 Annex C) for a DIMSE service the class does
    not define."""
    LOGGER.error(
        "Invalid DIMSE primitive '%s' used with %s: answering 0x%04X",
        type(req).__name__,
        type(service).__name__,
        STATUS_UNRECOGNISED_OPERATION,
    )
    return status_response(req, STATUS_UNRECOGNISED_OPERATION)


class ApplicationEventLoggingServiceClass(NServiceClass):
    """Application Event Logging (PS3.4 P): N-ACTION."""

    statuses = _status.APPLICATION_EVENT_LOGGING_SERVICE_CLASS_STATUS
    services = frozenset((N_ACTION,))


class DisplaySystemManagementServiceClass(NServiceClass):
    """Display System Management (PS3.4 EE): N-GET."""

    statuses = _status.GENERAL_STATUS
    services = frozenset((N_GET,))


class InstanceAvailabilityNotificationServiceClass(NServiceClass):
    """Instance Availability Notification (PS3.4 R): N-CREATE."""

    statuses = _status.GENERAL_STATUS
    services = frozenset((N_CREATE,))


class MediaCreationManagementServiceClass(NServiceClass):
    """Media Creation Management (PS3.4 S): N-CREATE, N-GET, N-ACTION."""

    statuses = _status.MEDIA_CREATION_MANAGEMENT_SERVICE_CLASS_STATUS
    services = frozenset((N_CREATE, N_GET, N_ACTION))


class PrintManagementServiceClass(NServiceClass):
    """Print Management (PS3.4 H): all six N-services."""

    statuses = _status.PRINT_JOB_MANAGEMENT_SERVICE_CLASS_STATUS
    services = _ALL_SIX


class ProcedureStepServiceClass(NServiceClass):
    """Modality Performed Procedure Step (PS3.4 F): N-CREATE, N-SET, N-GET,
    N-EVENT-REPORT."""

    statuses = _status.PROCEDURE_STEP_STATUS
    services = frozenset((N_CREATE, N_SET, N_GET, N_EVENT_REPORT))


class RTMachineVerificationServiceClass(NServiceClass):
    """RT Machine Verification (PS3.4 DD): all six N-services."""

    statuses = _status.RT_MACHINE_VERIFICATION_SERVICE_CLASS_STATUS
    services = _ALL_SIX


class StorageCommitmentServiceClass(NServiceClass):
    """Storage Commitment (PS3.4 J): N-ACTION, N-EVENT-REPORT."""

    statuses = _status.STORAGE_COMMITMENT_SERVICE_CLASS_STATUS
    services = frozenset((N_ACTION, N_EVENT_REPORT))


class StorageManagementServiceClass(NServiceClass):
    """Storage Management (PS3.4 KK, Inventory Creation): N-ACTION, N-EVENT-REPORT."""

    statuses = _status.STORAGE_MANAGEMENT_SERVICE_CLASS_STATUS
    services = frozenset((N_ACTION, N_EVENT_REPORT))
