"""storescp: a Storage SCP that writes received instances to files, with pynetdicom's options.

    python -m fastdimse storescp [options] port

It accepts every storage SOP class (and Verification, unless --no-echo) with all the transfer
syntaxes the library knows, and writes each received instance as a DICOM file named like
pynetdicom's storescp names it ("CT.<SOP Instance UID>", "UN.<...>" for classes without a
prefix) in the output directory (default: the current directory). The engine streams each data
set to disk as it arrives and the file is renamed into place once complete: nothing is decoded.
--fsync (ours) makes every file durable before its response is sent.

It listens before the library is imported, so peers can connect almost at once. It runs until
interrupted: Ctrl-C ends it with status 0, SIGTERM kills it (non-zero status). Status 1 when
the port cannot be bound or the output directory cannot be created, 2 for bad arguments.

--workers N (ours) serves with N processes on the port (fastdimse.ProcessServer: SO_REUSEPORT,
Linux), each with its own store, for senders beyond what one process's GIL allows; log lines
then name their process. The association limit (10) holds for all of them together. SIGTERM
or Ctrl-C stops them: the stores in flight are completed and answered, then the associations
are aborted and it exits with status 0 (a second signal stops at once, dropping unanswered
stores). A worker that dies is logged and replaced.

A peer proposing an asynchronous operations window may have up to 16 C-STOREs outstanding.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from fastdimse.apps.common import (
    add_general_options,
    add_output_options,
    add_scp_options,
    listen_early,
    serve_forever,
    setup_logging,
)
from fastdimse.apps.echoscp import accepted_syntaxes

APP_NAME = "storescp"

# File name prefixes by SOP class, the ones pynetdicom's storescp uses; other classes get "UN".
MODALITY_PREFIXES: dict[str, str] = {
    "1.2.840.10008.5.1.4.1.1.1": "CR",
    "1.2.840.10008.5.1.4.1.1.2": "CT",
    "1.2.840.10008.5.1.4.1.1.2.1": "CTE",
    "1.2.840.10008.5.1.4.1.1.4": "MR",
    "1.2.840.10008.5.1.4.1.1.4.1": "MRE",
    "1.2.840.10008.5.1.4.1.1.6.1": "US",
    "1.2.840.10008.5.1.4.1.1.6.2": "USE",
    "1.2.840.10008.5.1.4.1.1.7": "SC",
    "1.2.840.10008.5.1.4.1.1.12.1": "XA",
    "1.2.840.10008.5.1.4.1.1.12.1.1": "XAE",
    "1.2.840.10008.5.1.4.1.1.20": "NM",
    "1.2.840.10008.5.1.4.1.1.128": "PT",
    "1.2.840.10008.5.1.4.1.1.130": "PTE",
    "1.2.840.10008.5.1.4.1.1.481.1": "RI",
    "1.2.840.10008.5.1.4.1.1.481.2": "RD",
    "1.2.840.10008.5.1.4.1.1.481.3": "RS",
    "1.2.840.10008.5.1.4.1.1.481.5": "RP",
}
UNKNOWN_PREFIX = "UN"

# The most C-STOREs a peer may have outstanding at once, if it proposes a window.
ASYNC_OPERATIONS_WINDOW = 16

# Anything but digits and dots in a SOP Instance UID becomes "_" in the file name.
_NOT_UID_CHARACTER = re.compile(r"[^\d.]")


def main(args: list[str] | None = None) -> None:
    """Run storescp with `args` (default: sys.argv[1:]) until interrupted."""
    ns = parse_args(args)
    if ns.workers > 1:
        serve_with_workers(ns)
        return
    logger = setup_logging(ns, APP_NAME)
    # Listen first: peers may connect while the library is still being imported.
    sock = listen_early(ns.bind_address, ns.port, logger)

    from fastdimse._core import __version__

    logger.debug(f"{APP_NAME}.py v{__version__}")
    logger.debug("")

    if not ns.ignore:
        make_output_directory(ns, logger, on_failure=sock.close)
    handler = store_handler(ns, logger)

    from fastdimse import evt

    serve_forever(build_ae(ns), sock, (ns.bind_address, ns.port), [(evt.EVT_C_STORE, handler)])


def serve_with_workers(ns: argparse.Namespace) -> None:
    """Serve with ``--workers`` processes on the port (``fastdimse.ProcessServer``): each
    builds its own AE and store; SIGTERM and SIGINT stop them once the stores in flight are
    answered. Exits with status 1 when the port cannot be held or a worker cannot start."""
    logger = setup_logging(ns, APP_NAME, show_pid=True)
    from fastdimse import ProcessServer, WorkerStartError, __version__

    logger.debug(f"{APP_NAME}.py v{__version__}")
    logger.debug("")
    if not ns.ignore:
        make_output_directory(ns, logger)

    try:
        server = ProcessServer(
            partial(worker_factory, ns), (ns.bind_address, ns.port), workers=ns.workers
        )
    except OSError as exc:
        logger.error(f"Unable to listen on {ns.bind_address or '*'}:{ns.port}: {exc}")
        sys.exit(1)
    try:
        server.serve_forever()
    except WorkerStartError as exc:
        logger.error(str(exc))
        sys.exit(1)


def worker_factory(ns: argparse.Namespace) -> tuple[Any, list[tuple[Any, Any]]]:
    """One worker process's AE and handlers (a spawned process sets up its logging here)."""
    logger = setup_logging(ns, APP_NAME, show_pid=True)
    from fastdimse import evt

    return build_ae(ns), [(evt.EVT_C_STORE, store_handler(ns, logger))]


def make_output_directory(
    ns: argparse.Namespace, logger: logging.Logger, on_failure: Callable[[], None] | None = None
) -> None:
    """Create the output directory, or exit with status 1.

    Before serving, not per request: the engine spools into this directory, so it must exist
    before the first data set arrives.
    """
    directory = Path(ns.output_directory or ".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if on_failure is not None:
            on_failure()
        logger.error(f"Unable to create the output directory: {directory}: {exc}")
        sys.exit(1)


def store_handler(ns: argparse.Namespace, logger: logging.Logger) -> Any:
    """The EVT_C_STORE handler the options ask for (the output directory exists)."""
    if ns.ignore:
        return ignore_store
    return StoreToDirectory(Path(ns.output_directory or "."), fsync=ns.fsync, logger=logger)


def build_ae(ns: argparse.Namespace) -> Any:
    """The AE: every storage class (and Verification) with the syntaxes the options accept."""
    from fastdimse import AE, ALL_TRANSFER_SYNTAXES
    from fastdimse._upper.contexts import AllStoragePresentationContexts
    from fastdimse.sop_class import Verification

    syntaxes = accepted_syntaxes(ns, ALL_TRANSFER_SYNTAXES)
    ae = AE(ae_title=ns.ae_title)
    for context in AllStoragePresentationContexts:
        ae.add_supported_context(str(context.abstract_syntax), syntaxes)
    if not ns.no_echo:
        ae.add_supported_context(Verification, syntaxes)
    ae.maximum_pdu_size = ns.max_pdu
    ae.network_timeout = ns.network_timeout
    ae.acse_timeout = ns.acse_timeout
    ae.dimse_timeout = ns.dimse_timeout
    # A peer that proposes an asynchronous operations window may have up to this many
    # C-STOREs outstanding (the answer is the smaller of its and ours); stored in parallel.
    # We invoke nothing on the peer, so what it may perform stays 1.
    ae.maximum_operations_performed = ASYNC_OPERATIONS_WINDOW
    return ae


def ignore_store(event: Any) -> int:
    """EVT_C_STORE handler for --ignore: answer Success and keep nothing.

    It has no `spool_directory`, so the engine spools to the temporary directory and deletes
    the spool file after this returns.
    """
    return 0x0000


def file_name(event: Any) -> str:
    """pynetdicom storescp's file name for a request: modality prefix, ".", SOP Instance UID.

    Taken from the request (not the data set), so the data set is never decoded.
    """
    request = event.request
    prefix = MODALITY_PREFIXES.get(str(request.AffectedSOPClassUID), UNKNOWN_PREFIX)
    instance = _NOT_UID_CHARACTER.sub("_", str(request.AffectedSOPInstanceUID or ""))
    return f"{prefix}.{instance}"


class StoreToDirectory:
    """The EVT_C_STORE handler: a `FileStore` naming files like pynetdicom, plus its log lines."""

    def __init__(self, directory: Path, *, fsync: bool, logger: logging.Logger) -> None:
        from fastdimse._files.store import FileStore

        self._store = FileStore(directory, fsync=fsync, name=file_name)
        self._logger = logger

    @property
    def spool_directory(self) -> Path:
        """Where the engine spools data sets: the output directory, so files are renamed."""
        return self._store.spool_directory

    def __call__(self, event: Any) -> int:
        return self.store(event)[0]

    def store(self, event: Any) -> tuple[int, Path | None]:
        """Store the event's data set: the status to answer and the file written (None
        when none was)."""
        from fastdimse._files.store import StoreError

        path = self._store.path_for(event)
        self._logger.info("Storing DICOM file: %s", path.name)
        if path.exists():
            self._logger.warning("DICOM file already exists, overwriting")
        try:
            stored = self._store.store(event, path=path)
        except StoreError as exc:
            # Nothing was left behind; the status says why (0xA700, 0xA900, 0xC210).
            self._logger.error(f"Could not store {path.name} (0x{exc.status:04X}): {exc}")
            return exc.status, None
        return 0x0000, stored


def parse_args(args: list[str] | None = None) -> argparse.Namespace:
    """Parse storescp's command line (exits with status 2 on bad arguments)."""
    parser = argparse.ArgumentParser(
        prog=APP_NAME,
        description=(
            "The storescp application implements a Service Class Provider (SCP) for the "
            "Storage and Verification SOP Classes. It listens for DICOM C-STORE messages "
            "from Service Class Users (SCUs) and writes each received instance to a file."
        ),
        usage="storescp [options] port",
    )

    params = parser.add_argument_group("Parameters")
    params.add_argument("port", help="TCP/IP port number to listen on", type=int)

    add_general_options(parser, APP_NAME)

    add_scp_options(parser, "STORESCP")

    out = add_output_options(parser)
    out.add_argument(
        "--fsync",
        help="make each file durable (file and directory synced) before answering",
        action="store_true",
    )

    misc = parser.add_argument_group("Miscellaneous Options")
    misc.add_argument("--no-echo", help="don't act as a verification SCP", action="store_true")
    misc.add_argument(
        "--workers",
        metavar="[n]umber",
        help=(
            "serve with n processes on the port (SO_REUSEPORT, Linux), each with its own "
            "store; the association limit is for all together (default: 1)"
        ),
        type=_positive_int,
        default=1,
    )

    return parser.parse_args(args)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


if __name__ == "__main__":
    main()
