"""A C-FIND response identifier for a matching entity (PS3.4 C.4.1.1.3.2).

It holds the keys the request asked for (with the entity's values, or empty
when it has none), the unique keys of the query level and the levels above it,
the Query/Retrieve Level, and the Retrieve AE Title: nothing else. Specific
Character Set is added when a returned value needs it.
"""

from __future__ import annotations

from typing import Any

from pydicom.datadict import dictionary_VR
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset

from fastdimse._files.encoding import new_dataset
from fastdimse.archive.levels import COUNTS, Level, Model, level_of
from fastdimse.archive.query import Plan, Row

__all__ = ["response_of"]

_QUERY_RETRIEVE_LEVEL = 0x00080052
_RETRIEVE_AE_TITLE = 0x00080054
_CHARSET = 0x00080005
# Return-only keys the SCP fills in itself, not from the entity.
_SCP_KEYS = frozenset({_QUERY_RETRIEVE_LEVEL, _RETRIEVE_AE_TITLE, _CHARSET})


def response_of(identifier: Dataset, query: Plan, row: Row, ae_title: str) -> Dataset:
    """The response identifier for ``row``, a match of ``identifier``."""
    response = new_dataset()
    charset: Any = None
    for element in identifier:
        tag = int(element.tag)
        if tag in _SCP_KEYS or tag >> 16 in (0x0000, 0x0002):
            continue
        found = _value_of(element, query, row)
        response.add(found)
        if charset is None:
            charset = _charset_needed(found, query, row)
    for unique in _unique_keys(query.model, query.level):
        if unique not in response:
            at = query.model.level_of(unique)
            stored = row.attributes.get(level_of(unique)) if at <= query.level else None
            value = stored[unique] if stored is not None and unique in stored else None
            response.add(value if value is not None else _empty(unique))
    response.QueryRetrieveLevel = query.level.name
    response.RetrieveAETitle = ae_title
    if charset is not None:
        response.add(charset)
    return response


def _value_of(requested: DataElement, query: Plan, row: Row) -> DataElement:
    keyword = requested.keyword
    if keyword in COUNTS and keyword in row.counts:
        return _computed(requested, row.counts[keyword])
    level = level_of(keyword) if keyword else Level.IMAGE
    stored = row.attributes.get(level)
    found = stored.get(requested.tag) if stored is not None else None
    if found is None:
        return DataElement(requested.tag, requested.VR, None)
    return found


def _computed(requested: DataElement, value: Any) -> DataElement:
    if value is None:
        return DataElement(requested.tag, requested.VR, None)
    if requested.VR in ("IS", "US", "UL"):
        return DataElement(requested.tag, requested.VR, int(value))
    return DataElement(requested.tag, requested.VR, sorted(str(value).split(",")))


def _unique_keys(model: Model, level: Level) -> list[str]:
    return [lv.unique_key for lv in Level if model.top <= lv <= level]


def _empty(keyword: str) -> DataElement:
    from pydicom.datadict import tag_for_keyword

    tag = tag_for_keyword(keyword)
    if tag is None:
        raise KeyError(keyword)
    return DataElement(tag, dictionary_VR(tag), None)


def _charset_needed(element: DataElement, query: Plan, row: Row) -> Any:
    """The entity's Specific Character Set when ``element`` holds non-ASCII text."""
    if element.VR not in ("PN", "LO", "SH", "LT", "ST", "UT", "UC") or not element.value:
        return None
    if str(element.value).isascii():
        return None
    for level in sorted(row.attributes, reverse=True):
        charset = row.attributes[level].get(_CHARSET)
        if charset is not None:
            return charset
    return None
