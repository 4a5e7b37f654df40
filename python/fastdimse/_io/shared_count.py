"""One association count for a server run by several processes (``ProcessServer``).

A small file holds one count per worker process (8 bytes each, little endian).
A worker reads all of them and writes its own under ``flock``, so the
association limit is decided as if one process served them all: exactly, with
no race between two workers admitting at once. The lock goes with the file
description, which the kernel closes when a process dies, so a worker killed
while holding it blocks nobody; the parent then zeroes the dead worker's
count. Each process opens the file itself (a description shared through
``fork`` would be one lock holder for all).
"""

from __future__ import annotations

import fcntl
import os
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["SharedAssociationCount", "clear_count", "create_count_file"]

_COUNT = struct.Struct("<q")


def create_count_file(workers: int) -> str:
    """A new count file for ``workers`` processes, every count 0; its path."""
    fd, path = tempfile.mkstemp(prefix="fastdimse-associations-")
    try:
        os.write(fd, bytes(_COUNT.size * workers))
    finally:
        os.close(fd)
    return path


def clear_count(path: str, index: int) -> None:
    """Set worker ``index``'s count to 0 (it died: its connections went with it)."""
    with SharedAssociationCount(path, index) as count:
        count.publish(0)


class SharedAssociationCount:
    """Worker ``index``'s view of the count file at ``path`` (``ae_base.SharedCount``)."""

    def __init__(self, path: str, index: int) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        self._index = index

    def __enter__(self) -> SharedAssociationCount:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def admit(self, busy: int, limit: int) -> bool:
        with self._locked():
            counts = self._counts()
            total = sum(counts) - counts[self._index] + busy
            admitted = total < limit
            self._write(busy + 1 if admitted else busy)
        return admitted

    def publish(self, busy: int) -> None:
        with self._locked():
            self._write(busy)

    def total(self) -> int:
        """The associations of all the workers together."""
        with self._locked():
            return sum(self._counts())

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    @contextmanager
    def _locked(self) -> Iterator[None]:
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _counts(self) -> list[int]:
        data = os.pread(self._fd, os.fstat(self._fd).st_size, 0)
        return [value for (value,) in _COUNT.iter_unpack(data)]

    def _write(self, busy: int) -> None:
        os.pwrite(self._fd, _COUNT.pack(busy), self._index * _COUNT.size)
