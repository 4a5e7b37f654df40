"""storescu: a Storage SCU that sends DICOM files, with pynetdicom's options.

    python -m fastdimse storescu [options] addr port path [path ...]

Every path is a file or a directory (its files; with -r its whole tree). Each file's SOP class
and transfer syntax are read from its File Meta Information only, before the association is
requested, so that one association proposes what every file needs and each file is streamed
from disk in its own transfer syntax. The presentation contexts proposed:

- by default, for every SOP class among the files, one context per transfer syntax the files
  use and one offering pynetdicom's four uncompressed syntaxes (so a peer that refuses a file's
  own syntax can still take a converted copy), then pynetdicom's default storage contexts up to
  as many as pynetdicom proposes (120), or more up to the limit of 128 if the files need them;
- with -xe/-xb/-xi, one context per SOP class among the files offering only that syntax (files
  are converted to it where possible), then the default storage contexts with that syntax;
- with -cx, only one context per SOP class and transfer syntax among the files, as pynetdicom.

With more than one file, progress is shown on stderr (a bar on a terminal, an INFO line every
2 s otherwise) and a summary follows the last file (not with -q): instances and bytes sent,
elapsed time, rates and the failures grouped by status.

Exit status, as pynetdicom's: 0 once an association was established (whatever the C-STORE
statuses) and when no DICOM file was found among the paths that exist; 1 when none of the
paths exists, when no association could be established (the peer's address does not resolve,
refused, rejected, aborted, timed out) or the files need more than 128 presentation contexts;
2 for bad arguments; 130 when interrupted.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastdimse.apps.common import (
    BAR_WIDTH as BAR_WIDTH,  # the progress bar's width, as the tests know it
)
from fastdimse.apps.common import (
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_BIG_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
    Progress,
    StoreOutcomes,
    add_general_options,
    add_scu_options,
    associate,
    print_summary,
    scu_ae,
    setup_logging,
    summary_field,
)

APP_NAME = "storescu"

# Offered for every SOP class when no -x option is given, in this order (pynetdicom's).
DEFAULT_SYNTAXES = [
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_BIG_ENDIAN,
]

# An association proposes at most 128 presentation contexts (odd IDs 1-255, PS3.8 9.3.2.2).
MAX_CONTEXTS = 128

# The summary's labels are padded to this width.
SUMMARY_WIDTH = 16


class TooManyContexts(Exception):
    """The files need more presentation contexts than one association can propose."""


@dataclass(frozen=True)
class DicomFile:
    """A file to send, as found by the scan before the association."""

    path: Path
    sop_class: str
    transfer_syntax: str
    size: int
    # The File Meta Information lacks the SOP class or instance UID: the engine cannot stream
    # the file, so it is read with pydicom and sent as a data set.
    as_dataset: bool = False


def main(args: list[str] | None = None) -> None:
    """Run storescu with `args` (default: sys.argv[1:]); exits with status 1 on failure."""
    ns = parse_args(args)
    logger = setup_logging(ns, APP_NAME)
    from fastdimse._core import __version__

    logger.debug(f"{APP_NAME}.py v{__version__}")
    logger.debug("")

    paths, missing = find_files(ns.path, ns.recurse)
    for bad in missing:
        logger.error(f"Cannot access path: {bad}")

    files: list[DicomFile] = []
    skipped = 0
    for path in paths:
        try:
            files.append(scan_file(path))
        except ValueError as exc:
            logger.error(f"{exc}: {path}")
            skipped += 1
    if not files:
        if missing and not paths:
            # Nothing was there to look at: a mistyped path, not an empty folder.
            logger.error("No file to send: none of the paths given exists")
            sys.exit(1)
        logger.warning("No suitable DICOM files found")
        sys.exit(0)

    # Imported only now: --help, --version and bad arguments stay fast.
    from fastdimse._sop_class_table import STORAGE_SELECTION

    try:
        # pynetdicom's StoragePresentationContexts, by SOP class (no contexts built).
        contexts = plan_contexts(files, ns, sorted(STORAGE_SELECTION))
    except TooManyContexts as exc:
        logger.error(str(exc))
        sys.exit(1)

    ae = scu_ae(ns)
    for abstract_syntax, syntaxes in contexts:
        ae.add_requested_context(abstract_syntax, syntaxes)

    tally = Tally(total=len(files), skipped=skipped)
    assoc = associate(ae, ns, logger, ext_neg=window_proposal(ns.async_ops))

    show = len(files) > 1 and ns.log_type != "q"
    progress = Progress(tally, logger, sys.stderr) if show else None
    # What start-up built lives for the whole run: out of the collector's sight, the
    # full collections the sending loop triggers do not walk it again (~5% of the CPU).
    gc.freeze()
    try:
        send_files(assoc, files, tally, logger, progress)
    except KeyboardInterrupt:
        assoc.abort()
        logger.error("Interrupted: association aborted")
        finish(tally, progress, show)
        sys.exit(130)
    if assoc.is_established:
        assoc.release()
    finish(tally, progress, show)


def send_files(
    assoc: Any,
    files: list[DicomFile],
    tally: Tally,
    logger: logging.Logger,
    progress: Progress | None,
) -> None:
    """Send each file with C-STORE on `assoc`, recording the outcomes in `tally`.

    Pipelined: each file is read while the requests before it are answered, up
    to the negotiated asynchronous operations window (1 by default: the next
    file is read while the last one's response is awaited).
    """
    in_flight: deque[tuple[DicomFile, Any]] = deque()
    window = assoc.dimse.invoked.window or 0xFFFF  # 0: unlimited
    for index, item in enumerate(files):
        if not assoc.is_established:
            # Aborted (by the peer, or by us on a DIMSE timeout): the rest cannot go.
            left = len(files) - index
            logger.error(f"Association ended: {left} file(s) not sent")
            tally.not_sent("association ended", left)
            break
        logger.info(f"Sending file: {item.path}")
        # Unique among the outstanding requests while fewer than 65535 are.
        message_id = index % 0xFFFF + 1
        try:
            source: Any = item.path
            if item.as_dataset:
                from pydicom import dcmread

                source = dcmread(item.path)
            pending = assoc.submit_c_store(source, message_id)
        except ValueError as exc:
            # No accepted presentation context fits (checked before anything is sent), or a
            # data set that cannot be encoded.
            logger.error(f"Store failed: {item.path}: {exc}")
            tally.not_sent("no accepted presentation context or not encodable")
        except OSError as exc:
            logger.error(f"Store failed: {item.path}: {exc}")
            tally.not_sent("unreadable file")
        except Exception as exc:
            logger.error(f"Store failed: {item.path}")
            logger.exception(exc)
            tally.not_sent("error")
        else:
            in_flight.append((item, pending))
        while in_flight and (in_flight[0][1].done() or len(in_flight) > window):
            _answered(*in_flight.popleft(), tally, progress)
        if progress is not None and not in_flight:
            progress.update()
    while in_flight:
        _answered(*in_flight.popleft(), tally, progress)


def _answered(item: DicomFile, pending: Any, tally: Tally, progress: Progress | None) -> None:
    """Wait for the response to `item`'s request and record it (-1: none came)."""
    status = pending.status()
    if not pending.sent:
        # Read ahead while the association ended: it never left.
        tally.not_sent("association ended")
    else:
        tally.answered(status if status >= 0 else None, item.size)
    if progress is not None:
        progress.update()


def window_proposal(size: int | None) -> list[Any] | None:
    """The Asynchronous Operations Window item proposing `size` outstanding requests
    of ours (and performing one of the peer's), or None to propose none."""
    if size is None:
        return None
    from fastdimse._upper.negotiation_items import AsynchronousOperationsWindowNegotiation

    return [AsynchronousOperationsWindowNegotiation.of(size)]


def finish(tally: Tally, progress: Progress | None, show: bool) -> None:
    """End the progress display and print the summary (when shown at all)."""
    tally.stop()
    if progress is not None:
        progress.close()
    if show:
        print_summary(tally.summary())


def find_files(paths: list[str], recurse: bool) -> tuple[list[Path], list[str]]:
    """The files named by `paths` (directories: their files, every level with `recurse`),
    sorted and without repeats, and the paths that are neither file nor directory."""
    found: set[str] = set()
    missing: list[str] = []
    for name in paths:
        if os.path.isfile(name):
            found.add(name)
        elif os.path.isdir(name):
            if recurse:
                for root, _, names in os.walk(name):
                    found.update(os.path.join(root, entry) for entry in names)
            else:
                found.update(os.path.join(name, entry) for entry in os.listdir(name))
        else:
            missing.append(name)
    return [Path(p) for p in sorted(p for p in found if os.path.isfile(p))], missing


def scan_file(path: Path) -> DicomFile:
    """What the association needs to know of `path`, from its File Meta Information.

    Only the meta group is read; the data set is looked at (up to its pixel data) only when the
    meta group lacks the SOP class or instance. Raises ValueError saying why the file cannot be
    sent.
    """
    from fastdimse._files.part10 import read_file_meta

    try:
        # The byte-level reader first (a few µs); pydicom's for what it does not take.
        fast = read_file_meta(path)
        return DicomFile(path, fast.sop_class_uid, fast.transfer_syntax_uid, fast.file_size)
    except (OSError, ValueError):
        pass
    from pydicom import dcmread
    from pydicom.filereader import read_file_meta_info

    try:
        size = path.stat().st_size
        meta = read_file_meta_info(path)
    except Exception:
        # InvalidDicomError (no "DICM"), a truncated or corrupt meta group, an unreadable file.
        raise ValueError("Bad DICOM file") from None
    syntax = meta.get("TransferSyntaxUID")
    sop_class = meta.get("MediaStorageSOPClassUID")
    if syntax and sop_class and meta.get("MediaStorageSOPInstanceUID"):
        return DicomFile(path, str(sop_class), str(syntax), size)
    if not syntax:
        raise ValueError("Unknown SOP Class or Transfer Syntax UID")
    try:
        ds = dcmread(path, stop_before_pixels=True, specific_tags=["SOPClassUID"])
        sop_class = ds.SOPClassUID
    except Exception:
        raise ValueError("Unknown SOP Class or Transfer Syntax UID") from None
    return DicomFile(path, str(sop_class), str(syntax), size, as_dataset=True)


def plan_contexts(
    files: list[DicomFile], ns: argparse.Namespace, default_classes: list[str]
) -> list[tuple[str, list[str]]]:
    """The presentation contexts to propose, as (abstract syntax, transfer syntaxes).

    See the module docstring for the three cases. Raises TooManyContexts when the files alone
    need more than one association can propose.
    """
    used: dict[str, list[str]] = {}  # SOP class -> its files' syntaxes, in first-seen order
    for item in files:
        syntaxes = used.setdefault(item.sop_class, [])
        if item.transfer_syntax not in syntaxes:
            syntaxes.append(item.transfer_syntax)
    exact = [(sop, [syntax]) for sop, syntaxes in used.items() for syntax in syntaxes]

    if ns.required_contexts:
        _check_count(len(exact), "with the '--required-contexts' flag")
        return exact

    only = requested_syntax(ns)
    offered = [only] if only else list(DEFAULT_SYNTAXES)
    if only:
        needed = [(sop, [only]) for sop in used]
    else:
        fallback = [(sop, list(DEFAULT_SYNTAXES)) for sop in used]
        # The fallbacks go first when the limit bites: the exact contexts keep every file
        # sendable as it is.
        needed = exact + fallback if len(exact) + len(fallback) <= MAX_CONTEXTS else exact
    _check_count(len(needed), "")
    fill = [(sop, list(offered)) for sop in default_classes if sop not in used]
    # As many contexts as pynetdicom proposes (its default list), so that a peer
    # sees the same count; more only when the files need them.
    total = min(MAX_CONTEXTS, max(len(default_classes), len(needed)))
    return needed + fill[: total - len(needed)]


def _check_count(count: int, how: str) -> None:
    if count > MAX_CONTEXTS:
        raise TooManyContexts(
            f"The files need {count} presentation contexts {how}".rstrip()
            + f", more than the {MAX_CONTEXTS} of one association: send fewer files at once"
        )


def requested_syntax(ns: argparse.Namespace) -> str | None:
    """The one transfer syntax an -x option asks for, else None."""
    if ns.request_little:
        return EXPLICIT_VR_LITTLE_ENDIAN
    if ns.request_big:
        return EXPLICIT_VR_BIG_ENDIAN
    if ns.request_implicit:
        return IMPLICIT_VR_LITTLE_ENDIAN
    return None


@dataclass(kw_only=True)
class Tally(StoreOutcomes):
    """What happened to the files: counts, bytes and time for the progress and the summary.
    `count` and `nbytes` are the requests sent (answered or not) and their bytes."""

    total: int
    skipped: int = 0
    done: int = 0  # files dealt with (sent or not)

    def answered(self, status: int | None, size: int) -> None:
        """Record a sent request and its response status (None: no response)."""
        self.done += 1
        self.record(status, size)

    def not_sent(self, reason: str, count: int = 1) -> None:
        self.done += count
        self.failures[f"not sent, {reason}"] += count

    def summary(self) -> list[str]:
        """The summary block, one line per item."""
        lines = [
            summary_field("Instances sent", f"{self.count} of {self.total}", SUMMARY_WIDTH),
            summary_field(
                "Bytes sent", f"{self.nbytes} ({self.megabytes():.1f} MB)", SUMMARY_WIDTH
            ),
            *self.timing_lines(SUMMARY_WIDTH),
            summary_field("Stored", self.stored, SUMMARY_WIDTH),
        ]
        if self.skipped:
            lines.append(
                summary_field("Skipped", f"{self.skipped} (not DICOM files)", SUMMARY_WIDTH)
            )
        return lines + self.status_lines(SUMMARY_WIDTH)

    def progress_line(self) -> str:
        return (
            f"Sent {self.count} of {self.total} instances, {self.megabytes():.1f} MB, {self.rate()}"
        )

    def bar_detail(self) -> str:
        seconds = max(self.seconds(), 1e-9)
        return f"{self.megabytes():.1f} MB {self.megabytes() / seconds:.1f} MB/s"


def parse_args(args: list[str] | None = None) -> argparse.Namespace:
    """Parse storescu's command line (exits with status 2 on bad arguments)."""
    parser = argparse.ArgumentParser(
        prog=APP_NAME,
        description=(
            "The storescu application implements a Service Class User (SCU) for the Storage "
            "Service Class. It sends each DICOM file named on the command line (or found in "
            "the directories named) to a Storage Service Class Provider (SCP) with a C-STORE "
            "message, all over one association, and waits for each response."
        ),
        usage="storescu [options] addr port path",
    )

    params = parser.add_argument_group("Parameters")
    params.add_argument("addr", help="TCP/IP address or hostname of DICOM peer", type=str)
    params.add_argument("port", help="TCP/IP port number of peer", type=int)
    params.add_argument(
        "path",
        metavar="path",
        nargs="+",
        help="DICOM file or directory to be transmitted",
        type=str,
    )

    add_general_options(parser, APP_NAME)

    inputs = parser.add_argument_group("Input Options")
    inputs.add_argument(
        "-r", "--recurse", help="recursively search the given directory", action="store_true"
    )

    add_scu_options(parser, "STORESCU")

    misc = parser.add_argument_group("Miscellaneous Options")
    misc.add_argument(
        "-cx",
        "--required-contexts",
        help="only request the presentation contexts required for the input DICOM file(s)",
        action="store_true",
    )
    misc.add_argument(
        "--async-ops",
        metavar="[n]umber",
        type=_window_size,
        help=(
            "propose an asynchronous operations window of n outstanding C-STORE requests "
            "(PS3.7 D.3.3.3; off by default: some peers drop an association that proposes one)"
        ),
    )

    return parser.parse_args(args)


def _window_size(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 0xFFFF:
        raise argparse.ArgumentTypeError("must be from 1 to 65535")
    return value


if __name__ == "__main__":
    main()
