"""The Storage Service Class (PS3.4 Annex B) and Non-Patient Object Storage (Annex GG):
C-STORE."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastdimse import status as _status
from fastdimse._dimse.answers import status_response
from fastdimse._dimse.primitives.c_services import C_STORE
from fastdimse._dimse.primitives.checked import copy_uids
from fastdimse._services.base import (
    STATUS_SOP_CLASS_NOT_SUPPORTED,
    HandlerCall,
    Serve,
    ServiceClass,
)
from fastdimse.events import EVT_C_STORE

if TYPE_CHECKING:
    from fastdimse._upper.contexts import PresentationContext

__all__ = ["NonPatientObjectStorageServiceClass", "StorageServiceClass"]

LOGGER = logging.getLogger("fastdimse.service_class")


class StorageServiceClass(ServiceClass):
    """Storage Service Class (PS3.4 Annex B): C-STORE.

    The data set is on disk (a spool file) by the time the handler runs; the
    response is sent only after the handler returns, so a handler that stores
    the data set (e.g. ``fastdimse._files.store.FileStore``) acknowledges only what
    it has stored.
    """

    uid = "1.2.840.10008.4.2"
    statuses = _status.STORAGE_SERVICE_CLASS_STATUS

    def serve(self, req: C_STORE, context: PresentationContext) -> Serve:
        """Answer with the EVT_C_STORE handler's status; 0xC211 if it raises."""
        rsp = C_STORE()
        if context.as_scp is False:
            # Only the SCP role stores: an SCU that sent a C-GET without negotiating
            # the SCP role for this SOP class (PS3.7 D.3.3.4) refuses its instances.
            LOGGER.error(
                "A C-STORE request arrived on a presentation context where this AE is "
                "not the SCP: answering 0x%04X",
                STATUS_SOP_CLASS_NOT_SUPPORTED,
            )
            return status_response(req, STATUS_SOP_CLASS_NOT_SUPPORTED)
        rsp.MessageID = req.MessageID
        rsp.MessageIDBeingRespondedTo = req.MessageID
        copy_uids(req, rsp, "AffectedSOPInstanceUID", "AffectedSOPClassUID")
        try:
            status = yield HandlerCall(EVT_C_STORE, {"request": req, "context": context.as_tuple})
        except Exception as exc:
            LOGGER.error("Exception in handler bound to 'evt.EVT_C_STORE'")
            LOGGER.exception(exc)
            status = 0xC211
        if not self.assoc.is_established:
            return None  # the handler released or aborted the association
        return self.validate_status(status, rsp)


class NonPatientObjectStorageServiceClass(StorageServiceClass):
    """Non-Patient Object Storage Service Class (PS3.4 Annex GG): C-STORE."""

    statuses = _status.NON_PATIENT_SERVICE_CLASS_STATUS
