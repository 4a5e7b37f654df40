"""A Modality Worklist C-FIND identifier as a query of the worklist table (PS3.4 K.2.2.1).

``plan`` turns the identifier's keys into matching conditions (PS3.4 C.2.2.2, by the
matching module): a key with a column of ``worklist_tables`` is matched in SQL, and so
is a key of the Scheduled Procedure Step Sequence's Item that has one (a worklist item
holds one Item, so the Item's keys are the row's); every other key, sequences among
them (C.2.2.2.6), is matched in Python on the item's stored attributes. ``search``
yields the stored attributes of each matching item, by scheduled start. Every key is
matched, none left unsupported, so each match is answered 0xFF00, never 0xFF01.

An item without a value for a key matches it only by universal or empty value matching
(K.2.2.1.1.1: an unknown value fails to match any value). A date and a time key are each
matched on their own: combined date-time matching is an Extended Negotiation (C.5.1.1)
the archive does not accept, so a Start Date range with a Start Time range selects the
steps within both, day by day. (DCMTK's wlmscpfs matches such a pair as one range.)
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, replace
from typing import Any

from pydicom.dataset import Dataset
from sqlalchemy import Connection, Select, and_, or_, select

from fastdimse.archive.levels import Column as ColumnSpec
from fastdimse.archive.matching import (
    Condition,
    MatchError,
    MatchKind,
    conditions_of,
    matches,
    to_sql,
)
from fastdimse.archive.query import QueryError, check_lengths
from fastdimse.archive.records import decode_attributes
from fastdimse.archive.worklist_tables import ITEM_COLUMNS, ORDER, STEP_COLUMNS, WORKLIST

__all__ = ["WorklistQuery", "plan", "search", "statement_of"]

_STEPS = 0x00400100  # Scheduled Procedure Step Sequence
# Rows fetched at a time while matches are answered.
_BATCH = 500


@dataclass(frozen=True)
class WorklistQuery:
    """What an identifier asks of the worklist table."""

    # The request's identifier: its elements are the keys each response returns.
    identifier: Dataset
    # SQL tests on the columns (each also passes a row with several values in a column).
    where: tuple[Any, ...]
    # The column conditions, by column: matched again in Python on such rows.
    rechecked: tuple[tuple[str, Condition], ...]
    # The conditions matched in Python on the stored attributes.
    python: tuple[Condition, ...]


def plan(identifier: Dataset) -> WorklistQuery:
    """The query of ``identifier``; ``QueryError`` (0xA900) when a key has no meaning
    in C.2.2.2 (a sequence key of several Items, a wild card a VR cannot hold, an invalid
    date or range) or a value is longer than its VR allows."""
    try:
        conditions = conditions_of(identifier)
    except MatchError as error:
        raise QueryError(str(error)) from None
    check_lengths(conditions)
    where: list[Any] = []
    rechecked: list[tuple[str, Condition]] = []
    python: list[Condition] = []
    for condition in conditions:
        if condition.kind is MatchKind.UNIVERSAL:
            continue
        if condition.tag == _STEPS and condition.kind is MatchKind.SEQUENCE:
            rest = [
                inner
                for inner in condition.items
                if inner.kind is not MatchKind.UNIVERSAL
                and not _on_column(inner, STEP_COLUMNS, where, rechecked)
            ]
            if rest:
                python.append(replace(condition, items=tuple(rest)))
        elif not _on_column(condition, ITEM_COLUMNS, where, rechecked):
            python.append(condition)
    return WorklistQuery(identifier, tuple(where), tuple(rechecked), tuple(python))


def search(connection: Connection, query: WorklistQuery) -> Generator[bytes, None, None]:
    """The stored attributes of each item that matches, by scheduled start."""
    statement = statement_of(query).execution_options(yield_per=_BATCH)
    # Rows as the database makes them (a server-side cursor on PostgreSQL): the first
    # response goes at once. Closed when the search is, even half way (a C-CANCEL).
    with connection.execute(statement) as rows:
        for attributes, several, *values in rows:
            if several and not all(
                matches(condition, _split(value))
                for (_, condition), value in zip(query.rechecked, values, strict=True)
            ):
                continue
            if query.python and not _matches_stored(query.python, decode_attributes(attributes)):
                continue
            yield attributes


def statement_of(query: WorklistQuery) -> Select[Any]:
    """The SELECT of the rows that pass the SQL tests: their attributes, whether a
    column holds several values, and the values of the columns to match again."""
    columns = [WORKLIST.c.attributes, WORKLIST.c.several]
    columns += [WORKLIST.c[name] for name, _ in query.rechecked]
    statement = select(*columns).order_by(*ORDER)
    return statement.where(and_(*query.where)) if query.where else statement


def _on_column(
    condition: Condition,
    specs: tuple[ColumnSpec, ...],
    where: list[Any],
    rechecked: list[tuple[str, Condition]],
) -> bool:
    """Add the SQL test of ``condition`` if one of ``specs`` is its column; whether so."""
    spec = next((spec for spec in specs if spec.keyword == condition.keyword), None)
    if spec is None:
        return False
    name = spec.folded_name if spec.folded else spec.name
    test = to_sql(condition, WORKLIST.c[name], folded=spec.folded)
    if test is None:
        return False
    where.append(or_(test, WORKLIST.c.several))
    rechecked.append((spec.name, condition))
    return True


def _split(value: str | None) -> list[str] | None:
    """A column's values (the stored form joins several with backslashes)."""
    return None if value is None else value.split("\\")


def _matches_stored(conditions: tuple[Condition, ...], stored: Dataset) -> bool:
    for condition in conditions:
        element = stored.get(condition.tag)
        if not matches(condition, element.value if element is not None else None):
            return False
    return True
