"""Data sets kept encoded: the byte span of each top-level element, and a data set
that is sent as the bytes it already is.

An archive answers a C-FIND from attributes it stored encoded (Explicit VR Little
Endian): it cuts the requested elements out of the stored bytes and joins them,
never decoding a value. ``EncodedDataSet`` carries the result to the C-FIND
service, which sends it unchanged when the context's transfer syntax is the one it
is in (else it is decoded and encoded again).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastdimse._files.encoding import (
    LONG_LENGTH_VRS,
    SHORT_LENGTH_VRS,
    decode_data_set,
    encode_data_set,
)

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

__all__ = [
    "EXPLICIT_VR_LITTLE_ENDIAN",
    "IMPLICIT_VR_LITTLE_ENDIAN",
    "EncodedDataSet",
    "element_spans",
    "element_value",
    "encode_element",
    "to_implicit_vr",
]

EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"


@dataclass(frozen=True)
class EncodedDataSet:
    """A data set as ``data``, encoded in ``transfer_syntax`` (no file meta)."""

    data: bytes
    transfer_syntax: str = EXPLICIT_VR_LITTLE_ENDIAN

    def encoded_in(self, transfer_syntax: str) -> bytes:
        """The data set in ``transfer_syntax``: its bytes as they are when it is the
        same; else decoded and encoded again (``ValueError`` if that fails)."""
        target = str(transfer_syntax)
        if target == self.transfer_syntax:
            return self.data
        if (
            target == IMPLICIT_VR_LITTLE_ENDIAN
            and self.transfer_syntax == EXPLICIT_VR_LITTLE_ENDIAN
        ):
            implicit = to_implicit_vr(self.data)
            if implicit is not None:
                return implicit
        return encode_data_set(self.decode(), transfer_syntax)

    def decode(self) -> Dataset:
        return decode_data_set(self.data, self.transfer_syntax)


def element_spans(raw: bytes, stop_before: int | None = None) -> dict[int, bytes] | None:
    """Each top-level element of ``raw`` (Explicit VR Little Endian) as its whole
    encoding (header and value), by tag, up to the first element whose tag is
    ``stop_before`` or above (so ``raw`` may be the head of a longer data set); None
    when ``raw`` is not well formed, or ends inside an element before that."""
    spans: dict[int, bytes] = {}
    offset, end = 0, len(raw)
    while offset < end:
        if offset + 4 > end:
            return None
        group, number = _TAG.unpack_from(raw, offset)
        tag = group << 16 | number
        if stop_before is not None and tag >= stop_before:
            break
        stop = _element_end(raw, offset, end)
        if stop is None:
            return None
        spans[tag] = raw[offset:stop]
        offset = stop
    return spans


def element_value(span: bytes) -> tuple[str, bytes]:
    """The VR and value bytes of one element's span (Explicit VR Little Endian)."""
    vr = span[4:6]
    start = 12 if vr in _LONG_VRS else 8
    return vr.decode("ascii"), span[start:]


def to_implicit_vr(raw: bytes) -> bytes | None:
    """``raw`` (Explicit VR Little Endian) in Implicit VR Little Endian: the same values
    under headers without VRs, items of sequences likewise; None when it holds an
    undefined length (then it is decoded and encoded again) or is not well formed."""
    parts: list[bytes] = []
    offset, end = 0, len(raw)
    while offset < end:
        stop = _element_end(raw, offset, end)
        if stop is None:
            return None
        vr = raw[offset + 4 : offset + 6]
        start = offset + (12 if vr in _LONG_VRS else 8)
        value = raw[start:stop]
        if vr == b"SQ":
            converted = _items_to_implicit(value)
            if converted is None:
                return None
            value = converted
        elif stop - start != _value_length(raw, offset, vr):
            return None  # an undefined length
        parts.append(_ITEM.pack(*_TAG.unpack_from(raw, offset), len(value)))
        parts.append(value)
        offset = stop
    return b"".join(parts)


def encode_element(tag: int, vr: str, value: bytes) -> bytes:
    """One element in Explicit VR Little Endian; ``value`` already padded to even length."""
    code = vr.encode("ascii")
    if code in _LONG_VRS:
        return _LONG_HEADER.pack(tag >> 16, tag & 0xFFFF, code, 0, len(value)) + value
    return _SHORT_HEADER.pack(tag >> 16, tag & 0xFFFF, code, len(value)) + value


# -- walking the elements -----------------------------------------------------------

_TAG = struct.Struct("<HH")
_SHORT_HEADER = struct.Struct("<HH2sH")
_LONG_HEADER = struct.Struct("<HH2sHI")
_ITEM = struct.Struct("<HHI")
_UNDEFINED = 0xFFFFFFFF
_LONG_VRS = frozenset(vr.encode("ascii") for vr in LONG_LENGTH_VRS)
_SHORT_VRS = frozenset(vr.encode("ascii") for vr in SHORT_LENGTH_VRS)
_ITEM_TAG, _ITEM_END, _SEQUENCE_END = 0xE000, 0xE00D, 0xE0DD


def _value_length(raw: bytes, offset: int, vr: bytes) -> int:
    if vr in _LONG_VRS:
        return int(_LONG_HEADER.unpack_from(raw, offset)[4])
    return int(_SHORT_HEADER.unpack_from(raw, offset)[3])


def _items_to_implicit(value: bytes) -> bytes | None:
    """The items of a defined-length sequence's value, each converted; None for an
    undefined length anywhere."""
    parts: list[bytes] = []
    offset, end = 0, len(value)
    while offset + 8 <= end:
        group, number, length = _ITEM.unpack_from(value, offset)
        if group != 0xFFFE or number != _ITEM_TAG or length == _UNDEFINED:
            return None
        item = to_implicit_vr(value[offset + 8 : offset + 8 + length])
        if item is None or offset + 8 + length > end:
            return None
        parts.append(_ITEM.pack(0xFFFE, _ITEM_TAG, len(item)))
        parts.append(item)
        offset += 8 + length
    return b"".join(parts) if offset == end else None


def _element_end(raw: bytes, offset: int, end: int) -> int | None:
    """Where the element at ``offset`` ends (its undefined-length sequence walked)."""
    if offset + 8 > end:
        return None
    vr = raw[offset + 4 : offset + 6]
    if vr in _SHORT_VRS:
        start = offset + 8
        length = _SHORT_HEADER.unpack_from(raw, offset)[3]
    elif vr in _LONG_VRS:
        if offset + 12 > end:
            return None
        start = offset + 12
        length = _LONG_HEADER.unpack_from(raw, offset)[4]
    else:
        return None
    if length != _UNDEFINED:
        return start + length if start + length <= end else None
    if vr != b"SQ":
        return None  # encapsulated pixel data never reaches an index
    return _sequence_end(raw, start, end)


def _sequence_end(raw: bytes, offset: int, end: int) -> int | None:
    """After the Sequence Delimitation Item of the undefined-length sequence at ``offset``."""
    while offset + 8 <= end:
        group, number, length = _ITEM.unpack_from(raw, offset)
        offset += 8
        if group != 0xFFFE:
            return None
        if number == _SEQUENCE_END:
            return offset
        if number != _ITEM_TAG:
            return None
        if length != _UNDEFINED:
            offset += length
            continue
        item_end = _item_end(raw, offset, end)
        if item_end is None:
            return None
        offset = item_end
    return None


def _item_end(raw: bytes, offset: int, end: int) -> int | None:
    """After the Item Delimitation Item of the undefined-length item at ``offset``."""
    while offset + 8 <= end:
        group, number = _TAG.unpack_from(raw, offset)
        if group == 0xFFFE and number == _ITEM_END:
            return offset + 8
        stop = _element_end(raw, offset, end)
        if stop is None:
            return None
        offset = stop
    return None
