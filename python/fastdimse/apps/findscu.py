"""findscu: a Query/Retrieve and Basic Worklist Management C-FIND SCU, with pynetdicom's
options.

    python -m fastdimse findscu [options] addr port (-k key | -f file) ...

It sends one C-FIND request with the query the -k and -f options build (see
fastdimse.apps.query) in the patient root information model (-S study root, -O patient/study
only, -W modality worklist, -U unified procedure step pull), proposing the Query/Retrieve,
Basic Worklist Management and Unified Procedure Step contexts (19), as pynetdicom's findscu.
With -w each match is written to a file, rsp000001.dcm, rsp000002.dcm... in the current
directory. The extended negotiation options propose a SOP Class Extended Negotiation item
for the model (PS3.4 C.5.1, K.4.1).

Log lines at INFO by default, as pynetdicom's findscu (-q: nothing; -d: DEBUG). Exit
status, as pynetdicom's: 0 once an association was established (whatever the statuses), 1
when the query file cannot be read or a -k key used, when no association could be established
or no context for the information model was accepted, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterator
from typing import Any

from fastdimse.apps.common import associate, scu_ae
from fastdimse.apps.query import (
    WORKLIST_MODEL,
    add_negotiation_flags,
    begin,
    extended_negotiation,
    parse_query_args,
    qr_parser,
    start_request,
)

APP_NAME = "findscu"

PENDING = (0xFF00, 0xFF01)
# The extended negotiation switches, in the order of their bytes (PS3.4 C.5.1.1).
FIND_NEGOTIATION_FLAGS = [
    ("--relational-query", "relational queries"),
    ("--dt-matching", "date-time matching"),
    ("--fuzzy-names", "fuzzy semantic matching of person names"),
    ("--timezone-adj", "timezone query adjustment"),
    ("--enhanced-conversion", "enhanced multi-frame image conversion"),
]
# Worklist extended negotiation (PS3.4 K.4.1.1.1): relational and date-time matching are
# always asked for, then the fuzzy names and timezone adjustment flags.
WORKLIST_PREFIX = b"\x01\x01"


def main(args: list[str] | None = None) -> None:
    """Run findscu with `args` (default: sys.argv[1:])."""
    ns = parse_args(args)
    logger, query, model = begin(ns, APP_NAME, "Find")
    assoc = associate(build_ae(ns), ns, logger, ext_neg=find_negotiation(ns, model))
    responses = start_request(assoc, lambda: assoc.send_c_find(query, model), logger)
    names = response_file_names()
    for status, identifier in responses:
        if ns.write and identifier is not None and status.get("Status") in PENDING:
            write_match(identifier, next(names), assoc, model, logger)
    if assoc.is_established:
        assoc.release()


def build_ae(ns: argparse.Namespace) -> Any:
    """The AE requesting the Q/R, worklist and UPS contexts, as pynetdicom's findscu."""
    from fastdimse import (
        BasicWorklistManagementPresentationContexts,
        QueryRetrievePresentationContexts,
        UnifiedProcedurePresentationContexts,
    )

    ae = scu_ae(ns)
    ae.requested_contexts = (
        QueryRetrievePresentationContexts
        + BasicWorklistManagementPresentationContexts
        + UnifiedProcedurePresentationContexts
    )
    return ae


def find_negotiation(ns: argparse.Namespace, model: str) -> list[Any]:
    """The SOP Class Extended Negotiation item the options ask for, or none.

    Query/Retrieve (PS3.4 C.5.1.1): relational queries, date-time matching, fuzzy semantic
    matching of names, timezone query adjustment, enhanced multi-frame conversion. Worklist:
    only the fuzzy names and timezone flags are asked about.
    """
    if model == WORKLIST_MODEL:
        flags = [ns.fuzzy_names, ns.timezone_adj]
        return [extended_negotiation(model, flags, WORKLIST_PREFIX)] if any(flags) else []
    flags = [getattr(ns, flag[2:].replace("-", "_")) for flag, _ in FIND_NEGOTIATION_FLAGS]
    return [extended_negotiation(model, flags)] if any(flags) else []


def response_file_names() -> Iterator[str]:
    """rsp000001.dcm, rsp000002.dcm, ..."""
    number = 1
    while True:
        yield f"rsp{number:06d}.dcm"
        number += 1


def write_match(identifier: Any, name: str, assoc: Any, model: str, logger: logging.Logger) -> None:
    """Write a match as a DICOM file `name`, its meta group naming the information model
    and the transfer syntax of the context it came on. Logged (not fatal) when it fails."""
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import UID, generate_uid

    from fastdimse import FASTDIMSE_IMPLEMENTATION_UID, FASTDIMSE_IMPLEMENTATION_VERSION

    meta = FileMetaDataset()
    meta.TransferSyntaxUID = UID(context_syntax(assoc, model))
    meta.MediaStorageSOPClassUID = UID(model)
    meta.MediaStorageSOPInstanceUID = generate_uid(prefix=None)
    meta.ImplementationClassUID = UID(FASTDIMSE_IMPLEMENTATION_UID)
    meta.ImplementationVersionName = FASTDIMSE_IMPLEMENTATION_VERSION
    identifier.file_meta = meta
    try:
        identifier.save_as(name, enforce_file_format=True)
    except Exception as exc:
        logger.error(f"Cannot write {name}: {exc}")


def context_syntax(assoc: Any, model: str) -> str:
    """The transfer syntax of the accepted context for `model` (on which the C-FIND went)."""
    for context in assoc.accepted_contexts:
        if context.abstract_syntax == model:
            return str(context.transfer_syntax[0])
    raise ValueError(f"no accepted presentation context for {model}")


def parse_args(args: list[str] | None = None) -> argparse.Namespace:
    """Parse findscu's command line (exits with status 2 on bad arguments)."""
    parser, _ = qr_parser(
        APP_NAME,
        "FINDSCU",
        "The findscu application implements a Service Class User (SCU) for the Query/Retrieve "
        "(QR) and Basic Worklist Management (BWM) Service Classes. It sends a C-FIND request "
        "with the query keys given to an SCP and waits for its responses. The application "
        "can be used to test SCPs of the QR and BWM Service Classes.",
        find=True,
    )
    out = parser.add_argument_group("Output Options")
    out.add_argument(
        "-w",
        "--write",
        help="write the responses to file as rsp000001.dcm, rsp000002.dcm, ...",
        action="store_true",
    )
    add_negotiation_flags(parser, FIND_NEGOTIATION_FLAGS)
    return parse_query_args(parser, args)


if __name__ == "__main__":
    main()
