"""Service primitives of the upper layer (pynetdicom's ``pdu_primitives``).

The user information negotiation items (PS3.8 Annex D.1, PS3.7 Annex D.3.3)
are what users pass to ``AE.associate(ext_neg=[...])`` and what events
expose; each has ``to_core()`` giving the protocol core's sub-item
(``from_primitive()`` is the same, under pynetdicom's name) and
:func:`from_core` goes the other way.

The A_ASSOCIATE, A_RELEASE, A_ABORT, A_P_ABORT and P_DATA primitives are
plain data holders with pynetdicom's attribute names and checks, as handed
to ``EVT_ACSE_RECV``/``EVT_ACSE_SENT`` handlers.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any, NoReturn, TypeAlias

from pydicom.uid import UID

from fastdimse import _core
from fastdimse._upper.codes import DEFAULT_MAX_LENGTH, REJECT_REASON_TEXT, RESULT_TEXT, SOURCE_TEXT
from fastdimse._validation import as_uid, is_conformant_uid
from fastdimse.presentation import PresentationContext
from fastdimse.utils import decode_bytes, set_ae, set_uid, validate_uid

__all__ = [
    "A_ABORT",
    "A_ASSOCIATE",
    "A_P_ABORT",
    "A_RELEASE",
    "P_DATA",
    "AsynchronousOperationsWindowNegotiation",
    "ImplementationClassUIDNotification",
    "ImplementationVersionNameNotification",
    "MaximumLengthNotification",
    "SCP_SCU_RoleSelectionNegotiation",
    "SOPClassCommonExtendedNegotiation",
    "SOPClassExtendedNegotiation",
    "ServiceParameter",
    "UserIdentityNegotiation",
    "from_core",
]

LOGGER = logging.getLogger("fastdimse.pdu_primitives")

CoreUserItem: TypeAlias = (
    _core.MaximumLength
    | _core.ImplementationClassUid
    | _core.ImplementationVersionName
    | _core.AsyncOpsWindow
    | _core.RoleSelection
    | _core.SopClassExtended
    | _core.SopClassCommonExtended
    | _core.UserIdentityRq
    | _core.UserIdentityAc
    | _core.UnknownUserItem
)


class ServiceParameter:
    """Base of the user information items: equal when all attributes are."""

    def __eq__(self, other: object) -> bool:
        if isinstance(other, self.__class__):
            return other.__dict__ == self.__dict__
        return False

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def to_core(self) -> CoreUserItem:
        """The protocol core's user information sub-item for this item."""
        raise NotImplementedError

    def from_primitive(self) -> CoreUserItem:
        """pynetdicom's name for :meth:`to_core`: the sub-item to encode."""
        return self.to_core()


UserInformationItem: TypeAlias = (
    "MaximumLengthNotification | ImplementationClassUIDNotification"
    " | ImplementationVersionNameNotification | AsynchronousOperationsWindowNegotiation"
    " | SCP_SCU_RoleSelectionNegotiation | SOPClassExtendedNegotiation"
    " | SOPClassCommonExtendedNegotiation | UserIdentityNegotiation"
)


# User information items -------------------------------------------------------


class MaximumLengthNotification(ServiceParameter):
    """Maximum Length Received (PS3.8 D.1): the largest P-DATA-TF we accept, 0 = no limit."""

    def __init__(self) -> None:
        self._maximum_length = DEFAULT_MAX_LENGTH

    @property
    def maximum_length_received(self) -> int:
        return self._maximum_length

    @maximum_length_received.setter
    def maximum_length_received(self, value: int) -> None:
        if not isinstance(value, int):
            _fail(TypeError, "Maximum Length Received must be numerical")
        if value < 0:
            _fail(ValueError, "Maximum Length Received must be greater than 0")
        self._maximum_length = value

    def to_core(self) -> _core.MaximumLength:
        return _core.MaximumLength(self._maximum_length)

    def __str__(self) -> str:
        return (
            "Maximum Length Negotiation\n"
            f"  Maximum length received: {self._maximum_length:d} bytes\n"
        )


class ImplementationClassUIDNotification(ServiceParameter):
    """Implementation Class UID (PS3.7 D.3.3.2)."""

    def __init__(self) -> None:
        self._implementation_class_uid: UID | None = None

    @property
    def implementation_class_uid(self) -> UID | None:
        return self._implementation_class_uid

    @implementation_class_uid.setter
    def implementation_class_uid(self, value: str | bytes | UID | None) -> None:
        self._implementation_class_uid = set_uid(value, "Implementation Class UID")

    def to_core(self) -> _core.ImplementationClassUid:
        if self._implementation_class_uid is None:
            _fail(
                ValueError,
                "The Implementation Class UID must be set prior to requesting Association",
            )
        return _core.ImplementationClassUid(str(self._implementation_class_uid))

    def __str__(self) -> str:
        return (
            "Implementation Class UID\n"
            f"  Implementation class UID: {self._implementation_class_uid}\n"
        )


class ImplementationVersionNameNotification(ServiceParameter):
    """Implementation Version Name (PS3.7 D.3.3.2): 1 to 16 characters of the AE repertoire."""

    def __init__(self) -> None:
        self._implementation_version_name: str | None = None

    @property
    def implementation_version_name(self) -> str | None:
        return self._implementation_version_name

    @implementation_version_name.setter
    def implementation_version_name(self, value: str | None) -> None:
        self._implementation_version_name = set_ae(value, "Implementation Version Name")

    def to_core(self) -> _core.ImplementationVersionName:
        if self._implementation_version_name is None:
            raise ValueError("Implementation Version Name must be set prior to Association")
        return _core.ImplementationVersionName(self._implementation_version_name)

    def __str__(self) -> str:
        return (
            "Implementation Version Name\n"
            f"  Implementation version name: {self._implementation_version_name}\n"
        )


class AsynchronousOperationsWindowNegotiation(ServiceParameter):
    """Asynchronous Operations Window (PS3.7 D.3.3.3); 0 means unlimited, default (1, 1)."""

    def __init__(self) -> None:
        self._maximum_number_operations_invoked = 1
        self._maximum_number_operations_performed = 1

    @property
    def maximum_number_operations_invoked(self) -> int:
        return self._maximum_number_operations_invoked

    @maximum_number_operations_invoked.setter
    def maximum_number_operations_invoked(self, value: int) -> None:
        if not isinstance(value, int):
            _fail(TypeError, "Maximum Number Operations Invoked must be an int")
        if value < 0:
            _fail(ValueError, "Maximum Number Operations Invoked must be greater than 0")
        self._maximum_number_operations_invoked = value

    @property
    def maximum_number_operations_performed(self) -> int:
        return self._maximum_number_operations_performed

    @maximum_number_operations_performed.setter
    def maximum_number_operations_performed(self, value: int) -> None:
        if not isinstance(value, int):
            _fail(TypeError, "Maximum Number Operations Performed must be an int")
        if value < 0:
            _fail(ValueError, "Maximum Number Operations Performed must be greater than 0")
        self._maximum_number_operations_performed = value

    def to_core(self) -> _core.AsyncOpsWindow:
        return _core.AsyncOpsWindow(
            self._maximum_number_operations_invoked, self._maximum_number_operations_performed
        )

    def __str__(self) -> str:
        return (
            "Asynchronous Operations Window\n"
            f"  Maximum number operations invoked: {self._maximum_number_operations_invoked:d}\n"
            "  Maximum number operations performed: "
            f"{self._maximum_number_operations_performed:d}\n"
        )


class SCP_SCU_RoleSelectionNegotiation(ServiceParameter):
    """SCP/SCU Role Selection (PS3.7 D.3.3.4) for one SOP class.

    In a request: the roles the requestor proposes for itself; in a reply:
    the roles the acceptor accepts for the requestor.
    """

    def __init__(self) -> None:
        self._sop_class_uid: UID | None = None
        self._scu_role: bool | None = None
        self._scp_role: bool | None = None

    @property
    def sop_class_uid(self) -> UID | None:
        return self._sop_class_uid

    @sop_class_uid.setter
    def sop_class_uid(self, value: str | bytes | UID | None) -> None:
        self._sop_class_uid = set_uid(value, "SOP Class UID")

    @property
    def scu_role(self) -> bool | None:
        return self._scu_role

    @scu_role.setter
    def scu_role(self, value: bool | None) -> None:
        if value is not None and not isinstance(value, bool):
            _fail(TypeError, "SCU Role must be boolean")
        self._scu_role = value

    @property
    def scp_role(self) -> bool | None:
        return self._scp_role

    @scp_role.setter
    def scp_role(self, value: bool | None) -> None:
        if value is not None and not isinstance(value, bool):
            _fail(TypeError, "SCP Role must be boolean")
        self._scp_role = value

    def to_core(self) -> _core.RoleSelection:
        if self._sop_class_uid is None:
            _fail(ValueError, "'sop_class_uid' must be set prior to Association")
        if not self._scu_role and not self._scp_role:
            _fail(
                ValueError,
                f"SCU and SCP Roles cannot both be unsupported for '{self._sop_class_uid}'",
            )
        return _core.RoleSelection(
            str(self._sop_class_uid), int(bool(self._scu_role)), int(bool(self._scp_role))
        )

    def __str__(self) -> str:
        return (
            "SCP/SCU Role Selection\n"
            f"  SOP class UID: {self._sop_class_uid}\n"
            f"  SCU role: {self._scu_role}\n"
            f"  SCP role: {self._scp_role}\n"
        )


class SOPClassExtendedNegotiation(ServiceParameter):
    """SOP Class Extended Negotiation (PS3.7 D.3.3.5): service-specific bytes."""

    def __init__(self) -> None:
        self._sop_class_uid: UID | None = None
        self._service_class_application_information: bytes | None = None

    @property
    def sop_class_uid(self) -> UID | None:
        return self._sop_class_uid

    @sop_class_uid.setter
    def sop_class_uid(self, value: str | bytes | UID | None) -> None:
        self._sop_class_uid = set_uid(value, "SOP Class UID")

    @property
    def service_class_application_information(self) -> bytes | None:
        return self._service_class_application_information

    @service_class_application_information.setter
    def service_class_application_information(self, value: bytes | None) -> None:
        if value is not None and not isinstance(value, bytes):
            _fail(TypeError, "Service Class Application Information should be a bytes object")
        self._service_class_application_information = value

    def to_core(self) -> _core.SopClassExtended:
        if self._sop_class_uid is None or self._service_class_application_information is None:
            _fail(
                ValueError,
                "SOP Class UID and Service Class Application Information must be set "
                "prior to Association negotiation",
            )
        return _core.SopClassExtended(
            str(self._sop_class_uid), self._service_class_application_information
        )

    def __str__(self) -> str:
        return (
            "SOP Class Extended Negotiation\n"
            f"  SOP class UID: {self._sop_class_uid}\n"
            "  Service class application information: "
            f"{self._service_class_application_information!r}\n"
        )


class SOPClassCommonExtendedNegotiation(ServiceParameter):
    """SOP Class Common Extended Negotiation (PS3.7 D.3.3.6), requestor only."""

    def __init__(self) -> None:
        self._service_class_uid: UID | None = None
        self._sop_class_uid: UID | None = None
        self._related_general_sop_class_identification: list[UID] = []

    @property
    def sop_class_uid(self) -> UID | None:
        return self._sop_class_uid

    @sop_class_uid.setter
    def sop_class_uid(self, value: str | bytes | UID | None) -> None:
        self._sop_class_uid = set_uid(value, "SOP Class UID")

    @property
    def service_class_uid(self) -> UID | None:
        return self._service_class_uid

    @service_class_uid.setter
    def service_class_uid(self, value: str | bytes | UID | None) -> None:
        self._service_class_uid = set_uid(value, "Service Class UID")

    @property
    def related_general_sop_class_identification(self) -> list[UID]:
        return self._related_general_sop_class_identification

    @related_general_sop_class_identification.setter
    def related_general_sop_class_identification(self, uids: list[str | bytes | UID]) -> None:
        wrong_type = (
            "Related General SOP Class Identification must be a list of "
            "pydicom.uid.UID, str or bytes"
        )
        if not isinstance(uids, list):
            _fail(TypeError, wrong_type)
        checked: list[UID] = []
        for value in uids:
            if isinstance(value, bytes):
                value = decode_bytes(value)
            if not isinstance(value, str):
                _fail(TypeError, wrong_type)
            uid = as_uid(value)
            if not validate_uid(uid):
                _fail(
                    ValueError, "Related General SOP Class Identification contains an invalid UID"
                )
            if uid and not is_conformant_uid(uid):
                LOGGER.warning(f"The Related General SOP Class UID '{uid}' is non-conformant")
            checked.append(uid)
        self._related_general_sop_class_identification = checked

    def to_core(self) -> _core.SopClassCommonExtended:
        if self._sop_class_uid is None or self._service_class_uid is None:
            _fail(
                ValueError,
                "SOP Class UID and Service Class UID must be set prior to Association negotiation",
            )
        return _core.SopClassCommonExtended(
            str(self._sop_class_uid),
            str(self._service_class_uid),
            [str(uid) for uid in self._related_general_sop_class_identification],
        )

    def __str__(self) -> str:
        related = ", ".join(str(uid) for uid in self._related_general_sop_class_identification)
        return (
            "SOP Class Common Extended Negotiation\n"
            f"  SOP class UID: {self._sop_class_uid}\n"
            f"  Service class UID: {self._service_class_uid}\n"
            f"  Related general SOP class identification: [{related}]\n"
        )


class UserIdentityNegotiation(ServiceParameter):
    """User Identity Negotiation (PS3.7 D.3.3.7).

    A request (``server_response`` None) carries the identity type (1
    username, 2 username and passcode, 3 Kerberos, 4 SAML, 5 JWT), whether a
    positive response is wanted, and the fields; a response carries only
    ``server_response``.
    """

    def __init__(self) -> None:
        self._user_identity_type: int | None = None
        self._positive_response_requested = False
        self._primary_field: bytes | None = None
        self._secondary_field: bytes | None = b""
        self._server_response: bytes | None = None

    @property
    def user_identity_type(self) -> int | None:
        return self._user_identity_type

    @user_identity_type.setter
    def user_identity_type(self, value: int | None) -> None:
        if value is not None and not isinstance(value, int):
            _fail(TypeError, "User Identity Type must be an int or None")
        if value is not None and value not in (1, 2, 3, 4, 5):
            _fail(
                ValueError,
                "User Identity Type must be 1, 2, 3, 4 or 5 if requesting Association, "
                "None otherwise",
            )
        self._user_identity_type = value

    @property
    def positive_response_requested(self) -> bool:
        return self._positive_response_requested

    @positive_response_requested.setter
    def positive_response_requested(self, value: bool) -> None:
        if not isinstance(value, bool):
            _fail(TypeError, "Positive Response Requested must be boolean")
        self._positive_response_requested = value

    @property
    def primary_field(self) -> bytes | None:
        return self._primary_field

    @primary_field.setter
    def primary_field(self, value: bytes | None) -> None:
        if value is not None and not isinstance(value, bytes):
            _fail(
                TypeError,
                "Primary Field must be bytes if requesting Association, None otherwise",
            )
        self._primary_field = value

    @property
    def secondary_field(self) -> bytes | None:
        return self._secondary_field

    @secondary_field.setter
    def secondary_field(self, value: bytes | None) -> None:
        if value is not None and not isinstance(value, bytes):
            _fail(
                TypeError,
                "Secondary Field must be bytes if requesting Association with User "
                "Identity Type equal to 2, None otherwise",
            )
        self._secondary_field = value

    @property
    def server_response(self) -> bytes | None:
        return self._server_response

    @server_response.setter
    def server_response(self, value: bytes | None) -> None:
        if value is not None and not isinstance(value, bytes):
            _fail(TypeError, "Server Response must be bytes or None")
        self._server_response = value

    def to_core(self) -> _core.UserIdentityRq | _core.UserIdentityAc:
        """``UserIdentityAc`` if ``server_response`` is set, else ``UserIdentityRq``."""
        if self._server_response is not None:
            return _core.UserIdentityAc(self._server_response)
        if self._user_identity_type is None or self._primary_field is None:
            _fail(
                ValueError,
                "User Identity Type and Primary Field must be set prior to Association negotiation",
            )
        if self._user_identity_type == 2 and not self._secondary_field:
            _fail(ValueError, "Secondary Field must be set when User Identity is 2")
        return _core.UserIdentityRq(
            self._user_identity_type,
            self._positive_response_requested,
            self._primary_field,
            self._secondary_field or b"",
        )

    def __str__(self) -> str:
        text = "User Identity Parameters\n"
        if self._server_response is not None:
            return text + f"  Server response: {self._server_response!r}\n"
        kind = "None" if self._user_identity_type is None else f"{self._user_identity_type:d}"
        return text + (
            f"  User identity type: {kind}\n"
            f"  Positive response requested: {self._positive_response_requested}\n"
            f"  Primary field: {self._primary_field!r}\n"
            f"  Secondary field: {self._secondary_field!r}\n"
        )


def from_core(item: CoreUserItem) -> UserInformationItem | None:
    """The primitive for one of the core's user information sub-items.

    ``UserIdentityAc`` gives a UserIdentityNegotiation with only
    ``server_response`` set. An ``UnknownUserItem`` (an item type the
    standard does not define) gives None: it is not negotiated. Anything else
    raises TypeError.
    """
    if isinstance(item, _core.MaximumLength):
        max_length = MaximumLengthNotification()
        max_length.maximum_length_received = item.value
        return max_length
    if isinstance(item, _core.ImplementationClassUid):
        class_uid = ImplementationClassUIDNotification()
        class_uid._implementation_class_uid = as_uid(item.uid)  # the core has checked it
        return class_uid
    if isinstance(item, _core.ImplementationVersionName):
        version = ImplementationVersionNameNotification()
        version._implementation_version_name = item.name
        return version
    if isinstance(item, _core.AsyncOpsWindow):
        window = AsynchronousOperationsWindowNegotiation()
        window.maximum_number_operations_invoked = item.max_operations_invoked
        window.maximum_number_operations_performed = item.max_operations_performed
        return window
    if isinstance(item, _core.RoleSelection):
        role = SCP_SCU_RoleSelectionNegotiation()
        role._sop_class_uid = as_uid(item.sop_class_uid)
        role.scu_role = bool(item.scu_role)
        role.scp_role = bool(item.scp_role)
        return role
    if isinstance(item, _core.SopClassExtended):
        extended = SOPClassExtendedNegotiation()
        extended._sop_class_uid = as_uid(item.sop_class_uid)
        extended.service_class_application_information = item.service_class_application_information
        return extended
    if isinstance(item, _core.SopClassCommonExtended):
        common = SOPClassCommonExtendedNegotiation()
        common._sop_class_uid = as_uid(item.sop_class_uid)
        common._service_class_uid = as_uid(item.service_class_uid)
        common._related_general_sop_class_identification = [
            as_uid(uid) for uid in item.related_general_sop_classes
        ]
        return common
    if isinstance(item, _core.UserIdentityRq):
        identity = UserIdentityNegotiation()
        identity._user_identity_type = item.identity_type
        identity.positive_response_requested = item.positive_response_requested
        identity.primary_field = item.primary_field
        identity.secondary_field = item.secondary_field
        return identity
    if isinstance(item, _core.UserIdentityAc):
        response = UserIdentityNegotiation()
        response.server_response = item.server_response
        return response
    if isinstance(item, _core.UnknownUserItem):
        return None
    raise TypeError(f"not a user information item of fastdimse._core: {type(item).__name__}")


# The A-ASSOCIATE, A-RELEASE, A-ABORT, A-P-ABORT and P-DATA primitives --------

_USER_INFORMATION_TYPES = (
    "MaximumLengthNotification",
    "ImplementationClassUIDNotification",
    "ImplementationVersionNameNotification",
    "AsynchronousOperationsWindowNegotiation",
    "SCP_SCU_RoleSelectionNegotiation",
    "SOPClassExtendedNegotiation",
    "SOPClassCommonExtendedNegotiation",
    "UserIdentityNegotiation",
)


class A_ASSOCIATE:
    """The A-ASSOCIATE request/indication/response/confirmation (PS3.8 7.1.1)."""

    def __init__(self) -> None:
        self._application_context_name: UID | None = None
        self._calling_ae_title = "DEFAULT"
        self._called_ae_title = "DEFAULT"
        self._user_information: list[Any] = []
        self._result: int | None = None
        self._result_source: int | None = None
        self._diagnostic: int | None = None
        self._calling_presentation_address: Any = None
        self._called_presentation_address: Any = None
        self._presentation_context_definition_list: list[PresentationContext] = []
        self._presentation_context_definition_results_list: list[PresentationContext] = []

    @property
    def mode(self) -> str:
        return "normal"

    @property
    def presentation_requirements(self) -> str:
        return "Presentation Kernel"

    @property
    def session_requirements(self) -> str:
        return ""

    @property
    def application_context_name(self) -> UID | None:
        return self._application_context_name

    @application_context_name.setter
    def application_context_name(self, value: str | bytes | UID | None) -> None:
        self._application_context_name = set_uid(value, "Application Context Name")

    @property
    def calling_ae_title(self) -> str:
        return self._calling_ae_title

    @calling_ae_title.setter
    def calling_ae_title(self, value: str) -> None:
        self._calling_ae_title = set_ae(value, "Calling AE Title", False, False)

    @property
    def called_ae_title(self) -> str:
        return self._called_ae_title

    @called_ae_title.setter
    def called_ae_title(self, value: str) -> None:
        self._called_ae_title = set_ae(value, "Called AE Title", False, False)

    @property
    def responding_ae_title(self) -> str:
        """Always the called AE title (as in pynetdicom)."""
        return self._called_ae_title

    @property
    def calling_presentation_address(self) -> Any:
        return self._calling_presentation_address

    @calling_presentation_address.setter
    def calling_presentation_address(self, value: Any) -> None:
        if not _is_address(value):
            _fail(
                TypeError,
                "'A_ASSOCIATE.calling_presentation_address' must be an AddressInformation "
                f"instance or None, not {type(value).__name__}",
            )
        self._calling_presentation_address = value

    @property
    def called_presentation_address(self) -> Any:
        return self._called_presentation_address

    @called_presentation_address.setter
    def called_presentation_address(self, value: Any) -> None:
        if not _is_address(value):
            _fail(
                TypeError,
                "'A_ASSOCIATE.called_presentation_address' must be an AddressInformation "
                "instance or None",
            )
        self._called_presentation_address = value

    @property
    def responding_presentation_address(self) -> Any:
        return self._called_presentation_address

    @property
    def result(self) -> int | None:
        """0 accepted, 1 rejected (permanent), 2 rejected (transient)."""
        return self._result

    @result.setter
    def result(self, value: int | None) -> None:
        if value is not None and value not in (0, 1, 2):
            _fail(ValueError, "Unknown A_ASSOCIATE.result value")
        self._result = value

    @property
    def result_source(self) -> int | None:
        """1 service user, 2 service provider (ACSE), 3 service provider (presentation)."""
        return self._result_source

    @result_source.setter
    def result_source(self, value: int | None) -> None:
        if value is not None and value not in (1, 2, 3):
            _fail(ValueError, "Unknown A_ASSOCIATE.result_source value")
        self._result_source = value

    @property
    def diagnostic(self) -> int | None:
        """The rejection reason (1, 2, 3 or 7)."""
        return self._diagnostic

    @diagnostic.setter
    def diagnostic(self, value: int | None) -> None:
        if value is not None and value not in (1, 2, 3, 7):
            _fail(ValueError, "Unknown A_ASSOCIATE.diagnostic value")
        self._diagnostic = value

    @property
    def result_str(self) -> str:
        text = RESULT_TEXT.get(self._result) if self._result is not None else None
        if text is None:
            LOGGER.warning(f"Invalid A-ASSOCIATE 'Result' {self._result}")
            return "(no value available)"
        return text

    @property
    def source_str(self) -> str:
        text = SOURCE_TEXT.get(self._result_source) if self._result_source is not None else None
        if text is None:
            LOGGER.warning(f"Invalid A-ASSOCIATE 'Result Source' {self._result_source}")
            return "(no value available)"
        return text

    @property
    def reason_str(self) -> str:
        text = None
        if self._result_source is not None and self._diagnostic is not None:
            text = REJECT_REASON_TEXT.get(self._result_source, {}).get(self._diagnostic)
        if text is None:
            LOGGER.warning(
                f"Invalid A-ASSOCIATE 'Result Source' {self._result_source} and/or "
                f"'Diagnostic' {self._diagnostic} values"
            )
            return "(no value available)"
        return text

    @property
    def presentation_context_definition_list(self) -> list[PresentationContext]:
        return self._presentation_context_definition_list

    @presentation_context_definition_list.setter
    def presentation_context_definition_list(self, value: list[PresentationContext]) -> None:
        self._presentation_context_definition_list = _contexts_only(
            value, "presentation_context_definition_list", "an invalid items"
        )

    @property
    def presentation_context_definition_results_list(self) -> list[PresentationContext]:
        return self._presentation_context_definition_results_list

    @presentation_context_definition_results_list.setter
    def presentation_context_definition_results_list(
        self, value: list[PresentationContext]
    ) -> None:
        self._presentation_context_definition_results_list = _contexts_only(
            value, "presentation_context_definition_results_list", "one or more invalid items"
        )

    @property
    def user_information(self) -> list[Any]:
        """The user information items (other objects are dropped when set)."""
        return self._user_information

    @user_information.setter
    def user_information(self, value: list[Any]) -> None:
        if not isinstance(value, list):
            _fail(TypeError, "A_ASSOCIATE.user_information must be a list")
        kept = []
        for item in value:
            if type(item).__name__ in _USER_INFORMATION_TYPES:
                kept.append(item)
            else:
                LOGGER.info(
                    "Attempted to set A_ASSOCIATE.user_information to a list which "
                    "includes an unsupported item"
                )
        self._user_information = kept

    @property
    def maximum_length_received(self) -> int | None:
        """From the Maximum Length item, None without one; setting adds the item."""
        for item in self._user_information:
            if isinstance(item, MaximumLengthNotification):
                return item.maximum_length_received
        return None

    @maximum_length_received.setter
    def maximum_length_received(self, value: int) -> None:
        items = [i for i in self._user_information if isinstance(i, MaximumLengthNotification)]
        if not items:
            items = [MaximumLengthNotification()]
            self._user_information.append(items[0])
        for item in items:
            item.maximum_length_received = value

    @property
    def implementation_class_uid(self) -> UID:
        """From the Implementation Class UID item; ValueError if there is none."""
        for item in self._user_information:
            if isinstance(item, ImplementationClassUIDNotification):
                if item.implementation_class_uid is None:
                    break
                return item.implementation_class_uid
        _fail(ValueError, "Implementation Class UID has not been set")

    @implementation_class_uid.setter
    def implementation_class_uid(self, value: str | bytes | UID | None) -> None:
        items = [
            i for i in self._user_information if isinstance(i, ImplementationClassUIDNotification)
        ]
        if not items:
            items = [ImplementationClassUIDNotification()]
            self._user_information.append(items[0])
        for item in items:
            item.implementation_class_uid = value


class A_RELEASE:
    """The A-RELEASE primitive (PS3.8 7.2): ``result`` None or "affirmative"."""

    def __init__(self) -> None:
        self._result: str | None = None

    @property
    def reason(self) -> str:
        return "normal"

    @property
    def result(self) -> str | None:
        return self._result

    @result.setter
    def result(self, value: str | None) -> None:
        if value is not None and value != "affirmative":
            _fail(ValueError, "A_RELEASE.result must be None or 'affirmative'")
        self._result = value


class A_ABORT:
    """The A-ABORT primitive (PS3.8 7.3): ``abort_source`` 0, 1 or 2."""

    def __init__(self) -> None:
        self._abort_source: int | None = None

    @property
    def abort_source(self) -> int:
        if self._abort_source is None:
            _fail(ValueError, "A_ABORT.abort_source value not set")
        return self._abort_source

    @abort_source.setter
    def abort_source(self, value: int | None) -> None:
        if value not in (0, 1, 2, None):
            _fail(ValueError, f"Invalid A-ABORT 'Source' value '{value}'")
        self._abort_source = value


class A_P_ABORT:
    """The A-P-ABORT primitive (PS3.8 7.4): ``provider_reason`` 0, 1, 2, 4, 5 or 6."""

    def __init__(self) -> None:
        self._provider_reason: int | None = None

    @property
    def provider_reason(self) -> int:
        if self._provider_reason is None:
            _fail(ValueError, "A_ABORT.provider_reason value not set")
        return self._provider_reason

    @provider_reason.setter
    def provider_reason(self, value: int | None) -> None:
        if value not in (0, 1, 2, 4, 5, 6, None):
            _fail(ValueError, "Attempted to set A_P_ABORT.provider_reason to an invalid value")
        self._provider_reason = value


class P_DATA:
    """The P-DATA primitive (PS3.8 7.6): a list of [context ID, PDV bytes].

    Each PDV's bytes start with its message control header byte.
    """

    def __init__(self) -> None:
        self._presentation_data_value_list: list[Any] = []

    @property
    def presentation_data_value_list(self) -> list[Any]:
        return self._presentation_data_value_list

    @presentation_data_value_list.setter
    def presentation_data_value_list(self, value: list[Any]) -> None:
        if not isinstance(value, list):
            raise TypeError("P_DATA.presentation_data_value_list should be a list of [int, bytes]")
        for pdv in value:
            if not isinstance(pdv, list):
                raise TypeError("P_DATA.presentation_data_value_list should be a list of [ID, PDV]")
            if len(pdv) != 2 or not isinstance(pdv[0], int) or not isinstance(pdv[1], bytes):
                raise TypeError(
                    "P_DATA.presentation_data_value_list should be a list of [int, bytes]"
                )
        self._presentation_data_value_list = value

    def __str__(self) -> str:
        text = "P-DATA\n"
        for context_id, data in self._presentation_data_value_list:
            header = data[0]
            kind = "Command" if header & 0x01 else "Dataset"
            last = "last" if header & 0x02 else "not the last"
            text += (
                f"  Context ID: {context_id}\n"
                f"  Value Length: {len(data)} bytes\n"
                f"  Message Control Header Byte: {header:08b}\n"
                f"    {kind} information, {last} fragment of the DIMSE message\n"
            )
        return text


# Helpers ---------------------------------------------------------------------


def _fail(kind: type[Exception], message: str) -> NoReturn:
    """Log and raise, as pynetdicom's setters do (its tests look for both)."""
    LOGGER.error(message)
    raise kind(message)


def _is_address(value: Any) -> bool:
    if value is None:
        return True
    try:
        transport = importlib.import_module("fastdimse.transport")
    except ImportError:
        transport = None
    address_type = getattr(transport, "AddressInformation", None)
    if isinstance(address_type, type):
        return isinstance(value, address_type)
    # No transport module yet: anything that looks like an address
    return hasattr(value, "address") and hasattr(value, "port")


def _contexts_only(value: Any, name: str, complaint: str) -> list[PresentationContext]:
    if not isinstance(value, list):
        _fail(TypeError, f"A_ASSOCIATE.{name} must be a list")
    kept = [cx for cx in value if isinstance(cx, PresentationContext)]
    if len(kept) != len(value):
        LOGGER.warning(f"Attempted to set A_ASSOCIATE.{name} to a list which includes {complaint}")
    return kept
