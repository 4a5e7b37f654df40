"""Data sets to and from the bytes of a DIMSE message, in a transfer syntax.

The one place a data set (a C-STORE's, an identifier, an N-service's) is
encoded and decoded for the wire: no File Meta, the transfer syntax's VR and
byte order, deflated when the syntax says so (PS3.5 A.5). Little endian data
sets of the default character set and the common VRs (what identifiers are
made of) are encoded here directly (``_direct``), a C-FIND's many responses
being the hot path; anything else goes through pydicom, whose output the
direct encoder matches byte for byte (tests/test_encoding_differential.py).
pydicom is imported at first use: an SCU that only echoes never loads it.
"""

from __future__ import annotations

import functools
import logging
import struct
import zlib
from io import BytesIO
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

__all__ = [
    "LONG_LENGTH_VRS",
    "SHORT_LENGTH_VRS",
    "decode_data_set",
    "encode_data_set",
    "encode_directly",
    "new_dataset",
    "padded_text",
    "transfer_syntax_properties",
]

LOGGER = logging.getLogger("fastdimse.dimse")


def encode_data_set(dataset: Dataset, transfer_syntax: Any) -> bytes:
    """``dataset`` (without its file meta) in ``transfer_syntax``; ValueError when
    it cannot be encoded."""
    implicit, little, deflated = transfer_syntax_properties(str(transfer_syntax))
    data = None
    if little:
        data = encode_directly(dataset, implicit=implicit)
    if data is None:
        from pydicom.uid import UID

        data = _encode_with_pydicom(dataset, UID(str(transfer_syntax)))
    if deflated:
        deflater = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
        data = deflater.compress(data) + deflater.flush()
        if len(data) % 2:
            data += b"\x00"  # a deflated data set is padded to even length (PS3.5 A.5)
    return data


def _encode_with_pydicom(dataset: Dataset, syntax: Any) -> bytes:
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_dataset

    buffer = DicomBytesIO()
    buffer.is_implicit_VR = syntax.is_implicit_VR
    buffer.is_little_endian = syntax.is_little_endian
    try:
        write_dataset(buffer, dataset)
    except Exception as error:
        LOGGER.error("Failed to encode the supplied dataset")
        raise ValueError(f"Failed to encode the supplied dataset: {error}") from error
    return bytes(buffer.getvalue())


def decode_data_set(raw: bytes, transfer_syntax: Any) -> Dataset:
    """Decode an encoded data set (no File Meta) in ``transfer_syntax``: as pydicom's
    ``read_dataset`` does (values stay raw until used), its elements split here
    when they all have defined lengths (``_split``)."""
    from pydicom.filereader import read_dataset

    implicit, little, deflated = transfer_syntax_properties(str(transfer_syntax))
    if deflated:
        raw = zlib.decompress(raw, -zlib.MAX_WBITS)
        implicit, little = False, True
    if little:
        split = _split(raw, implicit)
        if split is not None:
            return split
    ds = read_dataset(BytesIO(raw), implicit, little)
    ds.set_original_encoding(implicit, little)
    return ds


@functools.lru_cache(maxsize=64)
def transfer_syntax_properties(uid: str) -> tuple[bool, bool, bool]:
    """(implicit VR, little endian, deflated) of a transfer syntax: looked up once per
    syntax, not per data set (pydicom's UID validates its value each time it is made)."""
    from pydicom.uid import UID

    syntax = UID(uid)
    return syntax.is_implicit_VR, syntax.is_little_endian, syntax.is_deflated


def new_dataset(elements: dict[Any, Any] | None = None) -> Dataset:
    """A pydicom Dataset of ``elements`` (tag to element): what ``Dataset(elements)``
    makes, about ten times faster (a C-FIND SCU makes two per match)."""
    factory = _DATASET_FACTORY[0] if _DATASET_FACTORY else _dataset_factory()
    made: Dataset = factory(elements or {})
    return made


# -- the direct decoder --------------------------------------------------------------


def _split(raw: bytes, implicit: bool) -> Dataset | None:
    """``raw`` (little endian) as pydicom's read_dataset gives it, or None when it has
    an element of undefined length, an unknown VR or is truncated (pydicom then
    reads it, and says what is wrong)."""
    from pydicom.dataelem import RawDataElement, empty_value_for_VR
    from pydicom.tag import BaseTag

    elements: dict[Any, Any] = {}
    offset, end = 0, len(raw)
    while offset < end:
        if offset + 8 > end:
            return None
        group, number, length = _TAG_AND_LENGTH.unpack_from(raw, offset)
        vr: str | None = None
        start = offset + 8
        if not implicit:
            vr = raw[offset + 4 : offset + 6].decode("latin-1")
            if vr in LONG_LENGTH_VRS:
                if offset + 12 > end:
                    return None
                length = _LENGTH.unpack_from(raw, offset + 8)[0]
                start = offset + 12
            elif vr in SHORT_LENGTH_VRS:
                length = length >> 16
            else:
                return None
        stop = start + length
        if length == 0xFFFFFFFF or stop > end or group == 0xFFFE:
            return None
        tag = BaseTag(group << 16 | number)
        value: Any = raw[start:stop] if length else empty_value_for_VR(vr, raw=True)
        elements[tag] = RawDataElement(tag, vr, length, value, start, implicit, True)
        offset = stop
    from pydicom.charset import default_encoding

    ds = new_dataset(elements)
    encoding: Any = default_encoding
    if _SPECIFIC_CHARACTER_SET in elements:
        from pydicom.charset import convert_encodings
        from pydicom.dataelem import convert_raw_data_element

        charset = convert_raw_data_element(elements[_SPECIFIC_CHARACTER_SET]).value
        encoding = convert_encodings(charset)
    ds.set_original_encoding(implicit, True, encoding)
    return ds


_TAG_AND_LENGTH = struct.Struct("<HHI")
_LENGTH = struct.Struct("<I")
# Explicit VR with a 2-byte length (PS3.5 7.1.2).
SHORT_LENGTH_VRS = frozenset(
    "AE AS AT CS DA DS DT FL FD IS LO LT PN SH SL SS ST TM UI UL US".split()
)

# The factory of new Datasets, made at first use (``_dataset_factory``).
_DATASET_FACTORY: list[Any] = []


def _dataset_factory() -> Any:
    """A maker of new Datasets that copies a fresh one's attributes instead of running
    ``Dataset.__init__``: shared when immutable, new and empty when a container.
    If pydicom ever keeps anything else there, the real constructor is used."""
    from pydicom.dataset import Dataset

    template = Dataset().__dict__
    shared: dict[str, Any] = {}
    fresh: list[tuple[str, Any]] = []
    for name, value in template.items():
        if name == "_dict":
            continue
        if _immutable(value):
            shared[name] = value
        elif type(value) in (dict, list, set) and all(map(_immutable, _contents(value))):
            fresh.append((name, value))  # copied for each new Dataset
        else:
            _DATASET_FACTORY.append(Dataset)
            return Dataset

    def make(elements: dict[Any, Any]) -> Dataset:
        ds: Dataset = Dataset.__new__(Dataset)
        attributes = ds.__dict__
        attributes.update(shared)
        for name, value in fresh:
            attributes[name] = value.copy()
        attributes["_dict"] = elements
        return ds

    _DATASET_FACTORY.append(make)
    return make


def _immutable(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float | str | bytes | tuple)


def _contents(container: Any) -> list[Any]:
    if isinstance(container, dict):
        return [*container.keys(), *container.values()]
    return list(container)


# -- the direct encoder ------------------------------------------------------------

# Text VRs and their padding byte (PS3.5 6.2).
_TEXT_VRS = {
    **dict.fromkeys(
        ("AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM"), b" "
    ),
    **dict.fromkeys(("UC", "UR", "UT"), b" "),
    "UI": b"\x00",
}
# Binary VRs of fixed-size numbers, as struct formats.
_NUMBER_VRS = {
    "US": "H",
    "SS": "h",
    "UL": "I",
    "SL": "i",
    "FL": "f",
    "FD": "d",
    "SV": "q",
    "UV": "Q",
}
# VRs of raw bytes, and their padding byte.
_BYTES_VRS = {"OB": b"\x00", "UN": b"\x00", "OW": b"", "OF": b"", "OD": b"", "OL": b"", "OV": b""}
# Explicit VR: the VRs with a 4-byte length after 2 reserved bytes (PS3.5 7.1.2).
LONG_LENGTH_VRS = frozenset(
    ("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT", "SV", "UV")
)
_DEFAULT_CHARSETS = ("", "ISO_IR 6", "ISO 2022 IR 6")
_SPECIFIC_CHARACTER_SET = 0x00080005
# pydicom's DataElement class, looked up at first use (pydicom loads lazily).
_DATA_ELEMENT: list[Any] = []


def _charset_of(element: Any) -> str:
    value = getattr(element, "value", "")
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if _is_multi(value) or isinstance(value, list):
        return "" if not value else (str(value[0]) if len(value) == 1 else "multiple")
    return str(value or "").strip()


class _Unsupported(Exception):
    """The direct encoder leaves this data set to pydicom."""


def encode_directly(dataset: Dataset, *, implicit: bool) -> bytes | None:
    """``dataset`` in little endian (implicit or explicit VR), or None when it holds
    what only pydicom encodes (another character set, a value not yet converted
    from another encoding, an unusual VR or value)."""
    if not _DATA_ELEMENT:
        from pydicom.dataelem import DataElement

        _DATA_ELEMENT.append(DataElement)
    try:
        return b"".join(_elements(dataset, implicit))
    except (_Unsupported, AttributeError, TypeError, ValueError, struct.error, UnicodeError):
        return None


def _elements(dataset: Dataset, implicit: bool) -> list[bytes]:
    # The elements as stored (pydicom's mapping of tag to element), unconverted.
    stored: Any = dataset._dict
    charset = stored.get(_SPECIFIC_CHARACTER_SET)
    if charset is not None and _charset_of(charset) not in _DEFAULT_CHARSETS:
        raise _Unsupported("character set")
    parts: list[bytes] = []
    for tag in sorted(stored, key=int):  # int: pydicom's tags compare in Python
        element: Any = stored[tag]
        if tag >> 16 == 2:
            raise _Unsupported("a file meta element")
        vr = element.VR
        if type(element) is _DATA_ELEMENT[0]:
            value = _value(vr, element.value, implicit)
        else:
            value = _raw_value(element, implicit)
        parts.append(_header(int(tag), vr, len(value), implicit))
        parts.append(value)
    return parts


def _raw_value(element: Any, implicit: bool) -> bytes:
    """A raw (not yet converted) element's value bytes, when they are right as they are:
    read from explicit VR little endian (its VR known), of defined length, and not a
    sequence going to implicit VR (its items would keep their explicit VRs)."""
    if (
        element.is_implicit_VR
        or not element.is_little_endian
        or element.VR is None
        or element.length == 0xFFFFFFFF
        or (implicit and element.VR == "SQ")
    ):
        raise _Unsupported("a raw element that must be converted")
    value = element.value
    if value is None:
        return b""
    if not isinstance(value, bytes) or len(value) % 2:
        raise _Unsupported("a raw value that is not even-length bytes")
    return value


def _value(vr: str, value: Any, implicit: bool) -> bytes:
    if value is None or value == "" or (isinstance(value, list | tuple) and not value):
        return b""
    pad = _TEXT_VRS.get(vr)
    if pad is not None:
        if type(value) is str:  # the usual case: one plain string
            text = value.encode("ascii")
            return text + pad if len(text) % 2 else text
        values = value if isinstance(value, list | tuple) or _is_multi(value) else (value,)
        text = "\\".join(_text(v) for v in values).encode("ascii")
        return text + pad if len(text) % 2 else text
    fmt = _NUMBER_VRS.get(vr)
    if fmt is not None:
        numbers = list(value) if isinstance(value, list | tuple) or _is_multi(value) else [value]
        return struct.pack(f"<{len(numbers)}{fmt}", *numbers)
    pad = _BYTES_VRS.get(vr)
    if pad is not None and isinstance(value, bytes):
        return value + pad if len(value) % 2 else value
    if vr == "SQ":
        return b"".join(_item(item, implicit) for item in value)
    raise _Unsupported(vr)


def padded_text(vr: str, text: str) -> bytes:
    """An ASCII text value of ``vr`` padded to even length as PS3.5 6.2 pads it."""
    value = text.encode("ascii")
    return value + _TEXT_VRS.get(vr, b" ") if len(value) % 2 else value


def _item(item: Dataset, implicit: bool) -> bytes:
    body = b"".join(_elements(item, implicit))
    return struct.pack("<HHI", 0xFFFE, 0xE000, len(body)) + body


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        # pydicom's own string forms (PersonName, DSfloat, IS, UID are str or int
        # subclasses); a plain float in a DS or anything else is left to pydicom.
        if type(value).__name__ not in ("PersonName", "DSfloat", "DSdecimal"):
            raise _Unsupported(type(value).__name__)
    return str(value)


def _is_multi(value: Any) -> bool:
    return type(value).__name__ == "MultiValue"


def _header(tag: int, vr: str, length: int, implicit: bool) -> bytes:
    if implicit:
        return struct.pack("<HHI", tag >> 16, tag & 0xFFFF, length)
    if vr in LONG_LENGTH_VRS:
        return struct.pack("<HH2sHI", tag >> 16, tag & 0xFFFF, vr.encode(), 0, length)
    if length > 0xFFFF:
        raise _Unsupported("value too long for a 2-byte length")
    return struct.pack("<HH2sH", tag >> 16, tag & 0xFFFF, vr.encode(), length)
