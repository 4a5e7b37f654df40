"""One Storage SCP (or any threaded AE) as several processes on one port.

``ProcessServer(factory, address, workers=N)`` runs N worker processes. Each
calls ``factory()`` to build its own AE and event handlers (so each has its own
``FileStore``, and its fsync group commit is per process), listens on the same
port with ``SO_REUSEPORT`` (Linux: the kernel spreads new connections over the
listening sockets) and serves on the AE's threaded server. The parent only
supervises: it holds the port, starts the workers, restarts one that dies,
and stops them all on SIGTERM or SIGINT.

Limits, for the server as a whole:

* ``maximum_associations`` (of the AE the factory builds) holds for all the
  workers together: each counts its associations in a small shared file and
  decides, under a file lock, as one process would (``_io/shared_count.py``).
  A peer over the limit gets A-ASSOCIATE-RJ (transient) whichever worker it
  reached, and none is refused while the server as a whole has room.
* ``maximum_workers`` (handler threads) is per process: threads are.
* The operations window and maximum PDU are per association, as ever.

Stopping: the first SIGTERM or SIGINT (or ``stop()``) tells every worker to
stop. Each stops accepting, lets its associations finish the requests in hand
(a C-STORE being received is completed, stored and answered), then ends them
(A-ABORT) and exits; ``serve_forever`` returns once all have, so a program
that calls it exits 0. A second signal makes the workers close every
connection at once: stores not yet answered are dropped, never left under a
final name.

A worker that dies unexpectedly is logged (its exit status or signal) and
replaced at once in its slot; a worker that fails before it serves (the
factory raises, the port cannot be bound) stops the whole server and
``serve_forever`` raises ``WorkerStartError``: a configuration error would only
fail again.

With ``workers=1`` nothing of this happens: ``factory()`` is called in this
process and its AE serves with ``start_server(address, block=True)``, as
without this class.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from fastdimse._io.process_worker import (
    STOP_SIGNALS,
    Factory,
    WorkerSpec,
    poke,
    take_pokes,
    worker_main,
)
from fastdimse._io.shared_count import clear_count, create_count_file
from fastdimse._upper.addresses import AddressInformation

__all__ = ["Factory", "ProcessServer", "WorkerStartError"]

LOGGER = logging.getLogger("fastdimse.processes")


class WorkerStartError(RuntimeError):
    """A worker process failed before it could serve (the server has stopped)."""


class ProcessServer:
    """``workers`` processes serving the AE that ``factory`` builds, on one port.

    ``factory`` is called in each worker and returns ``(ae, evt_handlers)``:
    a ``fastdimse.AE`` and the handlers to bind, as ``start_server`` takes
    them. Under the "spawn" and "forkserver" start methods it must be
    picklable: a module-level function, or a ``functools.partial`` of one
    with picklable arguments; it should also set up logging there, since a
    spawned process starts without the parent's. ``start_method`` is
    ``multiprocessing``'s (None: the platform's default).

    With several workers the port is checked and held from construction
    (``OSError`` when something else listens on it; port 0 picks one), and
    ``server_address`` is the real address; with one, it is ``address`` as
    given, bound when ``serve_forever`` starts the AE's server.
    ``serve_forever`` blocks until the server has stopped; called from the main
    thread, it answers SIGTERM and SIGINT (its handlers are in place only
    while it runs). See the module for limits and stopping.
    """

    def __init__(
        self,
        factory: Factory,
        address: tuple[Any, ...],
        workers: int = 1,
        *,
        start_method: str | None = None,
    ) -> None:
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise ValueError("'workers' must be a positive int")
        if workers > 1 and not hasattr(socket, "SO_REUSEPORT"):
            raise OSError("several worker processes need SO_REUSEPORT, which this OS lacks")
        self.factory = factory
        self.workers = workers
        self._context = multiprocessing.get_context(start_method)
        # typeshed's BaseContext (what get_context(str) gives) lacks Process.
        self._new_process: Callable[..., BaseProcess] = self._context.Process  # type: ignore[attr-defined]
        self._reserved: socket.socket | None = None
        self.server_address: tuple[Any, ...] = tuple(address)
        if workers > 1:
            self._reserved = _reserve_port(AddressInformation.from_tuple(address))
            self.server_address = self._reserved.getsockname()
        # stop() and the signal handlers write here; the parent's loop waits on it.
        self._wake_r, self._wake_w = os.pipe() if workers > 1 else (-1, -1)
        if workers > 1:
            os.set_blocking(self._wake_w, False)
            os.set_blocking(self._wake_r, False)
        self._processes: dict[int, BaseProcess] = {}
        self._starting: dict[int, Connection] = {}
        self._serving: set[int] = set()
        self._stops = 0
        self._failure: str | None = None

    @property
    def pids(self) -> list[int]:
        """The worker processes alive now."""
        return [p.pid for p in self._processes.values() if p.pid is not None]

    def stop(self) -> None:
        """Stop the workers (from any thread, or a signal handler); a second call
        closes their connections at once. With one worker there are none: stop
        its AE's server as without this class."""
        if self._wake_w >= 0:
            poke(self._wake_w)

    def serve_forever(self) -> None:
        """Start the workers and supervise them until the server has stopped."""
        if self.workers == 1:
            ae, handlers = self.factory()
            ae.start_server(self.server_address, block=True, evt_handlers=list(handlers))
            return
        count_path = create_count_file(self.workers)
        alive_r, alive_w = self._context.Pipe(duplex=False)
        try:
            with _stop_signals_call(self.stop):
                for index in range(self.workers):
                    self._start(index, count_path, alive_r, alive_w)
                self._supervise(count_path, alive_r, alive_w)
        finally:
            self._end(count_path, alive_r, alive_w)
        if self._failure is not None:
            raise WorkerStartError(self._failure)

    # -- the parent's loop ----------------------------------------------------------

    def _start(self, index: int, count_path: str, alive_r: Connection, alive_w: Connection) -> None:
        ready_r, ready_w = self._context.Pipe(duplex=False)
        spec = WorkerSpec(
            self.factory, self.server_address, index, count_path, ready_w, alive_r, alive_w
        )
        process = self._new_process(
            target=worker_main, args=(spec,), name=f"fastdimse-worker-{index}"
        )
        # Blocked until the worker has its own handlers: a forked child would
        # otherwise run ours, and the mask is inherited through fork and exec.
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
            ready_w.close()
        self._processes[index] = process
        self._starting[index] = ready_r

    def _supervise(self, count_path: str, alive_r: Connection, alive_w: Connection) -> None:
        while self._processes:
            sentinels = {p.sentinel: i for i, p in self._processes.items()}
            ready_pipes = {id(r): i for i, r in self._starting.items()}
            ready = wait([self._wake_r, *self._starting.values(), *sentinels])
            for item in ready:
                if item == self._wake_r:
                    self._on_stop_request()
                elif isinstance(item, Connection):
                    self._on_ready_message(ready_pipes[id(item)], item)
            for item in ready:
                if isinstance(item, int) and item in sentinels:
                    self._on_exit(sentinels[item], count_path, alive_r, alive_w)

    def _on_stop_request(self) -> None:
        take_pokes(self._wake_r)
        self._stops += 1
        if self._stops == 1:
            LOGGER.info("Stopping %d worker process(es)", len(self._processes))
        else:
            LOGGER.warning("Stopping now: in-flight stores are dropped")
        self._signal_workers()

    def _signal_workers(self) -> None:
        for process in self._processes.values():
            if process.pid is not None:
                with suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)

    def _on_ready_message(self, index: int, pipe: Connection) -> None:
        try:
            kind, detail = pipe.recv()
        except EOFError:
            kind, detail = "failed", "exited before it could serve"
        del self._starting[index]
        pipe.close()
        if kind != "ready":
            self._fail(f"worker {index} failed to start: {detail}")
            return
        self._serving.add(index)
        if len(self._serving) == self.workers and not self._stops:
            host, port = self.server_address[:2]
            LOGGER.info(
                "Serving on %s:%d with %d worker processes (pids %s)",
                host,
                port,
                self.workers,
                ", ".join(map(str, self.pids)),
            )

    def _on_exit(
        self, index: int, count_path: str, alive_r: Connection, alive_w: Connection
    ) -> None:
        process = self._processes.pop(index)
        process.join()
        pipe = self._starting.pop(index, None)
        if pipe is not None:
            pipe.close()
        served = index in self._serving
        self._serving.discard(index)
        how = _exit_text(process.exitcode)
        if self._stops:
            log = LOGGER.debug if process.exitcode == 0 else LOGGER.warning
            log("Worker %d (pid %s) %s", index, process.pid, how)
            return
        if not served:
            self._fail(f"worker {index} {how} before it could serve")
            return
        LOGGER.error("Worker %d (pid %s) %s: starting another", index, process.pid, how)
        clear_count(count_path, index)
        self._start(index, count_path, alive_r, alive_w)

    def _fail(self, reason: str) -> None:
        """A worker could not start: stop them all and say why once they are gone."""
        LOGGER.error("%s: stopping", reason)
        if self._failure is None:
            self._failure = reason
        if not self._stops:
            self._stops = 1
            self._signal_workers()

    def _end(self, count_path: str, alive_r: Connection, alive_w: Connection) -> None:
        """After the loop, or on an error in it: no worker is left behind."""
        for process in self._processes.values():
            process.kill()
            process.join()
        self._processes.clear()
        for pipe in (*self._starting.values(), alive_r, alive_w):
            pipe.close()
        self._starting.clear()
        with suppress(FileNotFoundError):
            os.unlink(count_path)
        if self._reserved is not None:
            self._reserved.close()
        for fd in (self._wake_r, self._wake_w):
            with suppress(OSError):
                os.close(fd)


def _reserve_port(address: AddressInformation) -> socket.socket:
    """Hold ``address``'s port for the workers: bound with SO_REUSEPORT, never
    listening (so it is given no connection). ``OSError`` if something listens
    there already: without the check, another server of the same user with
    SO_REUSEPORT would silently share the port."""
    if address.port:
        with socket.socket(address.address_family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address.as_tuple)
    reserved = socket.socket(address.address_family, socket.SOCK_STREAM)
    try:
        reserved.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        reserved.bind(address.as_tuple)
    except BaseException:
        reserved.close()
        raise
    return reserved


@contextmanager
def _stop_signals_call(stop: Any) -> Iterator[None]:
    """SIGTERM and SIGINT call ``stop`` while in the block (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, lambda signum, frame: stop()) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with status {code}"
