"""pynetdicom's ``fastdimse.ae``: the threaded Application Entity.

A thin re-export: the code lives in ``fastdimse._io.thread_ae``.
"""

from fastdimse._io.thread_ae import (
    AE,
    DEFAULT_MAX_LENGTH,
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_VERSION_NAME,
    ApplicationEntity,
)

__all__ = [
    "AE",
    "DEFAULT_MAX_LENGTH",
    "IMPLEMENTATION_CLASS_UID",
    "IMPLEMENTATION_VERSION_NAME",
    "ApplicationEntity",
]
