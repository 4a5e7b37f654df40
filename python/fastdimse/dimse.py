"""pynetdicom's ``fastdimse.dimse``: the DIMSE service provider.

A thin re-export: the code lives in ``fastdimse._dimse.provider``.
"""

from fastdimse._dimse.provider import (
    DIMSEServiceProvider,
)

__all__ = [
    "DIMSEServiceProvider",
]
