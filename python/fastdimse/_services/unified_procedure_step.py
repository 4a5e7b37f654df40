"""The Unified Procedure Step Service Class (PS3.4 CC): its C-FIND (UPS Pull and
Watch query for worklist items) now; its N-services answer 0x0211 until DIMSE-N
is implemented (``ServiceClass.serve``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastdimse import status as _status
from fastdimse._dimse.primitives.c_services import C_FIND
from fastdimse._services.base import Serve, ServiceClass
from fastdimse._services.qr_find import serve_find

if TYPE_CHECKING:
    from fastdimse._upper.contexts import PresentationContext

__all__ = ["UnifiedProcedureStepServiceClass"]


class UnifiedProcedureStepServiceClass(ServiceClass):
    """Unified Procedure Step (PS3.4 CC): C-FIND for UPS Pull and Watch."""

    statuses = _status.UNIFIED_PROCEDURE_STEP_SERVICE_CLASS_STATUS

    def serve(self, req: Any, context: PresentationContext) -> Serve:
        if isinstance(req, C_FIND):
            return (yield from serve_find(self, req, context))
        return (yield from ServiceClass.serve(self, req, context))
