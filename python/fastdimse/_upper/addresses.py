"""Network addresses of the transport the upper layer runs on (PS3.8 9.1.1: TCP/IP).

``AddressInformation`` is pynetdicom's: a host resolved to an IP address, a port,
and IPv6's flow info and scope ID, in the form ``socket`` takes.
"""

from __future__ import annotations

import socket
from typing import Any

__all__ = ["AddressInformation", "address_family"]


class AddressInformation:
    """A host (resolved to an IP address) and port, with IPv6's flowinfo and scope ID."""

    def __init__(self, addr: str, port: int, flowinfo: int = 0, scope_id: int = 0) -> None:
        self._addr = ""
        self.address = addr
        self.port = port
        self.flowinfo = flowinfo
        self.scope_id = scope_id

    @property
    def address(self) -> str:
        return self._addr

    @address.setter
    def address(self, value: str) -> None:
        self._addr = _resolve(value)

    @property
    def address_family(self) -> socket.AddressFamily:
        return address_family(self._addr)

    @property
    def is_ipv4(self) -> bool:
        return self.address_family == socket.AF_INET

    @property
    def is_ipv6(self) -> bool:
        return self.address_family == socket.AF_INET6

    @property
    def as_tuple(self) -> tuple[str, int] | tuple[str, int, int, int]:
        """The address as ``socket.bind``/``connect`` take it for this family."""
        if self.is_ipv6:
            return (self._addr, self.port, self.flowinfo, self.scope_id)
        return (self._addr, self.port)

    @classmethod
    def from_tuple(cls, address: tuple[Any, ...]) -> AddressInformation:
        """From ``(host, port)`` or IPv6's ``(host, port, flowinfo, scope_id)``."""
        if len(address) == 4:
            return cls(address[0], address[1], address[2], address[3])
        return cls(address[0], address[1])

    @classmethod
    def from_addr_port(cls, addr: str | tuple[str, int, int], port: int) -> AddressInformation:
        """From a host (or IPv6's ``(host, flowinfo, scope_id)``) and a port."""
        if isinstance(addr, tuple):
            return cls(addr[0], port, addr[1], addr[2])
        return cls(addr, port)


def _resolve(host: str) -> str:
    # "" means any address (for bind); a name resolves to its first IPv4
    # address, else its first IPv6 one, as pynetdicom does.
    if host == "<broadcast>":
        host = "255.255.255.255"
    flags = 0 if host else socket.AI_PASSIVE
    entries = socket.getaddrinfo(host or None, 0, flags=flags)
    for family in (socket.AF_INET, socket.AF_INET6):
        for entry in entries:
            if entry[0] == family:
                return str(entry[4][0])
    raise socket.gaierror("Address resolution failed")


def address_family(host: str) -> socket.AddressFamily:
    """AF_INET6 for an IPv6 literal, else AF_INET."""
    # inet_pton answers as the ipaddress module would, and loads nothing (start-up time).
    try:
        socket.inet_pton(socket.AF_INET6, host.split("%")[0])
    except (OSError, ValueError):
        return socket.AF_INET
    return socket.AF_INET6
