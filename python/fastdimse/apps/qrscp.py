"""qrscp: a Verification, Storage and Query/Retrieve SCP over an archive, with pynetdicom's
options and configuration file.

    python -m fastdimse qrscp [options]

Instances received by C-STORE are written to the instance location and indexed (SQLite by
default, PostgreSQL when the database location is a ``postgresql://`` URL) before they are
acknowledged; C-FIND answers once per matching patient, study, series or image (PS3.4 C.4.1.3);
C-GET and C-MOVE send the stored files. The configuration file is pynetdicom's: a [DEFAULT]
section (ae_title, port, max_pdu, timeouts, bind_address, instance_location,
database_location) and one section per C-MOVE destination (address, port). Relative locations
are taken from the current directory (pynetdicom takes them from its package's directory).

Ours: --reindex indexes the DICOM files under the instance location (or the given paths) in
place and exits, as DCMTK's dcmqridx does; --fsync makes each instance and its index entry
durable against power loss before it is acknowledged (without it they survive the process
being killed, not the machine losing power). --storage-commitment serves Storage Commitment
(``fastdimse.archive.commitment``): results are reported to the requestor's AE title at the
address its configuration section gives, as C-MOVE destinations are. --mpps serves Modality
Performed Procedure Step (``fastdimse.archive.mpps``, PS3.4 F's state rules) and --worklist
[dir] Modality Worklist (``fastdimse.archive.worklist``), both kept in the same database; dir's
DCMTK .wl files are imported first.

It listens before SQLAlchemy, pydicom or the library are imported, so peers can connect at once.
"""

from __future__ import annotations

import argparse
import logging
import sys
from configparser import ConfigParser
from typing import Any

from fastdimse.apps.common import add_general_options, listen_early, serve_forever, setup_logging

APP_NAME = "qrscp"

# pynetdicom's default.ini, as values (a configuration file overrides them).
DEFAULTS = {
    "ae_title": "QRSCP",
    "port": "11112",
    "max_pdu": "16382",
    "acse_timeout": "30",
    "dimse_timeout": "30",
    "network_timeout": "30",
    "bind_address": "",
    "instance_location": "instances",
    "database_location": "instances.sqlite",
    "log_identifier": "True",
}
# pynetdicom's default.ini also names one C-MOVE destination (used when no -c is given).
DEFAULT_DESTINATIONS = {"STORESCP": {"address": "127.0.0.1", "port": "11113"}}
# Command-line options that override a [DEFAULT] setting: option dest -> setting.
OVERRIDES = {
    "ae_title": "ae_title",
    "port": "port",
    "max_pdu": "max_pdu",
    "acse_timeout": "acse_timeout",
    "dimse_timeout": "dimse_timeout",
    "network_timeout": "network_timeout",
    "bind_address": "bind_address",
    "database_location": "database_location",
    "instance_location": "instance_location",
}


def main(args: list[str] | None = None) -> None:
    """Run the application."""
    ns = parse_args(args)
    logger = setup_logging(ns, APP_NAME)
    config = read_config(ns, logger)
    settings = config["DEFAULT"]
    if ns.reindex is not None:
        sys.exit(reindex(config, ns, logger))
    if ns.clean:
        sys.exit(clean(config, ns, logger))
    address = (settings["bind_address"], int(settings["port"]))
    sock = listen_early(address[0], address[1], logger)
    archive = open_archive(config, ns, logger)
    contexts, services = workflow(archive, ns, settings, logger)
    ae = build_ae(settings, contexts)
    bound = handlers(archive, logger) + [
        (event_type, _logged(event_type, handler, logger))
        for service in services
        for event_type, handler in service.handlers
    ]
    try:
        serve_forever(ae, sock, address, bound)
    finally:
        for service in services:
            service.close()


def read_config(ns: argparse.Namespace, logger: logging.Logger) -> ConfigParser:
    """The configuration: the defaults, the file (-c), then the command-line overrides."""
    config = ConfigParser()
    config.read_dict({"DEFAULT": DEFAULTS})
    if ns.config is None:
        config.read_dict(DEFAULT_DESTINATIONS)
    elif not config.read(ns.config):
        logger.error(f"Unable to read the configuration file {ns.config}")
        sys.exit(1)
    for option, setting in OVERRIDES.items():
        value = getattr(ns, option)
        if value is not None:
            config["DEFAULT"][setting] = str(value)
    try:
        destinations(config)
    except (KeyError, ValueError) as error:
        logger.error(f"A move destination of the configuration is invalid: {error!r}")
        sys.exit(1)
    _log_config(config, logger)
    return config


def destinations(config: ConfigParser) -> dict[str, tuple[str, int]]:
    """The C-MOVE destinations: AE title -> (address, port), one per section."""
    return {
        section.strip(): (config[section]["address"], int(config[section]["port"]))
        for section in config.sections()
    }


def open_archive(config: ConfigParser, ns: argparse.Namespace, logger: logging.Logger) -> Any:
    """The archive the configuration names (exits with status 1 when it cannot be opened)."""
    settings = config["DEFAULT"]
    try:
        from fastdimse.archive import Archive

        return Archive(
            settings["instance_location"],
            settings["database_location"],
            destinations=destinations(config),
            fsync=ns.fsync,
        )
    except ImportError as error:
        logger.error(f"qrscp needs the archive extra (pip install fastdimse[archive]): {error}")
    except Exception as error:
        logger.error(f"Unable to open the archive: {error}")
    sys.exit(1)


def workflow(
    archive: Any, ns: argparse.Namespace, settings: Any, logger: logging.Logger
) -> tuple[list[str], list[Any]]:
    """What the workflow options add to Q/R: the SOP classes to accept, and the services
    besides the archive's own handlers (each with ``handlers`` and ``close()``)."""
    contexts: list[str] = []
    services: list[Any] = []
    if ns.storage_commitment:
        from fastdimse.archive.commitment import StorageCommitmentSCP
        from fastdimse.commitment import COMMITMENT_SOP_CLASS

        contexts.append(COMMITMENT_SOP_CLASS)
        services.append(StorageCommitmentSCP(archive, settings["ae_title"]))
    if ns.mpps:
        from fastdimse.archive.mpps_rules import MPPS, MPPS_RETRIEVE

        contexts += [MPPS, MPPS_RETRIEVE]
    if ns.worklist is not None:
        from fastdimse.sop_class import ModalityWorklistInformationFind

        contexts.append(str(ModalityWorklistInformationFind))
        if ns.worklist:
            count = archive.import_worklist(ns.worklist, prune=True)
            logger.info(f"Worklist: {count} item{'s' if count != 1 else ''} from {ns.worklist}")
    return contexts, services


def build_ae(settings: Any, workflow: list[str] | None = None) -> Any:
    """The AE: Verification, every storage class (a requestor may take either role, or both:
    SCP to receive a C-GET's instances, SCU to store, on one association),
    the FIND, GET and MOVE models the archive serves (Patient Root, Study Root, and the
    retired Patient/Study Only), and the ``workflow`` SOP classes."""
    from pydicom.uid import ExplicitVRLittleEndian

    from fastdimse import AE, ALL_TRANSFER_SYNTAXES
    from fastdimse._upper.contexts import AllStoragePresentationContexts
    from fastdimse.archive.levels import served_sop_classes
    from fastdimse.sop_class import Verification

    ae = AE(ae_title=settings["ae_title"])
    ae.maximum_pdu_size = settings.getint("max_pdu")
    ae.acse_timeout = settings.getfloat("acse_timeout")
    ae.dimse_timeout = settings.getfloat("dimse_timeout")
    ae.network_timeout = settings.getfloat("network_timeout")
    ae.add_supported_context(Verification, ALL_TRANSFER_SYNTAXES)
    # Explicit VR first: a C-GET's instances then go as they are usually stored, and no
    # private element loses its VR to a conversion to Implicit VR on the way.
    explicit_first = sorted(ALL_TRANSFER_SYNTAXES, key=lambda uid: uid != ExplicitVRLittleEndian)
    for context in AllStoragePresentationContexts:
        ae.add_supported_context(
            str(context.abstract_syntax), explicit_first, scu_role=True, scp_role=True
        )
    for model in [*served_sop_classes(), *(workflow or [])]:
        ae.add_supported_context(model)
    return ae


def handlers(archive: Any, logger: logging.Logger) -> list[tuple[Any, Any]]:
    """The archive's handlers, each logging its request, and C-ECHO's."""
    from fastdimse import evt

    def on_echo(event: Any) -> int:
        _log_request(event, "C-ECHO", logger)
        return 0x0000

    bound = [(evt.EVT_C_ECHO, on_echo)]
    requests = (evt.EVT_C_FIND, evt.EVT_C_GET, evt.EVT_C_MOVE)
    for event_type, handler in archive.handlers:
        if event_type in (*requests, evt.EVT_N_CREATE, evt.EVT_N_SET, evt.EVT_N_GET):
            handler = _logged(event_type, handler, logger)
        bound.append((event_type, handler))
    return bound


def _logged(event_type: Any, handler: Any, logger: logging.Logger) -> Any:
    """``handler``, logging each request first (as pynetdicom's qrscp logs its requests)."""
    name = event_type.name.removeprefix("EVT_").replace("_", "-")

    def log_then_handle(event: Any) -> Any:
        _log_request(event, name, logger)
        return handler(event)

    return log_then_handle


def reindex(config: ConfigParser, ns: argparse.Namespace, logger: logging.Logger) -> int:
    """--reindex: index the files in place; the exit status."""
    archive = open_archive(config, ns, logger)
    with archive:
        count = archive.reindex(ns.reindex or None)
    print(f"Indexed {count} instance{'s' if count != 1 else ''} into {archive.index.url}")
    return 0


def clean(config: ConfigParser, ns: argparse.Namespace, logger: logging.Logger) -> int:
    """--clean: after confirmation, delete every stored instance and its index entry."""
    answer = input(
        "This will delete all instances from both the storage directory and the database. "
        "Are you sure you wish to continue? [yes/no]: "
    )
    if answer != "yes":
        return 0
    archive = open_archive(config, ns, logger)
    with archive:
        removed, failed = archive.clear()
    logger.info(f"Removed {removed} instances")
    if failed:
        logger.error(f"Failed to delete {failed} instances")
        return 1
    return 0


def parse_args(args: list[str] | None = None) -> argparse.Namespace:
    """Parse qrscp's command line (exits with status 2 on bad arguments)."""
    parser = argparse.ArgumentParser(
        prog=APP_NAME,
        description=(
            "The qrscp application implements a Service Class Provider (SCP) for the "
            "Verification, Storage and Query/Retrieve (QR) Service Classes."
        ),
        usage="qrscp [options]",
    )
    general = add_general_options(parser, APP_NAME)
    general.add_argument(
        "-c", "--config", metavar="[f]ilename", help="use configuration file f", default=None
    )
    net = parser.add_argument_group("Networking Options")
    net.add_argument("--port", help="override the configured TCP/IP listen port number")
    net.add_argument("-aet", "--ae-title", metavar="[a]etitle", help="override the AE title")
    for short, long, what in (
        ("-ta", "--acse-timeout", "ACSE messages"),
        ("-td", "--dimse-timeout", "DIMSE messages"),
        ("-tn", "--network-timeout", "the network"),
    ):
        net.add_argument(
            short, long, metavar="[s]econds", help=f"override the configured timeout for {what}"
        )
    net.add_argument(
        "-pdu", "--max-pdu", metavar="[n]umber of bytes", help="override the max receive pdu"
    )
    net.add_argument(
        "-ba", "--bind-address", metavar="[a]ddress", help="override the address to listen on"
    )
    db = parser.add_argument_group("Database Options")
    db.add_argument(
        "--database-location",
        metavar="[f]ile",
        help="override the database: an SQLite file, or a postgresql:// URL",
    )
    db.add_argument(
        "--instance-location", metavar="[d]irectory", help="override the storage directory"
    )
    db.add_argument(
        "--clean",
        help="remove all entries from the database and delete the stored instances",
        action="store_true",
    )
    db.add_argument(
        "--reindex",
        metavar="path",
        nargs="*",
        help="index the DICOM files under the instance location (or the paths) and exit",
    )
    db.add_argument(
        "--fsync",
        help="make each instance and its index entry durable before acknowledging it",
        action="store_true",
    )
    workflow = parser.add_argument_group("Workflow Options")
    workflow.add_argument(
        "--storage-commitment",
        help=(
            "serve Storage Commitment Push Model: instances held are synced, then committed; "
            "results go to the requestor on its association or at the address configured "
            "for its AE title (as C-MOVE destinations are), and survive a restart"
        ),
        action="store_true",
    )
    workflow.add_argument(
        "--mpps",
        help="serve Modality Performed Procedure Step (and its Retrieve), kept in the database",
        action="store_true",
    )
    workflow.add_argument(
        "--worklist",
        metavar="[d]irectory",
        nargs="?",
        const="",
        help=(
            "serve Modality Worklist from the database; with d, first import the DCMTK .wl "
            "files under d (items whose files are gone are dropped)"
        ),
    )
    return parser.parse_args(args)


def _log_request(event: Any, name: str, logger: logging.Logger) -> None:
    requestor = event.assoc.requestor
    timestamp = event.timestamp.strftime("%Y-%m-%d %H:%M:%S")
    logger.info(f"Received {name} request from {requestor.address}:{requestor.port} at {timestamp}")


def _log_config(config: ConfigParser, logger: logging.Logger) -> None:
    settings = config["DEFAULT"]
    logger.debug("Configuration settings")
    logger.debug(
        f"  AE title: {settings['ae_title']}, Port: {settings['port']}, "
        f"Max. PDU: {settings['max_pdu']}"
    )
    logger.debug(
        f"  Timeouts: ACSE: {settings['acse_timeout']}, DIMSE: {settings['dimse_timeout']}, "
        f"Network: {settings['network_timeout']}"
    )
    logger.debug(f"  Storage directory: {settings['instance_location']}")
    logger.debug(f"  Database location: {settings['database_location']}")
    for title, (address, port) in destinations(config).items():
        logger.debug(f"  Move destination {title}: ({address}, {port})")


if __name__ == "__main__":
    main()
