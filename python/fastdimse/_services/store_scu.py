"""What ``Association.send_c_store`` sends: the request, its context and its data set.

A path whose transfer syntax the peer accepted is sent straight from the file:
the core reads the data set after the file meta in chunks and fragments it, so
the file is never decoded nor held whole in memory (pynetdicom's
``STORE_SEND_CHUNKED_DATASET``, here the default wherever it is exact). Any
other input goes through pydicom: a Dataset, or a file whose transfer syntax
needs converting to an accepted one (implicit <-> explicit VR, little <-> big
endian, deflate), which pydicom can do for uncompressed data only.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from fastdimse import _config
from fastdimse._dimse.primitives.c_services import C_STORE
from fastdimse._files.encoding import encode_data_set
from fastdimse._files.part10 import read_file_meta

if TYPE_CHECKING:
    from pathlib import Path

    from pydicom.dataset import Dataset

    from fastdimse._dimse.provider import DIMSEServiceProvider, FileMessage
    from fastdimse._upper.contexts import PresentationContext

__all__ = ["StoreRequest", "prepare_c_store", "prepare_file_message"]

LOGGER = logging.getLogger("fastdimse.assoc")

# Deflated Explicit VR Little Endian and JPIP Referenced Deflate.
_DEFLATED = frozenset({"1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.4.95"})


class Contexts(Protocol):
    """The accepted presentation contexts, and the association's choice among them."""

    def exact_context(self, sop_class: str, transfer_syntax: str) -> int | None:
        """The ID of an accepted SCU context for exactly this SOP class and syntax."""

    def valid_context(
        self, ab_syntax: str, tr_syntax: str, role: str, *, allow_conversion: bool = ...
    ) -> PresentationContext: ...


@dataclass
class StoreRequest:
    """A C-STORE request ready to send: from ``path`` (at ``offset``, ``length``
    bytes) when ``path`` is set, else with its data set in ``primitive.DataSet``."""

    primitive: C_STORE
    context_id: int
    path: Path | None = None
    offset: int = 0
    length: int = 0
    # A deflated data set of odd length is sent with its trailing pad byte (PS3.5
    # A.5), which some writers leave out.
    pad_odd_length: bool = False


def prepare_c_store(
    contexts: Contexts,
    dataset: str | os.PathLike[str] | Dataset,
    msg_id: int,
    priority: int,
    originator_aet: str | None,
    originator_id: int | None,
) -> StoreRequest:
    """The request for ``dataset``; raises before anything is sent when it cannot go.

    ``AttributeError`` when the SOP class, instance or transfer syntax cannot be
    told, ``ValueError`` when no accepted context fits (or encoding fails).
    """
    req = C_STORE()
    req.MessageID = msg_id
    req.Priority = priority
    req.MoveOriginatorApplicationEntityTitle = originator_aet
    req.MoveOriginatorMessageID = originator_id
    if isinstance(dataset, str | os.PathLike):
        from pathlib import Path  # here: echoscu never sends a file

        streamed = _prepare_file(contexts, req, Path(dataset))
        if streamed is not None:
            return streamed
        from pydicom import dcmread

        dataset = dcmread(os.fspath(dataset))
    return _prepare_dataset(contexts, req, dataset)


def prepare_file_message(dimse: DIMSEServiceProvider, request: StoreRequest) -> FileMessage | None:
    """The message of a request sent from its file, its first part read now
    (``OSError`` if it cannot be); None for a request with its data set in memory."""
    if request.path is None:
        return None
    return dimse.file_message(
        request.primitive,
        request.context_id,
        request.path,
        request.offset,
        request.length,
        pad_odd_length=request.pad_odd_length,
    )


def _prepare_file(contexts: Contexts, req: C_STORE, path: Path) -> StoreRequest | None:
    """The request streaming ``path`` unchanged, or None when it must be converted."""
    try:
        meta = read_file_meta(path)
    except ValueError as error:
        if _config.STORE_SEND_CHUNKED_DATASET:
            raise AttributeError(
                f"Unable to send the dataset from the file at {os.fspath(path)} as {error}"
            ) from None
        return None  # not a file with a meta header: let pydicom try
    context_id = contexts.exact_context(meta.sop_class_uid, meta.transfer_syntax_uid)
    if context_id is None:
        if _config.STORE_SEND_CHUNKED_DATASET:
            # pynetdicom's error (and log line) for a file that cannot go as it is
            contexts.valid_context(
                meta.sop_class_uid, meta.transfer_syntax_uid, "scu", allow_conversion=False
            )
        return None
    req.AffectedSOPClassUID = meta.sop_class_uid
    req.AffectedSOPInstanceUID = meta.sop_instance_uid
    req._dataset_path = (path, meta.data_offset)
    return StoreRequest(
        req,
        context_id,
        path,
        meta.data_offset,
        meta.file_size - meta.data_offset,
        pad_odd_length=meta.transfer_syntax_uid in _DEFLATED,
    )


def _prepare_dataset(contexts: Contexts, req: C_STORE, dataset: Dataset) -> StoreRequest:
    from pydicom.uid import UID

    missing = [kw for kw in ("SOPClassUID", "SOPInstanceUID") if kw not in dataset]
    if missing:
        raise AttributeError(
            "Unable to send the dataset as one or more required element are missing: "
            + ", ".join(missing)
        )
    try:
        syntax = UID(dataset.file_meta.TransferSyntaxUID)
    except AttributeError:
        raise AttributeError(
            "Unable to determine the presentation context to use with `dataset` as it "
            "contains no '(0002,0010) Transfer Syntax UID' file meta information element"
        ) from None
    syntax = _syntax_matching_encoding(dataset, syntax)
    context = contexts.valid_context(dataset.SOPClassUID, syntax, "scu")
    target = UID(context.transfer_syntax[0])
    req.AffectedSOPClassUID = dataset.SOPClassUID
    req.AffectedSOPInstanceUID = dataset.SOPInstanceUID
    req.DataSet = encode_data_set(dataset, target)
    return StoreRequest(req, int(context.context_id or 0))


def _syntax_matching_encoding(dataset: Dataset, syntax: Any) -> Any:
    """The transfer syntax to look for: the file meta's, unless the data set was
    read or built in another (uncompressed) encoding (pynetdicom's rule)."""
    from pydicom.uid import ExplicitVRBigEndian, ImplicitVRLittleEndian

    implicit, little = dataset.original_encoding
    if implicit is None or little is None:
        return syntax
    if (syntax.is_implicit_VR, syntax.is_little_endian) == (implicit, little):
        return syntax
    described = ("explicit VR", "implicit VR")[implicit] + (" big endian", " little endian")[little]
    message = (
        f"'dataset' is encoded as {described} but the file meta has a (0002,0010) "
        f"Transfer Syntax UID of '{syntax.name}'"
    )
    if (implicit, little) == (True, True):
        LOGGER.warning(f"{message} - using 'Implicit VR Little Endian' instead")
        return ImplicitVRLittleEndian
    if (implicit, little) == (False, False):
        LOGGER.warning(f"{message} - using 'Explicit VR Big Endian' instead")
        return ExplicitVRBigEndian
    raise AttributeError(f"{message} - please set an appropriate Transfer Syntax")
