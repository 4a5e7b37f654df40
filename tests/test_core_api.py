"""Basic behaviour of every class and function of fastdimse._core (PYAPI.md).

Byte layouts written here by hand come from PS3.8 9.3 / Annex D and PS3.7
Annex D / E; the exhaustive layouts are tested in Rust, these check that the
binding hands the same bytes through.
"""

from __future__ import annotations

import errno
import io
import os
import pickle
import struct
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset

import fastdimse
from fastdimse import _core as core
from fastdimse.errors import (
    AbortAnswer,
    CoreError,
    DataSetWriteError,
    DecodeError,
    EncodeError,
    LimitExceededError,
    RejectAnswer,
    StatusAnswer,
    TruncatedError,
)

VERIFICATION = "1.2.840.10008.1.1"
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
IMPLICIT_LE = "1.2.840.10008.1.2"
C_ECHO_RQ = 0x0030
C_STORE_RQ = 0x0001


def pdu(pdu_type: int, body: bytes) -> bytes:
    """A PDU header (PS3.8 Table 9-11 layout) followed by `body`."""
    return struct.pack(">BBL", pdu_type, 0, len(body)) + body


def echo_rq(message_id: int = 1) -> core.CommandSet:
    return core.CommandSet(C_ECHO_RQ, affected_sop_class_uid=VERIFICATION, message_id=message_id)


def store_rq(message_id: int = 7) -> core.CommandSet:
    return core.CommandSet(
        C_STORE_RQ,
        affected_sop_class_uid=CT_IMAGE_STORAGE,
        affected_sop_instance_uid="1.2.3.4",
        message_id=message_id,
        priority=0,
        command_data_set_type=0x0000,
    )


def associate_rq() -> core.AssociateRq:
    return core.AssociateRq(
        called_ae_title="ANY-SCP",
        calling_ae_title="ECHOSCU",
        presentation_contexts=[core.PresentationContextRq(1, VERIFICATION, [IMPLICIT_LE])],
        user_information=[core.MaximumLength(16382), core.ImplementationClassUid("1.2.3")],
    )


def encoded_dataset() -> bytes:
    ds = Dataset()
    ds.PatientName = "Doe^John"
    ds.PatientID = "12345"
    ds.SOPInstanceUID = "1.2.3.4"
    fp = DicomBytesIO()
    fp.is_little_endian = True
    fp.is_implicit_VR = True
    write_dataset(fp, ds)
    return fp.getvalue()


# Exceptions and answers


def test_exception_hierarchy() -> None:
    assert CoreError("x").events == ()
    assert issubclass(DecodeError, CoreError) and issubclass(DecodeError, ValueError)
    assert issubclass(LimitExceededError, DecodeError)
    assert issubclass(TruncatedError, DecodeError)
    assert issubclass(EncodeError, CoreError) and issubclass(EncodeError, ValueError)
    assert issubclass(DataSetWriteError, CoreError) and issubclass(DataSetWriteError, OSError)
    assert fastdimse.DecodeError is DecodeError


def test_answers_are_named_tuples() -> None:
    assert AbortAnswer(2, 6) == (2, 6)
    assert RejectAnswer(1, 1, 7).reason == 7
    assert StatusAnswer(0x0211).status == 0x0211


def test_decode_error_attributes_and_pickling() -> None:
    with pytest.raises(DecodeError) as info:
        core.decode_pdu(pdu(0x08, bytes(4)))
    err = info.value
    assert type(err) is DecodeError
    assert err.kind == "UnknownPduType"
    assert err.field == "PDU-type"
    assert err.offset == 0
    assert err.answer == AbortAnswer(source=2, reason=1)
    assert err.detail == "unknown PDU type 0x08"
    assert str(err) == "PDU-type: unknown PDU type 0x08 (at offset 0)"
    copy = pickle.loads(pickle.dumps(err))
    assert (type(copy), str(copy), copy.kind, copy.answer) == (
        DecodeError,
        str(err),
        err.kind,
        err.answer,
    )


def test_decode_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown PDU type"):
        core.decode_pdu(pdu(0x08, bytes(4)))


def test_encode_error_attributes() -> None:
    rq = core.AssociateRq("SEVENTEEN-CHARS-X", "B", [], [])
    with pytest.raises(EncodeError) as info:
        rq.encode()
    err = info.value
    assert isinstance(err, ValueError)
    assert err.field == "A-ASSOCIATE-RQ/Called-AE-title"
    assert err.kind == "TooLong"
    assert err.reason == "length 17 exceeds the limit of 16"
    assert str(err) == "A-ASSOCIATE-RQ/Called-AE-title: length 17 exceeds the limit of 16"
    assert pickle.loads(pickle.dumps(err)).field == err.field


# PDUs


def test_release_and_abort_pdus_encode_as_ps38_tables() -> None:
    # PS3.8 Tables 9-24, 9-25, 9-26: type, reserved, length 4, four bytes.
    assert core.ReleaseRq().encode() == bytes.fromhex("05 00 00000004 00000000")
    assert core.ReleaseRp().encode() == bytes.fromhex("06 00 00000004 00000000")
    assert core.Abort(2, 6).encode() == bytes.fromhex("07 00 00000004 0000 02 06")
    # PS3.8 Table 9-21: reserved, result, source, reason.
    assert core.AssociateRj(1, 1, 7).encode() == bytes.fromhex("03 00 00000004 00 01 01 07")


@pytest.mark.parametrize(
    "value",
    [
        core.ReleaseRq(),
        core.ReleaseRp(),
        core.Abort(source=0, reason=0),
        core.AssociateRj(result=2, source=3, reason=1),
        core.PDataTf([core.Pdv(1, True, True, b"\x01\x02"), core.Pdv(1, False, False, b"ab")]),
        associate_rq(),
    ],
    ids=repr,
)
def test_pdus_round_trip_and_compare(value: core._Pdu) -> None:
    encoded = value.encode()
    assert core.encode_pdu(value) == encoded
    assert core.decode_pdu(encoded) == value
    assert core.decode_pdu(bytearray(encoded)) == value
    assert core.decode_pdu(memoryview(encoded)) == value
    assert repr(value).startswith(type(value).__name__ + "(")


def test_associate_rq_attributes() -> None:
    rq = associate_rq()
    assert rq.called_ae_title == "ANY-SCP"
    assert rq.calling_ae_title == "ECHOSCU"
    assert rq.application_context == "1.2.840.10008.3.1.1.1"
    assert rq.protocol_version == 1
    assert rq.presentation_contexts == [core.PresentationContextRq(1, VERIFICATION, [IMPLICIT_LE])]
    assert rq.user_information == [core.MaximumLength(16382), core.ImplementationClassUid("1.2.3")]
    # PS3.8 Table 9-11: AE titles are 16 bytes, space padded, at offsets 10 and 26.
    encoded = rq.encode()
    assert encoded[10:26] == b"ANY-SCP         "
    assert encoded[26:42] == b"ECHOSCU         "


def test_pdus_are_frozen_and_unequal_when_different() -> None:
    rq = associate_rq()
    with pytest.raises(AttributeError):
        rq.called_ae_title = "X"  # type: ignore[misc]
    assert core.Abort(0, 0) != core.Abort(2, 0)
    release_rp: object = core.ReleaseRp()
    assert core.ReleaseRq() != release_rp


def test_associate_ac_keeps_raw_ae_title_bytes() -> None:
    ac = core.AssociateAc(
        called_ae_title="ANY-SCP",
        calling_ae_title=b"ECHOSCU\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        presentation_contexts=[core.PresentationContextAc(1, 0, IMPLICIT_LE)],
        user_information=[core.MaximumLength(0)],
    )
    assert ac.called_ae_title == b"ANY-SCP         "
    assert ac.calling_ae_title == b"ECHOSCU" + bytes(9)
    decoded = core.decode_pdu(ac.encode())
    assert decoded == ac
    assert isinstance(decoded, core.AssociateAc)
    assert decoded.presentation_contexts[0].transfer_syntax == IMPLICIT_LE
    with pytest.raises(ValueError, match="16 bytes"):
        core.AssociateAc(b"short", "B", [], [])


def test_pdv_attributes() -> None:
    pdv = core.Pdv(context_id=3, is_command=True, is_last=False, data=b"xy")
    assert (pdv.context_id, pdv.is_command, pdv.is_last, pdv.control, pdv.data) == (
        3,
        True,
        False,
        0x01,
        b"xy",
    )
    # PS3.8 Table 9-23: item length (4), context ID, control header, data.
    assert pdv.encode() == bytes.fromhex("00000004 03 01") + b"xy"
    assert core.PDataTf([pdv]).pdvs == [pdv]


def test_encode_pdu_refuses_other_objects() -> None:
    with pytest.raises(TypeError):
        core.encode_pdu(core.MaximumLength(1))  # type: ignore[arg-type]


def test_enforce_uid_conformance_is_passed_to_the_core() -> None:
    rq = core.AssociateRq("A", "B", [core.PresentationContextRq(1, "1.02", [IMPLICIT_LE])], [])
    encoded = rq.encode()
    assert core.decode_pdu(encoded) == rq
    with pytest.raises(DecodeError) as info:
        core.decode_pdu(encoded, enforce_uid_conformance=True)
    assert info.value.kind == "NonConformantUid"


# Items


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        # PS3.8 Table 9-14 / 9-15 (RQ presentation context and its sub-items).
        (
            core.PresentationContextRq(1, "1.2", ["1.3"]),
            "20 00 0012 01 000000 30 00 0003 312e32 40 00 0003 312e33",
        ),
        # PS3.8 Table 9-18.
        (core.PresentationContextAc(1, 0, "1.3"), "21 00 000b 01 00 00 00 40 00 0003 312e33"),
        # PS3.8 D.1 Table D.1-1.
        (core.MaximumLength(16382), "51 00 0004 00003ffe"),
        # PS3.7 D.3.3.2 Table D.3-1.
        (core.ImplementationClassUid("1.2.3"), "52 00 0005 312e322e33"),
        # PS3.7 D.3.3.3 Table D.3-3.
        (core.AsyncOpsWindow(1, 2), "53 00 0004 0001 0002"),
        # PS3.7 D.3.3.4 Table D.3-9.
        (core.RoleSelection("1.2", 1, 0), "54 00 0007 0003 312e32 01 00"),
        # PS3.7 D.3.3.2 Table D.3-2.
        (core.ImplementationVersionName("X"), "55 00 0001 58"),
        # PS3.7 D.3.3.5 Table D.3-11.
        (core.SopClassExtended("1.2", b"\x01\x02"), "56 00 0007 0003 312e32 0102"),
        # PS3.7 D.3.3.6 Table D.3-12: version byte, then a 2-byte length.
        (
            core.SopClassCommonExtended("1.2", "1.3", ["1.4"]),
            "57 00 0011 0003 312e32 0003 312e33 0005 0003 312e34",
        ),
        # PS3.7 D.3.3.7 Table D.3-14.
        (
            core.UserIdentityRq(2, True, b"user", b"pw"),
            "58 00 000c 02 01 0004 75736572 0002 7077",
        ),
        # PS3.7 D.3.3.7 Table D.3-15.
        (core.UserIdentityAc(b"ok"), "59 00 0004 0002 6f6b"),
        (core.UnknownUserItem(0x77, b"ab"), "77 00 0002 6162"),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, str) else "",
)
def test_items_encode_as_tables(item: core._UserItem, expected: str) -> None:
    assert item.encode() == bytes.fromhex(expected)


def test_user_items_round_trip_inside_an_associate_rq() -> None:
    items: list[core._UserItem] = [
        core.MaximumLength(0),
        core.ImplementationClassUid("1.2.826.0.1.3680043.9.3811.2.1.0"),
        core.AsyncOpsWindow(max_operations_invoked=0, max_operations_performed=1),
        core.RoleSelection(sop_class_uid=CT_IMAGE_STORAGE, scu_role=1, scp_role=1),
        core.ImplementationVersionName("FASTDIMSE_010"),
        core.SopClassExtended(CT_IMAGE_STORAGE, b"\x01\x00"),
        core.SopClassCommonExtended(
            sop_class_uid=CT_IMAGE_STORAGE,
            service_class_uid="1.2.840.10008.4.2",
            related_general_sop_classes=["1.2.840.10008.5.1.4.1.1.2.1"],
            version=0,
        ),
        core.UserIdentityRq(1, False, b"alice"),
        core.UnknownUserItem(item_type=0x7F, data=b"\x00\x01"),
    ]
    rq = core.AssociateRq(
        "A", "B", [core.PresentationContextRq(1, VERIFICATION, [IMPLICIT_LE])], items
    )
    decoded = core.decode_pdu(rq.encode())
    assert isinstance(decoded, core.AssociateRq)
    assert decoded.user_information == items


def test_item_attributes() -> None:
    rq_identity = core.UserIdentityRq(
        identity_type=1, positive_response_requested=False, primary_field=b"u"
    )
    assert rq_identity.secondary_field == b""
    assert rq_identity.primary_field == b"u"
    assert core.UserIdentityAc(server_response=b"t").server_response == b"t"
    common = core.SopClassCommonExtended("1.2", "1.3", [])
    assert (common.sop_class_uid, common.service_class_uid, common.version) == ("1.2", "1.3", 0)
    assert common.related_general_sop_classes == []
    ext = core.SopClassExtended("1.2", b"\x05")
    assert ext.service_class_application_information == b"\x05"
    assert core.UnknownUserItem(0x60, b"z").item_type == 0x60
    role = core.RoleSelection("1.2", 0, 1)
    assert (role.sop_class_uid, role.scu_role, role.scp_role) == ("1.2", 0, 1)
    window = core.AsyncOpsWindow(3, 4)
    assert (window.max_operations_invoked, window.max_operations_performed) == (3, 4)
    ac = core.PresentationContextAc(id=3, result=3, transfer_syntax=None)
    assert (ac.id, ac.result, ac.transfer_syntax) == (3, 3, None)
    assert core.ImplementationVersionName("V").name == "V"
    assert core.ImplementationClassUid("1.2").uid == "1.2"
    assert core.MaximumLength(5).value == 5
    assert repr(core.MaximumLength(5)) == "MaximumLength(value=5)"


def test_user_information_refuses_other_objects() -> None:
    with pytest.raises(TypeError, match="user information sub-item"):
        core.AssociateRq("A", "B", [], [core.Abort(0, 0)])  # type: ignore[list-item]


def test_item_encode_errors() -> None:
    with pytest.raises(EncodeError) as info:
        core.PresentationContextRq(2, VERIFICATION, [IMPLICIT_LE]).encode()
    assert info.value.kind == "InvalidValue"
    with pytest.raises(EncodeError):
        core.ImplementationClassUid("1" * 65).encode()


# Command sets


def test_command_set_encodes_as_ps37_annex_e() -> None:
    # (0000,0000) UL group length 56; (0000,0002) UI padded with a NUL to
    # even length; (0000,0100) US; (0000,0110) US; (0000,0800) US; all
    # Implicit VR Little Endian: tag (4), length (4), value.
    expected = (
        bytes.fromhex("00000000 04000000 38000000")
        + bytes.fromhex("00000200 12000000")
        + b"1.2.840.10008.1.1\x00"
        + bytes.fromhex("00000001 02000000 3000")
        + bytes.fromhex("00001001 02000000 0100")
        + bytes.fromhex("00000008 02000000 0101")
    )
    cmd = echo_rq()
    assert cmd.encode() == expected
    assert core.encode_command_set(cmd) == expected
    assert core.decode_command_set(expected) == cmd
    assert core.decode_command_set(bytearray(expected)) == cmd
    assert core.decode_command_set(memoryview(expected)) == cmd


def test_command_set_attributes() -> None:
    cmd = store_rq()
    assert cmd.command_field == C_STORE_RQ
    assert cmd.command_name == "C-STORE-RQ"
    assert cmd.has_data_set
    assert cmd.affected_sop_class_uid == CT_IMAGE_STORAGE
    assert cmd.affected_sop_instance_uid == "1.2.3.4"
    assert cmd.message_id == 7
    assert cmd.priority == 0
    assert cmd.command_data_set_type == 0
    assert cmd.status is None
    assert cmd.offending_element is None
    assert cmd.unknown == []
    assert cmd.unexpected_elements() == []
    assert cmd.missing_elements() == []
    assert not echo_rq().has_data_set
    assert "message_id=7" in repr(cmd)
    with pytest.raises(AttributeError):
        cmd.message_id = 8  # type: ignore[misc]


def test_command_set_every_keyword_round_trips() -> None:
    cmd = core.CommandSet(
        0x8021,
        affected_sop_class_uid="1.2.840.10008.5.1.4.1.2.1.2",
        requested_sop_class_uid="1.2",
        message_id=1,
        message_id_being_responded_to=2,
        move_destination="DEST",
        priority=1,
        command_data_set_type=0x0101,
        status=0xFF00,
        offending_element=[0x00100010, 0x00100020],
        error_comment="bad",
        error_id=3,
        affected_sop_instance_uid="1.3",
        requested_sop_instance_uid="1.4",
        event_type_id=4,
        attribute_identifier_list=[0x00080018],
        action_type_id=5,
        number_of_remaining_suboperations=6,
        number_of_completed_suboperations=7,
        number_of_failed_suboperations=8,
        number_of_warning_suboperations=9,
        move_originator_application_entity_title="ORIG",
        move_originator_message_id=10,
        unknown=[(0x00001234, b"\x01\x02")],
    )
    decoded = core.decode_command_set(cmd.encode())
    assert decoded == cmd
    assert decoded.offending_element == [0x00100010, 0x00100020]
    assert decoded.attribute_identifier_list == [0x00080018]
    assert decoded.unknown == [(0x00001234, b"\x01\x02")]
    assert decoded.move_originator_application_entity_title == "ORIG"
    assert decoded.command_name == "C-MOVE-RSP"
    # A C-MOVE-RSP has no Move Destination, N-service elements or unknown tags.
    assert 0x00000600 in decoded.unexpected_elements()
    assert 0x00001234 in decoded.unexpected_elements()


def test_a_request_lacking_service_elements_decodes_and_names_them() -> None:
    """Delivered for the policy to answer (a failure status, not an abort)."""
    n_set = core.CommandSet(0x0120, message_id=3, requested_sop_class_uid="1.2.3")
    decoded = core.decode_command_set(n_set.encode())
    assert decoded == n_set
    assert decoded.missing_elements() == [0x00001001]  # Requested SOP Instance UID
    store = core.CommandSet(C_STORE_RQ, message_id=4, command_data_set_type=0)
    assert core.decode_command_set(store.encode()).missing_elements() == [
        0x00000002,
        0x00000700,
        0x00001000,
    ]
    # What an answer needs cannot be missing: no Message ID, or a response without Status.
    for refused, field in (
        (core.CommandSet(0x0120, requested_sop_class_uid="1.2.3"), "(0000,0110) Message ID"),
        (core.CommandSet(0x8120, message_id_being_responded_to=3), "(0000,0900) Status"),
    ):
        with pytest.raises(DecodeError) as info:
            core.decode_command_set(refused.encode())
        assert (info.value.kind, info.value.field) == ("Missing", field)


def test_command_set_unknown_command_field() -> None:
    cmd = core.CommandSet(0x0042, message_id=1)
    assert cmd.command_name is None
    with pytest.raises(DecodeError) as info:
        core.decode_command_set(cmd.encode())
    assert info.value.kind == "UnknownCommandField"
    assert info.value.answer == StatusAnswer(0x0211)


def test_command_set_decode_error_offsets() -> None:
    encoded = echo_rq().encode()
    with pytest.raises(DecodeError) as info:
        core.decode_command_set(encoded[:-1])
    # The group length no longer matches the bytes that follow it.
    assert (info.value.kind, info.value.field, info.value.offset) == (
        "InvalidValue",
        "(0000,0000) Command Group Length",
        0,
    )


# Receiving


def feed_all(receiver: core.Receiver, stream: bytes, step: int | None = None) -> list[object]:
    if step is None:
        return list(receiver.feed(stream))
    events: list[object] = []
    for start in range(0, len(stream), step):
        events.extend(receiver.feed(stream[start : start + step]))
    return events


@pytest.mark.parametrize("step", [None, 1, 7, 4096])
def test_receiver_reports_pdus_and_messages_in_order(step: int | None) -> None:
    rq = associate_rq()
    command = echo_rq().encode()
    stream = rq.encode() + core.fragment_message(16382, 1, command) + core.ReleaseRq().encode()
    events = feed_all(core.Receiver(), stream, step)
    assert len(events) == 3
    assert events[0] == rq
    message = events[1]
    assert isinstance(message, core.Message)
    assert message.context_id == 1
    assert message.command == echo_rq()
    assert message.data_set is None
    assert message.data_set_length is None
    assert events[2] == core.ReleaseRq()


def test_receiver_data_set_in_memory() -> None:
    data = encoded_dataset()
    stream = core.fragment_message(64, 1, store_rq().encode(), data)
    receiver = core.Receiver(64)
    events = receiver.feed(stream)
    assert len(events) == 1
    message = events[0]
    assert isinstance(message, core.Message)
    buf = message.data_set
    assert buf is not None
    assert isinstance(buf, core.DataSetBuffer)
    assert len(buf) == len(data) == message.data_set_length
    assert buf == data
    assert bytes(buf) == data
    view = memoryview(buf)
    assert view.readonly
    assert view.tobytes() == data
    with pytest.raises(TypeError):
        view[0] = 0
    view.release()
    ds = pydicom.dcmread(io.BytesIO(buf), force=True)
    assert ds.PatientName == "Doe^John"


def test_data_set_buffer_views_outlive_the_message() -> None:
    data = bytes(range(256)) * 1024
    message = core.Receiver(0).feed(core.fragment_message(0, 1, store_rq().encode(), data))[0]
    assert isinstance(message, core.Message)
    assert message.data_set is not None
    view = memoryview(message.data_set)
    del message
    assert view.tobytes() == data


def test_data_set_buffer_constructor_and_equality() -> None:
    buf = core.DataSetBuffer(bytearray(b"abc"))
    assert buf == b"abc"
    assert buf == core.DataSetBuffer(b"abc")
    assert buf != b"abd"
    assert buf != "abc"
    assert len(core.DataSetBuffer(b"")) == 0
    assert bytes(core.DataSetBuffer(b"")) == b""
    with memoryview(buf) as view:
        assert view.format == "B"


def test_receiver_large_feed_releases_the_gil_and_still_works() -> None:
    data = os.urandom(3 * 1024 * 1024 + 1)
    stream = core.fragment_message(16382, 3, store_rq().encode(), data)
    assert len(stream) > 64 * 1024
    # In memory whole: the cap (1 MiB by default) raised past this data set.
    message = core.Receiver(max_memory_data_set=len(data)).feed(memoryview(stream))[0]
    assert isinstance(message, core.Message)
    assert message.context_id == 3
    assert message.data_set == data


def announced_store(receiver: core.Receiver, data: bytes) -> core.DataSetStart:
    stream = core.fragment_message(16382, 1, store_rq().encode(), data)
    events = receiver.feed(stream)
    assert len(events) == 1
    start = events[0]
    assert isinstance(start, core.DataSetStart)
    assert start.context_id == 1
    assert start.command == store_rq()
    return start


def test_receiver_data_set_to_a_file_descriptor(tmp_path: Path) -> None:
    data = os.urandom(100_000)
    receiver = core.Receiver(announce_data_sets=True)
    announced_store(receiver, data)
    path = tmp_path / "instance.dcm"
    with path.open("wb") as f:
        events = receiver.resume(f.fileno())
        assert len(events) == 1
        message = events[0]
        assert isinstance(message, core.Message)
        assert message.data_set is None
        assert message.data_set_length == len(data)
        os.fstat(f.fileno())  # Python's descriptor is still open
    assert path.read_bytes() == data


def test_receiver_resume_to_memory() -> None:
    receiver = core.Receiver(announce_data_sets=True)
    announced_store(receiver, b"\x08\x00\x18\x00\x00\x00\x00\x00")
    message = receiver.resume()[0]
    assert isinstance(message, core.Message)
    assert message.data_set == b"\x08\x00\x18\x00\x00\x00\x00\x00"


def test_receiver_resume_with_a_bad_descriptor() -> None:
    receiver = core.Receiver(announce_data_sets=True)
    announced_store(receiver, b"ab")
    read_end, write_end = os.pipe()
    os.close(read_end)
    os.close(write_end)
    with pytest.raises(OSError) as info:
        receiver.resume(write_end)
    assert info.value.errno == errno.EBADF
    with pytest.raises(ValueError):
        receiver.resume(-1)
    assert isinstance(receiver.resume(None)[0], core.Message)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_receiver_write_failure_is_reported_on_the_message() -> None:
    """A full disk fails that data set only: the message says so and the stream goes on."""
    receiver = core.Receiver(announce_data_sets=True)
    announced_store(receiver, b"ab")
    with open("/dev/full", "wb") as full:
        (message,) = receiver.resume(full.fileno())
    assert isinstance(message, core.Message)
    assert message.data_set is None and message.data_set_length == 2
    error = message.data_set_error
    assert isinstance(error, DataSetWriteError) and isinstance(error, OSError)
    assert error.errno == errno.ENOSPC
    (release,) = receiver.feed(core.ReleaseRq().encode())
    assert isinstance(release, core.ReleaseRq)


def test_receiver_observe_pdus_and_report_pdata() -> None:
    pdata = core.fragment_message(16382, 1, echo_rq().encode())
    release = core.ReleaseRq().encode()
    events = core.Receiver(observe_pdus=True, report_pdata=True).feed(pdata + release)
    kinds = [type(e) for e in events]
    assert kinds == [core.PDataTfHeader, core.RawPdu, core.Message, core.RawPdu, core.ReleaseRq]
    header = events[0]
    assert isinstance(header, core.PDataTfHeader)
    assert header.length == len(pdata) - 6
    raw = events[1]
    assert isinstance(raw, core.RawPdu)
    assert raw.data == pdata
    raw_release = events[3]
    assert isinstance(raw_release, core.RawPdu)
    assert raw_release.data == release


def test_receiver_pending_flags_and_finish() -> None:
    receiver = core.Receiver()
    assert not receiver.partial_pdu_pending
    assert not receiver.message_pending
    receiver.finish()
    stream = core.fragment_message(16, 1, echo_rq().encode())
    first_pdu_len = 6 + struct.unpack(">L", stream[2:6])[0]
    assert receiver.feed(stream[:first_pdu_len]) == []
    assert receiver.message_pending
    assert not receiver.partial_pdu_pending
    assert receiver.feed(stream[first_pdu_len : first_pdu_len + 3]) == []
    assert receiver.partial_pdu_pending
    with pytest.raises(TruncatedError) as info:
        receiver.finish()
    assert info.value.kind == "Truncated"
    assert info.value.answer == AbortAnswer(2, 0)


def test_receiver_limit_exceeded() -> None:
    receiver = core.Receiver(16)
    with pytest.raises(LimitExceededError) as info:
        receiver.feed(pdu(0x04, bytes(32)))
    err = info.value
    assert err.kind == "LimitExceeded"
    assert err.offset == 2
    assert isinstance(err.answer, AbortAnswer)


def test_receiver_is_poisoned_after_an_error() -> None:
    receiver = core.Receiver()
    with pytest.raises(DecodeError) as first:
        receiver.feed(core.ReleaseRq().encode() + pdu(0x09, bytes(4)))
    # The events completed before the error travel with it.
    assert list(first.value.events) == [core.ReleaseRq()]
    with pytest.raises(DecodeError) as second:
        receiver.feed(core.ReleaseRq().encode())
    assert list(second.value.events) == []
    assert (second.value.kind, second.value.offset, str(second.value)) == (
        first.value.kind,
        first.value.offset,
        str(first.value),
    )
    with pytest.raises(DecodeError):
        receiver.finish()


def test_receiver_accepts_bytearray_and_memoryview() -> None:
    stream = core.ReleaseRq().encode()
    assert core.Receiver().feed(bytearray(stream)) == [core.ReleaseRq()]
    assert core.Receiver().feed(memoryview(stream)) == [core.ReleaseRq()]
    with pytest.raises(TypeError):
        core.Receiver().feed("text")  # type: ignore[arg-type]


# Sending


def test_fragment_message_layout() -> None:
    # PS3.8 Tables 9-22 / 9-23 and Annex E: one PDV per P-DATA-TF; the
    # command fragment has control 0x03, the data set's last 0x02.
    assert core.fragment_message(0, 1, b"\x01\x02", b"abc") == bytes.fromhex(
        "04 00 00000008 00000004 01 03 0102 04 00 00000009 00000005 01 02 616263"
    )
    # peer maximum 8: at most 2 bytes of data per PDV (8 - 6).
    assert core.fragment_message(8, 1, b"\x01\x02", b"abcde") == bytes.fromhex(
        "04 00 00000008 00000004 01 03 0102"
        " 04 00 00000008 00000004 01 00 6162"
        " 04 00 00000008 00000004 01 00 6364"
        " 04 00 00000007 00000003 01 02 65"
    )
    assert core.fragment_message(0, 1, b"\x01\x02") == bytes.fromhex(
        "04 00 00000008 00000004 01 03 0102"
    )


def test_fragment_message_inputs_and_errors() -> None:
    command = echo_rq().encode()
    expected = core.fragment_message(100, 1, command, b"xyz")
    assert core.fragment_message(100, 1, command, bytearray(b"xyz")) == expected
    assert core.fragment_message(100, 1, command, memoryview(b"xyz")) == expected
    with pytest.raises(EncodeError):
        core.fragment_message(100, 2, command)


def test_fragment_message_round_trips_through_the_receiver() -> None:
    data = os.urandom(200_000)
    stream = core.fragment_message(4096, 5, store_rq().encode(), data)
    message = core.Receiver(4096).feed(stream)[0]
    assert isinstance(message, core.Message)
    assert (message.context_id, message.command) == (5, store_rq())
    assert message.data_set == data


def data_set_file(tmp_path: Path, prefix: bytes, data: bytes) -> Path:
    path = tmp_path / "data.bin"
    path.write_bytes(prefix + data + b"trailer")
    return path


def run_sender(sender: core.FileDataSetSender) -> Iterator[bytes]:
    yield from sender


def test_file_data_set_sender_matches_fragment_message(tmp_path: Path) -> None:
    data = os.urandom(300_001)
    path = data_set_file(tmp_path, b"PREFIX", data)
    command = store_rq().encode()
    with path.open("rb") as f:
        f.seek(3)
        sender = core.FileDataSetSender(
            4096, 1, command, f.fileno(), 6, len(data), chunk_size=65536
        )
        assert iter(sender) is sender
        chunks = list(run_sender(sender))
        assert f.tell() == 3  # positioned reads: Python's position is untouched
    assert len(chunks) > 1
    assert all(len(chunk) <= 65536 + 2 * 4096 + len(command) + 12 for chunk in chunks)
    assert b"".join(chunks) == core.fragment_message(4096, 1, command, data)
    assert list(sender) == []


def test_file_data_set_sender_short_file(tmp_path: Path) -> None:
    path = tmp_path / "short.bin"
    path.write_bytes(b"abc")
    with path.open("rb") as f:
        sender = core.FileDataSetSender(0, 1, echo_rq().encode(), f.fileno(), 0, 10)
        with pytest.raises(OSError):
            list(sender)


def test_file_data_set_sender_errors(tmp_path: Path) -> None:
    command = echo_rq().encode()
    with pytest.raises(EncodeError):
        core.FileDataSetSender(0, 2, command, 0, 0, 1)
    with pytest.raises(ValueError):
        core.FileDataSetSender(0, 1, command, -1, 0, 1)
    with pytest.raises(ValueError):
        core.FileDataSetSender(0, 1, command, 0, 0, 1, chunk_size=0)


def test_module_exports_version() -> None:
    assert fastdimse.__version__ == core.__version__
