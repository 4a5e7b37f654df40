"""The Unified Procedure Step Service Class (PS3.4 CC): UPS Push (N-CREATE,
N-ACTION, N-GET), Pull (C-FIND, N-GET, N-SET, N-ACTION), Watch (N-ACTION, N-GET,
C-FIND) and Event (N-EVENT-REPORT)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastdimse import status as _status
from fastdimse._dimse.primitives.c_services import C_FIND
from fastdimse._dimse.primitives.n_services import N_ACTION, N_CREATE, N_EVENT_REPORT, N_GET, N_SET
from fastdimse._services.base import Serve
from fastdimse._services.n_classes import NServiceClass
from fastdimse._services.qr_find import serve_find

if TYPE_CHECKING:
    from fastdimse._upper.contexts import PresentationContext

__all__ = ["UnifiedProcedureStepServiceClass"]


class UnifiedProcedureStepServiceClass(NServiceClass):
    """Unified Procedure Step (PS3.4 CC): its N-services, and C-FIND for worklist items."""

    statuses = _status.UNIFIED_PROCEDURE_STEP_SERVICE_CLASS_STATUS
    services = frozenset((N_CREATE, N_EVENT_REPORT, N_GET, N_SET, N_ACTION))

    def serve(self, req: Any, context: PresentationContext) -> Serve:
        if isinstance(req, C_FIND):
            return (yield from serve_find(self, req, context))
        return (yield from NServiceClass.serve(self, req, context))
