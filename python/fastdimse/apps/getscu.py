"""getscu: a Query/Retrieve C-GET SCU, with pynetdicom's options.

    python -m fastdimse getscu [options] addr port (-k key | -f file) ...

It sends one C-GET request with the query the -k and -f options build (see
fastdimse.apps.query) in the patient root information model (-S study root, -O patient/study
only) and receives the instances on the same association: it proposes pynetdicom's 120
default storage contexts with the SCP role, and writes each instance as storescp does, named
like "CT.<SOP Instance UID>", in the -od directory (default: the current directory; --ignore
keeps nothing). Progress is shown on stderr and a summary follows the final response (not
with -q); see fastdimse.apps.retrieve.

Log lines at INFO by default, as pynetdicom's getscu (-q: nothing; -d: DEBUG). Exit status,
as pynetdicom's: 0 once an association was established (whatever the statuses), 1 when the
query file cannot be read or a -k key used, when no association could be established or no
context for the information model was accepted, 2 for bad arguments, 130 when interrupted.
"""

from __future__ import annotations

import argparse
from typing import Any

from fastdimse._sop_class_table import QR_CLASSES
from fastdimse.apps.common import associate, scu_ae
from fastdimse.apps.query import begin, parse_query_args, qr_parser, start_request
from fastdimse.apps.retrieve import (
    ReceivingStore,
    Retrieval,
    add_retrieve_options,
    retrieve_negotiation,
    run_retrieval,
    show_progress,
)

APP_NAME = "getscu"

# Requested, with the default transfer syntaxes, before the storage contexts.
GET_MODELS = [
    QR_CLASSES["PatientRootQueryRetrieveInformationModelGet"],
    QR_CLASSES["StudyRootQueryRetrieveInformationModelGet"],
    QR_CLASSES["PatientStudyOnlyQueryRetrieveInformationModelGet"],
]


def main(args: list[str] | None = None) -> None:
    """Run getscu with `args` (default: sys.argv[1:])."""
    ns = parse_args(args)
    logger, query, model = begin(ns, APP_NAME, "Get")
    ae, roles = build_ae(ns)

    retrieval = Retrieval(receiving=True, ignoring=ns.ignore)
    handler = ReceivingStore(ns, logger, retrieval)
    from fastdimse import evt

    assoc = associate(
        ae,
        ns,
        logger,
        ext_neg=roles + retrieve_negotiation(ns, model),
        evt_handlers=[(evt.EVT_C_STORE, handler)],
    )
    show_progress(retrieval, ns, logger)
    responses = start_request(assoc, lambda: assoc.send_c_get(query, model), logger)
    run_retrieval(assoc, responses, retrieval, logger)


def build_ae(ns: argparse.Namespace) -> tuple[Any, list[Any]]:
    """The AE requesting the C-GET models and pynetdicom's default storage contexts, and the
    role selection items proposing the SCP role for each of these."""
    from fastdimse import StoragePresentationContexts, build_role

    ae = scu_ae(ns)
    for model in GET_MODELS:
        ae.add_requested_context(model)
    roles: list[Any] = []
    for context in StoragePresentationContexts:
        ae.add_requested_context(context.abstract_syntax)
        roles.append(build_role(context.abstract_syntax, scp_role=True))
    return ae, roles


def parse_args(args: list[str] | None = None) -> argparse.Namespace:
    """Parse getscu's command line (exits with status 2 on bad arguments)."""
    parser, _ = qr_parser(
        APP_NAME,
        "GETSCU",
        "The getscu application implements a Service Class User (SCU) for the Query/Retrieve "
        "(QR) Service Class. It sends a C-GET request with the query keys given to a QR Get "
        "SCP and receives the matching instances on the same association, writing each to a "
        "file.",
    )
    add_retrieve_options(parser)
    return parse_query_args(parser, args)


if __name__ == "__main__":
    main()
