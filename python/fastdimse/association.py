"""pynetdicom's ``fastdimse.association``: the threaded Association.

A thin re-export: the code lives in ``fastdimse._io.thread_association``.
"""

from fastdimse._io.thread_association import (
    Association,
    ServiceUser,
)

__all__ = [
    "Association",
    "ServiceUser",
]
