"""The index's tables (SQLAlchemy Core), built from the level model.

One table per level (patient, study, series, instance), each row pointing to
its parent. A row keeps the columns of ``levels.COLUMNS`` (in the matching
module's stored form, indexed: a query on a large archive never scans) and the
level's own attributes as encoded DICOM (``attributes``), from which responses
take the keys that have no column and against which those keys are matched.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from fastdimse.archive.levels import COLUMNS, Level
from fastdimse.archive.levels import Column as ColumnSpec
from fastdimse.archive.matching import WILDCARD_VRS

__all__ = [
    "ARCHIVE",
    "METADATA",
    "SCHEMA_VERSION",
    "TABLES",
    "matching_columns",
    "parent_key",
    "unique_column",
]

# Stored in the ``archive`` table; an index of another version is rebuilt, not read.
SCHEMA_VERSION = 1

METADATA = MetaData()


def parent_key(level: Level) -> str:
    """The column of a level's table that holds its parent's row id."""
    return f"{Level(level - 1).table}_pk"


def unique_column(level: Level) -> str:
    """The column of a level's unique key."""
    return next(c.name for c in COLUMNS[level] if c.keyword == level.unique_key)


def matching_columns(
    table: str, specs: Iterable[ColumnSpec], *, unique: str | None = None
) -> tuple[list[Column[Any]], list[Index]]:
    """The indexed columns of ``specs`` in ``table`` (a PN's folded copy too), and their
    indexes; the column named ``unique`` holds distinct values. A column whose VR takes
    wild cards gets PostgreSQL's pattern operator class too, so that a key with a literal
    prefix ("SMITH*") uses an index (equality uses the plain one)."""
    columns: list[Column[Any]] = []
    indexes: list[Index] = []
    for spec in specs:
        for name in [spec.name, spec.folded_name] if spec.folded else [spec.name]:
            columns.append(Column(name, String(256)))
            indexes.append(Index(f"ix_{table}_{name}", name, unique=name == unique))
            if spec.vr in WILDCARD_VRS:
                ops = {name: "text_pattern_ops"}
                pattern = Index(f"ixp_{table}_{name}", name, postgresql_ops=ops)
                indexes.append(pattern.ddl_if(dialect="postgresql"))
    return columns, indexes


def _table(level: Level, *extra: Column[Any]) -> Table:
    columns: list[Column[Any]] = [Column("pk", Integer, primary_key=True, autoincrement=True)]
    indexes: list[Index] = []
    if level is not Level.PATIENT:
        parent = Level(level - 1)
        columns.append(Column(parent_key(level), ForeignKey(f"{parent.table}.pk"), nullable=False))
        indexes.append(Index(f"ix_{level.table}_parent", parent_key(level)))
    # A UID names one entity; a Patient ID only with its issuer (patient_key).
    unique = None if level is Level.PATIENT else unique_column(level)
    matched, matched_indexes = matching_columns(level.table, COLUMNS[level], unique=unique)
    columns += matched
    indexes += matched_indexes
    columns.append(Column("attributes", LargeBinary, nullable=False))
    return Table(level.table, METADATA, *columns, *extra, *indexes)


TABLES: dict[Level, Table] = {
    Level.PATIENT: _table(
        Level.PATIENT,
        # Patient ID and its issuer, joined: who the patient is (an empty ID is a patient too).
        Column("patient_key", String(256), nullable=False, unique=True),
    ),
    Level.STUDY: _table(Level.STUDY),
    Level.SERIES: _table(Level.SERIES),
    Level.IMAGE: _table(
        Level.IMAGE,
        Column("path", Text, nullable=False),
        Column("transfer_syntax_uid", String(64), nullable=False),
        Column("size", BigInteger, nullable=False),
    ),
}

ARCHIVE = Table(
    "archive",
    METADATA,
    Column("name", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
)
