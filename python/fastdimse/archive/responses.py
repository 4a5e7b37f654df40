"""C-FIND response identifiers for matching entities (PS3.4 C.4.1.1.3.2).

An identifier holds the keys the request asked for (with the entity's values, or
empty when it has none), the unique keys of the query level and the levels above
it, the Query/Retrieve Level, and the Retrieve AE Title: nothing else. Specific
Character Set is added when a returned value needs it.

Values are never decoded: a ``Responder`` works out once per query where each key
comes from, then cuts each match's elements out of the stored attributes (Explicit
VR Little Endian) and joins them, in tag order, into an ``EncodedDataSet``.
"""

from __future__ import annotations

from typing import Any

from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataset import Dataset

from fastdimse._files.encoded import EncodedDataSet, element_spans, encode_element
from fastdimse._files.encoding import padded_text
from fastdimse.archive.levels import COUNTS, Level, level_of
from fastdimse.archive.query import Plan, Row

__all__ = ["Responder"]

_QUERY_RETRIEVE_LEVEL = 0x00080052
_RETRIEVE_AE_TITLE = 0x00080054
_CHARSET = 0x00080005
# Return-only keys the SCP fills in itself, not from the entity.
_SCP_KEYS = frozenset({_QUERY_RETRIEVE_LEVEL, _RETRIEVE_AE_TITLE, _CHARSET})
# Text VRs whose values depend on the character set (PS3.5 6.1.2.3).
_TEXT_VRS = frozenset({b"LO", b"LT", b"PN", b"SH", b"ST", b"UC", b"UT"})


class Responder:
    """The response identifiers of one query's matches."""

    def __init__(self, identifier: Dataset, query: Plan, ae_title: str) -> None:
        # In tag order: (tag, what to send) where what is the level whose stored
        # attributes hold the element, a computed attribute's (keyword, VR), or the
        # fixed bytes of an element the SCP fills in.
        keys: dict[int, Any] = {
            _QUERY_RETRIEVE_LEVEL: _text(_QUERY_RETRIEVE_LEVEL, "CS", query.level.name),
            _RETRIEVE_AE_TITLE: _text(_RETRIEVE_AE_TITLE, "AE", ae_title),
        }
        self._empty: dict[int, bytes] = {}
        for element in identifier:
            tag = int(element.tag)
            if tag in _SCP_KEYS or tag >> 16 in (0x0000, 0x0002):
                continue
            keyword = element.keyword
            self._empty[tag] = encode_element(tag, element.VR, b"")
            if keyword in COUNTS:
                keys[tag] = (keyword, element.VR)
                continue
            level = level_of(keyword) if keyword else Level.IMAGE
            keys[tag] = level if level <= query.level else None
        for lv in Level:
            unique = tag_for_keyword(lv.unique_key)
            if query.model.top <= lv <= query.level and unique is not None and unique not in keys:
                keys[unique] = lv
                self._empty[unique] = encode_element(unique, dictionary_VR(unique), b"")
        self._keys = sorted(keys.items())

    def response(self, row: Row) -> EncodedDataSet:
        """The identifier for ``row``."""
        spans: dict[Level, dict[int, bytes] | None] = {}
        parts: list[bytes] = []
        charset: bytes | None = None
        for tag, source in self._keys:
            if isinstance(source, bytes):
                parts.append(source)
            elif isinstance(source, tuple):
                keyword, vr = source
                parts.append(_computed(tag, vr, row.counts.get(keyword)))
            else:
                level_spans = _spans_of(row, source, spans) if source is not None else None
                found = level_spans.get(tag) if level_spans is not None else None
                if found is None:
                    parts.append(self._empty[tag])
                    continue
                parts.append(found)
                if charset is None and level_spans is not None and _needs_charset(found):
                    charset = level_spans.get(_CHARSET)
        if charset is not None:
            parts.insert(0, charset)  # (0008,0005) comes before every key
        return EncodedDataSet(b"".join(parts))


def _spans_of(row: Row, level: Level, cache: dict[Level, dict[int, bytes] | None]) -> Any:
    if level not in cache:
        stored = row.stored.get(level)
        cache[level] = element_spans(stored) if stored is not None else None
    return cache[level]


def _needs_charset(element: bytes) -> bool:
    """A text element (Explicit VR, short header) with a byte outside ASCII."""
    return element[4:6] in _TEXT_VRS and not element[8:].isascii()


def _computed(tag: int, vr: str, value: Any) -> bytes:
    if value is None:
        return encode_element(tag, vr, b"")
    if vr in ("US", "UL"):
        return encode_element(tag, vr, int(value).to_bytes(2 if vr == "US" else 4, "little"))
    if vr == "IS":
        return _text(tag, vr, str(int(value)))
    # The distinct values the index lists (comma-separated), as a multi-value.
    return _text(tag, vr, "\\".join(sorted(str(value).split(","))))


def _text(tag: int, vr: str, text: str) -> bytes:
    return encode_element(tag, vr, padded_text(vr, text))
