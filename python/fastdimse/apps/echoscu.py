"""echoscu: a Verification SCU that sends C-ECHO requests, with pynetdicom's options.

    python -m fastdimse echoscu [options] addr port

Exit status: 0 once an association was established (whatever the C-ECHO statuses), 1 when
no association could be established (refused, rejected, aborted, timed out, or the peer's
address does not resolve), 2 for bad arguments.
"""

from __future__ import annotations

import argparse

from fastdimse.apps.common import (
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_BIG_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
    add_general_options,
    add_scu_options,
    associate,
    scu_ae,
    setup_logging,
)

APP_NAME = "echoscu"

# Proposed when no -x option is given, in this order.
DEFAULT_SYNTAXES = [
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_BIG_ENDIAN,
]


def main(args: list[str] | None = None) -> None:
    """Run echoscu with `args` (default: sys.argv[1:]); exits with status 1 on failure."""
    ns = parse_args(args)
    logger = setup_logging(ns, APP_NAME)
    from fastdimse._core import __version__

    logger.debug(f"{APP_NAME}.py v{__version__}")
    logger.debug("")

    # Imported only now: --help, --version and bad arguments stay fast.
    from fastdimse._sop_class_table import VERIFICATION_CLASSES

    ae = scu_ae(ns)
    # The UID as a str: fastdimse.sop_class would load pydicom.
    ae.add_requested_context(VERIFICATION_CLASSES["Verification"], requested_syntaxes(ns))

    assoc = associate(ae, ns, logger)
    for _ in range(ns.repeat):
        # send_c_echo() with the status alone: no pydicom Dataset per response.
        assoc.submit_c_echo(1).status()
    if ns.abort:
        assoc.abort()
    else:
        assoc.release()


def parse_args(args: list[str] | None = None) -> argparse.Namespace:
    """Parse echoscu's command line (exits with status 2 on bad arguments)."""
    parser = argparse.ArgumentParser(
        prog=APP_NAME,
        description=(
            "The echoscu application implements a Service Class User (SCU) for the "
            "Verification Service Class. It sends a DICOM C-ECHO message to a Service Class "
            "Provider (SCP) and waits for a response. The application can be used to verify "
            "basic DICOM connectivity."
        ),
        usage="echoscu [options] addr port",
    )

    params = parser.add_argument_group("Parameters")
    params.add_argument("addr", help="TCP/IP address of DICOM peer", type=str)
    params.add_argument("port", help="TCP/IP port number of peer", type=int)

    add_general_options(parser, APP_NAME)

    add_scu_options(parser, "ECHOSCU")

    misc = parser.add_argument_group("Miscellaneous Options")
    misc.add_argument(
        "--repeat", metavar="[n]umber", help="repeat echo request n times", type=int, default=1
    )
    misc.add_argument(
        "--abort", help="abort association instead of releasing it", action="store_true"
    )

    return parser.parse_args(args)


def requested_syntaxes(ns: argparse.Namespace) -> list[str]:
    """The transfer syntaxes to propose for Verification, from the -x options."""
    if ns.request_little:
        return [EXPLICIT_VR_LITTLE_ENDIAN]
    if ns.request_big:
        return [EXPLICIT_VR_BIG_ENDIAN]
    if ns.request_implicit:
        return [IMPLICIT_VR_LITTLE_ENDIAN]
    return list(DEFAULT_SYNTAXES)


if __name__ == "__main__":
    main()
