"""An instance's data set as the four rows the index keeps of it.

Each level's row gets its columns (the stored form of ``levels.COLUMNS``) and
its attributes, encoded (Explicit VR Little Endian), from which responses are
built and non-column keys matched. Bulk data never enters the index.

One way to the rows: ``records_from_spans`` cuts them out of a data set's
Explicit VR Little Endian bytes (decoding only the few column values), which is
how instances are indexed as they are stored; ``records_of`` encodes a pydicom
Dataset (a file in another transfer syntax) that way first.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from pydicom.charset import convert_encodings, decode_bytes, default_encoding
from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian

from fastdimse._files.encoded import element_spans, element_value
from fastdimse._files.encoding import decode_data_set, encode_data_set
from fastdimse.archive.levels import COLUMNS, Column, Level, attributes_of
from fastdimse.archive.matching import fold, stored_form

__all__ = [
    "PIXEL_DATA",
    "LevelRecord",
    "decode_attributes",
    "encode_attributes",
    "patient_key",
    "records_from_spans",
    "records_of",
]

# Not indexed at the image level: values of these VRs are bulk or binary data,
# and text longer than this is not what anyone queries for.
_BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})
_MAX_TEXT = 1024
_CHARSET = 0x00080005
# Where the index stops reading an instance: its pixel data is never indexed.
PIXEL_DATA = 0x7FE00010


@dataclass(frozen=True)
class LevelRecord:
    """One level's row: its columns (name -> stored form) and encoded attributes."""

    columns: dict[str, str | None]
    attributes: bytes


def records_from_spans(spans: dict[int, bytes]) -> dict[Level, LevelRecord]:
    """The rows of the four levels for an instance whose top-level elements (before
    its pixel data) are ``spans`` (``_files.encoded.element_spans``); as
    ``records_of``, ``ValueError`` when it cannot be placed in the hierarchy."""
    for tag, keyword in _REQUIRED_UIDS.items():
        span = spans.get(tag)
        if span is None or not element_value(span)[1].strip(b" \x00"):
            raise ValueError(f"the instance has no {keyword}: it cannot be indexed")
    charset = spans.get(_CHARSET)
    encodings = _encodings(charset)
    levels = _tag_levels()
    parts: dict[Level, list[tuple[int, bytes]]] = {level: [] for level in Level}
    for tag, span in spans.items():
        if tag >> 16 == 0x0002 or tag == _CHARSET:
            continue
        level = levels.get(tag, Level.IMAGE)
        if level is Level.IMAGE and _span_is_bulk(span):
            continue
        parts[level].append((tag, span))
    records = {}
    for level, elements in parts.items():
        if charset is not None:
            elements.append((_CHARSET, charset))
        found = dict(elements)
        columns: dict[str, str | None] = {}
        for spec, tag in _column_tags()[level]:
            span = found.get(tag)
            value = _column_value(spec.vr, span, encodings) if span is not None else None
            columns[spec.name] = value
            if spec.folded:
                columns[spec.folded_name] = fold(value) if value is not None else None
        attributes = b"".join(span for _, span in sorted(elements))
        records[level] = LevelRecord(columns, attributes)
    return records


def records_of(dataset: Dataset) -> dict[Level, LevelRecord]:
    """The rows of an instance read by pydicom (its file meta ignored): those of its
    Explicit VR Little Endian encoding, as ``records_from_spans`` cuts them."""
    spans = element_spans(encode_attributes(dataset), PIXEL_DATA)
    if spans is None:
        raise ValueError("the data set could not be encoded whole: it cannot be indexed")
    return records_from_spans(spans)


def patient_key(patient_id: str | None, issuer: str | None) -> str:
    """Who a patient is: the Patient ID within its issuer (PS3.4 C.6.1.1.2)."""
    return f"{patient_id or ''}\\{issuer or ''}"


def encode_attributes(dataset: Dataset) -> bytes:
    """A row's attributes as the archive's tables keep them (Explicit VR Little Endian);
    ValueError when they cannot be encoded."""
    return encode_data_set(dataset, ExplicitVRLittleEndian)


def decode_attributes(encoded: bytes) -> Dataset:
    """A row's attributes as a Dataset."""
    return decode_data_set(encoded, ExplicitVRLittleEndian)


# The UIDs that place an instance in the hierarchy.
_REQUIRED_UIDS = {
    0x0020000D: "StudyInstanceUID",
    0x0020000E: "SeriesInstanceUID",
    0x00080018: "SOPInstanceUID",
}
# VRs whose values are text in the data set's character set (PS3.5 6.1.2.3); PN's
# components and groups, and multiple values, are delimited by these bytes.
_CHARSET_VRS = frozenset({"LO", "LT", "PN", "SH", "ST", "UC", "UT"})
_DELIMITERS = frozenset(b"\\^=")


@functools.cache
def _tag_levels() -> dict[int, Level]:
    """The level of each attribute above the image level, by tag."""
    levels = {}
    for level in (Level.PATIENT, Level.STUDY, Level.SERIES):
        for keyword in attributes_of(level):
            tag = tag_for_keyword(keyword)
            if tag is not None:
                levels[tag] = level
    return levels


@functools.cache
def _column_tags() -> dict[Level, list[tuple[Column, int]]]:
    found: dict[Level, list[tuple[Column, int]]] = {}
    for level, specs in COLUMNS.items():
        found[level] = []
        for spec in specs:
            tag = tag_for_keyword(spec.keyword)
            if tag is not None:
                found[level].append((spec, tag))
    return found


def _encodings(charset: bytes | None) -> list[str]:
    """The Python codecs of a Specific Character Set element's span (pydicom's mapping)."""
    if charset is None:
        return [default_encoding]
    value = element_value(charset)[1].decode("ascii", "replace").strip(" \x00")
    names = [name.strip() for name in value.split("\\")] if value else [""]
    return list(convert_encodings(names))


def _column_value(vr: str, span: bytes, encodings: list[str]) -> str | None:
    """A column's stored form from the element's span (its values split, padding off)."""
    raw = element_value(span)[1]
    if vr in _CHARSET_VRS:
        text = decode_bytes(raw, encodings, set(_DELIMITERS))
    else:
        text = raw.decode("ascii", "replace")
    return stored_form(vr, text.rstrip(" \x00").split("\\"))


def _span_is_bulk(span: bytes) -> bool:
    vr, value = element_value(span)
    if vr in _BINARY_VRS:
        return True
    return vr != "SQ" and len(value) > _MAX_TEXT
