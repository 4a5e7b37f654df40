"""One worker process of a ``ProcessServer``: its own AE, listening socket and stop.

The worker builds its AE and handlers with the server's factory, listens on the
shared port with ``SO_REUSEPORT`` and serves on the AE's threaded server (its
accept loop in a thread, so that this process's main thread only waits for the
word to stop). It reports to the parent on its ``ready`` pipe: ``("ready",
pid)`` or ``("failed", text)``.

Stopping (SIGTERM from the parent, or the parent gone): the worker stops
accepting, lets every association finish the requests in hand (a C-STORE being
received is completed, stored and answered), ends each association then
(A-ABORT), waits for them and exits 0. A second SIGTERM ends every connection
at once: stores not yet answered are dropped (their spool files deleted, never
renamed into place). SIGINT is ignored: Ctrl-C reaches the whole process group,
and the parent decides.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from fastdimse._io.shared_count import SharedAssociationCount
from fastdimse._io.sockets import listening_socket
from fastdimse._io.thread_ae import ApplicationEntity
from fastdimse._upper.addresses import AddressInformation

if TYPE_CHECKING:
    from fastdimse._io.sockets import ThreadedAssociationServer

__all__ = ["STOP_SIGNALS", "Factory", "WorkerSpec", "poke", "take_pokes", "worker_main"]

LOGGER = logging.getLogger("fastdimse.processes")

# What a worker calls to build its AE: (ae, evt_handlers), as start_server takes them.
Factory = Callable[[], "tuple[ApplicationEntity, Sequence[Any]]"]

# The signals the parent blocks around starting a worker: the worker unblocks
# them once its own handlers are in place (the mask survives fork and exec).
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker is given (picklable, for the "spawn" start method)."""

    factory: Factory
    address: tuple[Any, ...]
    index: int
    count_path: str
    ready: Connection
    # Readable at end of file once the parent is gone; the write end is only
    # for the worker to close (it must hold no copy of it).
    parent_alive: Connection
    parent_alive_writer: Connection


def worker_main(spec: WorkerSpec) -> None:
    """The worker process: serve until told to stop; the exit status says how it went."""
    spec.parent_alive_writer.close()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: poke(wake_w))
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    try:
        ae, server = _start(spec)
    except BaseException as error:
        LOGGER.exception("Worker %d could not start", spec.index)
        spec.ready.send(("failed", f"{type(error).__name__}: {error}"))
        sys.exit(1)
    spec.ready.send(("ready", os.getpid()))
    LOGGER.debug("Worker %d (pid %d) serving", spec.index, os.getpid())
    if spec.parent_alive in wait([wake_r, spec.parent_alive]):
        LOGGER.warning("Worker %d: the parent process is gone, stopping", spec.index)
    take_pokes(wake_r)  # only a later SIGTERM may cut the stop short
    _stop(ae, server, wake_r)
    LOGGER.debug("Worker %d (pid %d) stopped", spec.index, os.getpid())


def _start(spec: WorkerSpec) -> tuple[ApplicationEntity, ThreadedAssociationServer]:
    ae, handlers = spec.factory()
    if not isinstance(ae, ApplicationEntity):
        raise TypeError(f"the factory returned {type(ae).__name__}, not a fastdimse.AE")
    sock = listening_socket(AddressInformation.from_tuple(spec.address), reuse_port=True)
    ae._shared_count = SharedAssociationCount(spec.count_path, spec.index)
    server = ae.start_server(
        spec.address, block=False, evt_handlers=list(handlers), _listen_socket=sock
    )
    if server is None:
        raise RuntimeError("start_server(block=False) returned no server")
    return ae, server


def _stop(ae: ApplicationEntity, server: ThreadedAssociationServer, wake_r: int) -> None:
    """Stop accepting, finish the requests in hand, end every association; a second
    SIGTERM (``wake_r``) cuts it short."""
    server.shutdown()
    associations = ae.active_associations
    for assoc in associations:
        if assoc.is_acceptor:
            assoc._drain()
    LOGGER.info("Stopping: %d association(s) finish the requests in hand", len(associations))
    ended_r, ended_w = os.pipe()

    def join_all() -> None:
        for assoc in associations:
            assoc.join()
        os.close(ended_w)

    threading.Thread(target=join_all, name="fastdimse-stopping", daemon=True).start()
    if ended_r in wait([ended_r, wake_r]):
        return
    LOGGER.warning("Stopping now: closing %d connection(s)", len(ae.active_associations))
    for assoc in ae.active_associations:
        assoc.kill()
    wait([ended_r])


def poke(fd: int) -> None:
    """Wake a main thread waiting on the pipe ``fd`` writes to (safe in a signal handler)."""
    try:
        os.write(fd, b"\0")
    except BlockingIOError:
        pass  # already awake
    except OSError:
        pass  # closed: the server has stopped


def take_pokes(fd: int) -> int:
    """Empty the non-blocking pipe ``fd`` reads from; how many pokes it held."""
    taken = 0
    try:
        while chunk := os.read(fd, 64):
            taken += len(chunk)
    except BlockingIOError:
        pass
    return taken
