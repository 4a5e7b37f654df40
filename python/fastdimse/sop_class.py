"""SOP classes by keyword, and the service class behind each (pynetdicom's ``sop_class``).

Every SOP class pynetdicom 3.0.4 names is a module attribute here, by the same
keyword and with the same UID: ``from fastdimse.sop_class import CTImageStorage``.
Each is a :class:`SOPClass`, a :class:`pydicom.uid.UID` whose ``service_class``
is the class that implements its service.

Service classes live in :mod:`fastdimse.service_class`; they are looked up
there by name, lazily, so this module can be imported first and a service
class that is not written yet falls back to ``ServiceClass``, as pynetdicom
does for services it does not implement.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator, Mapping
from keyword import iskeyword
from typing import Any

from pydicom.uid import UID

from fastdimse import _sop_class_table as _table

__all__ = [
    "DisplaySystemInstance",
    "PrinterConfigurationRetrievalInstance",
    "PrinterInstance",
    "ProceduralEventLoggingInstance",
    "SOPClass",
    "StorageCommitmentPushModelInstance",
    "StorageManagementInstance",
    "SubstanceAdministrationLoggingInstance",
    "UPSFilteredGlobalSubscriptionInstance",
    "UPSGlobalSubscriptionInstance",
    "register_uid",
    "uid_to_service_class",
    "uid_to_sop_class",
]

LOGGER = logging.getLogger("fastdimse.sop_class")


class SOPClass(UID):
    """A SOP Class UID that knows its service class.

    ``SOPClass(uid)`` of an existing ``SOPClass`` returns it unchanged.
    """

    _service_class: type[Any] | None = None

    def __new__(cls, val: str) -> SOPClass:
        if isinstance(val, SOPClass):
            return val
        sop_class: SOPClass = super().__new__(cls, val)  # type: ignore[assignment]
        return sop_class

    @property
    def service_class(self) -> type[Any]:
        """The service class implementing this SOP class (``ServiceClass`` if none)."""
        if self._service_class is None:
            return uid_to_service_class(self)
        return self._service_class


def uid_to_service_class(uid: str) -> type[Any]:
    """Return the service class for a SOP Class or Service Class UID.

    Unknown UIDs give the base ``ServiceClass``.
    """
    for index, (group, name) in enumerate(_GROUP_SERVICE):
        if index == _SERVICE_UID_CHECK_AT and uid in _SERVICE_CLASSES:
            return _SERVICE_CLASSES[uid]
        if uid in group.values():
            return _service_class(name)
    return _service_class("ServiceClass")


def uid_to_sop_class(uid: str) -> SOPClass:
    """Return the named :class:`SOPClass` whose UID is `uid`.

    An unknown UID gives a new ``SOPClass`` served by ``ServiceClass``.
    """
    for name, value in globals().items():
        if isinstance(value, SOPClass) and not name.startswith("_") and value == uid:
            return value
    sop_class = SOPClass(uid)
    sop_class._service_class = _service_class("ServiceClass")
    return sop_class


def register_uid(
    uid: str,
    keyword: str,
    service_class: type[Any],
    dimse_msg_type: str | None = None,
) -> None:
    """Register a (private or new) SOP Class UID under `keyword`.

    Afterwards ``fastdimse.sop_class.<keyword>`` is a :class:`SOPClass` served
    by `service_class`, and the UID is in that service's SOP class group (the
    same group ``uid_to_service_class`` consults). For query/retrieve style
    services the UID is also added to the class's ``_SUPPORTED_UIDS``:
    under `dimse_msg_type` ("C-FIND", "C-GET" or "C-MOVE") for
    ``QueryRetrieveServiceClass``, under "C-FIND" for its subclasses.
    """
    if not keyword.isidentifier() or iskeyword(keyword):
        raise ValueError(
            f"The keyword '{keyword}' is not a valid Python identifier or is a Python keyword"
        )
    if not isinstance(service_class, type):
        raise TypeError("'service_class' must be a class object not a class instance")
    base = _service_class("ServiceClass")
    if not issubclass(service_class, base):
        raise TypeError(
            "'service_class' must be a ServiceClass subclass object such as 'StorageServiceClass'"
        )

    qr_class = _service_class("QueryRetrieveServiceClass")
    is_qr = qr_class is not base and issubclass(service_class, qr_class)
    if service_class is qr_class and dimse_msg_type not in ("C-FIND", "C-GET", "C-MOVE"):
        raise ValueError(
            "'dimse_msg_type' must be 'C-FIND', 'C-GET' or 'C-MOVE' "
            "when registering a UID with QueryRetrieveServiceClass"
        )

    group = _group_of(service_class)
    group[keyword] = uid
    sop_class = SOPClass(uid)
    sop_class._service_class = uid_to_service_class(uid)
    globals()[keyword] = sop_class

    if is_qr:
        msg_type = dimse_msg_type if service_class is qr_class else "C-FIND"
        supported: dict[str, list[str]] = service_class._SUPPORTED_UIDS
        supported.setdefault(str(msg_type), []).append(uid)


def __getattr__(name: str) -> SOPClass:
    # Only reached for names that are not registered: the SOP classes are real
    # module attributes. Declared so type checkers accept
    # ``from fastdimse.sop_class import CTImageStorage``.
    raise AttributeError(f"module 'fastdimse.sop_class' has no attribute '{name}'")


# The groups (same private names as pynetdicom's, same dict objects as the
# generated table so registrations show in both).
_VERIFICATION_CLASSES = _table.VERIFICATION_CLASSES
_QR_CLASSES = _table.QR_CLASSES
_STORAGE_CLASSES = _table.STORAGE_CLASSES
_APPLICATION_EVENT_CLASSES = _table.APPLICATION_EVENT_CLASSES
_BASIC_WORKLIST_CLASSES = _table.BASIC_WORKLIST_CLASSES
_COLOR_PALETTE_CLASSES = _table.COLOR_PALETTE_CLASSES
_DEFINED_PROCEDURE_CLASSES = _table.DEFINED_PROCEDURE_CLASSES
_DISPLAY_SYSTEM_CLASSES = _table.DISPLAY_SYSTEM_CLASSES
_HANGING_PROTOCOL_CLASSES = _table.HANGING_PROTOCOL_CLASSES
_IMPLANT_TEMPLATE_CLASSES = _table.IMPLANT_TEMPLATE_CLASSES
_INSTANCE_AVAILABILITY_CLASSES = _table.INSTANCE_AVAILABILITY_CLASSES
_INVENTORY_CLASSES = _table.INVENTORY_CLASSES
_MEDIA_CREATION_CLASSES = _table.MEDIA_CREATION_CLASSES
_MEDIA_STORAGE_CLASSES = _table.MEDIA_STORAGE_CLASSES
_NON_PATIENT_OBJECT_CLASSES = _table.NON_PATIENT_OBJECT_CLASSES
_PRINT_MANAGEMENT_CLASSES = _table.PRINT_MANAGEMENT_CLASSES
_PROCEDURE_STEP_CLASSES = _table.PROCEDURE_STEP_CLASSES
_PROTOCOL_APPROVAL_CLASSES = _table.PROTOCOL_APPROVAL_CLASSES
_RELEVANT_PATIENT_QUERY_CLASSES = _table.RELEVANT_PATIENT_QUERY_CLASSES
_RT_MACHINE_VERIFICATION_CLASSES = _table.RT_MACHINE_VERIFICATION_CLASSES
_STORAGE_COMMITMENT_CLASSES = _table.STORAGE_COMMITMENT_CLASSES
_STORAGE_MANAGEMENT_CLASSES = _table.STORAGE_MANAGEMENT_CLASSES
_SUBSTANCE_ADMINISTRATION_CLASSES = _table.SUBSTANCE_ADMINISTRATION_CLASSES
_UNIFIED_PROCEDURE_STEP_CLASSES = _table.UNIFIED_PROCEDURE_STEP_CLASSES

# (group, service class name) in lookup order; MediaStorage has no service
# class of its own. Service Class UIDs (_SERVICE_CLASSES) are checked after
# the first three groups.
_GROUP_SERVICE: list[tuple[dict[str, str], str]] = [
    (_VERIFICATION_CLASSES, "VerificationServiceClass"),
    (_QR_CLASSES, "QueryRetrieveServiceClass"),
    (_STORAGE_CLASSES, "StorageServiceClass"),
    (_APPLICATION_EVENT_CLASSES, "ApplicationEventLoggingServiceClass"),
    (_BASIC_WORKLIST_CLASSES, "BasicWorklistManagementServiceClass"),
    (_COLOR_PALETTE_CLASSES, "ColorPaletteQueryRetrieveServiceClass"),
    (_DEFINED_PROCEDURE_CLASSES, "DefinedProcedureProtocolQueryRetrieveServiceClass"),
    (_DISPLAY_SYSTEM_CLASSES, "DisplaySystemManagementServiceClass"),
    (_HANGING_PROTOCOL_CLASSES, "HangingProtocolQueryRetrieveServiceClass"),
    (_IMPLANT_TEMPLATE_CLASSES, "ImplantTemplateQueryRetrieveServiceClass"),
    (_INSTANCE_AVAILABILITY_CLASSES, "InstanceAvailabilityNotificationServiceClass"),
    (_INVENTORY_CLASSES, "InventoryQueryRetrieveServiceClass"),
    (_MEDIA_CREATION_CLASSES, "MediaCreationManagementServiceClass"),
    (_MEDIA_STORAGE_CLASSES, "ServiceClass"),
    (_NON_PATIENT_OBJECT_CLASSES, "NonPatientObjectStorageServiceClass"),
    (_PRINT_MANAGEMENT_CLASSES, "PrintManagementServiceClass"),
    (_PROCEDURE_STEP_CLASSES, "ProcedureStepServiceClass"),
    (_PROTOCOL_APPROVAL_CLASSES, "ProtocolApprovalQueryRetrieveServiceClass"),
    (_RELEVANT_PATIENT_QUERY_CLASSES, "RelevantPatientInformationQueryServiceClass"),
    (_RT_MACHINE_VERIFICATION_CLASSES, "RTMachineVerificationServiceClass"),
    (_STORAGE_COMMITMENT_CLASSES, "StorageCommitmentServiceClass"),
    (_STORAGE_MANAGEMENT_CLASSES, "StorageManagementServiceClass"),
    (_SUBSTANCE_ADMINISTRATION_CLASSES, "SubstanceAdministrationQueryServiceClass"),
    (_UNIFIED_PROCEDURE_STEP_CLASSES, "UnifiedProcedureStepServiceClass"),
]
_SERVICE_UID_CHECK_AT = 3

# Names of every service class this module may hand out (the lead defines
# them in fastdimse.service_class; missing ones fall back to ServiceClass).
SERVICE_CLASS_NAMES: tuple[str, ...] = (
    "ServiceClass",
    *sorted({name for _, name in _GROUP_SERVICE if name != "ServiceClass"}),
)


def _service_class(name: str) -> type[Any]:
    """The service class called `name` in ``fastdimse.service_class`` (or
    ``ServiceClass`` if it has none by that name).

    The module is looked up when a class is asked for, not imported with this
    one: it imports the DIMSE and event machinery, which needs none of this.
    """
    module = importlib.import_module("fastdimse.service_class")
    found = getattr(module, name, None)
    service_class: type[Any] = found if isinstance(found, type) else module.ServiceClass
    return service_class


def _group_of(service_class: type[Any]) -> dict[str, str]:
    """The SOP class group a registered UID joins for `service_class`."""
    for group, name in _GROUP_SERVICE:
        if name != "ServiceClass" and _service_class(name) is service_class:
            return group
    # Any other service class: its nearest listed ancestor's group
    for klass in service_class.__mro__[1:]:
        for group, name in _GROUP_SERVICE:
            if name == klass.__name__ and name != "ServiceClass":
                return group
    raise KeyError(service_class)


class _ServiceClassUIDs(Mapping[str, type[Any]]):
    """Service Class UID -> service class, resolved when looked up."""

    def __init__(self, names: dict[str, str]) -> None:
        self._names = names

    def __getitem__(self, uid: str) -> type[Any]:
        return _service_class(self._names[uid])

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


_SERVICE_CLASSES: Mapping[str, type[Any]] = _ServiceClassUIDs(_table.SERVICE_CLASS_UIDS)


def _generate_sop_classes() -> None:
    namespace = globals()
    for group, _ in _GROUP_SERVICE:
        for keyword, uid in group.items():
            sop_class = SOPClass(uid)
            sop_class.__doc__ = f"``{uid}``"
            namespace[keyword] = sop_class


_generate_sop_classes()

# Well-known SOP Instance UIDs (plain UIDs, as in pynetdicom)
DisplaySystemInstance = UID(_table.WELL_KNOWN_INSTANCES["DisplaySystemInstance"])
PrinterConfigurationRetrievalInstance = UID(
    _table.WELL_KNOWN_INSTANCES["PrinterConfigurationRetrievalInstance"]
)
PrinterInstance = UID(_table.WELL_KNOWN_INSTANCES["PrinterInstance"])
ProceduralEventLoggingInstance = UID(_table.WELL_KNOWN_INSTANCES["ProceduralEventLoggingInstance"])
StorageCommitmentPushModelInstance = UID(
    _table.WELL_KNOWN_INSTANCES["StorageCommitmentPushModelInstance"]
)
StorageManagementInstance = UID(_table.WELL_KNOWN_INSTANCES["StorageManagementInstance"])
SubstanceAdministrationLoggingInstance = UID(
    _table.WELL_KNOWN_INSTANCES["SubstanceAdministrationLoggingInstance"]
)
UPSFilteredGlobalSubscriptionInstance = UID(
    _table.WELL_KNOWN_INSTANCES["UPSFilteredGlobalSubscriptionInstance"]
)
UPSGlobalSubscriptionInstance = UID(_table.WELL_KNOWN_INSTANCES["UPSGlobalSubscriptionInstance"])
