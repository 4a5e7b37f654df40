"""What findscu, getscu and movescu share: the query options and the query they send.

The query (the request's Identifier) comes from ``-f file`` (a DICOM file read with pydicom)
and ``-k key`` options, applied in order over it. A key is ``path=value`` (``path`` alone
means an empty value: universal matching). The path is one element, or a walk through
sequence items down to one, with ``.`` between the steps:

    PatientName=CITIZEN^Jan          by keyword
    (0010,0010)=CITIZEN^Jan          by tag, also 0010,0010 (needed for repeating groups)
    ModalitiesInStudy=CT\\MR          several values, separated by a backslash
    ReferencedStudySequence=          an empty sequence
    ReferencedStudySequence[0].ReferencedSOPInstanceUID=1.2.3
                                      item 0 of the sequence (the items up to it are created)

A value is kept as text for the text VRs, made an int (SL, SS, SV, UL, US, UV) or a float (FD,
FL) for the numeric ones, a tag for AT (``(gggg,eeee)``, ``ggggeeee`` or a keyword), and bytes
read as hexadecimal digits for the others (OB, OW, UN...). An element already in the file keeps
its VR. These are the rules of pynetdicom's apps, whose ``-k`` options work the same here.

pydicom is imported only when a query is built, so --help, --version and bad arguments do not
load it.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastdimse._sop_class_table import (
    BASIC_WORKLIST_CLASSES,
    QR_CLASSES,
    UNIFIED_PROCEDURE_STEP_CLASSES,
)
from fastdimse.apps.common import add_general_options, add_scu_options, setup_logging

if TYPE_CHECKING:
    from pydicom.dataset import Dataset
    from pydicom.tag import BaseTag

# The information models by option (dest), in the order the options are given.
ROOT_MODELS = {
    "patient": "PatientRoot",
    "study": "StudyRoot",
    "psonly": "PatientStudyOnly",
}
WORKLIST_MODEL = BASIC_WORKLIST_CLASSES["ModalityWorklistInformationFind"]
UPS_PULL_MODEL = UNIFIED_PROCEDURE_STEP_CLASSES["UnifiedProcedureStepPull"]

TEXT_VRS = frozenset("AE AS CS DA DS DT IS LO LT PN SH ST TM UC UI UR UT".split())  # kept as given
INT_VRS = frozenset("SL SS SV UL US UV".split())
FLOAT_VRS = frozenset("FD FL".split())

# One step of a key's path: a keyword or tag, with an optional "[item number]".
_STEP = re.compile(r"(?P<name>[^\[\]]+)(?:\[(?P<item>\d+)\])?")
_TAG = re.compile(r"\(?(?P<group>[0-9A-Fa-f]{4}),(?P<element>[0-9A-Fa-f]{4})\)?")


def qr_parser(
    app_name: str, default_ae_title: str, description: str, *, find: bool = False
) -> tuple[argparse.ArgumentParser, argparse._ArgumentGroup]:
    """A Q/R SCU app's parser with the options they all have: the peer's address and port,
    the general options (INFO by default, as pynetdicom's Q/R SCUs), the network options
    (returned, for the app to add to), the information models (see add_model_options) and
    the -k/-f query options."""
    parser = argparse.ArgumentParser(
        prog=app_name, description=description, usage=f"{app_name} [options] addr port"
    )
    params = parser.add_argument_group("Parameters")
    params.add_argument("addr", help="TCP/IP address or hostname of DICOM peer", type=str)
    params.add_argument("port", help="TCP/IP port number of peer", type=int)
    add_general_options(parser, app_name)
    parser.set_defaults(log_type="v")
    net = add_scu_options(parser, default_ae_title, syntax_options=False)
    add_model_options(parser, find=find)
    add_query_options(parser)
    return parser, net


def parse_query_args(parser: argparse.ArgumentParser, args: list[str] | None) -> argparse.Namespace:
    """Parse the command line; exits with status 2 on bad arguments, and when neither -f
    nor -k was given."""
    ns = parser.parse_args(args)
    if not ns.file and not ns.keyword:
        parser.error("-f and/or -k must be specified")
    return ns


def add_negotiation_flags(parser: argparse.ArgumentParser, flags: list[tuple[str, str]]) -> None:
    """The "Extended Negotiation Options": one switch per (option, what it asks for)."""
    group = parser.add_argument_group("Extended Negotiation Options")
    for flag, what in flags:
        group.add_argument(flag, help=f"request the use of {what}", action="store_true")


def add_model_options(parser: argparse.ArgumentParser, *, find: bool = False) -> None:
    """The mutually exclusive information model options: -P (default), -S, -O and, for
    findscu (`find`), -W (modality worklist) and -U (unified procedure step pull)."""
    group = parser.add_argument_group("Query Information Model Options")
    models = group.add_mutually_exclusive_group()
    models.add_argument(
        "-P",
        "--patient",
        help="use patient root information model (default)",
        action="store_true",
    )
    models.add_argument(
        "-S", "--study", help="use study root information model", action="store_true"
    )
    models.add_argument(
        "-O", "--psonly", help="use patient/study only information model", action="store_true"
    )
    if find:
        models.add_argument(
            "-W", "--worklist", help="use modality worklist information model", action="store_true"
        )
        models.add_argument(
            "-U", "--ups", help="use unified procedure step information model", action="store_true"
        )


def add_query_options(parser: argparse.ArgumentParser) -> None:
    """The -k (a query key, repeatable) and -f (a query file) options."""
    group = parser.add_argument_group("Query Options")
    group.add_argument(
        "-k",
        "--keyword",
        metavar="[k]eyword: (gggg,eeee)=str, keyword=str",
        help=(
            "add or override a query element using either an element tag as "
            "(group,element) or the element's keyword (such as PatientName)"
        ),
        type=str,
        action="append",
    )
    group.add_argument(
        "-f",
        "--file",
        metavar="path to [f]ile",
        help=(
            "use a DICOM file as the query dataset, if used with -k then the elements "
            "will be added to or overwrite those present in the file"
        ),
        type=str,
    )


def query_model(ns: argparse.Namespace, operation: str) -> str:
    """The SOP class UID of the information model the options chose, for `operation`
    ("Find", "Get" or "Move")."""
    if getattr(ns, "worklist", False):
        return WORKLIST_MODEL
    if getattr(ns, "ups", False):
        return UPS_PULL_MODEL
    root = next((name for dest, name in ROOT_MODELS.items() if getattr(ns, dest)), "PatientRoot")
    return QR_CLASSES[f"{root}QueryRetrieveInformationModel{operation}"]


def extended_negotiation(sop_class: str, flags: list[bool], prefix: bytes = b"") -> Any:
    """A SOP Class Extended Negotiation item for `sop_class`: `prefix`, then one byte per
    flag (1: asked for, 0: not), as PS3.4 lays out the service's application information."""
    from fastdimse.pdu_primitives import SOPClassExtendedNegotiation

    item = SOPClassExtendedNegotiation()
    item.sop_class_uid = sop_class
    item.service_class_application_information = prefix + bytes(int(f) for f in flags)
    return item


def begin(
    ns: argparse.Namespace, app_name: str, operation: str
) -> tuple[logging.Logger, Dataset, str]:
    """A Q/R SCU app's start: its logger (set up, the version logged at DEBUG), the query
    the options build and the information model they chose, for `operation` ("Find", "Get"
    or "Move"). Exits with status 1 when the query cannot be built."""
    logger = setup_logging(ns, app_name)
    from fastdimse._core import __version__

    logger.debug(f"{app_name}.py v{__version__}")
    logger.debug("")
    return logger, build_query(ns, logger), query_model(ns, operation)


def build_query(ns: argparse.Namespace, logger: logging.Logger) -> Dataset:
    """The query the options describe (-f, then every -k in order); exits with status 1,
    after logging why, when the file cannot be read or a key cannot be applied."""
    from pydicom.dataset import Dataset

    query = Dataset()
    if ns.file:
        query = read_query_file(ns.file, logger)
    for key in ns.keyword or []:
        try:
            apply_key(query, key)
        except (ValueError, TypeError, OverflowError) as exc:
            logger.error(f"Cannot use the query key '{key}': {exc}")
            sys.exit(1)
    return query


def start_request(
    assoc: Any, send: Callable[[], Iterator[Any]], logger: logging.Logger
) -> Iterator[Any]:
    """The responses of the request `send` makes. When it cannot be sent (no accepted
    context for the information model, or a query that cannot be encoded), logs why,
    releases the association and exits with status 1."""
    try:
        return send()
    except ValueError as exc:
        logger.error(str(exc))
        assoc.release()
        sys.exit(1)


def read_query_file(path: str, logger: logging.Logger) -> Dataset:
    """The data set of the DICOM file at `path`, every value decoded (exits with status 1)."""
    from pydicom import dcmread

    try:
        query = dcmread(path, force=True)
    except Exception as exc:
        logger.error(f"Cannot read input file {path}: {exc}")
        sys.exit(1)
    try:
        for _ in query.iterall():  # pydicom decodes lazily: a bad value shows only here
            pass
    except Exception as exc:
        logger.error(f"Cannot decode the input file {path} (corrupt, or not DICOM?): {exc}")
        sys.exit(1)
    return query


# -- -k keys ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of a key's path: the element, its dictionary VR, and the sequence item to
    enter (None: the step names the element itself)."""

    text: str
    tag: BaseTag
    vr: str
    item: int | None


def apply_key(query: Dataset, key: str) -> None:
    """Add or replace in `query` the element `key` ("path=value") names; ValueError when
    the key cannot be read."""
    path, _, value = key.partition("=")
    steps = [parse_step(text) for text in path.split(".")]
    _apply(query, steps, value)


def parse_step(text: str) -> Step:
    """One step of a path: "Keyword", "(gggg,eeee)" or "gggg,eeee", then "[n]" or nothing."""
    match = _STEP.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"invalid element path component '{text}'")
    tag = parse_tag(match["name"])
    item = None if match["item"] is None else int(match["item"])
    return Step(text, tag, "SQ" if item is not None else dictionary_vr(tag), item)


def parse_tag(name: str) -> BaseTag:
    """The tag a keyword or "(gggg,eeee)" names."""
    from pydicom.datadict import repeater_has_keyword, tag_for_keyword
    from pydicom.tag import Tag

    match = _TAG.fullmatch(name)
    if match is not None:
        return Tag(int(match["group"], 16), int(match["element"], 16))
    if "," in name:
        raise ValueError(f"'{name}' is not a tag: use (gggg,eeee), four hex digits each")
    if repeater_has_keyword(name):
        raise ValueError(f"'{name}' is in a repeating group: give it as (gggg,eeee)")
    tag = tag_for_keyword(name)
    if tag is None:
        raise ValueError(f"'{name}' is not a DICOM keyword")
    return Tag(tag)


def dictionary_vr(tag: BaseTag) -> str:
    """The VR the data dictionary gives (the first of "US or SS"), "UN" for tags it lacks."""
    from pydicom.datadict import dictionary_VR

    try:
        return str(dictionary_VR(tag)).split(" or ")[0]
    except KeyError:
        return "UN"


def _apply(ds: Dataset, steps: list[Step], value: str) -> None:
    step, rest = steps[0], steps[1:]
    if step.vr != "SQ":
        if rest:
            raise ValueError(f"'{step.text}' is not a sequence: nothing can follow it")
        vr = ds[step.tag].VR if step.tag in ds else step.vr
        ds.add_new(step.tag, vr, convert(vr, value))
        return
    if step.item is None:
        if rest:
            raise ValueError(f"'{step.text}' needs an item number, as in '{step.text}[0]'")
        ds.add_new(step.tag, "SQ", [])
        return
    if step.tag not in ds:
        ds.add_new(step.tag, "SQ", [])
    elif ds[step.tag].VR != "SQ":
        raise ValueError(f"'{step.text}': the element is there and is not a sequence")
    from pydicom.dataset import Dataset

    items = ds[step.tag].value
    while len(items) <= step.item:
        items.append(Dataset())
    if rest:
        _apply(items[step.item], rest, value)


def convert(vr: str, text: str) -> Any:
    """The value `text` stands for in an element of VR `vr` (see the module docstring)."""
    if not text or vr in TEXT_VRS:
        return text
    parts = text.split("\\")
    if vr == "AT":
        tags = [parse_tag(part) for part in parts]
        return tags if len(tags) > 1 else tags[0]
    if vr in INT_VRS:
        ints = [int(part) for part in parts]
        return ints if len(ints) > 1 else ints[0]
    if vr in FLOAT_VRS:
        floats = [float(part) for part in parts]
        return floats if len(floats) > 1 else floats[0]
    return bytes.fromhex(text)
