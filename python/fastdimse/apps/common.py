"""What the command-line apps share: option groups, logging set-up, the early listening socket.

This module imports only the standard library and ``fastdimse._upper.codes`` (constants, with
no import of its own beyond ``fastdimse.errors``): a server app parses its arguments and starts
listening before the library (and pydicom behind it) is imported, so that a peer can connect
within a fraction of a second of the process starting.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

# The library's default maximum PDU, from a module that imports nothing heavy.
from fastdimse._upper.codes import DEFAULT_MAX_LENGTH

# Transfer syntax UIDs the apps name, as plain strings (the library accepts str UIDs).
IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"
EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1.99"
EXPLICIT_VR_BIG_ENDIAN = "1.2.840.10008.1.2.2"

LIBRARY_LOGGER = "fastdimse"
LOG_FORMAT = "%(levelname).1s: %(message)s"
# With several worker processes: which process wrote the line.
LOG_FORMAT_WITH_PID = "%(levelname).1s: [%(process)d] %(message)s"
LOG_LEVELS = {
    "critical": logging.CRITICAL,
    "error": logging.ERROR,
    "warn": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
}

# Progress: a bar is redrawn at most this often (s); without a terminal a line this often.
BAR_INTERVAL = 0.1
LINE_INTERVAL = 2.0
BAR_WIDTH = 24

# A backlog large enough that a burst of peers connecting while the library is still being
# imported waits in the kernel instead of being refused.
LISTEN_BACKLOG = 128


def add_general_options(parser: argparse.ArgumentParser, app_name: str) -> argparse._ArgumentGroup:
    """Add the "General Options" group: --version, -q/-v/-d (exclusive) and -ll.

    --version prints "<app>.py v<version>" and exits with status 0 at once, even without
    the app's required arguments.
    """
    from fastdimse._core import __version__

    group = parser.add_argument_group("General Options")
    group.add_argument(
        "--version",
        help="print version information and exit",
        action="version",
        version=f"{app_name}.py v{__version__}",
    )
    verbosity = group.add_mutually_exclusive_group()
    verbosity.add_argument(
        "-q",
        "--quiet",
        help="quiet mode, print no warnings and errors",
        action="store_const",
        dest="log_type",
        const="q",
    )
    verbosity.add_argument(
        "-v",
        "--verbose",
        help="verbose mode, print processing details",
        action="store_const",
        dest="log_type",
        const="v",
    )
    verbosity.add_argument(
        "-d",
        "--debug",
        help="debug mode, print debug information",
        action="store_const",
        dest="log_type",
        const="d",
    )
    group.add_argument(
        "-ll",
        "--log-level",
        metavar="[l]",
        help="use level l for the logger (critical, error, warn, info, debug)",
        type=str,
        choices=list(LOG_LEVELS),
    )
    return group


def add_timeout_options(group: argparse._ArgumentGroup) -> None:
    """Add -ta, -td and -tn (seconds, default 30) to a "Network Options" group."""
    for short, long, what in (
        ("-ta", "--acse-timeout", "ACSE messages"),
        ("-td", "--dimse-timeout", "DIMSE messages"),
        ("-tn", "--network-timeout", "the network"),
    ):
        group.add_argument(
            short,
            long,
            metavar="[s]econds",
            help=f"timeout for {what} (default: 30 s)",
            type=float,
            default=30,
        )


def add_max_pdu_option(group: argparse._ArgumentGroup) -> None:
    """Add -pdu/--max-pdu (our maximum receive PDU) to a "Network Options" group."""
    group.add_argument(
        "-pdu",
        "--max-pdu",
        metavar="[n]umber of bytes",
        help=f"set max receive pdu to n bytes (0 for unlimited, default: {DEFAULT_MAX_LENGTH})",
        type=int,
        default=DEFAULT_MAX_LENGTH,
    )


def add_scu_options(
    parser: argparse.ArgumentParser, default_ae_title: str, *, syntax_options: bool = True
) -> argparse._ArgumentGroup:
    """An SCU app's network options (calling and called AE titles, timeouts, maximum PDU)
    and, with `syntax_options`, its mutually exclusive requested-transfer-syntax flags, as
    pynetdicom's SCU apps have them. Returns the "Network Options" group."""
    net = parser.add_argument_group("Network Options")
    net.add_argument(
        "-aet",
        "--calling-aet",
        metavar="[a]etitle",
        help=f"set my calling AE title (default: {default_ae_title})",
        type=str,
        default=default_ae_title,
    )
    net.add_argument(
        "-aec",
        "--called-aet",
        metavar="[a]etitle",
        help="set called AE title of peer (default: ANY-SCP)",
        type=str,
        default="ANY-SCP",
    )
    add_timeout_options(net)
    add_max_pdu_option(net)
    if not syntax_options:
        return net

    ts = parser.add_argument_group("Transfer Syntax Options").add_mutually_exclusive_group()
    ts.add_argument(
        "-xe",
        "--request-little",
        help="request explicit VR little endian TS only",
        action="store_true",
    )
    ts.add_argument(
        "-xb",
        "--request-big",
        help="request explicit VR big endian TS only",
        action="store_true",
    )
    ts.add_argument(
        "-xi",
        "--request-implicit",
        help="request implicit VR little endian TS only",
        action="store_true",
    )
    return net


def add_output_options(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The "Output Options" of the apps that receive instances: -od and --ignore."""
    out = parser.add_argument_group("Output Options")
    out.add_argument(
        "-od",
        "--output-directory",
        metavar="[d]irectory",
        help="write received objects to directory d (default: the current directory)",
        type=str,
    )
    out.add_argument("--ignore", help="receive data but don't store it", action="store_true")
    return out


def scu_ae(ns: argparse.Namespace) -> Any:
    """An AE titled by -aet, with the -ta, -td and -tn timeouts."""
    from fastdimse import AE

    ae = AE(ae_title=ns.calling_aet)
    ae.acse_timeout = ns.acse_timeout
    ae.dimse_timeout = ns.dimse_timeout
    ae.network_timeout = ns.network_timeout
    return ae


def add_scp_options(parser: argparse.ArgumentParser, default_ae_title: str) -> None:
    """An SCP app's network options (AE title, timeouts, maximum PDU, bind address) and its
    mutually exclusive preferred-transfer-syntax flags, as pynetdicom's SCP apps have them."""
    net = parser.add_argument_group("Network Options")
    net.add_argument(
        "-aet",
        "--ae-title",
        metavar="[a]etitle",
        help=f"set my AE title (default: {default_ae_title})",
        type=str,
        default=default_ae_title,
    )
    add_timeout_options(net)
    add_max_pdu_option(net)
    net.add_argument(
        "-ba",
        "--bind-address",
        metavar="[a]ddress",
        help=(
            "The address of the network interface to listen on. If unset, listen on all interfaces."
        ),
        default="",
    )

    ts = parser.add_argument_group("Preferred Transfer Syntaxes").add_mutually_exclusive_group()
    ts.add_argument(
        "-x=",
        "--prefer-uncompr",
        help="prefer explicit VR local byte order",
        action="store_true",
    )
    ts.add_argument(
        "-xe", "--prefer-little", help="prefer explicit VR little endian TS", action="store_true"
    )
    ts.add_argument(
        "-xb", "--prefer-big", help="prefer explicit VR big endian TS", action="store_true"
    )
    ts.add_argument(
        "-xi",
        "--implicit",
        help="accept implicit VR little endian TS only",
        action="store_true",
    )


def setup_logging(
    args: argparse.Namespace, app_name: str, *, show_pid: bool = False
) -> logging.Logger:
    """Route the library's and the app's log records to stderr; return the app's logger.

    Records look like "I: Requesting Association" ("I: [1234] Requesting Association" with
    ``show_pid``, for an app running several processes). The default level is ERROR (INFO for
    the apps whose parser defaults ``log_type`` to "v", as pynetdicom's Q/R SCUs); -v gives
    INFO, -d DEBUG, -ll any level; -q prints nothing at all, not even Python's warnings. The
    app's logger is a child of the library's, so one handler and one level cover both.
    """
    library = logging.getLogger(LIBRARY_LOGGER)
    app_logger = logging.getLogger(f"{LIBRARY_LOGGER}.apps.{app_name}")
    if any(isinstance(h, logging.StreamHandler) for h in library.handlers):
        # Already set up (main() called twice in one process): keep the first set-up.
        return app_logger

    if args.log_type == "q":
        # A NullHandler counts as a handler, so logging's last-resort stderr output stays off.
        library.addHandler(logging.NullHandler())
        # Quiet means nothing on stderr: pydicom warns about non-conformant values there too.
        warnings.simplefilter("ignore")
    else:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT_WITH_PID if show_pid else LOG_FORMAT))
        library.addHandler(handler)
    # Records stop here: a root handler set up by an embedding program would print them twice.
    library.propagate = False

    level = logging.ERROR
    if args.log_type == "v":
        level = logging.INFO
    elif args.log_type == "d":
        level = logging.DEBUG
    if args.log_level:
        level = LOG_LEVELS[args.log_level]
    library.setLevel(level)
    return app_logger


def associate(
    ae: Any,
    ns: argparse.Namespace,
    logger: logging.Logger,
    ext_neg: list[Any] | None = None,
    evt_handlers: list[Any] | None = None,
) -> Any:
    """Request an association with the peer an SCU app was given; the established association.

    ``ns`` carries the peer's address and port, the called AE title and our maximum PDU (the
    options of add_scu_options); ``ext_neg``, extended negotiation items to propose;
    ``evt_handlers``, the association's handlers (getscu's EVT_C_STORE). Exits with
    status 1 when no association is established: the library has logged why (refused,
    rejected, aborted, timed out), except for an address that does not resolve, which is
    logged here as one error line instead of a traceback.
    """
    try:
        assoc = ae.associate(
            ns.addr,
            ns.port,
            ae_title=ns.called_aet,
            max_pdu=ns.max_pdu,
            ext_neg=ext_neg,
            evt_handlers=evt_handlers,
        )
    except socket.gaierror as exc:
        logger.error(f"Cannot resolve the peer's address {ns.addr!r}: {exc.strerror or exc}")
        sys.exit(1)
    if not assoc.is_established:
        sys.exit(1)
    return assoc


def listen_early(bind_address: str, port: int, logger: logging.Logger) -> socket.socket:
    """Bind and listen on (bind_address, port) now, before the library is imported.

    An empty address means all IPv4 interfaces, as in pynetdicom's apps; an address with a
    colon is IPv6. Exits with status 1 (after logging why) when the port cannot be bound.
    """
    family = socket.AF_INET6 if ":" in bind_address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # A restarted server must not wait for the old connections' TIME_WAIT to end.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((bind_address, port))
        sock.listen(LISTEN_BACKLOG)
    except OSError as exc:
        sock.close()
        logger.error(f"Unable to listen on {bind_address or '*'}:{port}: {exc}")
        sys.exit(1)
    return sock


def serve_forever(
    ae: Any,
    sock: socket.socket,
    address: tuple[str, int],
    evt_handlers: Sequence[tuple[Any, Callable[..., Any]]],
) -> None:
    """Run the blocking server of `ae` on the socket `listen_early` opened; Ctrl-C ends it.

    `address` is what the server reports; the socket, already listening, is handed over through
    start_server's `_listen_socket` keyword, so no peer that connected early is lost.
    """
    try:
        ae.start_server(address, block=True, evt_handlers=list(evt_handlers), _listen_socket=sock)
    except KeyboardInterrupt:
        ae.shutdown()


# -- Progress and summaries of runs that move many instances (storescu, getscu, movescu) ------


def summary_field(label: str, value: object, width: int) -> str:
    """One summary line: the label and its colon, padded to `width`, then the value."""
    return f"{label + ':':<{width}}{value}"


def print_summary(lines: list[str]) -> None:
    """Write a summary block to stderr (not through logging: it is the run's result)."""
    sys.stderr.write("".join(f"{line}\n" for line in lines))
    sys.stderr.flush()


@dataclass(kw_only=True)
class StoreOutcomes:
    """The C-STORE requests of a run and their statuses, timed: the ones storescu sent or
    the ones getscu and movescu received. Statuses are grouped as "0xA700" and so on."""

    count: int = 0  # requests, answered or not
    nbytes: int = 0
    stored: int = 0  # answered with Success or a Warning
    warnings: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)
    elapsed: float | None = None

    def record(self, status: int | None, size: int) -> None:
        """Record a request of `size` bytes and its status (None: it had no response)."""
        self.count += 1
        self.nbytes += size
        if status is None:
            self.failures["no response"] += 1
        elif status == 0x0000:
            self.stored += 1
        elif is_warning(status):
            self.stored += 1
            self.warnings[f"0x{status:04X}"] += 1
        else:
            self.failures[f"0x{status:04X}"] += 1

    def seconds(self) -> float:
        return self.elapsed if self.elapsed is not None else time.monotonic() - self.started

    def stop(self) -> None:
        if self.elapsed is None:
            self.elapsed = time.monotonic() - self.started

    def megabytes(self) -> float:
        return self.nbytes / 1e6

    def rate(self) -> str:
        """Requests and megabytes per second so far."""
        seconds = max(self.seconds(), 1e-9)
        return f"{self.count / seconds:.1f} instances/s, {self.megabytes() / seconds:.1f} MB/s"

    def timing_lines(self, width: int) -> list[str]:
        """The summary's elapsed time and rate."""
        return [
            summary_field("Elapsed", f"{max(self.seconds(), 1e-9):.2f} s", width),
            summary_field("Rate", self.rate(), width),
        ]

    def status_lines(self, width: int) -> list[str]:
        """The summary's warnings and failures, grouped by status."""
        lines = []
        if self.warnings:
            lines.append(summary_field("Warnings", sum(self.warnings.values()), width))
            lines += [f"  {key}: {n}" for key, n in sorted(self.warnings.items())]
        lines.append(summary_field("Failures", sum(self.failures.values()), width))
        lines += [f"  {key}: {n}" for key, n in sorted(self.failures.items())]
        return lines


def is_warning(status: int) -> bool:
    """`status` is in the Warning category."""
    # Imported here: fastdimse.status builds every service's status table, which a run
    # answered with Success only never needs.
    from fastdimse.status import STATUS_WARNING, code_to_category

    return code_to_category(status) == STATUS_WARNING


class Measure(Protocol):
    """What a Progress display shows of a run."""

    @property
    def done(self) -> int:
        """Items dealt with so far."""

    @property
    def total(self) -> int | None:
        """Items in all (None while unknown)."""

    def progress_line(self) -> str:
        """The INFO line written without a terminal."""

    def bar_detail(self) -> str:
        """What follows the count and percentage on the bar."""


class Progress:
    """Progress of a long run on stderr.

    On a terminal a bar is redrawn in place; log records written meanwhile first erase it.
    Otherwise an INFO record every LINE_INTERVAL seconds (shown with -v).
    """

    def __init__(self, measure: Measure, logger: logging.Logger, stream: TextIO) -> None:
        self._measure = measure
        self._logger = logger
        self._stream = stream
        self._tty = stream.isatty()
        self._shown = False  # a bar is on screen
        self._last = time.monotonic()
        if self._tty:
            _route_log_records_through(self)

    def update(self) -> None:
        now = time.monotonic()
        if self._tty:
            if now - self._last >= BAR_INTERVAL or self._measure.done == self._measure.total:
                self._last = now
                self._draw()
        elif now - self._last >= LINE_INTERVAL:
            self._last = now
            self._logger.info(self._measure.progress_line())

    def _draw(self) -> None:
        done, total = self._measure.done, self._measure.total
        fraction = (done / total if total else 1.0) if total is not None else 0.0
        filled = int(fraction * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        count = f"{done}/{'?' if total is None else total}"
        self._stream.write(f"\r[{bar}] {count} {fraction:4.0%} {self._measure.bar_detail()}\x1b[K")
        self._stream.flush()
        self._shown = True

    def clear(self) -> None:
        """Erase the bar (before some other line is written)."""
        if self._shown:
            self._stream.write("\r\x1b[K")
            self._shown = False

    def close(self) -> None:
        self.clear()
        self._stream.flush()


class _ClearingStream:
    """A log handler's stream that erases the progress bar before a record is written."""

    def __init__(self, stream: TextIO, progress: Progress) -> None:
        self._stream = stream
        self._progress = progress

    def write(self, text: str) -> int:
        self._progress.clear()
        return self._stream.write(text)

    def flush(self) -> None:
        self._stream.flush()


def _route_log_records_through(progress: Progress) -> None:
    for handler in logging.getLogger(LIBRARY_LOGGER).handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stderr:
            handler.setStream(_ClearingStream(sys.stderr, progress))
