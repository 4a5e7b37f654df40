"""The Archive: a store directory and its index, served over Query/Retrieve, and a
Modality Worklist in the same database.

    archive = Archive("instances")          # index in instances.sqlite beside it
    archive.import_worklist("worklist")     # the *.wl files DCMTK's wlmscpfs serves
    ae.start_server(("", 11112), evt_handlers=archive.handlers)

Each instance is indexed as it is stored, before its C-STORE is answered.
C-FIND answers once per matching entity at the query level (PS3.4 C.4.1.3), or once
per worklist item for the Modality Worklist model (PS3.4 K.6.1, ``worklist``);
C-GET and C-MOVE send the files below the matched entities, streamed from disk.
Modality Performed Procedure Steps are recorded in the same database
(``Archive.mpps``, ``mpps.py``).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

from pydicom.dataset import Dataset
from sqlalchemy import Connection

from fastdimse import evt
from fastdimse._files.scan import scan_bytes, scan_file
from fastdimse._files.store import (
    CANNOT_UNDERSTAND,
    DATA_SET_MISMATCH,
    OUT_OF_RESOURCES,
    SUCCESS,
    FileStore,
    StoreError,
)
from fastdimse.archive.index import Index
from fastdimse.archive.levels import Model, model_of
from fastdimse.archive.mpps import PerformedSteps
from fastdimse.archive.query import (
    IDENTIFIER_DOES_NOT_MATCH,
    QueryError,
    instances,
    matches,
    plan,
)
from fastdimse.archive.reading import read_records
from fastdimse.archive.responses import Responder
from fastdimse.archive.worklist import MODALITY_WORKLIST_FIND, Worklist, WorklistKey
from fastdimse.archive.worklist_query import plan as plan_worklist
from fastdimse.archive.worklist_query import search as search_worklist
from fastdimse.archive.worklist_responses import WorklistResponder
from fastdimse.errors import DataSetError
from fastdimse.status import Status

__all__ = ["Archive"]

LOGGER = logging.getLogger("fastdimse.archive")

UNABLE_TO_PROCESS = 0xC001  # PS3.4 C.4.1.1.4 (C000-CFFF): the index failed
# The byte of SOP Class Extended Negotiation that asks for relational queries
# and retrievals (PS3.4 C.5.1.1, C.5.2.1, C.5.3.1).
_RELATIONAL = 0

# What answers a C-FIND: the response identifiers, read through a connection.
_Search = Callable[[Connection], Generator[Any, None, None]]
_Query = TypeVar("_Query")
_Found = TypeVar("_Found")


class Archive:
    """A directory of stored instances and the index of them.

    ``database``: an SQLite file's path (default: ``<directory>.sqlite`` beside
    the directory, never inside it) or a database URL (``postgresql://...``).
    ``destinations``: the C-MOVE destinations, AE title -> (address, port).
    ``fsync``: make each instance and its index entry durable against power loss
    before it is acknowledged (they always are against the process being killed).
    Thread-safe: one Archive serves every association of a server.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        database: str | os.PathLike[str] | None = None,
        *,
        destinations: Mapping[str, tuple[str, int]] | None = None,
        fsync: bool = False,
    ) -> None:
        self.directory = Path(os.path.abspath(directory))
        if database is None:
            database = self.directory.with_name(self.directory.name + ".sqlite")
        self.destinations = dict(destinations or {})
        # Checked by the store handler itself: it reads each data set back to index it.
        self.files = FileStore(self.directory, fsync=fsync, validate=False)
        self.index = Index(database, self.directory, durable=fsync)
        self.store = _StoreHandler(self)
        self.worklist = Worklist(self.index)

    @property
    def handlers(self) -> list[tuple[Any, Any]]:
        """The event handlers to bind to an AE: C-STORE, C-FIND, C-GET, C-MOVE, and the
        SOP Class Extended Negotiation that accepts relational queries; then the
        Modality Performed Procedure Step SCP's N-CREATE, N-SET and N-GET."""
        return [
            (evt.EVT_C_STORE, self.store),
            (evt.EVT_C_FIND, self.find),
            (evt.EVT_C_GET, self.get),
            (evt.EVT_C_MOVE, self.move),
            (evt.EVT_SOP_EXTENDED, self.negotiate),
            # Modality Performed Procedure Step (PS3.4 F): EVT_N_CREATE, EVT_N_SET, EVT_N_GET.
            *self.mpps.handlers,
        ]

    @functools.cached_property
    def mpps(self) -> PerformedSteps:
        """The Modality Performed Procedure Steps recorded in the index's database."""
        return PerformedSteps(self.index.engine)

    def close(self) -> None:
        self.index.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the handlers ---------------------------------------------------------------

    def find(self, event: Any) -> Iterator[tuple[int, Any]]:
        """EVT_C_FIND: one pending response per matching entity (Query/Retrieve) or
        worklist item (Modality Worklist), then success."""
        search = self._search(event)
        if isinstance(search, int):
            yield search, None
            return
        try:
            with self.index.connect() as connection, closing(search(connection)) as responses:
                for response in responses:
                    if event.is_cancelled:
                        yield Status.CANCEL, None
                        return
                    yield Status.PENDING, response
        except Exception:
            LOGGER.exception("The index failed while answering a C-FIND")
            yield UNABLE_TO_PROCESS, None

    def get(self, event: Any) -> Iterator[Any]:
        """EVT_C_GET: the number of instances, then each instance's file."""
        found = self._instances(event)
        if isinstance(found, int):
            yield found, None
            return
        yield len(found)
        yield from _send(event, found)

    def move(self, event: Any) -> Iterator[Any]:
        """EVT_C_MOVE: the destination (with a presentation context for each kind of
        instance to send), the number of instances, then each instance's file."""
        destination = self.destinations.get(str(event.move_destination).strip())
        if destination is None:
            LOGGER.error("Unknown C-MOVE destination %r", event.move_destination)
            yield None, None
            return
        found = self._instances(event)
        if isinstance(found, int):
            yield found, None
            return
        yield destination[0], destination[1], {"contexts": _contexts(found)}
        yield len(found)
        yield from _send(event, found)

    def negotiate(self, event: Any) -> dict[str, bytes]:
        """EVT_SOP_EXTENDED: accept relational queries and retrievals, nothing else."""
        accepted = {}
        for uid, info in event.app_info.items():
            if model_of(uid) is not None and info:
                accepted[uid] = bytes([info[_RELATIONAL] & 1])
        return accepted

    # -- re-indexing ----------------------------------------------------------------

    def reindex(
        self, paths: Iterable[str | os.PathLike[str]] | None = None, *, batch: int = 500
    ) -> int:
        """Index the DICOM files under ``paths`` (default: the store directory), in
        place; files that are not DICOM are skipped (and logged). How many were indexed."""
        todo: list[tuple[Any, str, str]] = []
        count = 0
        for path in _files_under(paths if paths is not None else [self.directory]):
            try:
                records, syntax = read_records(path)
            except Exception as error:  # any file that cannot be read is skipped, not fatal
                LOGGER.warning("Not indexed: %s (%s)", path, error)
                continue
            todo.append((records, path, syntax))
            if len(todo) >= batch:
                count += self.index.add_many(todo)
                todo = []
        if todo:
            count += self.index.add_many(todo)
        return count

    def clear(self) -> tuple[int, int]:
        """Delete every indexed instance's file and forget it; (removed, failed to delete)."""
        removed = failed = 0
        for instance in self.index.all_instances():
            try:
                instance.path.unlink(missing_ok=True)
            except OSError as error:
                LOGGER.error("Unable to delete %s: %s", instance.path, error)
                failed += 1
                continue
            self.index.remove(instance.sop_instance_uid)
            removed += 1
        return removed, failed

    # -- the worklist ----------------------------------------------------------------

    def add_worklist_item(self, item: Dataset) -> WorklistKey:
        """Add a Modality Worklist item (a Scheduled Procedure Step and what it belongs
        to, PS3.4 K.6.1.2), or replace the item of its key; its key. ``ValueError`` when
        it is no worklist item (see ``worklist.WorklistKey.of``)."""
        return self.worklist.add(item)

    def remove_worklist_item(self, item: WorklistKey | Dataset) -> bool:
        """Forget the worklist item of a key (or of an item's key); whether it was there."""
        return self.worklist.remove(item)

    def import_worklist(
        self,
        paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        *,
        prune: bool = False,
    ) -> int:
        """Add the worklist item of each file in ``paths`` (a directory: its ``*.wl``
        files, as DCMTK's wlmscpfs reads them); how many. Files that are no worklist
        item are skipped (and logged). Re-importing a file updates its item. ``prune``:
        forget the items imported earlier from files under ``paths`` that are gone."""
        return self.worklist.import_files(paths, prune=prune)

    def worklist_items(self) -> list[Dataset]:
        """Every worklist item, by scheduled start."""
        return self.worklist.items()

    # -- helpers ---------------------------------------------------------------------

    def _search(self, event: Any) -> _Search | int:
        """What answers the event's C-FIND, or the status that refuses it."""
        if str(event.request.AffectedSOPClassUID) == MODALITY_WORKLIST_FIND:
            wanted = _planned(event, plan_worklist)
            if isinstance(wanted, int):
                return wanted
            worklist = WorklistResponder(wanted.identifier)
            return lambda connection: _answers(
                worklist.response, search_worklist(connection, wanted)
            )
        query = self._plan(event)
        if isinstance(query, int):
            return query
        responder = Responder(event.identifier, query, str(event.assoc.ae.ae_title))
        return lambda connection: _answers(
            responder.response, matches(self.index, connection, query)
        )

    def _plan(self, event: Any) -> Any:
        """The query of the event's identifier, or the status that refuses it."""
        uid = str(event.request.AffectedSOPClassUID)
        model: Model | None = model_of(uid)
        if model is None:
            LOGGER.error("The archive does not serve %s", uid)
            return UNABLE_TO_PROCESS
        return _planned(
            event, lambda identifier: plan(identifier, model, relational=_relational(event, uid))
        )

    def _instances(self, event: Any) -> Any:
        query = self._plan(event)
        if isinstance(query, int):
            return query
        try:
            with self.index.connect() as connection:
                return instances(self.index, connection, query)
        except Exception:
            LOGGER.exception("The index failed while resolving a retrieve")
            return UNABLE_TO_PROCESS


class _StoreHandler:
    """EVT_C_STORE: the file in place (``FileStore``), then its index entry, then success.

    The engine spools received data sets into ``spool_directory``, so a complete
    one is renamed into place, not copied."""

    def __init__(self, archive: Archive) -> None:
        self._archive = archive

    @property
    def spool_directory(self) -> Path:
        return self._archive.directory

    def __call__(self, event: Any) -> int:
        # Stored under a staging name and checked there first: a data set that is
        # refused never replaces an instance stored earlier under its name.
        files, index = self._archive.files, self._archive.index
        final = files.path_for(event)
        staged = files.staging_path(final)
        try:
            files.store(event, path=staged)
        except StoreError as error:
            LOGGER.error("C-STORE not stored (0x%04X): %s", error.status, error)
            return error.status
        try:
            records, syntax = _read_back(staged, event.request)
            files.move_into_place(staged, final)
        except StoreError as error:
            LOGGER.error("C-STORE refused (0x%04X): %s", error.status, error)
            _unlink(staged)
            return error.status
        except OSError as error:
            LOGGER.error("C-STORE not stored: cannot move it into place: %s", error)
            _unlink(staged)
            return OUT_OF_RESOURCES
        try:
            index.add(records, final, syntax)
        except Exception as error:  # the database failed: stored, so not acknowledged
            LOGGER.error("The index failed: %s is stored but not acknowledged: %s", final, error)
            return OUT_OF_RESOURCES
        return SUCCESS


def _read_back(path: Path, request: Any) -> tuple[Any, str]:
    """The stored instance's index rows and transfer syntax, once checked: its data set
    parses to its end (PS3.4 B.2.3 0xC210 if not) and is of the request's SOP class
    (0xA900 if not). An instance UID other than the request's is indexed as the data
    set has it, with a warning (pynetdicom's and DCMTK's SCPs store such data sets too)."""
    try:
        scanned = scan_file(path)
        records, syntax = read_records(path)
    except StoreError:
        raise
    except ValueError as error:
        raise StoreError(CANNOT_UNDERSTAND, f"it cannot be indexed: {error}") from None
    except Exception as error:  # pydicom's errors on a data set it cannot read
        raise StoreError(CANNOT_UNDERSTAND, f"the data set does not parse: {error}") from None
    if scanned.sop_class_uid != str(request.AffectedSOPClassUID):
        raise StoreError(
            DATA_SET_MISMATCH,
            f"the data set's SOP Class UID {scanned.sop_class_uid} is not the request's "
            f"{request.AffectedSOPClassUID}",
        )
    if scanned.sop_instance_uid != str(request.AffectedSOPInstanceUID):
        LOGGER.warning(
            "The data set's SOP Instance UID %s is not the request's %s: indexed as the former",
            scanned.sop_instance_uid,
            request.AffectedSOPInstanceUID,
        )
    return records, syntax


def _answers(
    respond: Callable[[_Found], Any], found: Iterator[_Found]
) -> Generator[Any, None, None]:
    """The response to each match. Closing it (a C-CANCEL) closes the search at once, not
    when collected: a search that holds its cursor in a ``with`` closes it then."""
    try:
        for match in found:
            yield respond(match)
    finally:
        close = getattr(found, "close", None)
        if close is not None:
            close()


def _planned(event: Any, planner: Callable[[Dataset], _Query]) -> _Query | int:
    """``planner``'s query of the event's identifier, or the status that refuses it."""
    try:
        # Checked whole first: pydicom would read a value cut short as if complete.
        scan_bytes(event.request.Identifier.getvalue(), str(event.context.transfer_syntax))
        return planner(event.identifier)
    except QueryError as error:
        LOGGER.error("Invalid identifier: %s", error)
        return error.status
    except DataSetError as error:
        LOGGER.error("The identifier does not parse: %s", error)
        return IDENTIFIER_DOES_NOT_MATCH
    except Exception as error:
        LOGGER.error("The identifier could not be decoded: %s", error)
        return IDENTIFIER_DOES_NOT_MATCH


def _send(event: Any, found: list[Any]) -> Iterator[tuple[int, Any]]:
    for instance in found:
        if event.is_cancelled:
            yield Status.CANCEL, None
            return
        yield Status.PENDING, str(instance.path)


def _contexts(found: list[Any]) -> list[Any]:
    """One presentation context per (SOP class, transfer syntax) to send, at most 128."""
    from fastdimse.presentation import build_context

    kinds = sorted({(i.sop_class_uid, i.transfer_syntax_uid) for i in found})
    return [build_context(uid, [syntax]) for uid, syntax in kinds[:128]]


def _relational(event: Any, uid: str) -> bool:
    info = event.assoc.acceptor.sop_class_extended.get(uid)
    return bool(info) and bool(info[_RELATIONAL] & 1)


def _files_under(paths: Iterable[str | os.PathLike[str]]) -> Iterator[str]:
    for top in paths:
        if os.path.isfile(top):
            yield os.fspath(top)
            continue
        for folder, dirs, names in os.walk(top):
            dirs.sort()
            for name in sorted(names):
                if not name.startswith("."):  # our temporaries (and other hidden files)
                    yield os.path.join(folder, name)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
