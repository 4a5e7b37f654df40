"""pynetdicom's ``fastdimse.dul``: the threaded driver of the upper layer.

A thin re-export: the code lives in ``fastdimse._io.threads``.
"""

from fastdimse._io.threads import (
    Clock,
    DataSetRouter,
    IndicationHandler,
    UpperLayer,
)

__all__ = [
    "Clock",
    "DataSetRouter",
    "IndicationHandler",
    "UpperLayer",
]
