"""pynetdicom's ``fastdimse.storage``: FileStore, the storing EVT_C_STORE handler.

A thin re-export: the code lives in ``fastdimse._files.store``.
"""

from fastdimse._files.store import (
    CANNOT_UNDERSTAND,
    DATA_SET_MISMATCH,
    OUT_OF_RESOURCES,
    SUCCESS,
    FileStore,
    StoreError,
    SyncStats,
    sanitise_name,
)

__all__ = [
    "CANNOT_UNDERSTAND",
    "DATA_SET_MISMATCH",
    "OUT_OF_RESOURCES",
    "SUCCESS",
    "FileStore",
    "StoreError",
    "SyncStats",
    "sanitise_name",
]
