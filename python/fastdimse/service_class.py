"""pynetdicom's ``fastdimse.service_class``: the service classes.

A thin re-export: the code lives in ``fastdimse._services`` (one module a service).
"""

from fastdimse._services import (
    n_classes,
    query_retrieve,
    storage,
    unified_procedure_step,
    verification,
)
from fastdimse._services.base import ServiceClass
from fastdimse._services.n_classes import *  # noqa: F403
from fastdimse._services.query_retrieve import *  # noqa: F403
from fastdimse._services.storage import *  # noqa: F403
from fastdimse._services.unified_procedure_step import *  # noqa: F403
from fastdimse._services.verification import *  # noqa: F403

__all__ = [
    "ServiceClass",
    *verification.__all__,
    *storage.__all__,
    *query_retrieve.__all__,
    *unified_procedure_step.__all__,
    *n_classes.__all__,
]
