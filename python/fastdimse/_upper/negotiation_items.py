"""The user information negotiation items (PS3.8 Annex D.1, PS3.7 Annex D.3.3),
with pynetdicom's names, attributes and checks (its ``pdu_primitives``).

They are what users pass to ``AE.associate(ext_neg=[...])`` and what events
expose; each has ``to_core()`` giving the protocol core's sub-item
(``from_primitive()`` is the same, under pynetdicom's name) and
:func:`from_core` goes the other way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from fastdimse import _core
from fastdimse._upper.codes import DEFAULT_MAX_LENGTH
from fastdimse._upper.primitive_errors import LOGGER, fail
from fastdimse._validation import as_optional_uid, as_uid, is_conformant_uid
from fastdimse.utils import checked_uid, decode_bytes, set_ae, set_uid, validate_uid

if TYPE_CHECKING:
    from pydicom.uid import UID

__all__ = [
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
            fail(TypeError, "Maximum Length Received must be numerical")
        if value < 0:
            fail(ValueError, "Maximum Length Received must be greater than 0")
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
        # A str until read (then a pydicom UID): building an association loads no pydicom.
        self._implementation_class_uid: str | None = None

    @property
    def implementation_class_uid(self) -> UID | None:
        self._implementation_class_uid = uid = as_optional_uid(self._implementation_class_uid)
        return uid

    @implementation_class_uid.setter
    def implementation_class_uid(self, value: str | bytes | UID | None) -> None:
        self._implementation_class_uid = checked_uid(value, "Implementation Class UID")

    def to_core(self) -> _core.ImplementationClassUid:
        if self._implementation_class_uid is None:
            fail(
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

    @classmethod
    def of(cls, invoked: int, performed: int = 1) -> AsynchronousOperationsWindowNegotiation:
        """The item proposing ``invoked`` operations of ours and ``performed`` of the
        peer's outstanding at once."""
        item = cls()
        item.maximum_number_operations_invoked = invoked
        item.maximum_number_operations_performed = performed
        return item

    @property
    def maximum_number_operations_invoked(self) -> int:
        return self._maximum_number_operations_invoked

    @maximum_number_operations_invoked.setter
    def maximum_number_operations_invoked(self, value: int) -> None:
        if not isinstance(value, int):
            fail(TypeError, "Maximum Number Operations Invoked must be an int")
        if value < 0:
            fail(ValueError, "Maximum Number Operations Invoked must be greater than 0")
        self._maximum_number_operations_invoked = value

    @property
    def maximum_number_operations_performed(self) -> int:
        return self._maximum_number_operations_performed

    @maximum_number_operations_performed.setter
    def maximum_number_operations_performed(self, value: int) -> None:
        if not isinstance(value, int):
            fail(TypeError, "Maximum Number Operations Performed must be an int")
        if value < 0:
            fail(ValueError, "Maximum Number Operations Performed must be greater than 0")
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
            fail(TypeError, "SCU Role must be boolean")
        self._scu_role = value

    @property
    def scp_role(self) -> bool | None:
        return self._scp_role

    @scp_role.setter
    def scp_role(self, value: bool | None) -> None:
        if value is not None and not isinstance(value, bool):
            fail(TypeError, "SCP Role must be boolean")
        self._scp_role = value

    def to_core(self) -> _core.RoleSelection:
        if self._sop_class_uid is None:
            fail(ValueError, "'sop_class_uid' must be set prior to Association")
        if not self._scu_role and not self._scp_role:
            fail(
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
            fail(TypeError, "Service Class Application Information should be a bytes object")
        self._service_class_application_information = value

    def to_core(self) -> _core.SopClassExtended:
        if self._sop_class_uid is None or self._service_class_application_information is None:
            fail(
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
            fail(TypeError, wrong_type)
        checked: list[UID] = []
        for value in uids:
            if isinstance(value, bytes):
                value = decode_bytes(value)
            if not isinstance(value, str):
                fail(TypeError, wrong_type)
            uid = as_uid(value)
            if not validate_uid(uid):
                fail(ValueError, "Related General SOP Class Identification contains an invalid UID")
            if uid and not is_conformant_uid(uid):
                LOGGER.warning(f"The Related General SOP Class UID '{uid}' is non-conformant")
            checked.append(uid)
        self._related_general_sop_class_identification = checked

    def to_core(self) -> _core.SopClassCommonExtended:
        if self._sop_class_uid is None or self._service_class_uid is None:
            fail(
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
            fail(TypeError, "User Identity Type must be an int or None")
        if value is not None and value not in (1, 2, 3, 4, 5):
            fail(
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
            fail(TypeError, "Positive Response Requested must be boolean")
        self._positive_response_requested = value

    @property
    def primary_field(self) -> bytes | None:
        return self._primary_field

    @primary_field.setter
    def primary_field(self, value: bytes | None) -> None:
        if value is not None and not isinstance(value, bytes):
            fail(
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
            fail(
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
            fail(TypeError, "Server Response must be bytes or None")
        self._server_response = value

    def to_core(self) -> _core.UserIdentityRq | _core.UserIdentityAc:
        """``UserIdentityAc`` if ``server_response`` is set, else ``UserIdentityRq``."""
        if self._server_response is not None:
            return _core.UserIdentityAc(self._server_response)
        if self._user_identity_type is None or self._primary_field is None:
            fail(
                ValueError,
                "User Identity Type and Primary Field must be set prior to Association negotiation",
            )
        if self._user_identity_type == 2 and not self._secondary_field:
            fail(ValueError, "Secondary Field must be set when User Identity is 2")
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
        class_uid._implementation_class_uid = item.uid  # the core has checked it
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
