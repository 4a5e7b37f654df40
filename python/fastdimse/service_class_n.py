"""pynetdicom's ``fastdimse.service_class_n``: the service classes built on DIMSE-N.

A thin re-export: the code lives in ``fastdimse._services.n_classes`` and
``fastdimse._services.unified_procedure_step``.
"""

from fastdimse._services import n_classes
from fastdimse._services.n_classes import *  # noqa: F403
from fastdimse._services.unified_procedure_step import UnifiedProcedureStepServiceClass

__all__ = [*n_classes.__all__, "UnifiedProcedureStepServiceClass"]
