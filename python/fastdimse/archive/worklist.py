"""The worklist: Modality Worklist items kept in the archive's database (PS3.4 K.6.1).

Items come from the API (pydicom Datasets) or from files such as DCMTK's ``wlmscpfs``
serves (``*.wl``: one item's data set, with or without a preamble and File Meta
Information). Each is one Scheduled Procedure Step: its Scheduled Procedure Step
Sequence holds exactly one Item (PS3.4 K.6.1.2.1: each worklist item focuses on one
step), with a Scheduled Procedure Step ID.

Which item is which: its ``WorklistKey``, the Accession Number of its Imaging Service
Request, the Requested Procedure ID and the Scheduled Procedure Step ID, the identifiers
of the three entities of PS3.3's model of which the step is the last (a step is
identified within its requested procedure, which is identified within its request).
Adding an item with a known key replaces it; re-importing a file updates what it holds
(an item the file no longer holds is forgotten).

C-FIND over the worklist: ``worklist_query`` (matching) and ``worklist_responses``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydicom import dcmread
from pydicom.datadict import tag_for_keyword
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from sqlalchemy import Connection, delete, or_, select

from fastdimse._sop_class_table import BASIC_WORKLIST_CLASSES
from fastdimse.archive.index import Index
from fastdimse.archive.levels import Column as ColumnSpec
from fastdimse.archive.matching import fold, stored_form
from fastdimse.archive.records import decode_attributes, encode_attributes
from fastdimse.archive.worklist_tables import ITEM_COLUMNS, ORDER, STEP_COLUMNS, WORKLIST

__all__ = ["MODALITY_WORKLIST_FIND", "Worklist", "WorklistKey", "scheduled_step"]

LOGGER = logging.getLogger("fastdimse.archive")

MODALITY_WORKLIST_FIND = str(BASIC_WORKLIST_CLASSES["ModalityWorklistInformationFind"])

# The file names wlmscpfs serves from a worklist directory.
WORKLIST_SUFFIX = ".wl"


@dataclass(frozen=True)
class WorklistKey:
    """Which worklist item an item is (see the module)."""

    accession_number: str
    requested_procedure_id: str
    scheduled_procedure_step_id: str

    @classmethod
    def of(cls, item: Dataset) -> WorklistKey:
        """The key of ``item``; ``ValueError`` when it is no worklist item (see
        ``scheduled_step``) or its step has no Scheduled Procedure Step ID."""
        step = scheduled_step(item)
        key = cls(
            _value_text(item, "AccessionNumber"),
            _value_text(item, "RequestedProcedureID"),
            _value_text(step, "ScheduledProcedureStepID"),
        )
        if not key.scheduled_procedure_step_id:
            raise ValueError("the item's scheduled step has no Scheduled Procedure Step ID")
        return key

    def __str__(self) -> str:
        # A backslash separates values, so none of the three (SH) can hold one.
        return "\\".join(
            (self.accession_number, self.requested_procedure_id, self.scheduled_procedure_step_id)
        )


def scheduled_step(item: Dataset) -> Dataset:
    """The one Item of ``item``'s Scheduled Procedure Step Sequence; ``ValueError``
    when the sequence is absent or holds another number of Items."""
    steps = item.get("ScheduledProcedureStepSequence")
    if steps is None or len(steps) != 1:
        count = 0 if steps is None else len(steps)
        raise ValueError(
            f"a worklist item's Scheduled Procedure Step Sequence holds one Item, not {count}"
        )
    step: Dataset = steps[0]
    return step


class Worklist:
    """The worklist items in ``index``'s database. Thread-safe."""

    def __init__(self, index: Index) -> None:
        self.index = index
        # A read-then-write transaction must not meet another half way.
        self._writing = threading.Lock()

    def add(self, item: Dataset) -> WorklistKey:
        """Add ``item``, or replace the item of its key; its key. ``ValueError`` when it
        is no worklist item (``WorklistKey.of``) or cannot be encoded."""
        row = _row(item, None)
        with self._writing, self.index.engine.begin() as connection:
            _put(connection, row)
        return row.key

    def remove(self, item: WorklistKey | Dataset) -> bool:
        """Forget the item of a key (or of the item's key); whether it was there."""
        key = item if isinstance(item, WorklistKey) else WorklistKey.of(item)
        with self._writing, self.index.engine.begin() as connection:
            done = connection.execute(delete(WORKLIST).where(WORKLIST.c.item_key == str(key)))
        return bool(done.rowcount)

    def clear(self) -> int:
        """Forget every item; how many."""
        with self._writing, self.index.engine.begin() as connection:
            return int(connection.execute(delete(WORKLIST)).rowcount)

    def items(self) -> list[Dataset]:
        """Every item, by scheduled start."""
        statement = select(WORKLIST.c.attributes).order_by(*ORDER)
        with self.index.connect() as connection:
            return [decode_attributes(row[0]) for row in connection.execute(statement)]

    def import_files(
        self, paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *, prune: bool
    ) -> int:
        """Add the item of each file in ``paths`` (a directory: its ``*.wl`` files, as
        wlmscpfs reads them, and those of its subdirectories); how many. A file that
        is no worklist item is skipped, and logged. ``prune``: forget the items imported
        earlier from files under ``paths`` that are gone or hold no item now."""
        given = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
        tops = [os.path.abspath(path) for path in given]
        rows: list[_Row] = []
        for path in _worklist_files(tops):
            try:
                rows.append(_row(dcmread(path, force=True), path))
            except Exception as error:  # any file that cannot be read is skipped, not fatal
                LOGGER.warning("Not a worklist item: %s (%s)", path, error)
        with self._writing, self.index.engine.begin() as connection:
            for row in rows:
                _put(connection, row)
            if prune:
                _prune(connection, tops, {row.source for row in rows if row.source})
        return len(rows)


@dataclass(frozen=True)
class _Row:
    key: WorklistKey
    source: str | None
    values: dict[str, Any]


def _row(item: Dataset, source: str | None) -> _Row:
    """The table's row of ``item`` (imported from the file ``source``)."""
    key = WorklistKey.of(item)
    values: dict[str, Any] = {"item_key": str(key), "source": source}
    several = False
    for owner, specs in ((item, ITEM_COLUMNS), (scheduled_step(item), STEP_COLUMNS)):
        for spec in specs:
            text = _column_value(owner, spec)
            several = several or (text is not None and "\\" in text)
            values[spec.name] = text
            if spec.folded:
                values[spec.folded_name] = fold(text) if text is not None else None
    values["several"] = several
    try:
        values["attributes"] = encode_attributes(item)
    except ValueError as error:
        raise ValueError(f"the item cannot be encoded: {error}") from None
    return _Row(key, source, values)


def _put(connection: Connection, row: _Row) -> None:
    """Insert the row, or update the row of its key."""
    if row.source is not None:
        # The file held another item before: that item is no longer in it.
        connection.execute(
            delete(WORKLIST).where(
                WORKLIST.c.source == row.source, WORKLIST.c.item_key != str(row.key)
            )
        )
    found = connection.execute(
        select(WORKLIST.c.pk, WORKLIST.c.source).where(WORKLIST.c.item_key == str(row.key))
    ).first()
    if found is None:
        connection.execute(WORKLIST.insert().values(row.values))
        return
    if found.source is not None and row.source is not None and found.source != row.source:
        LOGGER.warning(
            "%s holds the worklist item %s, as %s did: the item is now the former's",
            row.source,
            row.key,
            found.source,
        )
    connection.execute(WORKLIST.update().where(WORKLIST.c.pk == found.pk).values(row.values))


def _prune(connection: Connection, tops: list[str], kept: set[str]) -> None:
    """Forget the items imported from files under ``tops`` other than ``kept``."""
    under = [
        WORKLIST.c.source.startswith(top.rstrip(os.sep) + os.sep, autoescape=True) for top in tops
    ]
    found = connection.execute(
        select(WORKLIST.c.pk, WORKLIST.c.source).where(or_(WORKLIST.c.source.in_(tops), *under))
    )
    gone = [row.pk for row in found if row.source not in kept]
    if gone:
        LOGGER.info("Forgetting %d worklist items whose files are gone", len(gone))
        connection.execute(delete(WORKLIST).where(WORKLIST.c.pk.in_(gone)))


def _worklist_files(tops: list[str]) -> Iterator[str]:
    for top in tops:
        if not os.path.isdir(top):
            yield top
            continue
        for folder, dirs, names in os.walk(top):
            dirs.sort()
            for name in sorted(names):
                if name.lower().endswith(WORKLIST_SUFFIX) and not name.startswith("."):
                    yield os.path.join(folder, name)


def _column_value(owner: Dataset, spec: ColumnSpec) -> str | None:
    element = _element(owner, spec.keyword)
    return stored_form(spec.vr, element.value) if element is not None else None


def _value_text(owner: Dataset, keyword: str) -> str:
    element = _element(owner, keyword)
    return (stored_form("SH", element.value) or "") if element is not None else ""


def _element(owner: Dataset, keyword: str) -> DataElement | None:
    # By tag: pydicom's get() of a keyword gives the value, not the element.
    tag = tag_for_keyword(keyword)
    element: DataElement | None = owner.get(tag) if tag is not None else None
    return element
