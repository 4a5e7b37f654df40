"""echoscp: a Verification SCP that answers C-ECHO requests, with pynetdicom's options.

    python -m fastdimse echoscp [options] port

It listens before the library is imported, so peers can connect almost at once. It runs
until interrupted: Ctrl-C ends it with status 0, SIGTERM kills it (non-zero status). Status 1
when the port cannot be bound, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
from typing import Any

from fastdimse.apps.common import (
    EXPLICIT_VR_BIG_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
    add_general_options,
    add_scp_options,
    listen_early,
    serve_forever,
    setup_logging,
)

APP_NAME = "echoscp"


def main(args: list[str] | None = None) -> None:
    """Run echoscp with `args` (default: sys.argv[1:]) until interrupted."""
    ns = parse_args(args)
    logger = setup_logging(ns, APP_NAME)
    # Listen first: peers may connect while the library is still being imported.
    sock = listen_early(ns.bind_address, ns.port, logger)

    from fastdimse._core import __version__

    logger.debug(f"{APP_NAME}.py v{__version__}")
    logger.debug("")

    from fastdimse import AE, ALL_TRANSFER_SYNTAXES, evt
    from fastdimse.sop_class import Verification

    ae = AE(ae_title=ns.ae_title)
    ae.add_supported_context(Verification, accepted_syntaxes(ns, ALL_TRANSFER_SYNTAXES))
    ae.maximum_pdu_size = ns.max_pdu
    ae.network_timeout = ns.network_timeout
    ae.acse_timeout = ns.acse_timeout
    ae.dimse_timeout = ns.dimse_timeout

    serve_forever(ae, sock, (ns.bind_address, ns.port), [(evt.EVT_C_ECHO, handle_echo)])


def handle_echo(event: Any) -> int:
    """EVT_C_ECHO handler: answer every C-ECHO with Success (0x0000)."""
    return 0x0000


def parse_args(args: list[str] | None = None) -> argparse.Namespace:
    """Parse echoscp's command line (exits with status 2 on bad arguments)."""
    parser = argparse.ArgumentParser(
        prog=APP_NAME,
        description=(
            "The echoscp application implements a Service Class Provider (SCP) for the "
            "Verification SOP Class. It listens for a DICOM C-ECHO message from a Service "
            "Class User (SCU) and sends a response. The application can be used to verify "
            "basic DICOM connectivity."
        ),
        usage="echoscp [options] port",
    )

    params = parser.add_argument_group("Parameters")
    params.add_argument("port", help="TCP/IP port number to listen on", type=int)

    add_general_options(parser, APP_NAME)

    add_scp_options(parser, "ECHOSCP")

    return parser.parse_args(args)


def accepted_syntaxes(ns: argparse.Namespace, all_syntaxes: list[str]) -> list[str]:
    """The transfer syntaxes to accept for Verification, most preferred first."""
    syntaxes = [str(uid) for uid in all_syntaxes]
    if ns.implicit:
        return [IMPLICIT_VR_LITTLE_ENDIAN]
    if ns.prefer_uncompr:
        # DCMTK's meaning of -x=: any explicit VR syntax before implicit VR little endian.
        return _move(syntaxes, IMPLICIT_VR_LITTLE_ENDIAN, last=True)
    if ns.prefer_little:
        return _move(syntaxes, EXPLICIT_VR_LITTLE_ENDIAN, last=False)
    if ns.prefer_big:
        return _move(syntaxes, EXPLICIT_VR_BIG_ENDIAN, last=False)
    return syntaxes


def _move(syntaxes: list[str], uid: str, *, last: bool) -> list[str]:
    rest = [s for s in syntaxes if s != uid]
    return [*rest, uid] if last else [uid, *rest]


if __name__ == "__main__":
    main()
