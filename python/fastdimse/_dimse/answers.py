"""Responses the provider gives on its own, with no handler: a status and the request's IDs."""

from __future__ import annotations

from typing import Any

__all__ = [
    "PROCESSING_FAILURE",
    "UNABLE_TO_PROCESS",
    "failure_status",
    "is_n_service",
    "resource_status",
    "status_response",
]

# The general failures: Processing failure for the N-services (PS3.7 Annex C), Unable to
# process (C000-CFFF, "Cannot understand" for C-STORE) for the C-services (PS3.4).
PROCESSING_FAILURE = 0x0110
UNABLE_TO_PROCESS = 0xC000

# The N-services' Command Fields are 0x0100 and above, the C-services' below (PS3.7 E.1).
_FIRST_N_SERVICE_FIELD = 0x0100
# A request whose data set cannot be kept: Out of Resources for the C-services (PS3.4
# B.2.3, C.4), Resource Limitation for the N-services (PS3.7 Annex C).
_OUT_OF_RESOURCES = 0xA700
_RESOURCE_LIMITATION = 0x0213


def status_response(req: Any, status: int) -> Any:
    """A response of ``req``'s service carrying only ``status`` (a failure the
    provider decides, such as 0x0210 Duplicate Invocation or 0x0211
    Unrecognized Operation)."""
    rsp = type(req)()
    rsp.MessageIDBeingRespondedTo = req.MessageID
    if hasattr(rsp, "AffectedSOPClassUID"):
        rsp.AffectedSOPClassUID = getattr(req, "AffectedSOPClassUID", None) or getattr(
            req, "RequestedSOPClassUID", None
        )
    if hasattr(rsp, "AffectedSOPInstanceUID") and hasattr(req, "AffectedSOPInstanceUID"):
        rsp.AffectedSOPInstanceUID = req.AffectedSOPInstanceUID
    rsp.Status = status
    return rsp


def is_n_service(command_field: int) -> bool:
    """Whether ``command_field`` (a request's or a response's) is a DIMSE-N service's."""
    return (command_field & 0x7FFF) >= _FIRST_N_SERVICE_FIELD


def failure_status(command_field: int) -> int:
    """The general failure of the service of ``command_field``."""
    return PROCESSING_FAILURE if is_n_service(command_field) else UNABLE_TO_PROCESS


def resource_status(command_field: int) -> int:
    """The failure answering a request of ``command_field`` whose data set could not be
    kept (too large for memory, or its spool file failed)."""
    return _RESOURCE_LIMITATION if is_n_service(command_field) else _OUT_OF_RESOURCES
