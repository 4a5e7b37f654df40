"""Responses the provider gives on its own, with no handler: a status and the request's IDs."""

from __future__ import annotations

from typing import Any

__all__ = ["status_response"]


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
