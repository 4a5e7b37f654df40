"""C-FIND Attribute Matching (PS3.4 C.2.2.2) as values, in Python and in SQL.

:func:`conditions_of` turns a request's Identifier into one :class:`Condition` per key;
:func:`matches` says whether a stored element's value meets one, and :func:`to_sql` gives
the same test on an index column holding :func:`stored_form` (or its :func:`fold` for PN).

Decisions where the standard leaves a choice (each cited where it is made):

- Matching is case sensitive except for PN, which is matched on :func:`fold` of both
  sides (C.2.2.2.1 lets PN be insensitive to case; C.2.2.2.4 leaves PN to the SCP).
- A key with several values (without the Extended Negotiation of C.2.2.2.8, whose
  semantics are undefined) matches an entity when any of its values does, as in List of
  UID Matching (C.2.2.2.2); DA, TM and DT keys with several values are refused.
- A stored element with several values matches when any of them does (C.2.2.3).
- ``*`` or ``?`` in a key of a VR outside C.2.2.2.4's list is refused: those VRs cannot
  hold the characters (PS3.5 6.2), so the key names no value.
- A single DA, TM or DT value is the range of the moments it names: ``10`` as a TM is
  10:00:00 to 10:59:59.999999. DT values with a UTC offset are moved to UTC
  (C.2.2.2.5.3 d); DT values without one are taken as they are.
- Empty or absent entity values meet only Universal and Empty Value Matching.
- Padding (spaces, NUL) around a value is not significant, except leading spaces in
  LT, ST, UT and UR (PS3.5 6.2); trailing empty PN components are not either (PS3.5
  6.2.1). A key of spaces only is a zero length key.
"""

from __future__ import annotations

import calendar
import enum
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pydicom
import sqlalchemy
from pydicom.datadict import tag_for_keyword
from pydicom.tag import BaseTag

__all__ = [
    "RETURN_ONLY_TAGS",
    "WILDCARD_VRS",
    "Condition",
    "MatchError",
    "MatchKind",
    "conditions_of",
    "fold",
    "matches",
    "stored_form",
    "stored_values",
    "to_sql",
]


class MatchKind(enum.Enum):
    """The kinds of Attribute Matching of PS3.4 C.2.2.2."""

    UNIVERSAL = "universal"  # C.2.2.2.3
    SINGLE = "single"  # C.2.2.2.1
    WILDCARD = "wildcard"  # C.2.2.2.4
    UID_LIST = "uid_list"  # C.2.2.2.2
    RANGE = "range"  # C.2.2.2.5
    SEQUENCE = "sequence"  # C.2.2.2.6
    EMPTY = "empty"  # C.2.2.2.7


@dataclass(frozen=True)
class Condition:
    """One key of an Identifier: how entities are matched on the element ``tag``.

    ``values``: SINGLE, the key's values in :func:`stored_form` (usually one; an entity
    matches any of them); WILDCARD, the patterns (``*`` and ``?`` as in C.2.2.2.4; a
    pattern without them is a single value); UID_LIST, the UIDs; RANGE, ``(low, high)``
    in :func:`stored_form`, inclusive, ``""`` for an open end. ``items``: SEQUENCE, the
    conditions of the request's one Item.
    """

    tag: int
    keyword: str
    vr: str
    kind: MatchKind
    values: tuple[str, ...] = ()
    items: tuple[Condition, ...] = ()


class MatchError(ValueError):
    """The Identifier cannot be matched (its key is not one C.2.2.2 defines)."""


# C.2.2.2.4: the VRs in which "*" and "?" are wild cards
WILDCARD_VRS = frozenset({"AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UR", "UT"})

# Elements with no matching meaning, left out of conditions_of. The Request Identifier
# holds, beside its keys, the Query/Retrieve Level and View, Specific Character Set
# (never matched, C.2.2.2) and Timezone Offset From UTC (which qualifies the request's
# times, C.2.2.2.5.2) (C.4.1.1.3.1). The others are return keys only: the locations and
# availability of the Response Identifier (C.4.1.1.3.2), and the counts of related
# studies, series and instances (matching key type "-" in the C.6 tables).
RETURN_ONLY_TAGS = frozenset(
    tag
    for keyword in (
        "SpecificCharacterSet",
        "QueryRetrieveLevel",
        "QueryRetrieveView",
        "TimezoneOffsetFromUTC",
        "RetrieveAETitle",
        "RetrieveURL",
        "RetrieveLocationUID",
        "InstanceAvailability",
        "StorageMediaFileSetID",
        "StorageMediaFileSetUID",
        "NumberOfPatientRelatedStudies",
        "NumberOfPatientRelatedSeries",
        "NumberOfPatientRelatedInstances",
        "NumberOfStudyRelatedSeries",
        "NumberOfStudyRelatedInstances",
        "NumberOfSeriesRelatedInstances",
    )
    if (tag := tag_for_keyword(keyword)) is not None
)


def conditions_of(identifier: pydicom.Dataset) -> list[Condition]:
    """One :class:`Condition` per key of ``identifier``, in its order.

    Left out: the command and file meta groups (0000 and 0002), group lengths (gggg,0000)
    and :data:`RETURN_ONLY_TAGS`. Raises :class:`MatchError` for a key C.2.2.2 gives no
    meaning to: a sequence of several Items (C.2.2.2.6), a wild card outside
    :data:`WILDCARD_VRS` (C.2.2.2.4), an invalid date/time or range, several DA/TM/DT
    values.
    """
    return [_condition_of(element) for element in identifier if _is_key(int(element.tag))]


def stored_form(vr: str, value: object) -> str | None:
    """The canonical text an index keeps for an element's value; None when it is empty.

    DA ``YYYYMMDD`` (also from the ACR-NEMA ``YYYY.MM.DD``), TM ``HHMMSS.FFFFFF`` and DT
    ``YYYYMMDDHHMMSS.FFFFFF`` (in UTC when the value has an offset), the missing parts
    at their lowest, so that text order is time order; IS/DS and binary numbers in one
    spelling per number; AT as ``GGGGEEEE``; bytes in hexadecimal; PN as encoded without
    trailing empty components; any other value as its text, padding removed. Several
    values are joined by backslashes (see :func:`stored_values` for them one by one).
    """
    values = stored_values(vr, value)
    return "\\".join(values) if values else None


def stored_values(vr: str, value: object) -> tuple[str, ...]:
    """:func:`stored_form` of each of the element's values, empty ones left out; ``()``
    for a sequence."""
    if vr == "SQ":
        return ()
    found = (_stored_one(vr, _text(vr, one)) for one in _value_list(value))
    return tuple(text for text in found if text is not None)


def fold(text: str) -> str:
    """The form in which PN values are compared: case folded, as C.2.2.2.1 allows for
    PN. An index keeps ``fold(stored_form("PN", v))`` beside the stored form."""
    return text.casefold()


def matches(condition: Condition, value: object) -> bool:
    """Whether a stored element's value (pydicom's ``DataElement.value``; None when the
    element is absent) meets ``condition``. Several stored values: any (C.2.2.3).
    SEQUENCE: any stored Item whose elements meet all the item conditions (C.2.2.2.6)."""
    kind = condition.kind
    if kind is MatchKind.UNIVERSAL:
        return True
    if kind is MatchKind.SEQUENCE:
        return any(_item_matches(condition.items, item) for item in _value_list(value))
    found = stored_values(condition.vr, value)
    if kind is MatchKind.EMPTY:
        return not found
    keys = condition.values
    if condition.vr == "PN":
        found = tuple(fold(text) for text in found)
        keys = tuple(fold(key) for key in keys)
    if kind is MatchKind.RANGE:
        low, high = keys
        return any((not low or low <= text) and (not high or text <= high) for text in found)
    if kind is MatchKind.WILDCARD:
        return any(_wildcard_regex(key).fullmatch(text) for key in keys for text in found)
    return any(text in keys for text in found)


def to_sql(
    condition: Condition, column: sqlalchemy.ColumnElement[str], *, folded: bool = False
) -> sqlalchemy.ColumnElement[bool] | None:
    """The SQL test of ``condition`` on a column holding :func:`stored_form` (NULL when
    empty), or its :func:`fold` when ``folded`` (PN columns must be, to agree with
    :func:`matches`). It selects the rows :func:`matches` accepts when the stored values
    are single. None for UNIVERSAL and SEQUENCE: nothing to test, or a test in Python.

    Wild cards become LIKE with ``!`` as escape character. SQLite's LIKE ignores ASCII case
    unless ``PRAGMA case_sensitive_like = ON``; PostgreSQL's LIKE is case sensitive.
    """
    kind = condition.kind
    if kind in (MatchKind.UNIVERSAL, MatchKind.SEQUENCE):
        return None
    if kind is MatchKind.EMPTY:
        return column.is_(None)
    keys = [fold(key) for key in condition.values] if folded else list(condition.values)
    if kind is MatchKind.RANGE:
        low, high = keys
        tests = [column >= low] if low else []
        tests += [column <= high] if high else []
        return sqlalchemy.and_(*tests) if tests else column.is_not(None)
    if kind is MatchKind.WILDCARD:
        return sqlalchemy.or_(*(_like(column, key) for key in keys))
    return column == keys[0] if len(keys) == 1 else column.in_(keys)


# --- helpers ---------------------------------------------------------------------------

_DATE_TIME_VRS = frozenset({"DA", "TM", "DT"})
_INTEGER_VRS = frozenset({"IS", "SS", "US", "SL", "UL", "SV", "UV"})
_REAL_VRS = frozenset({"DS", "FL", "FD"})
_TEXT_VRS = frozenset({"LT", "ST", "UT", "UR"})
_PADDING = " \x00"  # PS3.5 6.2: spaces pad text values, NUL pads UIDs
_EMPTY_VALUE_KEY = '""'  # C.2.2.2.7: two QUOTATION MARK characters
_LIKE_ESCAPE = "!"

_DA = re.compile(r"\d{4}(?:\d{2}){0,2}")
_ACR_NEMA_DA = re.compile(r"\d{4}\.\d{2}\.\d{2}")  # PS3.5 6.2 DA, note: not compliant
_TM = re.compile(r"(\d{2}(?:\d{2}){0,2})(?:\.(\d{1,6}))?")
_DT = re.compile(r"(\d{4}(?:\d{2}){0,5})(?:\.(\d{1,6}))?(?:([+-])(\d{2})(\d{2}))?")
_STORED_DT = "%Y%m%d%H%M%S.%f"


def _is_key(tag: int) -> bool:
    group, element = tag >> 16, tag & 0xFFFF
    return group not in (0x0000, 0x0002) and element != 0 and tag not in RETURN_ONLY_TAGS


def _condition_of(element: pydicom.DataElement) -> Condition:
    tag, vr = int(element.tag), element.VR
    keyword = element.keyword or ""

    def make(
        kind: MatchKind, values: Iterable[str] = (), items: Iterable[Condition] = ()
    ) -> Condition:
        return Condition(tag, keyword, vr, kind, tuple(values), tuple(items))

    if vr == "SQ":
        items = list(element.value or ())
        if len(items) > 1:  # C.2.2.2.6: the key is a Sequence of a single Item
            raise MatchError(f"{element.tag} is a sequence key with {len(items)} Items")
        conditions = conditions_of(items[0]) if items else []
        if all(item.kind is MatchKind.UNIVERSAL for item in conditions):
            return make(MatchKind.UNIVERSAL)  # C.2.2.2.6: no Item Key Attribute to match
        return make(MatchKind.SEQUENCE, items=conditions)
    texts = [text for value in _value_list(element.value) if (text := _text(vr, value))]
    if not texts:
        return make(MatchKind.UNIVERSAL)  # C.2.2.2.3: zero length
    if texts == [_EMPTY_VALUE_KEY]:
        return make(MatchKind.EMPTY)
    wild = any("*" in text or "?" in text for text in texts)
    if wild and vr not in WILDCARD_VRS:
        raise MatchError(f"{element.tag} has a wild card, which VR {vr} does not allow")
    if vr in _DATE_TIME_VRS:
        if len(texts) > 1:
            raise MatchError(f"{element.tag} has {len(texts)} {vr} values")
        return make(MatchKind.RANGE, _range_of(vr, texts[0], element.tag))
    values = list(dict.fromkeys(value for text in texts if (value := _stored_one(vr, text))))
    if not values or (wild and any(not value.strip("*") for value in values)):
        return make(MatchKind.UNIVERSAL)  # C.2.2.2.4: "*" is Universal Matching
    if vr == "UI" and len(values) > 1:
        return make(MatchKind.UID_LIST, values)
    return make(MatchKind.WILDCARD if wild else MatchKind.SINGLE, values)


def _range_of(vr: str, text: str, tag: BaseTag) -> tuple[str, str]:
    """C.2.2.2.5: ``(low, high)`` of a DA/TM/DT key, ``""`` for an open end; a single
    value is the range of the moments it names. A DT whose "-" can be read both as an
    offset and as the range's dash is the single value."""
    low, high = _bound(vr, text, upper=False), _bound(vr, text, upper=True)
    if low is not None and high is not None:
        return low, high
    for dash in (index for index, char in enumerate(text) if char == "-"):
        first, last = text[:dash].strip(), text[dash + 1 :].strip()
        low = _bound(vr, first, upper=False) if first else ""
        high = _bound(vr, last, upper=True) if last else ""
        if low is not None and high is not None:
            return low, high
    raise MatchError(f"{tag} has {text!r}, neither a {vr} value nor a range of them")


def _bound(vr: str, text: str, *, upper: bool) -> str | None:
    """The stored form of a DA/TM/DT value, its missing parts at their lowest, or at
    their highest when ``upper`` (the end of a range); None when it is no such value."""
    if vr == "DA":
        text = text.replace(".", "") if _ACR_NEMA_DA.fullmatch(text) else text
        return _pad_date(text, upper) if _DA.fullmatch(text) else None
    if vr == "TM":
        found = _TM.fullmatch(text.replace(":", ""))  # ACR-NEMA HH:MM:SS
        if found is None or (found[2] and len(found[1]) != 6):
            return None
        return _pad_time(found[1], found[2] or "", upper)
    found = _DT.fullmatch(text)
    if found is None or (found[2] and len(found[1]) != 14):
        return None
    digits, fraction, sign, hours, minutes = found.groups()
    padded = _pad_date(digits[:8], upper) + _pad_time(digits[8:], fraction or "", upper)
    if sign is None:
        return padded
    if int(hours) > 14 or int(minutes) > 59:  # PS3.5 6.2 DT: offsets -1200 to +1400
        return None
    offset = timedelta(hours=int(hours), minutes=int(minutes))
    return _shift(padded, offset if sign == "+" else -offset)


def _pad_date(digits: str, upper: bool) -> str:
    year, month, day = digits[:4], digits[4:6], digits[6:8]
    month = month or ("12" if upper else "01")
    return year + month + (day or (_last_day(year, month) if upper else "01"))


def _last_day(year: str, month: str) -> str:
    try:
        return f"{calendar.monthrange(int(year), int(month))[1]:02d}"
    except ValueError:  # no such month: any day after the last one still sorts right
        return "31"


def _pad_time(digits: str, fraction: str, upper: bool) -> str:
    rest = ("235959" if upper else "000000")[len(digits) :]
    return f"{digits}{rest}.{fraction.ljust(6, '9' if upper else '0')}"


def _shift(padded: str, offset: timedelta) -> str:
    """A padded DT at ``offset`` from UTC, as the same moment in UTC."""
    try:
        moment = datetime.strptime(padded, _STORED_DT) - offset
    except (ValueError, OverflowError):  # a leap second or no real date: left as it is
        return padded
    return f"{moment.year:04d}{moment:%m%d%H%M%S.%f}"


def _stored_one(vr: str, text: str) -> str | None:
    if not text:
        return None
    if vr in _DATE_TIME_VRS:
        return _bound(vr, text, upper=False) or text
    if vr == "PN":
        groups = [group.rstrip("^") for group in text.split("=")]
        return "=".join(groups).rstrip("=") or None
    if vr in _INTEGER_VRS or vr in _REAL_VRS:
        return _number(text, integral=vr in _INTEGER_VRS)
    return text


def _number(text: str, *, integral: bool) -> str:
    """One spelling per number: ``0012`` and ``12`` are the same IS, ``1.50`` and ``1.5``
    the same DS (C.2.2.2.1 matches values, not their spelling)."""
    try:
        number = float(text)
    except ValueError:
        return text
    if integral and number.is_integer():
        try:
            return str(int(text))  # exact even beyond a float's precision
        except ValueError:
            return str(int(number))
    return repr(number)


def _text(vr: str, value: object) -> str:
    """One value as the text it stands for, without padding (PS3.5 6.2: leading spaces
    are significant in the text VRs, trailing ones nowhere)."""
    if isinstance(value, bytes):
        return value.hex().upper()
    if isinstance(value, BaseTag):
        return f"{int(value):08X}"
    original = getattr(value, "original_string", None)  # pydicom's DA/TM/DT/IS/DS
    if isinstance(original, str):
        text = original
    elif isinstance(value, datetime):
        text = f"{value.year:04d}{value:%m%d%H%M%S.%f%z}"
    elif isinstance(value, date):
        text = f"{value.year:04d}{value:%m%d}"
    elif isinstance(value, time):
        text = f"{value:%H%M%S.%f}"
    else:
        text = "" if value is None else str(value)
    return text.rstrip(_PADDING) if vr in _TEXT_VRS else text.strip(_PADDING)


def _value_list(value: object) -> list[object]:
    if value is None or isinstance(value, str | bytes):
        return [value] if value else []
    if isinstance(value, Sequence):  # pydicom's MultiValue and Sequence among them
        return list(value)
    return [value]


def _item_matches(conditions: tuple[Condition, ...], item: object) -> bool:
    if not isinstance(item, pydicom.Dataset):
        return False
    return all(
        matches(condition, item[condition.tag].value if condition.tag in item else None)
        for condition in conditions
    )


@functools.lru_cache(maxsize=256)
def _wildcard_regex(pattern: str) -> re.Pattern[str]:
    """C.2.2.2.4: "*" is any run of characters, none included, "?" any one character."""
    parts = (".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.compile("".join(parts), re.DOTALL)


def _like(column: sqlalchemy.ColumnElement[str], pattern: str) -> sqlalchemy.ColumnElement[bool]:
    if "*" not in pattern and "?" not in pattern:
        return column == pattern
    escaped = "".join(
        _LIKE_ESCAPE + char if char in f"%_{_LIKE_ESCAPE}" else char for char in pattern
    )
    like = escaped.replace("*", "%").replace("?", "_")
    return column.like(like, escape=_LIKE_ESCAPE)
