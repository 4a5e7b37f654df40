"""Where pynetdicom 3.0.4 departs from the standard: the tests assert the standard's
behaviour, and tests/DIVERGENCES.md says why.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset
from pydicom.tag import Tag
from pynetdicom import dimse_messages, pdu
from pynetdicom.dsutils import decode as pynd_decode_dataset
from pynetdicom.dsutils import encode as pynd_encode_dataset

from differential_models import (
    Model,
    ac_models,
    model_of_ours,
    model_of_ours_command,
    model_of_pynd,
    ours_command,
    ours_pdu,
    pynd_command_dataset,
    pynd_decode_pdu,
    rq_models,
    split_pdus,
)
from fastdimse._core import (
    AssociateAc,
    AssociateRq,
    ImplementationClassUid,
    MaximumLength,
    PresentationContextAc,
    PresentationContextRq,
    Receiver,
    UnknownUserItem,
    decode_command_set,
    decode_pdu,
    fragment_message,
)
from fastdimse._dimse.incomplete import refusal_of_incomplete
from fastdimse._dimse.primitives.command_set import from_command_set
from fastdimse.errors import DecodeError

# --- divergences (see tests/DIVERGENCES.md) -----------------------------------------


def _rq_with_user_items(items: list[object]) -> bytes:
    return AssociateRq(
        called_ae_title="ANY-SCP",
        calling_ae_title="FINDSCU",
        presentation_contexts=[
            PresentationContextRq(
                id=1, abstract_syntax="1.2.840.10008.1.1", transfer_syntaxes=["1.2.840.10008.1.2"]
            )
        ],
        user_information=items,
    ).encode()


def test_divergence_unknown_user_information_sub_items_are_kept_not_fatal() -> None:
    """PS3.8 D.2 note 2: unrecognised sub-items are ignored, never a reason to fail."""
    items = [
        MaximumLength(value=16382),
        UnknownUserItem(item_type=0x5F, data=b"future"),
        ImplementationClassUid(uid="1.2.3.4"),
    ]
    encoded = _rq_with_user_items(items)
    assert decode_pdu(encoded).user_information == items
    with pytest.raises(KeyError):
        pynd_decode_pdu(encoded)


def test_divergence_fragments_are_even_even_with_an_odd_maximum() -> None:
    """PS3.8 E.1: each fragment of a message shall consist of an even number of bytes."""
    command = ours_command(
        (
            0x0001,
            (
                ("affected_sop_class_uid", "1.2.840.10008.5.1.4.1.1.2"),
                ("affected_sop_instance_uid", "1.2.3.4.5"),
                ("command_data_set_type", 0x0001),
                ("message_id", 7),
                ("priority", 0),
            ),
        )
    )
    data_set = bytes(range(256)) * 8
    max_pdu = 101  # room for 95 bytes of fragment
    ours = split_pdus(fragment_message(max_pdu, 1, command.encode(), data_set))
    assert all((len(raw) - 12) % 2 == 0 and len(raw) - 6 <= max_pdu for raw in ours)

    message = dimse_messages.C_STORE_RQ()
    message.command_set = pynd_command_dataset(model_of_ours_command(command))
    message.data_set = io.BytesIO(data_set)
    theirs = [pdu.P_DATA_TF(p).encode() for p in message.encode_msg(1, max_pdu)]
    assert any((len(raw) - 12) % 2 for raw in theirs)
    # Odd fragments are still reassembled: the receiver is lenient here.
    receiver = Receiver(max_pdu)
    (event,) = receiver.feed(b"".join(theirs))
    assert bytes(event.data_set) == data_set


def test_divergence_an_empty_data_set_still_sends_its_last_fragment() -> None:
    """PS3.8 E.2: the last fragment of a data set carries the 'last' bit; PS3.7
    6.3.1: a Command Data Set Type other than 0101H means a data set follows.
    pynetdicom sends no data set fragment at all for an empty data set."""
    command = ours_command(
        (
            0x0020,
            (
                ("affected_sop_class_uid", "1.2.840.10008.5.1.4.1.2.1.1"),
                ("command_data_set_type", 0x0001),
                ("message_id", 1),
                ("priority", 0),
            ),
        )
    )
    ours = split_pdus(fragment_message(16382, 1, command.encode(), b""))
    assert [raw[11] for raw in ours] == [0x03, 0x02]  # last command, then last (empty) data
    (event,) = Receiver().feed(b"".join(ours))
    assert bytes(event.data_set) == b""

    message = dimse_messages.C_FIND_RQ()
    message.command_set = pynd_command_dataset(model_of_ours_command(command))
    message.data_set = io.BytesIO(b"")
    theirs = [pdu.P_DATA_TF(p).encode() for p in message.encode_msg(1, 16382)]
    assert len(theirs) == 1  # the command only: a receiver waits for the data set forever
    receiver = Receiver()
    assert receiver.feed(b"".join(theirs)) == []
    assert receiver.message_pending


def test_divergence_command_group_length_is_checked() -> None:
    """PS3.7 E.1 (Table E.1-1): Command Group Length is the even number of bytes
    that follow it; pynetdicom never reads it, we refuse a wrong one."""
    ds = pynd_command_dataset(
        (
            0x0030,
            (
                ("affected_sop_class_uid", "1.2.840.10008.1.1"),
                ("command_data_set_type", 0x0101),
                ("message_id", 1),
            ),
        )
    )
    ds.CommandGroupLength += 2
    encoded = pynd_encode_dataset(ds, True, True)
    assert pynd_decode_dataset(io.BytesIO(encoded), True, True).MessageID == 1
    with pytest.raises(DecodeError) as caught:
        decode_command_set(encoded)
    assert caught.value.kind == "InvalidValue"


def test_divergence_a_command_without_its_mandatory_elements_is_refused() -> None:
    """PS3.7 9.3.1.1 (Table 9.3-1): a C-STORE-RQ's Affected SOP Instance UID is
    mandatory; pynetdicom decodes the command set without it and goes on as if it
    were whole. Our core delivers it too, naming what it lacks, and the provider
    refuses it with a failure status naming the element (PS3.7 C.4.2) instead of
    performing it; the association goes on (tests/test_hostile_peers_n.py)."""
    ds = Dataset()
    ds.AffectedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.CommandField = 0x0001
    ds.MessageID = 1
    ds.Priority = 0
    ds.CommandDataSetType = 0x0001
    ds.CommandGroupLength = len(pynd_encode_dataset(ds, True, True))
    encoded = pynd_encode_dataset(ds, True, True)
    assert "AffectedSOPInstanceUID" not in pynd_decode_dataset(io.BytesIO(encoded), True, True)
    decoded = decode_command_set(encoded)
    missing = decoded.missing_elements()
    assert missing == [0x00001000]
    refusal = refusal_of_incomplete(from_command_set(decoded), decoded.command_field, missing)
    assert (refusal.Status, refusal.OffendingElement) == (0xC000, [0x00001000])


def test_divergence_ac_reserved_fields_are_kept_byte_for_byte() -> None:
    """PS3.8 9.3.3 (Table 9-17): the AC's bytes 11-42 are sent with the RQ's values
    and not tested on receipt. pynetdicom strips them to text and re-pads them,
    so leading spaces, NULs or non-ASCII bytes do not survive."""
    called = b"  LEADING-SPACE "
    calling = b"NUL-PADDED\0\0\0\0\0\0"
    ac = AssociateAc(
        called_ae_title=called,
        calling_ae_title=calling,
        presentation_contexts=[
            PresentationContextAc(id=1, result=0, transfer_syntax="1.2.840.10008.1.2")
        ],
        user_information=[MaximumLength(value=0)],
    )
    encoded = ac.encode()
    assert encoded[10:42] == called + calling
    decoded = decode_pdu(encoded)
    assert (decoded.called_ae_title, decoded.calling_ae_title) == (called, calling)
    assert decoded.encode() == encoded
    assert pynd_decode_pdu(encoded).encode()[10:42] != called + calling


def test_uid_padding_in_items_is_accepted_on_receipt() -> None:
    """PS3.8 Annex F: UIDs in items are sent unpadded (both encoders agree); a
    trailing NUL from older peers is tolerated by both decoders."""
    encoded = bytearray(_rq_with_user_items([MaximumLength(value=0)]))
    abstract = encoded.index(b"1.2.840.10008.1.1")
    item_start = abstract - 4  # the abstract syntax sub-item (PS3.8 Table 9-14)
    context_start = item_start - 8  # its presentation context item (Table 9-13)
    assert (encoded[item_start], encoded[context_start]) == (0x30, 0x20)
    encoded[abstract + 17 : abstract + 17] = b"\0"
    for length_at, size in ((item_start + 2, 2), (context_start + 2, 2), (2, 4)):
        length = int.from_bytes(encoded[length_at : length_at + size], "big") + 1
        encoded[length_at : length_at + size] = length.to_bytes(size, "big")
    decoded = decode_pdu(bytes(encoded))
    assert decoded.presentation_contexts[0].abstract_syntax == "1.2.840.10008.1.1"
    assert str(pynd_decode_pdu(bytes(encoded)).presentation_context[0].abstract_syntax) == (
        "1.2.840.10008.1.1"
    )


def test_pynetdicom_tag_helper_agrees_with_our_tag_encoding() -> None:
    """AT values are (group << 16 | element), as pydicom's Tag."""
    command = ours_command(
        (
            0x8001,
            (
                ("command_data_set_type", 0x0101),
                ("message_id_being_responded_to", 3),
                ("offending_element", (0x00100010, 0x00080018)),
                ("status", 0xC000),
            ),
        )
    )
    decoded = pynd_decode_dataset(io.BytesIO(command.encode()), True, True)
    assert list(decoded.OffendingElement) == [Tag(0x0010, 0x0010), Tag(0x0008, 0x0018)]


def test_divergence_blank_called_ae_title_decodes_so_that_it_can_be_rejected() -> None:
    """PS3.8 9.3.2 (Table 9-11): 16 spaces shall not be used as a Called AE title;
    the acceptor answers A-ASSOCIATE-RJ (Table 9-21, reason 7). We decode it as
    "" and leave the answer to the policy; pynetdicom fails inside PDU decoding."""
    raw = bytearray(_rq_with_user_items([MaximumLength(value=0)]))
    raw[10:26] = b" " * 16
    assert decode_pdu(bytes(raw)).called_ae_title == ""
    with pytest.raises(ValueError, match="entirely of spaces"):
        pynd_decode_pdu(bytes(raw))


def _set_reserved_fields(raw: bytes, value: int) -> bytes:
    """`raw` (an A-ASSOCIATE-RQ/AC) with every reserved field set to `value`."""
    out = bytearray(raw)
    out[1] = value  # PDU header
    out[8:10] = bytes([value]) * 2  # Table 9-11 / 9-17 bytes 9-10
    if out[0] == 0x01:
        out[42:74] = bytes([value]) * 32  # Table 9-11 bytes 43-74
    offset = 74
    while offset < len(out):
        item_type, length = out[offset], int.from_bytes(out[offset + 2 : offset + 4], "big")
        out[offset + 1] = value
        body = range(offset + 4, offset + 4 + length)
        if item_type == 0x20:  # Table 9-13 bytes 6-8
            out[offset + 5 : offset + 8] = bytes([value]) * 3
            _set_sub_item_reserved(out, body.start + 4, body.stop, value)
        elif item_type == 0x21:  # Table 9-18 bytes 6 and 8
            out[offset + 5] = out[offset + 7] = value
            _set_sub_item_reserved(out, body.start + 4, body.stop, value)
        elif item_type == 0x50:
            _set_sub_item_reserved(out, body.start, body.stop, value)
        offset = body.stop
    return bytes(out)


def _set_sub_item_reserved(out: bytearray, start: int, stop: int, value: int) -> None:
    while start < stop:
        if out[start] != 0x57:  # byte 2 of 57H is the sub-item version, not reserved
            out[start + 1] = value
        start += 4 + int.from_bytes(out[start + 2 : start + 4], "big")


@settings(max_examples=40, deadline=None)
@given(st.one_of(rq_models, ac_models), st.integers(1, 255))
def test_reserved_fields_are_not_tested_on_receipt(model: Model, value: int) -> None:
    """PS3.8 9.3 tables: reserved fields are sent as 00H and not tested when received."""
    encoded = ours_pdu(model).encode()  # type: ignore[attr-defined]
    changed = _set_reserved_fields(encoded, value)
    assert changed != encoded
    assert model_of_ours(decode_pdu(changed)) == model
    assert model_of_pynd(pynd_decode_pdu(changed)) == model


@pytest.mark.parametrize(
    "name", [b"\xff\xfe", b"not a UID \x01", b"9" * 80], ids=["non-ASCII", "control", "too long"]
)
def test_rejected_context_transfer_syntax_is_not_tested(name: bytes) -> None:
    """PS3.8 9.3.3.2 (Table 9-18): when Result/Reason is not acceptance, the transfer
    syntax sub-item is not significant and its value shall not be tested."""
    ac = AssociateAc(
        called_ae_title="ANY-SCP",
        calling_ae_title="STORESCU",
        presentation_contexts=[
            PresentationContextAc(id=1, result=0, transfer_syntax="1.2.840.10008.1.2"),
            PresentationContextAc(id=3, result=3, transfer_syntax="1.2"),
        ],
        user_information=[MaximumLength(value=0)],
    )
    raw = bytearray(ac.encode())
    at = raw.rindex(b"\x40\x00\x00\x031.2")
    raw[at : at + 7] = b"\x40\x00" + len(name).to_bytes(2, "big") + name
    delta = len(name) - 3
    context_at = raw.rindex(b"\x21\x00", 0, at)
    for length_at, size in ((context_at + 2, 2), (2, 4)):
        length = int.from_bytes(raw[length_at : length_at + size], "big") + delta
        raw[length_at : length_at + size] = length.to_bytes(size, "big")
    decoded = decode_pdu(bytes(raw))
    assert [(c.id, c.result) for c in decoded.presentation_contexts] == [(1, 0), (3, 3)]
    assert decoded.presentation_contexts[0].transfer_syntax == "1.2.840.10008.1.2"
    assert decoded.presentation_contexts[1].transfer_syntax is None
