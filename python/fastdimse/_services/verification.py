"""The Verification Service Class (PS3.4 Annex A): C-ECHO."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastdimse import status as _status
from fastdimse._dimse.primitives.c_services import C_ECHO
from fastdimse._dimse.primitives.checked import copy_uids
from fastdimse._services.base import HandlerCall, Serve, ServiceClass
from fastdimse.events import EVT_C_ECHO

if TYPE_CHECKING:
    from fastdimse._upper.contexts import PresentationContext

__all__ = ["VerificationServiceClass"]

LOGGER = logging.getLogger("fastdimse.service_class")


class VerificationServiceClass(ServiceClass):
    """Verification SOP class (PS3.4 Annex A): C-ECHO."""

    statuses = _status.VERIFICATION_SERVICE_CLASS_STATUS

    def serve(self, req: C_ECHO, context: PresentationContext) -> Serve:
        """Answer a C-ECHO: Success unless the EVT_C_ECHO handler returns another valid status.

        A handler that raises gets Success all the same (pynetdicom's rule: the
        peer asked whether we are there, and we are).
        """
        from pydicom.dataset import Dataset

        rsp = C_ECHO()
        rsp.MessageIDBeingRespondedTo = req.MessageID
        copy_uids(req, rsp, "AffectedSOPClassUID")
        try:
            status = yield HandlerCall(EVT_C_ECHO, {"request": req, "context": context.as_tuple})
            if not self.assoc.is_established:
                return None  # the handler released or aborted
            if isinstance(status, Dataset):
                if "Status" not in status:
                    raise AttributeError(
                        "The 'status' dataset returned by the handler bound to "
                        "'evt.EVT_C_ECHO' must contain a (0000,0900) Status element"
                    )
                for elem in status:
                    if hasattr(rsp, elem.keyword):
                        setattr(rsp, elem.keyword, elem.value)
                    else:
                        LOGGER.warning(
                            "The 'status' dataset returned by the handler bound to "
                            "'evt.EVT_C_ECHO' contained an unsupported Element '%s'",
                            elem.keyword,
                        )
            elif isinstance(status, int):
                rsp.Status = status
            else:
                raise TypeError(
                    "Invalid 'status' returned by the handler bound to 'evt.EVT_C_ECHO'"
                )
        except Exception as exc:
            LOGGER.error(
                "Exception in the handler bound to 'evt.EVT_C_ECHO', responding "
                "with a default 'Status' value of 0x0000 (Success)"
            )
            LOGGER.exception(exc)
            rsp.Status = 0x0000

        if not self.is_valid_status(int(rsp.Status or 0)):
            LOGGER.warning(
                "Unknown 'status' value returned by the handler bound to 'evt.EVT_C_ECHO' - 0x%04X",
                int(rsp.Status or 0),
            )
        return rsp
