"""What getscu and movescu share: their options, the instances they receive, their progress
and summary.

A retrieval is followed through the peer's C-GET/C-MOVE responses (its sub-operation counts:
remaining, completed, failed, warning) and, when the instances come to us (getscu, movescu
--store), through the C-STOREs we receive: each is written as storescp writes it (same file
names, -od directory, nothing written with --ignore) and counted with the status we answered.

Progress goes to stderr as storescu's does: a bar on a terminal, an INFO line every 2 s
otherwise. The summary follows the final response (not with -q): the peer's result and
counts, then what we received: instances, bytes written, elapsed time, rates, our statuses.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastdimse.apps.common import (
    Progress,
    StoreOutcomes,
    add_output_options,
    print_summary,
    summary_field,
)
from fastdimse.apps.query import add_negotiation_flags, extended_negotiation

# The summary's labels are padded to this width.
SUMMARY_WIDTH = 20
# After the final C-MOVE response, how long the peer's store associations may take to end
# before the Storage SCP closes them (their instances are answered already).
STORE_GRACE = 5.0
_POLL = 0.02

# The sub-operation counts of a C-GET/C-MOVE response, by Dataset keyword.
_COUNTS = {
    "remaining": "NumberOfRemainingSuboperations",
    "completed": "NumberOfCompletedSuboperations",
    "failed": "NumberOfFailedSuboperations",
    "warning": "NumberOfWarningSuboperations",
}


# The extended negotiation switches, in the order of their bytes (PS3.4 C.5.3.1).
RETRIEVE_NEGOTIATION_FLAGS = [
    ("--relational-retrieval", "relational retrieval"),
    ("--enhanced-conversion", "enhanced multi-frame image conversion"),
]


def add_retrieve_options(parser: argparse.ArgumentParser) -> None:
    """The extended negotiation options and the output options (-od, --ignore)."""
    add_negotiation_flags(parser, RETRIEVE_NEGOTIATION_FLAGS)
    add_output_options(parser)


def retrieve_negotiation(ns: argparse.Namespace, model: str) -> list[Any]:
    """The SOP Class Extended Negotiation item the options ask for (PS3.4 C.5.3: relational
    retrieval, enhanced multi-frame conversion), or none."""
    flags = [ns.relational_retrieval, ns.enhanced_conversion]
    return [extended_negotiation(model, flags)] if any(flags) else []


@dataclass(kw_only=True)
class Retrieval(StoreOutcomes):
    """A C-GET or C-MOVE: the peer's responses and the C-STOREs we received (`count`,
    `nbytes` and the statuses we answered). Updated from the thread reading responses and
    from the threads storing instances, under `lock`."""

    receiving: bool  # the instances come to us
    ignoring: bool = False  # and are not kept (--ignore)
    remaining: int | None = None  # the peer's counts, from its latest response
    completed: int | None = None
    failed: int | None = None
    warning: int | None = None
    result: int | None = None  # the final response's status
    progress: Progress | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def done(self) -> int:
        """Sub-operations over: as the peer counts them, or the instances received if more."""
        counted = sum(n or 0 for n in (self.completed, self.failed, self.warning))
        return max(counted, self.count)

    @property
    def total(self) -> int | None:
        if self.remaining is None:
            return None
        counted = sum(n or 0 for n in (self.completed, self.failed, self.warning))
        return max(counted + self.remaining, self.done)

    def received(self, status: int, size: int) -> None:
        """A C-STORE we received, answered with `status`, `size` bytes written."""
        with self.lock:
            self.record(status, size)
            self._show()

    def responded(self, status: Any) -> None:
        """A response of the peer (its status Dataset; empty when none came)."""
        from fastdimse.status import STATUS_PENDING, code_to_category

        with self.lock:
            for name, keyword in _COUNTS.items():
                value = status.get(keyword)
                if value is not None:
                    setattr(self, name, int(value))
            code = status.get("Status")
            if code is not None and code_to_category(int(code)) != STATUS_PENDING:
                self.result = int(code)
            self._show()

    def _show(self) -> None:
        if self.progress is not None:
            self.progress.update()

    def progress_line(self) -> str:
        counts = f"{self.done} of {'?' if self.total is None else self.total}"
        if not self.receiving:
            return f"Sub-operations: {counts} ({self.failed or 0} failed)"
        return (
            f"Received {self.count} instances, {self.megabytes():.1f} MB, {self.rate()}; "
            f"sub-operations: {counts}"
        )

    def bar_detail(self) -> str:
        if not self.receiving:
            return f"{self.failed or 0} failed"
        seconds = max(self.seconds(), 1e-9)
        return f"{self.megabytes():.1f} MB {self.megabytes() / seconds:.1f} MB/s"

    def summary(self) -> list[str]:
        """The summary block, one line per item."""
        lines = [
            summary_field("Retrieve result", self._result_text(), SUMMARY_WIDTH),
            summary_field("Sub-operations", self._counts_text(), SUMMARY_WIDTH),
        ]
        if not self.receiving:
            seconds = f"{max(self.seconds(), 1e-9):.2f} s"
            return [*lines, summary_field("Elapsed", seconds, SUMMARY_WIDTH)]
        size = f"{self.nbytes} ({self.megabytes():.1f} MB)"
        return [
            *lines,
            summary_field("Instances received", self.count, SUMMARY_WIDTH),
            summary_field("Bytes written", size, SUMMARY_WIDTH),
            *self.timing_lines(SUMMARY_WIDTH),
            summary_field(
                "Stored", "none (--ignore)" if self.ignoring else self.stored, SUMMARY_WIDTH
            ),
            *self.status_lines(SUMMARY_WIDTH),
        ]

    def _result_text(self) -> str:
        if self.result is None:
            return "none (no final response)"
        from fastdimse.status import code_to_category

        return f"0x{self.result:04X} ({code_to_category(self.result)})"

    def _counts_text(self) -> str:
        if self.completed is None and self.failed is None and self.warning is None:
            return "not reported"
        return (
            f"{self.completed or 0} completed, {self.failed or 0} failed, "
            f"{self.warning or 0} warning"
        )


class ReceivingStore:
    """The EVT_C_STORE handler of getscu and movescu --store.

    Writes each instance as storescp does, in the -od directory (created when the first
    instance arrives, as pynetdicom's apps do; 0xA700 for every instance if it cannot be),
    or keeps nothing with --ignore; counts it in the Retrieval either way.
    """

    def __init__(
        self, ns: argparse.Namespace, logger: logging.Logger, retrieval: Retrieval
    ) -> None:
        self._directory = Path(ns.output_directory or ".")
        self._ignore: bool = ns.ignore
        self._logger = logger
        self._retrieval = retrieval
        self._store: Any = None  # a storescp StoreToDirectory, once the directory exists
        self._lock = threading.Lock()

    @property
    def spool_directory(self) -> Path | None:
        """Where the engine spools data sets: the output directory (None: the temporary
        directory, with --ignore or when the output directory cannot be created)."""
        store = self._open()
        return None if store is None else store.spool_directory

    def __call__(self, event: Any) -> int:
        status, size = 0x0000, 0
        if not self._ignore:
            store = self._open()
            if store is None:
                status = 0xA700  # Refused: Out of Resources
            else:
                status, path = store.store(event)
                size = path.stat().st_size if path is not None else 0
        self._retrieval.received(status, size)
        return status

    def _open(self) -> Any:
        """The store writing into the output directory, created on first use; None with
        --ignore or when the directory cannot be created (logged each time)."""
        if self._ignore:
            return None
        with self._lock:
            if self._store is None:
                from fastdimse.apps.storescp import StoreToDirectory

                try:
                    self._store = StoreToDirectory(
                        self._directory, fsync=False, logger=self._logger
                    )
                except OSError as exc:
                    self._logger.error(
                        f"Unable to create the output directory: {self._directory}: {exc}"
                    )
            return self._store


def run_retrieval(
    assoc: Any, responses: Iterator[Any], retrieval: Retrieval, logger: logging.Logger
) -> None:
    """Follow the responses to their end, then release the association. Ctrl-C aborts it
    and exits with status 130 (after the summary)."""
    try:
        for status, _identifier in responses:
            retrieval.responded(status)
    except KeyboardInterrupt:
        assoc.abort()
        logger.error("Interrupted: association aborted")
        finish(retrieval)
        sys.exit(130)
    if assoc.is_established:
        assoc.release()
    finish(retrieval)


def show_progress(retrieval: Retrieval, ns: argparse.Namespace, logger: logging.Logger) -> None:
    """Show the retrieval's progress on stderr (not with -q)."""
    if ns.log_type != "q":
        retrieval.progress = Progress(retrieval, logger, sys.stderr)


def finish(retrieval: Retrieval) -> None:
    """End the progress display and print the summary (when progress was shown)."""
    with retrieval.lock:
        retrieval.stop()
        if retrieval.progress is None:
            return
        retrieval.progress.close()
        print_summary(retrieval.summary())


def wait_for_store_associations(server: Any, grace: float = STORE_GRACE) -> None:
    """Give the peer's store associations up to `grace` seconds to end by themselves."""
    end = time.monotonic() + grace
    while server.active_associations and time.monotonic() < end:
        time.sleep(_POLL)
