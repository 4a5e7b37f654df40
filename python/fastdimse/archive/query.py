"""A C-FIND, C-GET or C-MOVE identifier as a query of the index (PS3.4 C.4).

``plan`` checks the identifier against its model and level and turns its keys
into matching conditions; ``matches`` yields one row per entity at the query
level that matches them (SQL where a key has a column, Python on the stored
attributes where not); ``instances`` gives the files below the matched entities.
Responses are built from the rows by the ``responses`` module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydicom.dataset import Dataset
from pydicom.valuerep import MAX_VALUE_LEN
from sqlalchemy import Connection, Select, String, and_, exists, func, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from fastdimse.archive.index import Index, IndexedInstance
from fastdimse.archive.levels import COLUMNS, COUNTS, Column, Level, Model, level_of
from fastdimse.archive.matching import Condition, MatchError, MatchKind, conditions_of, to_sql
from fastdimse.archive.matching import matches as match
from fastdimse.archive.records import decode_attributes
from fastdimse.archive.schema import TABLES, parent_key

__all__ = ["Plan", "QueryError", "Row", "check_lengths", "instances", "matches", "plan"]

IDENTIFIER_DOES_NOT_MATCH = 0xA900  # PS3.4 C.4.1.1.4: Identifier does not match SOP Class
_UNABLE_TO_PROCESS = 0xC000  # PS3.4 C.4.1.1.4: Unable to process (C000-CFFF)


class QueryError(ValueError):
    """The identifier cannot be answered; ``status`` is the failure to send."""

    def __init__(self, message: str, status: int = IDENTIFIER_DOES_NOT_MATCH) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Plan:
    """What an identifier asks of the index."""

    model: Model
    level: Level
    # Each condition with the level of the table that holds its attribute.
    conditions: tuple[tuple[Level, Condition], ...]
    # The levels whose stored attributes a response or a Python match needs.
    needs: frozenset[Level] = field(default_factory=frozenset)
    # The keywords of the identifier's elements (the computed ones are return keys only).
    requested: frozenset[str] = field(default_factory=frozenset)


@dataclass
class Row:
    """One matching entity: its pk, the stored attributes of the levels it needed
    (encoded; ``attributes`` decodes them on demand), and its computed attributes."""

    pk: int
    stored: dict[Level, bytes]
    counts: dict[str, Any]
    _decoded: dict[Level, Dataset] = field(default_factory=dict)

    def attributes(self, level: Level) -> Dataset | None:
        """A level's stored attributes, decoded (None when not selected)."""
        found = self._decoded.get(level)
        if found is None and level in self.stored:
            found = self._decoded[level] = decode_attributes(self.stored[level])
        return found


def plan(identifier: Dataset, model: Model, *, relational: bool = False) -> Plan:
    """The plan of ``identifier`` under ``model``; ``QueryError`` when it cannot be
    answered: no or an unknown Query/Retrieve Level, a level outside the model, or
    (in a hierarchical query) a key below the query level (PS3.4 C.4.1.2.2)."""
    level = Level.named(str(identifier.get("QueryRetrieveLevel", "") or ""))
    if level is None:
        raise QueryError("the identifier has no valid Query/Retrieve Level (0008,0052)")
    if not model.allows(level):
        raise QueryError(f"the {model.name} model has no {level.name} level")
    try:
        conditions = conditions_of(identifier)
    except MatchError as error:
        raise QueryError(str(error)) from None
    check_lengths(conditions)
    placed: list[tuple[Level, Condition]] = []
    needs: set[Level] = set()
    for condition in conditions:
        keyword = condition.keyword
        at = COUNTS.get(keyword) or (level_of(keyword) if keyword else Level.IMAGE)
        if model.level_of(keyword) > level and not relational and keyword:
            raise QueryError(
                f"{keyword} is a key of the {model.level_of(keyword).name} level, below the "
                f"query level {level.name}, in a hierarchical query"
            )
        placed.append((at, condition))
        if keyword not in COUNTS and at <= level:
            needs.add(at)
    # The unique keys of the levels down to the query level are always returned.
    needs.update(lv for lv in Level if model.top <= lv <= level)
    requested = frozenset(e.keyword for e in identifier if e.keyword)
    return Plan(model, level, tuple(placed), frozenset(needs), requested)


def matches(index: Index, connection: Connection, query: Plan) -> Iterator[Row]:
    """The entities at the query level that match, one row each."""
    statement, python = _select(query)
    # Rows as the database makes them (a server-side cursor on PostgreSQL, whose client
    # would otherwise fetch all of them first): the first response goes at once.
    # Closed with the generator: a C-FIND cancelled half way leaves no cursor open.
    with connection.execute(statement.execution_options(yield_per=_BATCH)) as results:
        for result in results:
            found = result._mapping
            stored = {level: found[f"a{int(level)}"] for level in query.needs}
            counts = {k: found[k] for k in COUNTS if k in found}
            row = Row(found["pk"], stored, counts)
            if all(_matches_python(level, c, row) for level, c in python):
                yield row


def instances(index: Index, connection: Connection, query: Plan) -> list[IndexedInstance]:
    """The instances below the entities that match (a retrieve's sub-operations)."""
    pks = [row.pk for row in matches(index, connection, query)]
    if not pks:
        return []
    return index.instances(connection, _below(query.level, pks))


def check_lengths(conditions: list[Condition] | tuple[Condition, ...]) -> None:
    """A key value longer than its VR allows (PS3.5 6.2) names nothing an archive holds:
    the identifier is refused before it reaches the database (a 64 KiB wild card would
    otherwise be an expensive pattern, or one the database refuses)."""
    for condition in conditions:
        limit = _MAX_LENGTHS.get(condition.vr)
        if limit is not None and any(len(value) > limit for value in condition.values):
            raise QueryError(f"a value of {condition.keyword or condition.tag} is too long")
        check_lengths(condition.items)


# PS3.5 Table 6.2-1: the longest values of the VRs a key is usually given in (PN: 64
# characters for each of its three component groups, and two delimiters).
_MAX_LENGTHS = {**MAX_VALUE_LEN, "PN": 3 * 64 + 2, "DA": 18, "TM": 28, "DT": 54}


# Rows fetched at a time while matches are answered.
_BATCH = 500


# -- the SQL -------------------------------------------------------------------------


def _select(query: Plan) -> tuple[Select[Any], list[tuple[Level, Condition]]]:
    """The SELECT of the query level's rows (joined to every level above) and the
    conditions left to match in Python."""
    level = query.level
    tables = {lv: TABLES[lv] for lv in Level if lv <= level}
    columns: list[Any] = [tables[level].c.pk.label("pk")]
    for needed in sorted(query.needs):
        columns.append(tables[needed].c.attributes.label(f"a{int(needed)}"))
    joined: Any = tables[level]
    for upper in range(level - 1, -1, -1):
        child, parent = Level(upper + 1), Level(upper)
        joined = joined.join(
            tables[parent], tables[child].c[parent_key(child)] == tables[parent].c.pk
        )
    where: list[Any] = []
    python: list[tuple[Level, Condition]] = []
    for at, condition in query.conditions:
        if condition.kind is MatchKind.UNIVERSAL:
            continue
        if condition.keyword in COUNTS:
            clause = _count_condition(condition, tables[level], level)
        elif at > level:
            clause = _below_condition(at, condition, tables[level], level)
            if clause is None:
                raise QueryError(
                    f"{condition.keyword} below the query level can be matched only by a "
                    "key the index keeps a column of",
                    _UNABLE_TO_PROCESS,
                )
        else:
            clause = _column_condition(at, condition, tables[at])
        if clause is None:
            python.append((at, condition))
        else:
            where.append(clause)
    for keyword, owner in COUNTS.items():
        if owner is level and _requested(query, keyword):
            columns.append(_count(keyword, tables[level], level).label(keyword))
    statement = select(*columns).select_from(joined)
    if where:
        statement = statement.where(and_(*where))
    return statement, python


def _column_condition(at: Level, condition: Condition, table: Any) -> Any:
    column = _column_of(at, condition.keyword)
    if column is None:
        return None
    if column.folded:
        return to_sql(condition, table.c[column.folded_name], folded=True)
    return to_sql(condition, table.c[column.name])


def _below_condition(at: Level, condition: Condition, table: Any, level: Level) -> Any:
    """(Relational) an entity matches when some entity below it at ``at`` does."""
    inner = _column_condition(at, condition, TABLES[at])
    if inner is None:
        return None
    return exists(_descendants(at, table, level).where(inner))


def _descendants(at: Level, table: Any, level: Level) -> Select[Any]:
    """SELECT 1 from the rows at ``at`` below the row of ``table`` (at ``level``)."""
    current = TABLES[at]
    statement = select(1).select_from(current)
    lv = at
    while lv - 1 > level:
        parent = TABLES[Level(lv - 1)]
        statement = statement.join(parent, current.c[parent_key(lv)] == parent.c.pk)
        current, lv = parent, Level(lv - 1)
    return statement.where(current.c[parent_key(lv)] == table.c.pk)


def _count(keyword: str, table: Any, level: Level) -> Any:
    """The computed attribute ``keyword`` of the row of ``table`` (PS3.4 C.6.1.1)."""
    if keyword == "ModalitiesInStudy":
        return _distinct_values(TABLES[Level.SERIES].c.modality, Level.SERIES, table, level)
    if keyword == "SOPClassesInStudy":
        return _distinct_values(TABLES[Level.IMAGE].c.sop_class_uid, Level.IMAGE, table, level)
    counted = keyword.removeprefix(f"Number{_RELATED[level]}Related")
    at = _COUNTED[counted]
    return _descendants(at, table, level).with_only_columns(func.count()).scalar_subquery()


_RELATED = {Level.PATIENT: "OfPatient", Level.STUDY: "OfStudy", Level.SERIES: "OfSeries"}
_COUNTED = {"Studies": Level.STUDY, "Series": Level.SERIES, "Instances": Level.IMAGE}


def _distinct_values(column: Any, at: Level, table: Any, level: Level) -> Any:
    """The distinct values of ``column`` below the row, comma-separated (CS and UI
    values cannot hold a comma)."""
    return _descendants(at, table, level).with_only_columns(_DistinctList(column)).scalar_subquery()


class _DistinctList(FunctionElement[str]):
    """The distinct values of a column in a group, comma-separated, on either database
    (SQLite's group_concat takes no separator with DISTINCT)."""

    type = String()
    inherit_cache = True


@compiles(_DistinctList, "sqlite")
def _distinct_list_sqlite(element: _DistinctList, compiler: Any, **kw: Any) -> str:
    return f"group_concat(DISTINCT {compiler.process(element.clauses, **kw)})"


@compiles(_DistinctList, "postgresql")
def _distinct_list_postgresql(element: _DistinctList, compiler: Any, **kw: Any) -> str:
    return f"string_agg(DISTINCT {compiler.process(element.clauses, **kw)}, ',')"


def _count_condition(condition: Condition, table: Any, level: Level) -> Any:
    """Modalities (SOP Classes) in Study match a study with a series (an instance) whose
    Modality (SOP Class UID) matches (PS3.4 C.6.1.1.3); outside the study level they
    are return keys only."""
    if level is not Level.STUDY:
        return true()
    if condition.keyword == "ModalitiesInStudy":
        at, column = Level.SERIES, TABLES[Level.SERIES].c.modality
    else:
        at, column = Level.IMAGE, TABLES[Level.IMAGE].c.sop_class_uid
    inner = to_sql(condition, column)
    if inner is None:
        return true()
    return exists(_descendants(at, table, level).where(inner))


def _below(level: Level, pks: list[int]) -> Any:
    """The instances whose ancestor at ``level`` is one of ``pks``."""
    instance = TABLES[Level.IMAGE]
    if level is Level.IMAGE:
        return instance.c.pk.in_(pks)
    statement = select(instance.c.pk)
    current, lv = instance, Level.IMAGE
    while lv - 1 > level:
        parent = TABLES[Level(lv - 1)]
        statement = statement.join(parent, current.c[parent_key(lv)] == parent.c.pk)
        current, lv = parent, Level(lv - 1)
    statement = statement.where(current.c[parent_key(lv)].in_(pks))
    return instance.c.pk.in_(statement)


def _column_of(level: Level, keyword: str) -> Column | None:
    return next((c for c in COLUMNS[level] if c.keyword == keyword), None)


def _requested(query: Plan, keyword: str) -> bool:
    return keyword in query.requested


def _matches_python(level: Level, condition: Condition, row: Row) -> bool:
    stored = row.attributes(level)
    element = stored.get(condition.tag) if stored is not None else None
    return match(condition, element.value if element is not None else None)
