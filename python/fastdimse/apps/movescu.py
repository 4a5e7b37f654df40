"""movescu: a Query/Retrieve C-MOVE SCU, with pynetdicom's options.

    python -m fastdimse movescu [options] addr port (-k key | -f file) ...

It sends one C-MOVE request with the query the -k and -f options build (see
fastdimse.apps.query) in the patient root information model (-S study root, -O patient/study
only), asking the peer to send the matching instances to the AE titled by -aem (default
STORESCP). It proposes the 13 Query/Retrieve contexts, as pynetdicom's movescu.

With --store it is that destination too: before the request it starts a Storage SCP on
--store-port (default 11113) titled --store-aet (default STORESCP), accepting every storage
class in every transfer syntax, which writes each instance as getscu does (-od, --ignore).
Unlike pynetdicom's (which listens on localhost only, so that no peer on another host could
deliver), it listens on every interface, as our storescp does by default. After the final
response the peer has up to 5 s to end its store associations before the SCP closes.

Progress is shown on stderr and a summary follows the final response (not with -q); see
fastdimse.apps.retrieve. Log lines at INFO by default, as pynetdicom's movescu. Exit status,
as pynetdicom's: 0 once an association was established (whatever the statuses), 1 when the
query file cannot be read or a -k key used, when --store-port cannot be listened on, when no
association could be established or no context for the information model was accepted, 2
for bad arguments, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from fastdimse.apps.common import associate, listen_early, scu_ae
from fastdimse.apps.query import begin, parse_query_args, qr_parser, start_request
from fastdimse.apps.retrieve import (
    ReceivingStore,
    Retrieval,
    add_retrieve_options,
    retrieve_negotiation,
    run_retrieval,
    show_progress,
    wait_for_store_associations,
)

APP_NAME = "movescu"
# Every interface: the peer sending the instances is seldom on this host.
STORE_BIND_ADDRESS = ""


def main(args: list[str] | None = None) -> None:
    """Run movescu with `args` (default: sys.argv[1:])."""
    ns = parse_args(args)
    logger, query, model = begin(ns, APP_NAME, "Move")
    ae = build_ae(ns)
    retrieval = Retrieval(receiving=ns.store, ignoring=ns.ignore)
    server = start_store_scp(ae, ns, logger, retrieval) if ns.store else None
    try:
        assoc = associate(ae, ns, logger, ext_neg=retrieve_negotiation(ns, model))
        show_progress(retrieval, ns, logger)
        destination = ns.move_aet or ns.calling_aet
        responses = start_request(
            assoc, lambda: assoc.send_c_move(query, destination, model), logger
        )
        run_retrieval(assoc, responses, retrieval, logger)
    finally:
        if server is not None:
            wait_for_store_associations(server)
            ae.shutdown()


def build_ae(ns: argparse.Namespace) -> Any:
    """The AE requesting pynetdicom's Query/Retrieve contexts."""
    from fastdimse import QueryRetrievePresentationContexts

    ae = scu_ae(ns)
    ae.requested_contexts = QueryRetrievePresentationContexts
    return ae


def start_store_scp(
    ae: Any, ns: argparse.Namespace, logger: logging.Logger, retrieval: Retrieval
) -> Any:
    """Serve C-STOREs on --store-port in a thread, as --store-aet; exits with status 1 when
    the port cannot be listened on."""
    sock = listen_early(STORE_BIND_ADDRESS, ns.store_port, logger)
    from fastdimse import ALL_TRANSFER_SYNTAXES, AllStoragePresentationContexts, evt

    for context in AllStoragePresentationContexts:
        ae.add_supported_context(context.abstract_syntax, ALL_TRANSFER_SYNTAXES)
    handler = ReceivingStore(ns, logger, retrieval)
    server = ae.start_server(
        (STORE_BIND_ADDRESS, ns.store_port),
        block=False,
        evt_handlers=[(evt.EVT_C_STORE, handler)],
        ae_title=ns.store_aet,
        _listen_socket=sock,
    )
    logger.info(f"Storage SCP {ns.store_aet} listening on port {ns.store_port}")
    return server


def parse_args(args: list[str] | None = None) -> argparse.Namespace:
    """Parse movescu's command line (exits with status 2 on bad arguments)."""
    parser, net = qr_parser(
        APP_NAME,
        "MOVESCU",
        "The movescu application implements a Service Class User (SCU) for the Query/Retrieve "
        "(QR) Service Class. It sends a C-MOVE request with the query keys given to a QR Move "
        "SCP, which sends the matching instances to the move destination; with --store, "
        "movescu is that destination and writes each instance to a file.",
    )
    net.add_argument(
        "-aem",
        "--move-aet",
        metavar="[a]etitle",
        help="set move destination AE title (default: STORESCP)",
        type=str,
        default="STORESCP",
    )
    add_store_options(parser)
    add_retrieve_options(parser)
    return parse_query_args(parser, args)


def add_store_options(parser: argparse.ArgumentParser) -> None:
    """--store, --store-port and --store-aet."""
    group = parser.add_argument_group("Storage SCP Options")
    group.add_argument(
        "--store",
        help="start a Storage SCP that can be used as the move destination",
        action="store_true",
    )
    group.add_argument(
        "--store-port",
        metavar="[p]ort",
        help="the port number to use for the Storage SCP (default: 11113)",
        type=int,
        default=11113,
    )
    group.add_argument(
        "--store-aet",
        metavar="[a]etitle",
        help="the AE title to use for the Storage SCP (default: STORESCP)",
        type=str,
        default="STORESCP",
    )


if __name__ == "__main__":
    main()
