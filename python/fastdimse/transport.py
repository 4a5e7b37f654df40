"""pynetdicom's ``fastdimse.transport``: addresses, connecting and the threaded servers.

A thin re-export: the code lives in ``fastdimse._io.sockets``.
"""

from fastdimse._io.sockets import (
    AddressInformation,
    AssociationServer,
    ThreadedAssociationServer,
    address_family,
    connect,
)

__all__ = [
    "AddressInformation",
    "AssociationServer",
    "ThreadedAssociationServer",
    "address_family",
    "connect",
]
