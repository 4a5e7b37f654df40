"""A Modality Performed Procedure Step SCP (PS3.4 F) recorded in the archive's
database: what each modality reports of the procedures it performs.

    archive = Archive("instances")
    ae.add_supported_context(ModalityPerformedProcedureStep)
    ae.add_supported_context(ModalityPerformedProcedureStepRetrieve)
    ae.start_server(("", 11112), evt_handlers=archive.handlers)   # MPPS's included
    archive.mpps.get(uid).status                                  # "COMPLETED"

N-CREATE records a step IN PROGRESS, N-SET updates it until it is COMPLETED or
DISCONTINUED, N-GET (the Retrieve SOP Class; the MPPS SOP Class too) returns its
attributes. The checks are those of ``mpps_rules``; the rows those of
``mpps_store``. Every refusal is logged and answered with its status, Error
Comment and the elements at fault.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from fastdimse import evt
from fastdimse._dimse.answers import PROCESSING_FAILURE
from fastdimse.archive.mpps_rules import (
    DUPLICATE_SOP_INSTANCE,
    MPPS,
    MPPS_RETRIEVE,
    NO_SUCH_SOP_INSTANCE,
    Refusal,
    check_create,
    check_set,
    class_refusal,
    merge,
    requested,
)
from fastdimse.archive.mpps_store import PerformedStep, StepTable, keys_of
from fastdimse.archive.records import encode_attributes
from fastdimse.status import Status

__all__ = ["PerformedStep", "PerformedSteps"]

LOGGER = logging.getLogger("fastdimse.archive")

# Replacements an N-SET tries before giving up: each failed one means another
# N-SET on the same step succeeded in between.
_ATTEMPTS = 100

Answer = tuple[Any, Dataset | None]


class PerformedSteps:
    """The archive's MPPS SCP and its records (``Archive.mpps``); thread-safe.

    ``handlers``: the N-CREATE, N-SET and N-GET handlers to bind to an AE.
    ``get(uid)``: one step, or None; ``all(status=None)``: every step, oldest first.
    """

    def __init__(self, engine: Engine) -> None:
        self._table = StepTable(engine)

    @property
    def handlers(self) -> list[tuple[Any, Callable[[Any], Answer]]]:
        return [
            (evt.EVT_N_CREATE, self.on_n_create),
            (evt.EVT_N_SET, self.on_n_set),
            (evt.EVT_N_GET, self.on_n_get),
        ]

    def get(self, sop_instance_uid: str) -> PerformedStep | None:
        """The step ``sop_instance_uid``, or None."""
        return self._table.step(sop_instance_uid)

    def all(self, status: str | None = None) -> list[PerformedStep]:
        """Every step (of Performed Procedure Step Status ``status``), oldest first."""
        return self._table.steps(status)

    # -- the handlers ------------------------------------------------------------------

    def on_n_create(self, event: Any) -> Answer:
        """EVT_N_CREATE (F.7.2.1): record a new step; Success with its attributes."""
        request = event.request
        refusal = class_refusal(str(request.AffectedSOPClassUID), (MPPS,))
        if refusal is not None:
            return _refuse("N-CREATE", request.AffectedSOPInstanceUID, refusal)
        attributes = _decoded(event, "attribute_list")
        if isinstance(attributes, Refusal):
            return _refuse("N-CREATE", request.AffectedSOPInstanceUID, attributes)
        refusal = check_create(attributes)
        if refusal is not None:
            return _refuse("N-CREATE", request.AffectedSOPInstanceUID, refusal)
        # PS3.7 10.1.5.1.4: without an instance UID in the request, the SCP names one.
        uid = str(request.AffectedSOPInstanceUID or generate_uid(prefix=None))
        attributes.SOPClassUID = MPPS
        attributes.SOPInstanceUID = uid
        try:
            created = self._table.insert(uid, keys_of(attributes), encode_attributes(attributes))
        except (SQLAlchemyError, ValueError) as error:
            return _failed("N-CREATE", uid, error)
        if not created:
            refusal = Refusal(DUPLICATE_SOP_INSTANCE, "the step exists already")
            return _refuse("N-CREATE", uid, refusal)
        LOGGER.info("MPPS %s created, %s", uid, attributes.PerformedProcedureStepStatus)
        if request.AffectedSOPInstanceUID is None:
            attributes.AffectedSOPInstanceUID = uid  # moved into the response's command
        return Status.SUCCESS, attributes

    def on_n_set(self, event: Any) -> Answer:
        """EVT_N_SET (F.7.2.2): merge the Modification List into the step, atomically;
        Success with the attributes set."""
        request = event.request
        uid = str(request.RequestedSOPInstanceUID)
        refusal = class_refusal(str(request.RequestedSOPClassUID), (MPPS,))
        if refusal is not None:
            return _refuse("N-SET", uid, refusal)
        modification = _decoded(event, "modification_list")
        if isinstance(modification, Refusal):
            return _refuse("N-SET", uid, modification)
        try:
            for _ in range(_ATTEMPTS):
                step = self._table.step(uid)
                if step is None:
                    return _refuse("N-SET", uid, _unknown())
                stored = step.dataset
                refusal = check_set(stored, modification)
                if refusal is not None:
                    return _refuse("N-SET", uid, refusal)
                applied = merge(stored, modification)
                if self._table.replace(
                    uid, step.version, keys_of(stored), encode_attributes(stored)
                ):
                    LOGGER.info("MPPS %s set, %s", uid, stored.PerformedProcedureStepStatus)
                    return Status.SUCCESS, applied
                LOGGER.debug("MPPS %s changed while being set: read again", uid)
        except (SQLAlchemyError, ValueError) as error:
            return _failed("N-SET", uid, error)
        busy = Refusal(PROCESSING_FAILURE, f"{_ATTEMPTS} concurrent updates came first")
        return _refuse("N-SET", uid, busy)

    def on_n_get(self, event: Any) -> Answer:
        """EVT_N_GET (F.8.2.1): the requested attributes the step has (all of them when
        none are named), with its Specific Character Set."""
        request = event.request
        uid = str(request.RequestedSOPInstanceUID)
        refusal = class_refusal(str(request.RequestedSOPClassUID), (MPPS, MPPS_RETRIEVE))
        if refusal is not None:
            return _refuse("N-GET", uid, refusal)
        try:
            step = self._table.step(uid)
        except SQLAlchemyError as error:
            return _failed("N-GET", uid, error)
        if step is None:
            return _refuse("N-GET", uid, _unknown())
        return Status.SUCCESS, requested(step.dataset, list(event.attribute_identifiers))


def _decoded(event: Any, name: str) -> Dataset | Refusal:
    """The request's data set ``name`` wholly decoded, or the refusal of one that
    does not decode."""
    try:
        ds: Dataset = getattr(event, name)
        ds.decode()  # every element, in sequences too: what does not decode fails here
    except Exception as error:  # pydicom's errors on a data set it cannot read
        LOGGER.error("The %s does not decode: %s", name.replace("_", " "), error)
        return Refusal(PROCESSING_FAILURE, "the data set does not decode")
    return ds


def _unknown() -> Refusal:
    return Refusal(NO_SUCH_SOP_INSTANCE, "no such Performed Procedure Step")


def _refuse(service: str, uid: Any, refusal: Refusal) -> Answer:
    elements = "".join(f" ({tag >> 16:04X},{tag & 0xFFFF:04X})" for tag in refusal.elements)
    LOGGER.error(
        "MPPS %s of %s refused (0x%04X): %s%s",
        service,
        uid,
        refusal.status,
        refusal.comment,
        elements,
    )
    return refusal.status_dataset(), None


def _failed(service: str, uid: Any, error: Exception) -> Answer:
    """0x0110 for a step that could not be stored: its attributes do not encode
    (ValueError) or the database failed."""
    what = "it does not encode" if isinstance(error, ValueError) else "the database failed"
    LOGGER.error("MPPS %s of %s not stored: %s: %s", service, uid, what, error)
    return Refusal(PROCESSING_FAILURE, f"not stored: {what}").status_dataset(), None
