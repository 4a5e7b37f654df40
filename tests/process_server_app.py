"""A ``ProcessServer`` for tests/test_process_server.py, run as a script until SIGTERM/SIGINT.

    python tests/process_server_app.py DIRECTORY [--workers N] [--start-method M]
        [--port P] [--max-associations K] [--fail]

Its factory (module level, so that "spawn" can pickle it) builds an AE for Verification and
CT Image Storage: each association established appends its worker's pid to DIRECTORY/pids,
and C-STOREs are stored by a FileStore in DIRECTORY/store. Log lines go to stderr at INFO,
each with its process id. Exits 1 (after logging why) when a worker cannot start.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from functools import partial
from pathlib import Path
from typing import Any

LOG_FORMAT = "%(levelname).1s: [%(process)d] %(message)s"
CT = "1.2.840.10008.5.1.4.1.1.2"


def factory(directory: str, max_associations: int, fail: bool) -> tuple[Any, list[Any]]:
    """One worker's AE and handlers."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)  # a spawned worker's own
    if fail:
        raise RuntimeError("the factory failed on purpose")
    from fastdimse import AE, evt
    from fastdimse.sop_class import Verification
    from fastdimse.storage import FileStore

    ae = AE("WORKERS")
    ae.add_supported_context(Verification)
    ae.add_supported_context(CT)
    ae.maximum_associations = max_associations
    store = Path(directory) / "store"
    store.mkdir(exist_ok=True)
    pids = Path(directory) / "pids"

    def established(event: Any) -> None:
        with pids.open("a") as file:  # one short line per append: never interleaved
            file.write(f"{os.getpid()}\n")

    return ae, [(evt.EVT_ESTABLISHED, established), (evt.EVT_C_STORE, FileStore(store))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--start-method", default=None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-associations", type=int, default=10)
    parser.add_argument("--fail", action="store_true")
    ns = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)

    from fastdimse import ProcessServer, WorkerStartError

    server = ProcessServer(
        partial(factory, ns.directory, ns.max_associations, ns.fail),
        ("127.0.0.1", ns.port),
        workers=ns.workers,
        start_method=ns.start_method,
    )
    try:
        server.serve_forever()
    except WorkerStartError as error:
        logging.getLogger("process_server_app").error("%s", error)
        sys.exit(1)


if __name__ == "__main__":
    main()
