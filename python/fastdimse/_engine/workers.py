"""The threads that run service handlers, off every association's reading thread.

One ``WorkerPool`` per AE: at most ``limit`` handlers run at once across all
of its associations; a job submitted beyond that waits in a backlog until a
worker is free (the association's reader meanwhile reads on). Workers are
daemon threads started on demand and kept a while for the next job, so a busy
association costs no thread start per message; an idle one ends after
``idle_seconds``. Unlike ``concurrent.futures``, nothing joins the workers at
interpreter exit: a handler that never returns cannot hold the process.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

__all__ = ["DEFAULT_MAXIMUM_WORKERS", "WorkerPool"]

LOGGER = logging.getLogger("fastdimse.workers")

# Handlers of one AE that may run at once, all associations together: room for
# pynetdicom's default of 10 associations with a window of several operations
# each, and for handlers that wait on one another (a C-GET's sub-operations).
DEFAULT_MAXIMUM_WORKERS = 64
# A worker with nothing to do ends after this long.
_IDLE_SECONDS = 30.0

Job = Callable[[], None]


class _Worker:
    __slots__ = ("job", "wake")

    def __init__(self, job: Job) -> None:
        self.job: Job | None = job
        self.wake = threading.Event()


class WorkerPool:
    """Runs jobs on at most ``limit`` daemon threads, in submission order when all are busy."""

    def __init__(
        self, limit: int, *, name: str = "fastdimse-worker", idle_seconds: float = _IDLE_SECONDS
    ) -> None:
        self.limit = limit
        self._name = name
        self._idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._backlog: deque[Job] = deque()
        self._threads = 0

    @property
    def running(self) -> int:
        """Worker threads alive now (busy or idle)."""
        return self._threads

    @property
    def waiting(self) -> int:
        """Jobs waiting for a free worker."""
        return len(self._backlog)

    def submit(self, job: Job) -> None:
        """Run ``job`` on a free worker, a new one, or the first to become free."""
        with self._lock:
            if self._idle:
                worker = self._idle.pop()
                worker.job = job
                worker.wake.set()
                return
            if self._threads >= self.limit:
                self._backlog.append(job)
                return
            self._threads += 1
        thread = threading.Thread(target=self._work, args=(_Worker(job),), name=self._name)
        thread.daemon = True
        thread.start()

    def _work(self, worker: _Worker) -> None:
        while True:
            job, worker.job = worker.job, None
            if job is not None:
                try:
                    job()
                except Exception:
                    LOGGER.exception("A handler job failed")
            if not self._next(worker):
                return

    def _next(self, worker: _Worker) -> bool:
        """Give ``worker`` its next job (waiting idle for one); False when it should end."""
        with self._lock:
            if self._backlog:
                worker.job = self._backlog.popleft()
                return True
            worker.wake.clear()
            self._idle.append(worker)
        if worker.wake.wait(self._idle_seconds):
            return True
        with self._lock:
            if worker.job is not None:
                return True  # handed a job just as it timed out
            self._idle.remove(worker)
            self._threads -= 1
            return False
