"""A cheap structural check of an encoded DICOM data set, without decoding it.

:func:`scan_file` and :func:`scan_bytes` walk the elements of a data set (a
DICOM file's, after its File Meta Information, or a bare one in a transfer
syntax given) and check what a reader relies on: tags ascend at each level,
every value length fits in what remains of its item and of the file, and
undefined-length sequences, items and encapsulated pixel data are closed by
their delimiters. Values are skipped, not read (a seek for a file, so a 1 GB
instance scans in a few reads), except the top-level SOP Class and SOP
Instance UIDs, which are returned. A deflated data set is inflated as a
stream, in bounded chunks. Memory stays flat whatever the size.

It is not a validation of the values (VRs, value multiplicity, modules): a
data set that passes may still not decode, but one that fails would not be
read correctly by anybody. Failures raise :class:`DataSetError` naming the
offset (in the file, or in the inflated data set).

The walk is the Rust core's (``fastdimse._core.scan_data_set_file`` and
``scan_data_set_bytes``), run with the GIL released; this module opens the
file and shapes the result.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from fastdimse._core import scan_data_set_bytes, scan_data_set_file
from fastdimse.errors import DataSetError

__all__ = ["DataSetError", "ScanResult", "scan_bytes", "scan_file"]


@dataclass(frozen=True)
class ScanResult:
    """What a scan found."""

    transfer_syntax: str
    #: top-level (0008,0016) and (0008,0018), ``None`` when absent
    sop_class_uid: str | None
    sop_instance_uid: str | None
    #: where the data set starts in the file or buffer, and its length
    #: (inflated length for a deflated data set)
    data_set_offset: int
    data_set_length: int
    #: elements seen at every level (items and delimiters not counted)
    elements: int


def scan_file(
    path: str | os.PathLike[str], offset: int = 0, transfer_syntax: str | None = None
) -> ScanResult:
    """Scan the data set of the file at `path`.

    Without `transfer_syntax`, the file holds a DICOM file (PS3.10) from
    `offset`: 128-byte preamble, ``DICM``, File Meta Information (whose
    Transfer Syntax UID is used), then the data set. With it, a bare data
    set in that transfer syntax starts at `offset` and runs to the end.
    Raises :class:`DataSetError`, or ``OSError`` if the file cannot be read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if offset < 0:  # the core takes file offsets as unsigned
            raise DataSetError("offset outside the file", offset, "OffsetOutsideFile")
        return ScanResult(*scan_data_set_file(fd, offset, transfer_syntax))
    finally:
        os.close(fd)


def scan_bytes(
    data: bytes | bytearray | memoryview, transfer_syntax: str | None = None
) -> ScanResult:
    """:func:`scan_file` of a buffer (a DICOM file without `transfer_syntax`)."""
    return ScanResult(*scan_data_set_bytes(data, transfer_syntax))
