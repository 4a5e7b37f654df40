"""C-FIND response identifiers for matching worklist items (PS3.4 K.2.2.1.2).

A response holds the keys the request asked for, each with the item's value or empty
when the item has none (every matching key is a return key too), and nothing else but
the item's Specific Character Set. A sequence key with an Item of keys returns each of
the item's Items holding those keys (recursively); a sequence key without keys (zero
length, or one empty Item: K.2.2.1.2 note 4) returns the item's sequence whole.

Values are never decoded: a ``WorklistResponder`` works out once per query which keys
to return, then cuts each item's elements out of its stored attributes (Explicit VR
Little Endian) and joins them, in tag order, into an ``EncodedDataSet``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from pydicom.dataset import Dataset

from fastdimse._files.encoded import EncodedDataSet, element_spans, element_value, encode_element

__all__ = ["WorklistResponder"]

_CHARSET = 0x00080005
_ITEM = struct.Struct("<HHI")
_ITEM_TAG = 0xFFFEE000
_ITEM_END = 0xFFFEE00D
_SEQUENCE_END = 0xFFFEE0DD
_UNDEFINED = 0xFFFFFFFF


@dataclass(frozen=True)
class _Key:
    tag: int
    vr: str
    # The keys of a sequence's Items; None: the element as the item has it.
    items: tuple[_Key, ...] | None


class WorklistResponder:
    """The response identifiers of one query's matching items."""

    def __init__(self, identifier: Dataset) -> None:
        self._keys = _keys_of(identifier)

    def response(self, attributes: bytes) -> EncodedDataSet:
        """The identifier for the item whose stored attributes are ``attributes``;
        ``ValueError`` if they are not well formed."""
        spans = element_spans(attributes)
        if spans is None:
            raise ValueError("a worklist item's stored attributes are not well formed")
        charset = spans.get(_CHARSET)
        head = [charset] if charset is not None else []
        return EncodedDataSet(b"".join(head) + _cut(self._keys, spans))


def _keys_of(identifier: Dataset) -> tuple[_Key, ...]:
    """The keys to return, in tag order: the identifier's elements but the command and
    file meta groups, group lengths and Specific Character Set."""
    keys = []
    for element in identifier:
        tag = int(element.tag)
        if tag >> 16 in (0x0000, 0x0002) or tag & 0xFFFF == 0 or tag == _CHARSET:
            continue
        items = None
        if element.VR == "SQ" and element.value and len(element.value[0]):
            items = _keys_of(element.value[0]) or None
        keys.append(_Key(tag, element.VR, items))
    return tuple(sorted(keys, key=lambda key: key.tag))


def _cut(keys: tuple[_Key, ...], spans: dict[int, bytes]) -> bytes:
    parts = []
    for key in keys:
        span = spans.get(key.tag)
        if span is None:
            parts.append(encode_element(key.tag, key.vr, b""))
            continue
        vr, value = element_value(span)
        items = _items(value) if key.items is not None and vr == "SQ" else None
        if key.items is None or items is None:
            parts.append(span)
            continue
        body = b"".join(_item(_cut(key.items, item)) for item in items)
        parts.append(encode_element(key.tag, "SQ", body))
    return b"".join(parts)


def _items(value: bytes) -> list[dict[int, bytes]] | None:
    """The elements of each Item of a sequence's value (Items of defined or undefined
    length); None when it is not well formed."""
    items = []
    offset, end = 0, len(value)
    while offset + 8 <= end:
        group, number, length = _ITEM.unpack_from(value, offset)
        tag = group << 16 | number
        if tag == _SEQUENCE_END:
            break
        if tag != _ITEM_TAG:
            return None
        start = offset + 8
        if length == _UNDEFINED:
            spans = element_spans(value[start:], stop_before=_ITEM_END)
            offset = start + sum(map(len, spans.values())) + 8 if spans is not None else end
        else:
            spans = element_spans(value[start : start + length])
            offset = start + length
        if spans is None:
            return None
        items.append(spans)
    return items


def _item(body: bytes) -> bytes:
    return _ITEM.pack(0xFFFE, 0xE000, len(body)) + body
