"""Received instances into a directory, acknowledged only once stored.

:class:`FileStore` is an ``evt.EVT_C_STORE`` handler that writes each
received data set as a DICOM file (PS3.10) in one directory::

    store = FileStore("/srv/dicom", fsync=True)
    ae.start_server(("127.0.0.1", 11112), evt_handlers=[(evt.EVT_C_STORE, store)])

The guarantee: the status it returns is the truth about the disk.

* A file appears under its final name only when complete: data goes to a
  temporary name in the same directory (the engine's spool file, which it
  writes there because ``spool_directory`` is the directory, or a copy) and
  is renamed into place, which is atomic. A reader never sees a partial
  file; a crash leaves at worst a hidden ``.*`` temporary.
* With ``fsync=True`` the file's data and then the directory entry are
  flushed to stable storage before Success is returned, so an acknowledged
  instance survives a power cut. Directory flushes are shared: concurrent
  stores (one per association) wait for one directory fsync that started
  after their rename, so N simultaneous stores cost each their own file
  fsync but only one or two directory fsyncs between them (group commit).
* On any failure (disk full, read-only, I/O error, a data set that does not
  parse) nothing remains: no file, no temporary; the status says why:
  0xA700 Out of Resources, 0xC210 Cannot Understand, 0xA900 Data Set Does
  Not Match SOP Class (its SOP Class or Instance UID differs from the
  request's).

With ``validate=True`` (the default) the data set is checked structurally
first (:mod:`fastdimse._files.scan`: element lengths, ordering and
delimiters; no pydicom decode), so that a garbled instance is refused rather
than stored and acknowledged.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastdimse._files.scan import DataSetError, ScanResult, scan_bytes, scan_file
from fastdimse.events import Event, encode_file_header

__all__ = [
    "CANNOT_UNDERSTAND",
    "DATA_SET_MISMATCH",
    "OUT_OF_RESOURCES",
    "SUCCESS",
    "FileStore",
    "StoreError",
    "SyncStats",
    "sanitise_name",
]

LOGGER = logging.getLogger("fastdimse.storage")

SUCCESS = 0x0000
OUT_OF_RESOURCES = 0xA700  # PS3.4 B.2.3 Refused: Out of Resources
DATA_SET_MISMATCH = 0xA900  # PS3.4 B.2.3 Error: Data Set Does Not Match SOP Class
CANNOT_UNDERSTAND = 0xC210  # PS3.4 B.2.3 Error: Cannot Understand (C000-CFFF)

# Longest file name we make, in UTF-8 bytes (most file systems allow 255)
MAX_NAME_BYTES = 200
# Temporaries we write: hidden, so that no sanitised name (never starting
# with ".") can collide with one and listings of stored files skip them
TEMPORARY_PREFIX = ".fastdimse-"
TEMPORARY_SUFFIX = ".part"


class StoreError(Exception):
    """A data set was not stored; `status` is the C-STORE status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class SyncStats:
    """Counters of one directory's syncs (diagnostics).

    `commits` stores waited for durability, `file_syncs` file fsyncs,
    `directory_syncs` directory fsyncs (fewer than `commits` when
    concurrent stores shared them)."""

    commits: int
    file_syncs: int
    directory_syncs: int


class FileStore:
    """An ``EVT_C_STORE`` handler storing each data set as a file in
    `directory` (created if missing).

    `name(event)` gives the file name (default: the request's Affected SOP
    Instance UID + ``.dcm``); whatever it is, it is made one safe path
    component by :func:`sanitise_name`. An existing file of that name is
    replaced atomically. `fsync` makes every stored file durable before the
    status is returned. `validate` scans the data set first (0xC210 if it
    does not parse, 0xA900 if its SOP Class or Instance UID is not the
    request's). Thread-safe: one instance serves every association.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        fsync: bool = False,
        name: Callable[[Event], str] | None = None,
        validate: bool = True,
    ) -> None:
        self.directory = Path(os.path.abspath(directory))
        existed = self.directory.is_dir()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.fsync = fsync
        self.validate = validate
        self._name = name
        self._committer = _committer_for(self.directory)
        if fsync and not existed:
            _fsync_directory(self.directory.parent)

    @property
    def spool_directory(self) -> Path:
        """Where the engine writes received data sets: the store's own
        directory, so that a complete one is renamed into place, not copied."""
        return self.directory

    @property
    def stats(self) -> SyncStats:
        """Sync counters of this store's directory (shared by every
        :class:`FileStore` of that directory in the process)."""
        return self._committer.stats()

    def __call__(self, event: Event) -> int:
        """Store the event's data set; the C-STORE status to answer.

        Exceptions other than :class:`StoreError` (from a `name` callable,
        say) propagate: the engine answers 0xC211 for them."""
        try:
            self.store(event)
        except StoreError as exc:
            LOGGER.error("C-STORE not stored (0x%04X): %s", exc.status, exc)
            return exc.status
        return SUCCESS

    def store(self, event: Event, *, path: Path | None = None) -> Path:
        """Store the event's data set; its path (``path``, when the caller has
        asked :meth:`path_for` already). Raises :class:`StoreError` with the
        status to answer when it cannot, leaving nothing behind."""
        started = time.perf_counter()
        final = self.path_for(event) if path is None else path
        spool, offset = _spool_of(event)
        if self.validate:
            self._check(event, spool, offset)
        ours: Path | None = None
        try:
            if spool is not None and offset is None and self._holds(spool):
                if self.fsync:
                    _fsync_file(spool)
                    self._committer.count_file_sync()
                os.replace(spool, final)
            else:
                ours = self._write_temporary(event, spool, offset)
                os.replace(ours, final)
                ours = None
        except OSError as exc:
            raise StoreError(OUT_OF_RESOURCES, f"cannot write {final}: {exc}") from exc
        finally:
            if ours is not None:
                _unlink_quietly(ours)
        if self.fsync:
            try:
                self._committer.commit()
            except OSError as exc:
                _unlink_quietly(final)
                raise StoreError(OUT_OF_RESOURCES, f"cannot sync {self.directory}: {exc}") from exc
        if LOGGER.isEnabledFor(logging.DEBUG):
            LOGGER.debug(
                "Stored %s (%d bytes%s) in %.1f ms",
                final,
                final.stat().st_size,
                ", durable" if self.fsync else "",
                (time.perf_counter() - started) * 1000,
            )
        return final

    def staging_path(self, final: Path) -> Path:
        """A hidden, unused name in the directory for a data set to be checked before
        it takes ``final`` (:meth:`move_into_place`); the listings of stored files skip it."""
        return self.directory / f"{TEMPORARY_PREFIX}{os.urandom(8).hex()}-{final.name}"

    def move_into_place(self, staged: Path, final: Path) -> None:
        """Rename a file stored under :meth:`staging_path` to ``final`` (atomically
        replacing a file there), durable when the store syncs. Raises ``OSError``."""
        os.replace(staged, final)
        if self.fsync:
            self._committer.commit()

    def path_for(self, event: Event) -> Path:
        """Where :meth:`store` puts the event's data set."""
        if self._name is not None:
            name = self._name(event)
        else:
            name = f"{_uid(event.request.AffectedSOPInstanceUID)}.dcm"
        return self.directory / sanitise_name(name)

    def __repr__(self) -> str:
        return f"FileStore({str(self.directory)!r}, fsync={self.fsync}, validate={self.validate})"

    def _check(self, event: Event, spool: Path | None, offset: int | None) -> None:
        """Structural scan, then the data set's UIDs against the request's."""
        try:
            result = _scan(event, spool, offset)
        except DataSetError as exc:
            raise StoreError(CANNOT_UNDERSTAND, f"data set does not parse: {exc}") from exc
        except OSError as exc:
            raise StoreError(OUT_OF_RESOURCES, f"cannot read the data set: {exc}") from exc
        request = event.request
        for what, found, expected in (
            ("Class", result.sop_class_uid, _uid(request.AffectedSOPClassUID)),
            ("Instance", result.sop_instance_uid, _uid(request.AffectedSOPInstanceUID)),
        ):
            if found is None:
                raise StoreError(CANNOT_UNDERSTAND, f"data set has no SOP {what} UID")
            if found != expected:
                raise StoreError(
                    DATA_SET_MISMATCH,
                    f"data set's SOP {what} UID {found} is not the request's {expected}",
                )

    def _holds(self, path: Path) -> bool:
        """``True`` if `path` is a file directly in our directory (rename, no copy)."""
        if path.parent == self.directory:  # the engine spooled it here: no stat needed
            return True
        try:
            return os.path.samefile(path.parent, self.directory)
        except OSError:
            return False

    def _write_temporary(self, event: Event, spool: Path | None, offset: int | None) -> Path:
        """A complete DICOM file under a temporary name in the directory."""
        fd, name = tempfile.mkstemp(
            prefix=TEMPORARY_PREFIX, suffix=TEMPORARY_SUFFIX, dir=self.directory
        )
        path = Path(name)
        try:
            if spool is None:
                _write_all(fd, encode_file_header(event))
                _write_all(fd, event.encoded_dataset(include_meta=False))
            else:
                if offset is not None:
                    _write_all(fd, encode_file_header(event))
                with open(spool, "rb") as source:
                    _copy(source.fileno(), fd, offset or 0)
            if self.fsync:
                _fdatasync(fd)
                self._committer.count_file_sync()
        except BaseException:
            os.close(fd)
            _unlink_quietly(path)
            raise
        os.close(fd)
        return path


def sanitise_name(name: str) -> str:
    """`name` as one safe file name: path separators, control and other
    non-printing characters become ``_``, leading and trailing dots and
    spaces go (no ``..``, no hidden file), empty becomes ``_``, and a name
    over :data:`MAX_NAME_BYTES` is shortened keeping a short extension and
    adding a hash of the whole, so that distinct long names stay distinct."""
    if _PLAIN_NAME.fullmatch(name):  # the usual "<UID>.dcm": nothing to replace
        clean = name.strip(".") or "_"
    else:
        clean = "".join("_" if _unsafe(c) else c for c in name).strip(" .") or "_"
    encoded = clean.encode()
    if len(encoded) <= MAX_NAME_BYTES:
        return clean
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    stem, dot, extension = clean.rpartition(".")
    suffix = f".{extension}" if dot and stem and len(extension.encode()) <= 16 else ""
    if not suffix:
        stem = clean
    keep = MAX_NAME_BYTES - len(suffix.encode()) - len(digest) - 1
    head = stem.encode()[:keep].decode("utf-8", "ignore")
    return f"{head}-{digest}{suffix}"


# Helpers


# Names made of these characters only need their leading and trailing dots removed.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9._-]{1,200}")


def _unsafe(char: str) -> bool:
    # category C*: control, format, surrogate, private use, unassigned
    return char in '/\\:*?"<>|' or unicodedata.category(char)[0] == "C"


def _uid(value: Any) -> str:
    return "" if value is None else str(value).rstrip("\0 ")


def _spool_of(event: Event) -> tuple[Path | None, int | None]:
    """The engine's file holding the data set: a whole DICOM file (offset
    ``None``), a bare data set from an offset, or nothing (in memory)."""
    spool = getattr(event.request, "_dataset_path", None)
    if spool is None:
        return None, None
    if isinstance(spool, tuple):
        return Path(spool[0]), int(spool[1])
    return Path(spool), None


def _scan(event: Event, spool: Path | None, offset: int | None) -> ScanResult:
    if spool is None:
        raw = event.encoded_dataset(include_meta=False)
        return scan_bytes(raw, str(event.context.transfer_syntax))
    if offset is None:
        return scan_file(spool)
    return scan_file(spool, offset, str(event.context.transfer_syntax))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


_COPY_CHUNK = 1 << 20


def _copy(source: int, target: int, offset: int) -> None:
    """Copy `source` from `offset` to its end onto `target`, in the kernel
    where it can (``sendfile``), else in bounded chunks."""
    position = offset
    try:
        while True:
            sent = os.sendfile(target, source, position, _COPY_CHUNK * 16)
            if sent == 0:
                return
            position += sent
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP) or position != offset:
            raise
    os.lseek(source, offset, os.SEEK_SET)
    while chunk := os.read(source, _COPY_CHUNK):
        _write_all(target, chunk)


def _fdatasync(fd: int) -> None:
    # fdatasync also flushes the size a new file needs; fsync where it is missing
    sync = getattr(os, "fdatasync", os.fsync)
    sync(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        _fdatasync(fd)
    finally:
        os.close(fd)


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        LOGGER.warning("Could not remove %s: %s", path, exc)


class _DirectoryCommitter:
    """Group commit of one directory's renames.

    Each store takes a ticket after its rename and returns once the
    directory's synced ticket reaches it. The first waiter to find no sync
    running leads one: it notes the last ticket issued (every rename up to
    it is done), fsyncs the directory without holding the lock, and marks
    everything up to that ticket durable, releasing all its waiters at
    once. Stores arriving meanwhile queue for the next sync, which covers
    all of them. A failed sync releases nobody: each waiter then leads a
    sync of its own, so an error reaches every store it concerns.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._tickets = threading.Lock()
        self._issued = 0
        self._file_syncs = 0
        self._state = threading.Condition(threading.Lock())
        self._synced = 0
        self._syncing = False
        self._directory_syncs = 0

    def commit(self) -> None:
        """Return once a directory fsync begun after this call has succeeded."""
        with self._tickets:
            self._issued += 1
            ticket = self._issued
        with self._state:
            while self._synced < ticket:
                if self._syncing:
                    self._state.wait()
                    continue
                self._syncing = True
                with self._tickets:
                    target = self._issued
                self._state.release()
                try:
                    _fsync_directory(self.directory)
                finally:
                    self._state.acquire()
                    self._syncing = False
                    self._state.notify_all()
                with self._tickets:
                    self._directory_syncs += 1
                self._synced = max(self._synced, target)

    def count_file_sync(self) -> None:
        with self._tickets:
            self._file_syncs += 1

    def stats(self) -> SyncStats:
        # the tickets lock only: readable while a sync is under way
        with self._tickets:
            return SyncStats(self._issued, self._file_syncs, self._directory_syncs)


_COMMITTERS: dict[str, _DirectoryCommitter] = {}
_COMMITTERS_LOCK = threading.Lock()


def _committer_for(directory: Path) -> _DirectoryCommitter:
    """One committer per real directory in the process, so that every
    store of a directory shares its syncs."""
    key = os.path.realpath(directory)
    with _COMMITTERS_LOCK:
        committer = _COMMITTERS.get(key)
        if committer is None:
            committer = _COMMITTERS[key] = _DirectoryCommitter(Path(key))
        return committer
