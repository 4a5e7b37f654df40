"""The archive's index: an SQL database of what the store directory holds.

SQLite by default (a file beside the store, no server), PostgreSQL when given
its URL. Writing: one transaction per instance (or per batch when re-indexing)
that upserts the instance's four level rows; it is committed before the C-STORE
is answered. Reading: ``connect()`` for the query module.

Durability: SQLite runs in WAL mode. With ``durable=False`` (synchronous=NORMAL)
a committed instance survives the process being killed, not a power loss;
``durable=True`` (synchronous=FULL) survives both, as PostgreSQL does with its
defaults (fsync on, synchronous_commit on).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    create_engine,
    delete,
    event,
    exists,
    select,
    true,
)
from sqlalchemy.engine import make_url

import fastdimse.archive.commitment_ledger
import fastdimse.archive.mpps_store  # noqa: F401  (its table, created with the others)
from fastdimse.archive.levels import Level
from fastdimse.archive.records import LevelRecord, patient_key
from fastdimse.archive.schema import (
    ARCHIVE,
    METADATA,
    SCHEMA_VERSION,
    TABLES,
    parent_key,
    unique_column,
)
from fastdimse.archive.worklist_tables import WORKLIST  # noqa: F401  (its table, for create_all)

__all__ = ["Index", "IndexedInstance", "database_url"]

LOGGER = logging.getLogger("fastdimse.archive")

_SQLITE_BUSY_MS = 60_000


@dataclass(frozen=True)
class IndexedInstance:
    """What an instance's row says about its file."""

    sop_instance_uid: str
    sop_class_uid: str
    transfer_syntax_uid: str
    path: Path


def database_url(database: str | os.PathLike[str]) -> str:
    """A SQLAlchemy URL for ``database``: a URL as it is (``postgresql://`` gets the
    psycopg 3 driver), anything else the path of an SQLite file."""
    text = os.fspath(database)
    if "://" not in text:
        return f"sqlite:///{os.path.abspath(text)}"
    url = make_url(text)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


class Index:
    """The index of the instances under ``root`` (paths inside it are kept relative)."""

    def __init__(
        self, database: str | os.PathLike[str], root: str | os.PathLike[str], *, durable: bool
    ) -> None:
        self.url = database_url(database)
        self.root = Path(os.path.abspath(root))
        self.durable = durable
        self.engine = _engine(self.url, durable)
        self.dialect = self.engine.dialect.name
        # Writers take turns in this process: SQLite has one writer anyway, and a
        # read-then-upsert transaction must not meet another half way.
        self._writing = threading.Lock()
        METADATA.create_all(self.engine)
        self._check_version()

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reading (its transaction rolled back at the end)."""
        with self.engine.connect() as connection:
            yield connection

    def add(
        self, records: dict[Level, LevelRecord], path: str | os.PathLike[str], syntax: str
    ) -> None:
        """Index one stored instance (its rows, ``records.py``); committed when this returns.

        Raises SQLAlchemy's errors when the database fails."""
        self.add_many([(records, path, syntax)])

    def add_many(
        self, instances: Iterable[tuple[dict[Level, LevelRecord], str | os.PathLike[str], str]]
    ) -> int:
        """Index several instances in one transaction; how many."""
        rows = [(records, self._relative(p), str(ts), _size(p)) for records, p, ts in instances]
        with self._writing, self.engine.begin() as connection:
            for records, relative, syntax, size in rows:
                self._upsert_instance(connection, records, relative, syntax, size)
        return len(rows)

    def remove(self, sop_instance_uid: str) -> bool:
        """Forget an instance (and the series, study, patient left empty); whether it was known."""
        instance = TABLES[Level.IMAGE]
        with self._writing, self.engine.begin() as connection:
            row = connection.execute(
                select(instance.c.pk, instance.c.series_pk).where(
                    instance.c.sop_instance_uid == sop_instance_uid
                )
            ).first()
            if row is None:
                return False
            connection.execute(delete(instance).where(instance.c.pk == row.pk))
            _drop_if_empty(connection, Level.SERIES, row.series_pk)
        return True

    def path_of(self, stored: str) -> Path:
        """The file of a row's ``path`` (relative to the root unless absolute)."""
        return self.root / stored

    def all_instances(self) -> list[IndexedInstance]:
        """Every instance the index knows."""
        with self.connect() as connection:
            return self.instances(connection, true())

    def instances(self, connection: Connection, where: Any) -> list[IndexedInstance]:
        """The instances of the rows ``where`` selects (a query module's clause)."""
        instance = TABLES[Level.IMAGE]
        rows = connection.execute(
            select(
                instance.c.sop_instance_uid,
                instance.c.sop_class_uid,
                instance.c.transfer_syntax_uid,
                instance.c.path,
            ).where(where)
        )
        return [IndexedInstance(r[0] or "", r[1] or "", r[2], self.path_of(r[3])) for r in rows]

    # -- writing -----------------------------------------------------------------

    def _upsert_instance(
        self,
        connection: Connection,
        records: dict[Level, LevelRecord],
        path: str,
        syntax: str,
        size: int,
    ) -> None:
        parent: int | None = None
        for level in Level:
            values: dict[str, Any] = {**records[level].columns}
            values["attributes"] = records[level].attributes
            if level is Level.PATIENT:
                values["patient_key"] = patient_key(
                    values["patient_id"], values["issuer_of_patient_id"]
                )
            else:
                values[parent_key(level)] = parent
            if level is Level.IMAGE:
                values.update(path=path, transfer_syntax_uid=syntax, size=size)
            parent = self._upsert(connection, level, values)

    def _upsert(self, connection: Connection, level: Level, values: dict[str, Any]) -> int:
        """Insert or update the level's row; its pk. A row whose attributes and parent
        are what they were is left alone (the instances of one series share their
        patient, study and series rows). A row that moves to another parent (a study
        re-filed under another patient) leaves the old parent dropped if empty."""
        statements = _STATEMENTS[level]
        key = "patient_key" if level is Level.PATIENT else unique_column(level)
        found = connection.execute(statements.find, {"key": values[key]}).first()
        if found is None:
            pk = connection.execute(statements.insert, values).inserted_primary_key
            if pk is None:
                raise RuntimeError(f"no primary key for the new {level.table} row")
            return int(pk[0])
        row_pk, old_parent, old_attributes = found
        moved = level is not Level.PATIENT and old_parent != values[parent_key(level)]
        if moved or level is Level.IMAGE or old_attributes != values["attributes"]:
            connection.execute(statements.update, {**values, "row_pk": row_pk})
        if moved:
            _drop_if_empty(connection, Level(level - 1), old_parent)
        return int(row_pk)

    def _relative(self, path: str | os.PathLike[str]) -> str:
        absolute = Path(os.path.abspath(path))
        try:
            return str(absolute.relative_to(self.root))
        except ValueError:
            return str(absolute)

    def _check_version(self) -> None:
        with self.engine.begin() as connection:
            row = connection.execute(
                select(ARCHIVE.c.value).where(ARCHIVE.c.name == "schema_version")
            ).first()
            if row is None:
                connection.execute(
                    ARCHIVE.insert().values(name="schema_version", value=str(SCHEMA_VERSION))
                )
            elif row[0] != str(SCHEMA_VERSION):
                raise ValueError(
                    f"the index at {self.url} has schema version {row[0]}, this fastdimse "
                    f"reads version {SCHEMA_VERSION}: re-index into a new database"
                )


def _engine(url: str, durable: bool) -> Engine:
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        synchronous = "FULL" if durable else "NORMAL"

        @event.listens_for(engine, "connect")
        def _configure(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute(f"PRAGMA synchronous = {synchronous}")
            cursor.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_MS}")
            # LIKE matches case-sensitively, as DICOM's wildcard matching does
            # (PN is matched on a folded column instead).
            cursor.execute("PRAGMA case_sensitive_like = ON")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()

    return engine


@dataclass(frozen=True)
class _Statements:
    """A level's writing statements, built once (SQLAlchemy compiles each once too)."""

    find: Any  # pk, parent pk (the pk again for a patient), attributes; by the row's key
    insert: Any
    update: Any  # by "row_pk"; sets the columns the parameters name


def _statements(level: Level) -> _Statements:
    table = TABLES[level]
    key = table.c["patient_key" if level is Level.PATIENT else unique_column(level)]
    parent = table.c.pk if level is Level.PATIENT else table.c[parent_key(level)]
    return _Statements(
        find=select(table.c.pk, parent, table.c.attributes).where(key == bindparam("key")),
        insert=table.insert(),
        update=table.update().where(table.c.pk == bindparam("row_pk")),
    )


_STATEMENTS = {level: _statements(level) for level in Level}


def _drop_if_empty(connection: Connection, level: Level, pk: int) -> None:
    """Delete the row ``pk`` of ``level`` if no row of the level below points to it,
    and then its parent likewise."""
    while True:
        child = TABLES[Level(level + 1)]
        used = connection.execute(
            select(exists().where(child.c[parent_key(Level(level + 1))] == pk))
        ).scalar()
        if used:
            return
        table = TABLES[level]
        parent = None
        if level is not Level.PATIENT:
            parent = connection.execute(
                select(table.c[parent_key(level)]).where(table.c.pk == pk)
            ).scalar()
        connection.execute(delete(table).where(table.c.pk == pk))
        if parent is None:
            return
        level, pk = Level(level - 1), parent


def _size(path: str | os.PathLike[str]) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
