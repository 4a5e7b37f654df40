"""Property tests of the Python binding: what we encode decodes to the same value,
and no input whatsoever makes a decoder raise anything but ``DecodeError``.

The strategies generate values the standard allows (PS3.8 9.3 and Annex D,
PS3.7 Annex D and chapters 9 and 10), so a failed round trip is a bug in the
codec, not in the test. Example counts stay moderate: the file runs in well
under a minute.
"""

from __future__ import annotations

import string
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastdimse._core import (
    Abort,
    AssociateAc,
    AssociateRj,
    AssociateRq,
    AsyncOpsWindow,
    CommandSet,
    DataSetStart,
    ImplementationClassUid,
    ImplementationVersionName,
    MaximumLength,
    Message,
    PDataTf,
    PDataTfHeader,
    Pdv,
    PresentationContextAc,
    PresentationContextRq,
    RawPdu,
    Receiver,
    ReleaseRp,
    ReleaseRq,
    RoleSelection,
    SopClassCommonExtended,
    SopClassExtended,
    UnknownUserItem,
    UserIdentityAc,
    UserIdentityRq,
    decode_command_set,
    decode_pdu,
    encode_command_set,
    encode_pdu,
    fragment_message,
)
from fastdimse.errors import AbortAnswer, DecodeError, RejectAnswer, StatusAnswer

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- values -------------------------------------------------------------------------

# PS3.5 9.1: digits and dots, no empty component, no leading zero.
_uid_component = st.integers(0, 99999).map(str)
uids = st.one_of(
    st.lists(_uid_component, min_size=2, max_size=8).map(".".join),
    st.sampled_from(
        [
            "1.2.840.10008.1.1",
            "1.2.840.10008.1.2",
            "1.2.840.10008.1.2.1",
            "1.2.840.10008.5.1.4.1.1.2",
            # 64 characters, the longest a UID may be.
            "1.2.826.0.1.3680043.8.498.12345678901234567890123456789012345678",
        ]
    ),
)

# The default repertoire without backslash and control characters (PS3.5
# 6.2, AE); leading and trailing spaces are not significant (PS3.8 9.3.2), so
# generated titles have none.
_ae_chars = "".join(c for c in string.printable if c not in "\\\t\n\r\x0b\x0c")
ae_titles = st.text(_ae_chars, min_size=1, max_size=16).map(str.strip).filter(bool)
u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)
context_ids = st.integers(0, 127).map(lambda n: 2 * n + 1)  # odd, 1 to 255 (PS3.8 9.3.2.2)
tags = st.integers(0, 0xFFFF_FFFF)

# --- user information sub-items (PS3.8 D.1, PS3.7 D.3.3) ----------------------------

maximum_lengths = st.builds(MaximumLength, value=u32)
implementation_class_uids = st.builds(ImplementationClassUid, uid=uids)
implementation_version_names = st.builds(ImplementationVersionName, name=ae_titles)
async_ops_windows = st.builds(
    AsyncOpsWindow, max_operations_invoked=u16, max_operations_performed=u16
)
role_selections = st.builds(RoleSelection, sop_class_uid=uids, scu_role=u8, scp_role=u8)
sop_class_extendeds = st.builds(
    SopClassExtended,
    sop_class_uid=uids,
    service_class_application_information=st.binary(max_size=32),
)
sop_class_common_extendeds = st.builds(
    SopClassCommonExtended,
    sop_class_uid=uids,
    service_class_uid=uids,
    related_general_sop_classes=st.lists(uids, max_size=3),
    version=st.just(0),
)
user_identity_rqs = st.builds(
    UserIdentityRq,
    identity_type=st.integers(1, 5),
    positive_response_requested=st.booleans(),
    primary_field=st.binary(min_size=1, max_size=48),
    secondary_field=st.binary(max_size=48),
)
user_identity_acs = st.builds(UserIdentityAc, server_response=st.binary(max_size=48))
# Types PS3.7 and PS3.8 do not define: kept as received (PS3.8 D.2 note 2).
unknown_user_items = st.builds(
    UnknownUserItem, item_type=st.integers(0x5A, 0xFF), data=st.binary(max_size=32)
)
user_items = st.one_of(
    maximum_lengths,
    implementation_class_uids,
    implementation_version_names,
    async_ops_windows,
    role_selections,
    sop_class_extendeds,
    sop_class_common_extendeds,
    user_identity_rqs,
    user_identity_acs,
    unknown_user_items,
)
user_information = st.lists(user_items, max_size=8)

# --- PDUs (PS3.8 9.3) ---------------------------------------------------------------

protocol_versions = st.one_of(st.just(1), u16.map(lambda v: v | 1))
presentation_contexts_rq = st.builds(
    PresentationContextRq,
    id=context_ids,
    abstract_syntax=uids,
    transfer_syntaxes=st.lists(uids, min_size=1, max_size=4),
)
presentation_contexts_ac = st.one_of(
    st.builds(PresentationContextAc, id=context_ids, result=st.just(0), transfer_syntax=uids),
    st.builds(
        PresentationContextAc,
        id=context_ids,
        result=st.integers(1, 4),
        transfer_syntax=st.none() | uids,
    ),
)
associate_rqs = st.builds(
    AssociateRq,
    called_ae_title=ae_titles,
    calling_ae_title=ae_titles,
    presentation_contexts=st.lists(
        presentation_contexts_rq, min_size=1, max_size=6, unique_by=lambda c: c.id
    ),
    user_information=user_information,
    application_context=st.one_of(st.just("1.2.840.10008.3.1.1.1"), uids),
    protocol_version=protocol_versions,
)
# The AC's AE fields are reserved (PS3.8 9.3.3): any 16 bytes travel unchanged.
_reserved_aes = st.one_of(
    st.binary(min_size=16, max_size=16), ae_titles.map(lambda t: t.ljust(16).encode())
)
associate_acs = st.builds(
    AssociateAc,
    called_ae_title=_reserved_aes,
    calling_ae_title=_reserved_aes,
    presentation_contexts=st.lists(
        presentation_contexts_ac, min_size=1, max_size=6, unique_by=lambda c: c.id
    ),
    user_information=user_information,
    application_context=st.one_of(st.just("1.2.840.10008.3.1.1.1"), uids),
    protocol_version=protocol_versions,
)
# PS3.8 Table 9-21: result 1-2, source 1-3, reasons per source.
associate_rjs = st.one_of(
    st.builds(AssociateRj, result=st.integers(1, 2), source=st.just(1), reason=st.integers(1, 10)),
    st.builds(AssociateRj, result=st.integers(1, 2), source=st.just(2), reason=st.integers(1, 2)),
    st.builds(AssociateRj, result=st.integers(1, 2), source=st.just(3), reason=st.integers(0, 7)),
)
pdvs = st.builds(
    Pdv,
    context_id=context_ids,
    is_command=st.booleans(),
    is_last=st.booleans(),
    data=st.binary(max_size=64),
)
pdata_tfs = st.builds(PDataTf, pdvs=st.lists(pdvs, min_size=1, max_size=4))
# PS3.8 Table 9-26: source 0-2, reason 0-6 but 3.
aborts = st.builds(Abort, source=st.integers(0, 2), reason=st.sampled_from([0, 1, 2, 4, 5, 6]))
non_pdata_pdus = st.one_of(
    associate_rqs,
    associate_acs,
    associate_rjs,
    st.just(ReleaseRq()),
    st.just(ReleaseRp()),
    aborts,
)
pdus = st.one_of(non_pdata_pdus, pdata_tfs)

# --- command sets (PS3.7 chapters 9 and 10, Annex E) --------------------------------

_STRING_FIELDS = {
    "affected_sop_class_uid": uids,
    "requested_sop_class_uid": uids,
    "affected_sop_instance_uid": uids,
    "requested_sop_instance_uid": uids,
    "move_destination": ae_titles,
    "move_originator_application_entity_title": ae_titles,
    # LO: up to 64 characters of the default repertoire, no backslash.
    "error_comment": st.text(_ae_chars, min_size=1, max_size=64).map(str.strip).filter(bool),
}
_U16_FIELDS = (
    "message_id",
    "message_id_being_responded_to",
    "priority",
    "status",
    "error_id",
    "event_type_id",
    "action_type_id",
    "number_of_remaining_suboperations",
    "number_of_completed_suboperations",
    "number_of_failed_suboperations",
    "number_of_warning_suboperations",
    "move_originator_message_id",
)
FIELD_VALUES: dict[str, st.SearchStrategy[object]] = {
    **_STRING_FIELDS,
    **{name: u16 for name in _U16_FIELDS},
    "offending_element": st.lists(tags, min_size=1, max_size=4),
    "attribute_identifier_list": st.lists(tags, min_size=1, max_size=6),
}

_RQ = ("message_id",)
_RSP = ("message_id_being_responded_to", "status")
# Every command: (field, required elements, optional elements, data set: "yes"/"no"/"maybe").
COMMANDS: dict[int, tuple[str, tuple[str, ...], tuple[str, ...], str]] = {
    0x0001: (
        "C-STORE-RQ",
        ("affected_sop_class_uid", *_RQ, "priority", "affected_sop_instance_uid"),
        ("move_originator_application_entity_title", "move_originator_message_id"),
        "yes",
    ),
    0x8001: (
        "C-STORE-RSP",
        _RSP,
        (
            "affected_sop_class_uid",
            "affected_sop_instance_uid",
            "offending_element",
            "error_comment",
        ),
        "no",
    ),
    0x0020: ("C-FIND-RQ", ("affected_sop_class_uid", *_RQ, "priority"), (), "yes"),
    0x8020: (
        "C-FIND-RSP",
        _RSP,
        ("affected_sop_class_uid", "offending_element", "error_comment"),
        "maybe",
    ),
    0x0010: ("C-GET-RQ", ("affected_sop_class_uid", *_RQ, "priority"), (), "yes"),
    0x8010: (
        "C-GET-RSP",
        _RSP,
        (
            "affected_sop_class_uid",
            "number_of_remaining_suboperations",
            "number_of_completed_suboperations",
            "number_of_failed_suboperations",
            "number_of_warning_suboperations",
            "offending_element",
            "error_comment",
        ),
        "maybe",
    ),
    0x0021: (
        "C-MOVE-RQ",
        ("affected_sop_class_uid", *_RQ, "priority", "move_destination"),
        (),
        "yes",
    ),
    0x8021: (
        "C-MOVE-RSP",
        _RSP,
        (
            "affected_sop_class_uid",
            "number_of_remaining_suboperations",
            "number_of_completed_suboperations",
            "number_of_failed_suboperations",
            "number_of_warning_suboperations",
            "offending_element",
            "error_comment",
        ),
        "maybe",
    ),
    0x0030: ("C-ECHO-RQ", ("affected_sop_class_uid", *_RQ), (), "no"),
    0x8030: ("C-ECHO-RSP", _RSP, ("affected_sop_class_uid", "error_comment"), "no"),
    0x0FFF: ("C-CANCEL-RQ", ("message_id_being_responded_to",), (), "no"),
    0x0100: (
        "N-EVENT-REPORT-RQ",
        ("affected_sop_class_uid", *_RQ, "affected_sop_instance_uid", "event_type_id"),
        (),
        "maybe",
    ),
    0x8100: (
        "N-EVENT-REPORT-RSP",
        _RSP,
        (
            "affected_sop_class_uid",
            "affected_sop_instance_uid",
            "event_type_id",
            "error_id",
            "error_comment",
        ),
        "maybe",
    ),
    0x0110: (
        "N-GET-RQ",
        ("requested_sop_class_uid", *_RQ, "requested_sop_instance_uid"),
        ("attribute_identifier_list",),
        "no",
    ),
    0x8110: (
        "N-GET-RSP",
        _RSP,
        (
            "affected_sop_class_uid",
            "affected_sop_instance_uid",
            "attribute_identifier_list",
            "error_id",
            "error_comment",
        ),
        "maybe",
    ),
    0x0120: (
        "N-SET-RQ",
        ("requested_sop_class_uid", *_RQ, "requested_sop_instance_uid"),
        (),
        "yes",
    ),
    0x8120: (
        "N-SET-RSP",
        _RSP,
        (
            "affected_sop_class_uid",
            "affected_sop_instance_uid",
            "attribute_identifier_list",
            "error_id",
            "error_comment",
        ),
        "maybe",
    ),
    0x0130: (
        "N-ACTION-RQ",
        ("requested_sop_class_uid", *_RQ, "requested_sop_instance_uid", "action_type_id"),
        (),
        "maybe",
    ),
    0x8130: (
        "N-ACTION-RSP",
        _RSP,
        (
            "affected_sop_class_uid",
            "affected_sop_instance_uid",
            "action_type_id",
            "error_id",
            "error_comment",
        ),
        "maybe",
    ),
    0x0140: (
        "N-CREATE-RQ",
        ("affected_sop_class_uid", *_RQ),
        ("affected_sop_instance_uid",),
        "maybe",
    ),
    0x8140: (
        "N-CREATE-RSP",
        _RSP,
        ("affected_sop_class_uid", "affected_sop_instance_uid", "error_id", "error_comment"),
        "maybe",
    ),
    0x0150: (
        "N-DELETE-RQ",
        ("requested_sop_class_uid", *_RQ, "requested_sop_instance_uid"),
        (),
        "no",
    ),
    0x8150: (
        "N-DELETE-RSP",
        _RSP,
        ("affected_sop_class_uid", "affected_sop_instance_uid", "error_id", "error_comment"),
        "no",
    ),
}

# Command Data Set Type (PS3.7 E.1): 0x0101 means none; any other value, one follows.
_with_data_set = st.sampled_from([0x0000, 0x0001, 0x0102, 0xFEFE])
_DATA_SET_TYPES = {
    "yes": _with_data_set,
    "no": st.just(0x0101),
    "maybe": st.one_of(st.just(0x0101), _with_data_set),
}
# Elements no DIMSE command defines: group 0000, element numbers unused by
# PS3.7 (and not retired there); kept and re-encoded as received.
_unknown_elements = st.lists(
    st.tuples(
        st.integers(0x6000, 0xFFFE), st.binary(max_size=16).map(lambda b: b + b"\0" * (len(b) % 2))
    ),
    max_size=3,
    unique_by=lambda elem: elem[0],
).map(sorted)


@st.composite
def command_sets(draw: st.DrawFn, command_field: int | None = None) -> CommandSet:
    """A command set the standard allows for `command_field` (any command if None)."""
    if command_field is None:
        command_field = draw(st.sampled_from(sorted(COMMANDS)))
    _name, required, optional, data_set = COMMANDS[command_field]
    fields = {name: draw(FIELD_VALUES[name]) for name in required}
    for name in optional:
        if draw(st.booleans()):
            fields[name] = draw(FIELD_VALUES[name])
    return CommandSet(
        command_field,
        command_data_set_type=draw(_DATA_SET_TYPES[data_set]),
        unknown=draw(_unknown_elements),
        **fields,
    )


# --- round trips --------------------------------------------------------------------


@FAST
@given(pdus)
def test_every_pdu_round_trips(pdu: object) -> None:
    encoded = pdu.encode()  # type: ignore[attr-defined]
    assert encode_pdu(pdu) == encoded
    assert int.from_bytes(encoded[2:6], "big") == len(encoded) - 6
    for buffer in (encoded, bytearray(encoded), memoryview(encoded)):
        decoded = decode_pdu(buffer)
        assert decoded == pdu
        assert type(decoded) is type(pdu)
    assert decode_pdu(encoded).encode() == encoded


@FAST
@given(st.lists(user_items, min_size=1, max_size=12), presentation_contexts_rq)
def test_every_user_information_sub_item_round_trips_in_an_associate_rq(
    items: list[object], context: PresentationContextRq
) -> None:
    rq = AssociateRq(
        called_ae_title="ANY-SCP",
        calling_ae_title="ECHOSCU",
        presentation_contexts=[context],
        user_information=items,
    )
    decoded = decode_pdu(rq.encode())
    assert decoded.user_information == items
    assert decoded.presentation_contexts == [context]


@FAST
@given(st.lists(user_items, min_size=1, max_size=12), presentation_contexts_ac)
def test_every_user_information_sub_item_round_trips_in_an_associate_ac(
    items: list[object], context: PresentationContextAc
) -> None:
    ac = AssociateAc(
        called_ae_title="ANY-SCP",
        calling_ae_title="ECHOSCU",
        presentation_contexts=[context],
        user_information=items,
    )
    decoded = decode_pdu(ac.encode())
    assert decoded.user_information == items
    assert decoded.presentation_contexts == [context]
    assert decoded.called_ae_title == b"ANY-SCP         "


@FAST
@given(pdvs)
def test_pdv_control_header_matches_its_flags(pdv: Pdv) -> None:
    assert pdv.control == int(pdv.is_command) | int(pdv.is_last) << 1
    decoded = decode_pdu(PDataTf(pdvs=[pdv]).encode())
    assert decoded.pdvs[0].control == pdv.control


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_every_command_field_round_trips(data: st.DataObject) -> None:
    for command_field in sorted(COMMANDS):
        command = data.draw(command_sets(command_field), label=COMMANDS[command_field][0])
        encoded = command.encode()
        assert encode_command_set(command) == encoded
        decoded = decode_command_set(encoded)
        assert decoded == command
        assert decoded.command_name == COMMANDS[command_field][0]
        assert decoded.has_data_set == (command.command_data_set_type != 0x0101)
        assert decode_command_set(bytearray(encoded)) == command
        assert decode_command_set(memoryview(encoded)) == command
        assert decoded.encode() == encoded


@FAST
@given(
    command=command_sets(),
    data_set=st.binary(max_size=3000).map(lambda b: b + b"\0" * (len(b) % 2)),
    max_pdu=st.sampled_from([0, 8, 12, 100, 1000, 16382]),
    context_id=context_ids,
    chunk=st.integers(1, 5000),
)
def test_fragmented_message_reassembles_whatever_the_read_size(
    command: CommandSet, data_set: bytes, max_pdu: int, context_id: int, chunk: int
) -> None:
    has_data_set = command.command_data_set_type != 0x0101
    stream = fragment_message(
        max_pdu, context_id, command.encode(), data_set if has_data_set else None
    )
    receiver = Receiver(max_pdu)
    events: list[object] = []
    for start in range(0, len(stream), chunk):
        events.extend(receiver.feed(stream[start : start + chunk]))
    receiver.finish()
    assert not receiver.partial_pdu_pending
    assert not receiver.message_pending
    assert len(events) == 1
    message = events[0]
    assert isinstance(message, Message)
    assert message.context_id == context_id
    assert message.command == command
    if has_data_set:
        assert message.data_set == data_set
        assert message.data_set_length == len(data_set)
    else:
        assert message.data_set is None


@FAST
@given(
    items=st.lists(st.one_of(non_pdata_pdus, command_sets()), min_size=1, max_size=5),
    chunk=st.integers(1, 700),
)
def test_receiver_reports_a_stream_of_pdus_and_messages_in_order(
    items: list[object], chunk: int
) -> None:
    stream = bytearray()
    for item in items:
        if isinstance(item, CommandSet):
            data_set = b"\x08\x00\x16\x00\x02\x00\x00\x001\0" if item.has_data_set else None
            stream += fragment_message(64, 1, item.encode(), data_set)
        else:
            stream += item.encode()  # type: ignore[attr-defined]
    receiver = Receiver(64)
    events: list[object] = []
    for start in range(0, len(stream), chunk):
        events.extend(receiver.feed(memoryview(stream)[start : start + chunk]))
    receiver.finish()
    assert len(events) == len(items)
    for event, item in zip(events, items, strict=True):
        if isinstance(item, CommandSet):
            assert isinstance(event, Message)
            assert event.command == item
        else:
            assert event == item


# --- arbitrary input raises DecodeError and nothing else ----------------------------


def _check_decode_error(error: DecodeError, input_length: int | None) -> None:
    assert isinstance(error.kind, str) and error.kind
    assert isinstance(error.field, str)
    assert isinstance(error.offset, int) and error.offset >= 0
    if input_length is not None:
        assert error.offset <= input_length
    assert isinstance(error.answer, AbortAnswer | RejectAnswer | StatusAnswer)
    assert str(error)


def _headed(pdu_type: int, body: bytes) -> bytes:
    return bytes([pdu_type, 0]) + len(body).to_bytes(4, "big") + body


@st.composite
def mutated(draw: st.DrawFn, valid: st.SearchStrategy[bytes]) -> bytes:
    """A valid encoding with a few bytes changed, inserted, removed or cut off."""
    raw = bytearray(draw(valid))
    for _ in range(draw(st.integers(1, 4))):
        operation = draw(st.sampled_from(["set", "insert", "delete", "truncate"]))
        position = draw(st.integers(0, max(len(raw) - 1, 0)))
        if operation == "set" and raw:
            raw[position] = draw(u8)
        elif operation == "insert":
            raw[position:position] = draw(st.binary(min_size=1, max_size=4))
        elif operation == "delete":
            del raw[position : position + draw(st.integers(1, 4))]
        else:
            del raw[position:]
    return bytes(raw)


# Arbitrary bytes, bytes behind a plausible header, and damaged valid PDUs.
pdu_inputs = st.one_of(
    st.binary(max_size=256),
    st.builds(_headed, st.integers(1, 7), st.binary(max_size=256)),
    mutated(pdus.map(lambda pdu: pdu.encode())),
)
command_inputs = st.one_of(
    st.binary(max_size=256),
    mutated(command_sets().map(CommandSet.encode)),
)


@FUZZ
@given(pdu_inputs, st.booleans())
def test_decode_pdu_raises_only_decode_error(data: bytes, enforce: bool) -> None:
    try:
        decode_pdu(data, enforce_uid_conformance=enforce)
    except DecodeError as error:
        _check_decode_error(error, len(data))


@FUZZ
@given(command_inputs, st.booleans())
def test_decode_command_set_raises_only_decode_error(data: bytes, enforce: bool) -> None:
    try:
        decode_command_set(data, enforce_uid_conformance=enforce)
    except DecodeError as error:
        _check_decode_error(error, len(data))


_stream_inputs = st.one_of(
    st.binary(max_size=512),
    st.lists(pdu_inputs, min_size=1, max_size=4).map(b"".join),
    mutated(
        st.tuples(command_sets(), st.sampled_from([0, 14, 100])).map(
            lambda pair: fragment_message(
                pair[1], 1, pair[0].encode(), b"\0\0" if pair[0].has_data_set else None
            )
        )
    ),
)


@FUZZ
@given(_stream_inputs, st.integers(1, 300), st.sampled_from([0, 14, 100, 16382]))
def test_receiver_raises_only_decode_error_and_stays_poisoned(
    data: bytes, chunk: int, local_max_pdu: int
) -> None:
    receiver = Receiver(local_max_pdu, max_associate_pdu=4096, observe_pdus=True)
    try:
        for start in range(0, len(data), chunk):
            receiver.feed(data[start : start + chunk])
    except DecodeError as first:
        _check_decode_error(first, None)
        try:
            receiver.feed(b"\x05\x00\x00\x00\x00\x04\x00\x00\x00\x00")
        except DecodeError as again:
            assert again.kind == first.kind
        else:
            raise AssertionError("a poisoned receiver accepted more bytes") from first
        return
    try:
        receiver.finish()
    except DecodeError as error:
        _check_decode_error(error, None)


def _stream_of(items: list[object], max_pdu: int) -> bytes:
    stream = bytearray()
    for item in items:
        if isinstance(item, CommandSet):
            data_set = bytes(range(40)) * 3 if item.has_data_set else None
            stream += fragment_message(max_pdu, 1, item.encode(), data_set)
        else:
            stream += item.encode()  # type: ignore[attr-defined]
    return bytes(stream)


@FAST
@given(
    items=st.lists(st.one_of(non_pdata_pdus, command_sets()), min_size=1, max_size=4),
    chunk=st.integers(1, 500),
)
def test_observed_pdus_are_the_stream_and_pdata_headers_are_reported(
    items: list[object], chunk: int
) -> None:
    stream = _stream_of(items, 64)
    receiver = Receiver(64, observe_pdus=True, report_pdata=True)
    events: list[object] = []
    for start in range(0, len(stream), chunk):
        events.extend(receiver.feed(stream[start : start + chunk]))
    raw = [event.data for event in events if isinstance(event, RawPdu)]
    assert b"".join(raw) == stream
    pdata_lengths = [len(pdu) - 6 for pdu in raw if pdu[0] == 0x04]
    assert [e.length for e in events if isinstance(e, PDataTfHeader)] == pdata_lengths
    others = [e for e in events if not isinstance(e, RawPdu | PDataTfHeader)]
    assert len(others) == len(items)
    for event, item in zip(others, items, strict=True):
        assert event.command == item if isinstance(item, CommandSet) else event == item  # type: ignore[attr-defined]


@settings(max_examples=60, deadline=None)
@given(
    command=command_sets(0x0001),
    data_set=st.binary(min_size=2, max_size=5000).map(lambda b: b + b"\0" * (len(b) % 2)),
    to_file=st.booleans(),
    chunk=st.integers(1, 3000),
)
def test_announced_data_sets_go_to_memory_or_to_a_file(
    command: CommandSet, data_set: bytes, to_file: bool, chunk: int
) -> None:
    stream = fragment_message(100, 3, command.encode(), data_set) + ReleaseRq().encode()
    receiver = Receiver(100, announce_data_sets=True)
    events: list[object] = []
    with tempfile.TemporaryFile() as file:
        for start in range(0, len(stream), chunk):
            events.extend(receiver.feed(stream[start : start + chunk]))
            if events and isinstance(events[-1], DataSetStart):
                start_event = events.pop()
                assert (start_event.context_id, start_event.command) == (3, command)
                events.extend(receiver.resume(file.fileno() if to_file else None))
        assert len(events) == 2 and events[1] == ReleaseRq()
        message = events[0]
        assert isinstance(message, Message) and message.command == command
        assert message.data_set_length == len(data_set)
        if to_file:
            assert message.data_set is None
            file.seek(0)
            assert file.read() == data_set
        else:
            assert bytes(message.data_set) == data_set
