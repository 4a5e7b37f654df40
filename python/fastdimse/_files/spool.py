"""Spool files: where a C-STORE data set is written while it arrives.

The core writes each received C-STORE data set straight to a file the
association opened when the command set arrived, so memory stays flat
whatever the instance's size. The file is a complete DICOM file (preamble,
file meta built from the request and the presentation context, then the data
set exactly as received) with a hidden temporary name, in the directory the
EVT_C_STORE handler asks for (its ``spool_directory`` attribute) or the
system's temporary directory. A handler may rename it into place (no copy, no
decode); whatever is left is deleted once the handler returns, or when the
association ends before the data set is complete.
"""

from __future__ import annotations

import errno
import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastdimse._files.part10 import encode_file_meta

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "KEEP_IN_MEMORY",
    "Spool",
    "discarding_spool",
    "open_spool",
    "spool_directory_of",
]

LOGGER = logging.getLogger("fastdimse.spool")

_PREFIX, _SUFFIX = ".fastdimse-", ".part"

# A data set up to this size is read into memory when a handler leaves its
# spool file behind, so that an Event kept past its handler still gives its
# data set (as pynetdicom's, which are always in memory); larger ones are gone
# with their file, or rather never held whole.
KEEP_IN_MEMORY = 16 * 1024 * 1024
# The core keeps its own duplicate of the descriptor: /dev/null stands in when
# the spool cannot be opened, so the data set is still received and answered.
_DEV_NULL = os.devnull


@dataclass
class Spool:
    """One data set being received into ``path``; its bytes start at ``data_offset``.

    ``path`` is None when no file could be made (``fd`` is then /dev/null's).
    """

    path: Path | None
    fd: int
    data_offset: int
    # Set when the spool could not be opened or written: the data set is dropped.
    error: OSError | None = None

    def close(self) -> None:
        """Close our descriptor (the core has closed its own duplicate already)."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def discard(self) -> None:
        """Close and delete the file (nothing of a failed or abandoned data set remains)."""
        self.close()
        if self.path is None:
            return
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        except OSError as error:
            LOGGER.warning("Could not delete the spool file %s: %s", self.path, error)


def open_spool(
    directory: str | os.PathLike[str] | None,
    sop_class_uid: str,
    sop_instance_uid: str,
    transfer_syntax_uid: str,
    implementation: tuple[str, str | None],
) -> Spool:
    """A new spool file in ``directory`` (default: the temporary directory), meta written.

    Never raises for a failure to create or write it: the returned spool then
    writes to /dev/null and carries the ``error``, so that the caller can
    still take the data set off the wire and answer "out of resources".
    """
    if directory is None:
        import tempfile  # only here: a handler with its own directory never needs it

        folder = tempfile.gettempdir()
    else:
        folder = os.fspath(directory)
    meta = encode_file_meta(sop_class_uid, sop_instance_uid, transfer_syntax_uid, *implementation)
    try:
        fd, name = _create(folder)
    except OSError as error:
        LOGGER.error("Cannot create a spool file in %s: %s", folder, error)
        return _dropping(error)
    from pathlib import Path  # here: an SCU that receives no data set never needs pathlib

    spool = Spool(Path(name), fd, len(meta))
    try:
        _write_all(fd, meta)
    except OSError as error:
        LOGGER.error("Cannot write the spool file %s: %s", name, error)
        spool.discard()
        return _dropping(error)
    return spool


def discarding_spool() -> Spool:
    """A spool that drops the data set (one that will be refused when complete)."""
    return Spool(None, os.open(_DEV_NULL, os.O_WRONLY), 0)


def spool_directory_of(handler: object) -> str | os.PathLike[str] | None:
    """The directory an EVT_C_STORE handler wants data sets spooled in, if it says."""
    directory = getattr(handler, "spool_directory", None)
    return directory if isinstance(directory, str | os.PathLike) else None


def _create(folder: str) -> tuple[int, str]:
    """A new hidden file of a random name in ``folder``, readable by us only (as
    ``tempfile.mkstemp``, with less work per call: this runs for every data set).
    The random part is what ``secrets.token_hex(8)`` gives, without importing secrets."""
    for _ in range(100):
        name = os.path.join(folder, f"{_PREFIX}{os.urandom(8).hex()}{_SUFFIX}")
        try:
            return os.open(name, _CREATE, 0o600), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused spool file name", folder)


_CREATE = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def _dropping(error: OSError) -> Spool:
    return Spool(None, os.open(_DEV_NULL, os.O_WRONLY), 0, error)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
