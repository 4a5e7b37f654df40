"""The A-ASSOCIATE, A-RELEASE, A-ABORT, A-P-ABORT and P-DATA service primitives
(PS3.8 7), with pynetdicom's names, attributes and checks (its
``pdu_primitives``): plain data holders, as handed to ``EVT_ACSE_RECV`` and
``EVT_ACSE_SENT`` handlers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastdimse._upper.addresses import AddressInformation
from fastdimse._upper.codes import REJECT_REASON_TEXT, RESULT_TEXT, SOURCE_TEXT
from fastdimse._upper.contexts import PresentationContext
from fastdimse._upper.negotiation_items import (
    ImplementationClassUIDNotification,
    MaximumLengthNotification,
)
from fastdimse._upper.primitive_errors import LOGGER, fail
from fastdimse._validation import as_optional_uid
from fastdimse.utils import checked_uid, set_ae

if TYPE_CHECKING:
    from pydicom.uid import UID

__all__ = [
    "A_ABORT",
    "A_ASSOCIATE",
    "A_P_ABORT",
    "A_RELEASE",
    "P_DATA",
]

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
        self._application_context_name: str | None = None
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
        self._application_context_name = uid = as_optional_uid(self._application_context_name)
        return uid

    @application_context_name.setter
    def application_context_name(self, value: str | bytes | UID | None) -> None:
        # A str until read (then a pydicom UID): building an association loads no pydicom.
        self._application_context_name = checked_uid(value, "Application Context Name")

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
            fail(
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
            fail(
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
            fail(ValueError, "Unknown A_ASSOCIATE.result value")
        self._result = value

    @property
    def result_source(self) -> int | None:
        """1 service user, 2 service provider (ACSE), 3 service provider (presentation)."""
        return self._result_source

    @result_source.setter
    def result_source(self, value: int | None) -> None:
        if value is not None and value not in (1, 2, 3):
            fail(ValueError, "Unknown A_ASSOCIATE.result_source value")
        self._result_source = value

    @property
    def diagnostic(self) -> int | None:
        """The rejection reason (1, 2, 3 or 7)."""
        return self._diagnostic

    @diagnostic.setter
    def diagnostic(self, value: int | None) -> None:
        if value is not None and value not in (1, 2, 3, 7):
            fail(ValueError, "Unknown A_ASSOCIATE.diagnostic value")
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
            fail(TypeError, "A_ASSOCIATE.user_information must be a list")
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
        fail(ValueError, "Implementation Class UID has not been set")

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
            fail(ValueError, "A_RELEASE.result must be None or 'affirmative'")
        self._result = value


class A_ABORT:
    """The A-ABORT primitive (PS3.8 7.3): ``abort_source`` 0, 1 or 2."""

    def __init__(self) -> None:
        self._abort_source: int | None = None

    @property
    def abort_source(self) -> int:
        if self._abort_source is None:
            fail(ValueError, "A_ABORT.abort_source value not set")
        return self._abort_source

    @abort_source.setter
    def abort_source(self, value: int | None) -> None:
        if value not in (0, 1, 2, None):
            fail(ValueError, f"Invalid A-ABORT 'Source' value '{value}'")
        self._abort_source = value


class A_P_ABORT:
    """The A-P-ABORT primitive (PS3.8 7.4): ``provider_reason`` 0, 1, 2, 4, 5 or 6."""

    def __init__(self) -> None:
        self._provider_reason: int | None = None

    @property
    def provider_reason(self) -> int:
        if self._provider_reason is None:
            fail(ValueError, "A_ABORT.provider_reason value not set")
        return self._provider_reason

    @provider_reason.setter
    def provider_reason(self, value: int | None) -> None:
        if value not in (0, 1, 2, 4, 5, 6, None):
            fail(ValueError, "Attempted to set A_P_ABORT.provider_reason to an invalid value")
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


def _is_address(value: Any) -> bool:
    return value is None or isinstance(value, AddressInformation)


def _contexts_only(value: Any, name: str, complaint: str) -> list[PresentationContext]:
    if not isinstance(value, list):
        fail(TypeError, f"A_ASSOCIATE.{name} must be a list")
    kept = [cx for cx in value if isinstance(cx, PresentationContext)]
    if len(kept) != len(value):
        LOGGER.warning(f"Attempted to set A_ASSOCIATE.{name} to a list which includes {complaint}")
    return kept
