"""The Query/Retrieve service class (PS3.4 C) and the services built on C-FIND,
under pynetdicom's names.

Each class says which SOP classes it answers by DIMSE service
(``_SUPPORTED_UIDS``, pynetdicom's attribute, which ``sop_class.register_uid``
extends) and with which status table; ``serve`` hands the request to the
C-FIND (``qr_find``) or the C-GET/C-MOVE (``qr_retrieve``) implementation.
A request of another service, or for a SOP class the class does not list, is
refused with 0x0122 (SOP Class Not Supported).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

from fastdimse import status as _status
from fastdimse._dimse.answers import status_response
from fastdimse._dimse.primitives.c_services import C_FIND, C_GET, C_MOVE
from fastdimse._services.base import STATUS_SOP_CLASS_NOT_SUPPORTED, Serve, ServiceClass
from fastdimse._services.qr_find import serve_find, serve_single_find
from fastdimse._services.qr_retrieve import GET, MOVE, serve_retrieve

if TYPE_CHECKING:
    from fastdimse._upper.contexts import PresentationContext

__all__ = [
    "BasicWorklistManagementServiceClass",
    "ColorPaletteQueryRetrieveServiceClass",
    "DefinedProcedureProtocolQueryRetrieveServiceClass",
    "HangingProtocolQueryRetrieveServiceClass",
    "ImplantTemplateQueryRetrieveServiceClass",
    "InventoryQueryRetrieveServiceClass",
    "ProtocolApprovalQueryRetrieveServiceClass",
    "QueryRetrieveServiceClass",
    "RelevantPatientInformationQueryServiceClass",
    "SubstanceAdministrationQueryServiceClass",
]

LOGGER = logging.getLogger("fastdimse.service_class")


_DIMSE_NAMES: dict[type, str] = {C_FIND: "C-FIND", C_GET: "C-GET", C_MOVE: "C-MOVE"}
_STATUSES: dict[str, dict[int, tuple[str, str]]] = {
    "C-FIND": _status.QR_FIND_SERVICE_CLASS_STATUS,
    "C-GET": _status.QR_GET_SERVICE_CLASS_STATUS,
    "C-MOVE": _status.QR_MOVE_SERVICE_CLASS_STATUS,
}


class QueryRetrieveServiceClass(ServiceClass):
    """Query/Retrieve (PS3.4 C) and the other query/retrieve services: C-FIND,
    C-GET and C-MOVE, each for the SOP classes listed under its name."""

    statuses = _status.QR_FIND_SERVICE_CLASS_STATUS
    # The status table of each DIMSE service; a subclass with one table sets ``statuses``.
    _statuses_by_service: ClassVar[dict[str, dict[int, tuple[str, str]]] | None] = _STATUSES
    _SUPPORTED_UIDS: ClassVar[dict[str, list[str]]] = {
        "C-FIND": [
            "1.2.840.10008.5.1.4.1.2.1.1",  # Patient Root
            "1.2.840.10008.5.1.4.1.2.2.1",  # Study Root
            "1.2.840.10008.5.1.4.1.2.3.1",  # Patient/Study Only (retired)
            "1.2.840.10008.5.1.4.20.1",  # Composite Instance Root
            "1.2.840.10008.5.1.4.38.2",  # Hanging Protocol
            "1.2.840.10008.5.1.4.39.2",  # Color Palette
            "1.2.840.10008.5.1.4.43.2",  # Generic Implant Template
            "1.2.840.10008.5.1.4.44.2",  # Implant Assembly Template
            "1.2.840.10008.5.1.4.45.2",  # Implant Template Group
            "1.2.840.10008.5.1.4.1.1.200.4",  # Defined Procedure Protocol
            "1.2.840.10008.5.1.4.1.1.201.2",  # Inventory
            "1.2.840.10008.5.1.4.1.1.201.6",  # Repository Query
        ],
        "C-GET": [
            "1.2.840.10008.5.1.4.1.2.1.3",
            "1.2.840.10008.5.1.4.1.2.2.3",
            "1.2.840.10008.5.1.4.1.2.3.3",
            "1.2.840.10008.5.1.4.1.2.4.3",  # Composite Instance Root
            "1.2.840.10008.5.1.4.1.2.5.3",  # Composite Instance Retrieve Without Bulk Data
            "1.2.840.10008.5.1.4.20.3",
            "1.2.840.10008.5.1.4.38.4",
            "1.2.840.10008.5.1.4.39.4",
            "1.2.840.10008.5.1.4.43.4",
            "1.2.840.10008.5.1.4.44.4",
            "1.2.840.10008.5.1.4.45.4",
            "1.2.840.10008.5.1.4.1.1.200.6",
            "1.2.840.10008.5.1.4.1.1.201.4",
        ],
        "C-MOVE": [
            "1.2.840.10008.5.1.4.1.2.1.2",
            "1.2.840.10008.5.1.4.1.2.2.2",
            "1.2.840.10008.5.1.4.1.2.3.2",
            "1.2.840.10008.5.1.4.1.2.4.2",
            "1.2.840.10008.5.1.4.20.2",
            "1.2.840.10008.5.1.4.38.3",
            "1.2.840.10008.5.1.4.39.3",
            "1.2.840.10008.5.1.4.43.3",
            "1.2.840.10008.5.1.4.44.3",
            "1.2.840.10008.5.1.4.45.3",
            "1.2.840.10008.5.1.4.1.1.200.5",
            "1.2.840.10008.5.1.4.1.1.201.3",
        ],
    }

    def serve(self, req: Any, context: PresentationContext) -> Serve:
        """Answer a C-FIND, C-GET or C-MOVE of a SOP class this class supports."""
        service = _DIMSE_NAMES.get(type(req), "")
        if str(context.abstract_syntax) not in self._SUPPORTED_UIDS.get(service, ()):
            LOGGER.error(
                "The supplied abstract syntax is not valid for use with the %s",
                type(self).__name__,
            )
            return status_response(req, STATUS_SOP_CLASS_NOT_SUPPORTED)
        if self._statuses_by_service is not None:
            self.statuses = self._statuses_by_service[service]
        if service == "C-FIND":
            return (yield from serve_find(self, req, context))
        return (yield from serve_retrieve(self, req, context, GET if service == "C-GET" else MOVE))


class _FindOnly(QueryRetrieveServiceClass):
    """A service of C-FIND alone, with one status table."""

    _statuses_by_service = None


class BasicWorklistManagementServiceClass(_FindOnly):
    """Basic Worklist Management (PS3.4 K): C-FIND."""

    statuses = _status.MODALITY_WORKLIST_SERVICE_CLASS_STATUS
    _SUPPORTED_UIDS: ClassVar[dict[str, list[str]]] = {"C-FIND": ["1.2.840.10008.5.1.4.31"]}


class SubstanceAdministrationQueryServiceClass(_FindOnly):
    """Substance Administration Query (PS3.4 V): C-FIND."""

    statuses = _status.SUBSTANCE_ADMINISTRATION_SERVICE_CLASS_STATUS
    _SUPPORTED_UIDS: ClassVar[dict[str, list[str]]] = {
        "C-FIND": ["1.2.840.10008.5.1.4.41", "1.2.840.10008.5.1.4.42"]
    }


class RelevantPatientInformationQueryServiceClass(_FindOnly):
    """Relevant Patient Information Query (PS3.4 Q): C-FIND with one match at most."""

    statuses = _status.RELEVANT_PATIENT_SERVICE_CLASS_STATUS
    _SUPPORTED_UIDS: ClassVar[dict[str, list[str]]] = {
        "C-FIND": [
            "1.2.840.10008.5.1.4.37.1",
            "1.2.840.10008.5.1.4.37.2",
            "1.2.840.10008.5.1.4.37.3",
        ]
    }

    def serve(self, req: Any, context: PresentationContext) -> Serve:
        if (
            not isinstance(req, C_FIND)
            or str(context.abstract_syntax) not in (self._SUPPORTED_UIDS["C-FIND"])
        ):
            return status_response(req, STATUS_SOP_CLASS_NOT_SUPPORTED)
        return (yield from serve_single_find(self, req, context))


# The query/retrieve services of PS3.4 U, X, Y, BB, HH, II, JJ: Query/Retrieve's
# implementation, for the SOP classes listed there (pynetdicom's classes, same lists).
class ColorPaletteQueryRetrieveServiceClass(QueryRetrieveServiceClass):
    """Color Palette Query/Retrieve (PS3.4 X)."""


class DefinedProcedureProtocolQueryRetrieveServiceClass(QueryRetrieveServiceClass):
    """Defined Procedure Protocol Query/Retrieve (PS3.4 HH)."""


class HangingProtocolQueryRetrieveServiceClass(QueryRetrieveServiceClass):
    """Hanging Protocol Query/Retrieve (PS3.4 U)."""


class ImplantTemplateQueryRetrieveServiceClass(QueryRetrieveServiceClass):
    """Implant Template Query/Retrieve (PS3.4 BB)."""


class InventoryQueryRetrieveServiceClass(QueryRetrieveServiceClass):
    """Inventory Query/Retrieve (PS3.4 JJ)."""


class ProtocolApprovalQueryRetrieveServiceClass(QueryRetrieveServiceClass):
    """Protocol Approval Query/Retrieve (PS3.4 II)."""
