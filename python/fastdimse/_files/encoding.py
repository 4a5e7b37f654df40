"""Data sets to and from the bytes of a DIMSE message, in a transfer syntax.

The one place a data set (a C-STORE's, an identifier, an N-service's) is
encoded and decoded with pydicom for the wire: no File Meta, the transfer
syntax's VR and byte order, deflated when the syntax says so (PS3.5 A.5).
pydicom is imported at first use: an SCU that only echoes never loads it.
"""

from __future__ import annotations

import logging
import zlib
from io import BytesIO
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

__all__ = ["decode_data_set", "encode_data_set"]

LOGGER = logging.getLogger("fastdimse.dimse")


def encode_data_set(dataset: Dataset, transfer_syntax: Any) -> bytes:
    """``dataset`` (without its file meta) in ``transfer_syntax``; ValueError when
    pydicom cannot encode it."""
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_dataset
    from pydicom.uid import UID

    syntax = UID(str(transfer_syntax))
    buffer = DicomBytesIO()
    buffer.is_implicit_VR = syntax.is_implicit_VR
    buffer.is_little_endian = syntax.is_little_endian
    try:
        write_dataset(buffer, dataset)
    except Exception as error:
        LOGGER.error("Failed to encode the supplied dataset")
        raise ValueError(f"Failed to encode the supplied dataset: {error}") from error
    data = buffer.getvalue()
    if syntax.is_deflated:
        deflater = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
        data = deflater.compress(data) + deflater.flush()
        if len(data) % 2:
            data += b"\x00"  # a deflated data set is padded to even length (PS3.5 A.5)
    return data


def decode_data_set(raw: bytes, transfer_syntax: Any) -> Dataset:
    """Decode an encoded data set (no File Meta) in ``transfer_syntax``."""
    from pydicom.filereader import read_dataset
    from pydicom.uid import UID

    syntax = UID(str(transfer_syntax))
    implicit, little = syntax.is_implicit_VR, syntax.is_little_endian
    if syntax.is_deflated:
        raw = zlib.decompress(raw, -zlib.MAX_WBITS)
        implicit, little = False, True
    ds = read_dataset(BytesIO(raw), implicit, little)
    ds.set_original_encoding(implicit, little)
    return ds
