"""User information items: validation, encoding through the core, and back."""

from __future__ import annotations

import pytest
from pydicom.uid import UID

from fastdimse import _core
from fastdimse.pdu_primitives import (
    A_ABORT,
    A_ASSOCIATE,
    A_P_ABORT,
    A_RELEASE,
    P_DATA,
    AsynchronousOperationsWindowNegotiation,
    ImplementationClassUIDNotification,
    ImplementationVersionNameNotification,
    MaximumLengthNotification,
    SCP_SCU_RoleSelectionNegotiation,
    SOPClassCommonExtendedNegotiation,
    SOPClassExtendedNegotiation,
    UserIdentityNegotiation,
    from_core,
)
from fastdimse.presentation import build_context

CT = "1.2.840.10008.5.1.4.1.1.2"


def max_length(value: int = 0) -> MaximumLengthNotification:
    item = MaximumLengthNotification()
    item.maximum_length_received = value
    return item


def class_uid() -> ImplementationClassUIDNotification:
    item = ImplementationClassUIDNotification()
    item.implementation_class_uid = "1.2.826.0.1.3680043.9.3811.3.0.4"
    return item


def version() -> ImplementationVersionNameNotification:
    item = ImplementationVersionNameNotification()
    item.implementation_version_name = "FASTDIMSE_01"
    return item


def window() -> AsynchronousOperationsWindowNegotiation:
    item = AsynchronousOperationsWindowNegotiation()
    item.maximum_number_operations_invoked = 5
    item.maximum_number_operations_performed = 0
    return item


def role() -> SCP_SCU_RoleSelectionNegotiation:
    item = SCP_SCU_RoleSelectionNegotiation()
    item.sop_class_uid = CT
    item.scu_role = False
    item.scp_role = True
    return item


def extended() -> SOPClassExtendedNegotiation:
    item = SOPClassExtendedNegotiation()
    item.sop_class_uid = CT
    item.service_class_application_information = b"\x01\x00\x01"
    return item


def common() -> SOPClassCommonExtendedNegotiation:
    item = SOPClassCommonExtendedNegotiation()
    item.sop_class_uid = CT
    item.service_class_uid = "1.2.840.10008.4.2"
    item.related_general_sop_class_identification = ["1.2.3", b"1.2.4"]
    return item


def identity_rq() -> UserIdentityNegotiation:
    item = UserIdentityNegotiation()
    item.user_identity_type = 2
    item.positive_response_requested = True
    item.primary_field = b"alice"
    item.secondary_field = b"secret"
    return item


def identity_ac() -> UserIdentityNegotiation:
    item = UserIdentityNegotiation()
    item.server_response = b"token"
    return item


ALL = [max_length, class_uid, version, window, role, extended, common, identity_rq]


def test_round_trip_through_an_associate_rq() -> None:
    items = [make() for make in ALL]
    cx = _core.PresentationContextRq(1, CT, ["1.2.840.10008.1.2"])
    pdu = _core.decode_pdu(
        _core.AssociateRq("B", "A", [cx], [item.to_core() for item in items]).encode()
    )
    assert isinstance(pdu, _core.AssociateRq)
    assert [from_core(sub) for sub in pdu.user_information] == items


def test_user_identity_response_goes_in_an_ac() -> None:
    item = identity_ac()
    core = item.to_core()
    assert isinstance(core, _core.UserIdentityAc)
    pdu = _core.decode_pdu(_core.AssociateAc("B", "A", [], [core]).encode())
    assert isinstance(pdu, _core.AssociateAc)
    (back,) = [from_core(sub) for sub in pdu.user_information]
    assert back == item and isinstance(back, UserIdentityNegotiation)
    assert back.server_response == b"token" and back.user_identity_type is None


def test_bytes_as_in_ps38() -> None:
    # PS3.8 D.1: item type 0x51, reserved, length 4, value
    assert max_length(16382).to_core().encode() == b"\x51\x00\x00\x04\x00\x00\x3f\xfe"
    # PS3.7 D.3.3.4: 0x54, length, UID length, UID, SCU role, SCP role
    assert role().to_core().encode() == (b"\x54\x00\x00\x1d\x00\x19" + CT.encode() + b"\x00\x01")
    assert window().from_primitive().encode() == b"\x53\x00\x00\x04\x00\x05\x00\x00"


def test_unknown_items() -> None:
    assert from_core(_core.UnknownUserItem(0x60, b"x")) is None
    with pytest.raises(TypeError, match="not a user information item"):
        from_core(_core.ReleaseRq())  # type: ignore[arg-type]


def test_defaults_and_str() -> None:
    assert MaximumLengthNotification().maximum_length_received == 16382
    window = AsynchronousOperationsWindowNegotiation()
    assert (
        window.maximum_number_operations_invoked,
        window.maximum_number_operations_performed,
    ) == (
        1,
        1,
    )
    assert "Maximum length received: 16382 bytes" in str(MaximumLengthNotification())
    assert "Server response: b'token'" in str(identity_ac())
    assert "Primary field: b'alice'" in str(identity_rq())


@pytest.mark.parametrize(
    ("item", "attribute", "value", "error", "message"),
    [
        (MaximumLengthNotification, "maximum_length_received", -1, ValueError, "greater than 0"),
        (MaximumLengthNotification, "maximum_length_received", "1", TypeError, "numerical"),
        (ImplementationClassUIDNotification, "implementation_class_uid", 1.5, TypeError, "must be"),
        (ImplementationVersionNameNotification, "implementation_version_name", "A" * 17, ValueError,
         "must not exceed 16 characters"),
        (AsynchronousOperationsWindowNegotiation, "maximum_number_operations_invoked", -1,
         ValueError, "greater than 0"),
        (SCP_SCU_RoleSelectionNegotiation, "scu_role", 1, TypeError, "SCU Role must be boolean"),
        (SOPClassExtendedNegotiation, "service_class_application_information", "x", TypeError,
         "should be a bytes object"),
        (SOPClassCommonExtendedNegotiation, "related_general_sop_class_identification", "1.2",
         TypeError, "must be a list"),
        (UserIdentityNegotiation, "user_identity_type", 6, ValueError, "1, 2, 3, 4 or 5"),
        (UserIdentityNegotiation, "primary_field", "alice", TypeError, "Primary Field must"),
        (UserIdentityNegotiation, "server_response", "x", TypeError, "Server Response must"),
    ],
)  # fmt: skip
def test_setter_validation(item, attribute, value, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        setattr(item(), attribute, value)


def test_incomplete_items_refused() -> None:
    with pytest.raises(ValueError, match="Implementation Class UID must be set"):
        ImplementationClassUIDNotification().to_core()
    with pytest.raises(ValueError, match="'sop_class_uid' must be set"):
        SCP_SCU_RoleSelectionNegotiation().to_core()
    both_off = role()
    both_off.scp_role = False
    with pytest.raises(ValueError, match="cannot both be unsupported"):
        both_off.to_core()
    with pytest.raises(ValueError, match="User Identity Type and Primary Field must be set"):
        UserIdentityNegotiation().to_core()
    no_pass = identity_rq()
    no_pass.secondary_field = b""
    with pytest.raises(ValueError, match="Secondary Field must be set when User Identity is 2"):
        no_pass.to_core()


def test_a_associate() -> None:
    assoc = A_ASSOCIATE()
    assert (assoc.calling_ae_title, assoc.called_ae_title, assoc.mode) == (
        "DEFAULT",
        "DEFAULT",
        "normal",
    )
    assoc.calling_ae_title = "ECHOSCU"
    with pytest.raises(ValueError, match="must not consist entirely of spaces"):
        assoc.called_ae_title = "   "
    with pytest.raises(TypeError, match="'Called AE Title' must be str, not 'NoneType'"):
        assoc.called_ae_title = None  # type: ignore[assignment]
    assert assoc.maximum_length_received is None
    assoc.maximum_length_received = 0
    assoc.implementation_class_uid = "1.2.3"
    assert assoc.maximum_length_received == 0
    assert assoc.implementation_class_uid == UID("1.2.3")
    assoc.user_information = [max_length(5), "junk"]  # type: ignore[list-item]
    assert len(assoc.user_information) == 1
    with pytest.raises(ValueError, match="Implementation Class UID has not been set"):
        _ = assoc.implementation_class_uid
    assoc.presentation_context_definition_list = [build_context(CT), 3]  # type: ignore[list-item]
    assert len(assoc.presentation_context_definition_list) == 1
    assoc.result, assoc.result_source, assoc.diagnostic = 1, 1, 7
    assert (assoc.result_str, assoc.source_str, assoc.reason_str) == (
        "Rejected Permanent",
        "Service User",
        "Called AE title not recognised",
    )
    with pytest.raises(ValueError, match=r"Unknown A_ASSOCIATE\.diagnostic value"):
        assoc.diagnostic = 4


def test_release_abort_pdata() -> None:
    release = A_RELEASE()
    release.result = "affirmative"
    with pytest.raises(ValueError, match="must be None or 'affirmative'"):
        release.result = "no"
    abort = A_ABORT()
    with pytest.raises(ValueError, match="abort_source value not set"):
        _ = abort.abort_source
    abort.abort_source = 2
    with pytest.raises(ValueError, match="Invalid A-ABORT 'Source' value '3'"):
        abort.abort_source = 3
    provider = A_P_ABORT()
    provider.provider_reason = 6
    with pytest.raises(ValueError, match="provider_reason to an invalid value"):
        provider.provider_reason = 3
    data = P_DATA()
    data.presentation_data_value_list = [[1, b"\x03\x00"]]
    assert "Command information, last fragment of the DIMSE message" in str(data)
    with pytest.raises(TypeError, match=r"list of \[ID, PDV\]"):
        data.presentation_data_value_list = [(1, b"\x00")]
