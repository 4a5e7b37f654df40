"""DIMSE primitives: validation, and conversion to and from the core's CommandSet.

The encoded command sets are compared with pynetdicom 3.0.4's (the oracle)
for every request and response type.
"""

from __future__ import annotations

import logging
from io import BytesIO
from typing import Any

import pytest
from pydicom.tag import Tag
from pydicom.uid import UID

from fastdimse import _config, _core
from fastdimse import dimse_primitives as dp
from fastdimse._dimse.primitives.command_set import DATA_SET_KEYWORDS, ELEMENTS
from helpers import require_module

pd_prims = require_module("pynetdicom.dimse_primitives")
pd_msgs = require_module("pynetdicom.dimse_messages")
pd_dsutils = require_module("pynetdicom.dsutils")

DATA = b"\x10\x00\x10\x00\x04\x00\x00\x00AB^C"

# (class name, is_response, {keyword: value}); every element each message can carry
CASES: list[tuple[str, bool, dict[str, Any]]] = [
    ("C_ECHO", False, {"MessageID": 7, "AffectedSOPClassUID": "1.2.840.10008.1.1"}),
    (
        "C_ECHO",
        True,
        {
            "MessageIDBeingRespondedTo": 7,
            "AffectedSOPClassUID": "1.2.840.10008.1.1",
            "Status": 0x0110,
            "ErrorComment": "no",
        },
    ),
    (
        "C_STORE",
        False,
        {
            "MessageID": 1,
            "AffectedSOPClassUID": "1.2.840.10008.5.1.4.1.1.2",
            "AffectedSOPInstanceUID": "1.2.3.4",
            "Priority": 1,
            "MoveOriginatorApplicationEntityTitle": "MOVER",
            "MoveOriginatorMessageID": 9,
            "DataSet": BytesIO(DATA),
        },
    ),
    (
        "C_STORE",
        True,
        {
            "MessageIDBeingRespondedTo": 1,
            "AffectedSOPClassUID": "1.2.3",
            "AffectedSOPInstanceUID": "1.2.3.4",
            "Status": 0xA900,
            "OffendingElement": [0x00100010, 0x00100020],
            "ErrorComment": "bad",
        },
    ),
    (
        "C_FIND",
        False,
        {"MessageID": 2, "AffectedSOPClassUID": "1.2.3", "Identifier": BytesIO(DATA)},
    ),
    (
        "C_FIND",
        True,
        {
            "MessageIDBeingRespondedTo": 2,
            "AffectedSOPClassUID": "1.2.3",
            "Status": 0xFF00,
            "Identifier": BytesIO(DATA),
        },
    ),
    ("C_GET", False, {"MessageID": 3, "AffectedSOPClassUID": "1.2.3", "Identifier": BytesIO(DATA)}),
    (
        "C_GET",
        True,
        {
            "MessageIDBeingRespondedTo": 3,
            "AffectedSOPClassUID": "1.2.3",
            "Status": 0xFF00,
            "NumberOfRemainingSuboperations": 4,
            "NumberOfCompletedSuboperations": 3,
            "NumberOfFailedSuboperations": 2,
            "NumberOfWarningSuboperations": 1,
        },
    ),
    (
        "C_MOVE",
        False,
        {
            "MessageID": 4,
            "AffectedSOPClassUID": "1.2.3",
            "MoveDestination": "DEST",
            "Identifier": BytesIO(DATA),
        },
    ),
    (
        "C_MOVE",
        True,
        {
            "MessageIDBeingRespondedTo": 4,
            "AffectedSOPClassUID": "1.2.3",
            "Status": 0xB000,
            "NumberOfCompletedSuboperations": 3,
            "NumberOfFailedSuboperations": 2,
            "ErrorComment": "partly",
        },
    ),
    ("C_CANCEL", False, {"MessageIDBeingRespondedTo": 4}),
    (
        "N_EVENT_REPORT",
        False,
        {
            "MessageID": 5,
            "AffectedSOPClassUID": "1.2.3",
            "AffectedSOPInstanceUID": "1.2.3.4",
            "EventTypeID": 2,
            "EventInformation": BytesIO(DATA),
        },
    ),
    (
        "N_EVENT_REPORT",
        True,
        {
            "MessageIDBeingRespondedTo": 5,
            "AffectedSOPClassUID": "1.2.3",
            "AffectedSOPInstanceUID": "1.2.3.4",
            "EventTypeID": 2,
            "Status": 0x0113,
            "ErrorID": 3,
            "ErrorComment": "x",
        },
    ),
    (
        "N_GET",
        False,
        {
            "MessageID": 6,
            "RequestedSOPClassUID": "1.2.3",
            "RequestedSOPInstanceUID": "1.2.3.4",
            "AttributeIdentifierList": [0x00100010, 0x00100020],
        },
    ),
    (
        "N_GET",
        True,
        {
            "MessageIDBeingRespondedTo": 6,
            "AffectedSOPClassUID": "1.2.3",
            "AffectedSOPInstanceUID": "1.2.3.4",
            "Status": 0,
            "AttributeList": BytesIO(DATA),
        },
    ),
    (
        "N_SET",
        False,
        {
            "MessageID": 7,
            "RequestedSOPClassUID": "1.2.3",
            "RequestedSOPInstanceUID": "1.2.3.4",
            "ModificationList": BytesIO(DATA),
        },
    ),
    (
        "N_SET",
        True,
        {
            "MessageIDBeingRespondedTo": 7,
            "AffectedSOPClassUID": "1.2.3",
            "AffectedSOPInstanceUID": "1.2.3.4",
            "Status": 0x0106,
            "AttributeIdentifierList": 0x00100010,
        },
    ),
    (
        "N_ACTION",
        False,
        {
            "MessageID": 8,
            "RequestedSOPClassUID": "1.2.3",
            "RequestedSOPInstanceUID": "1.2.3.4",
            "ActionTypeID": 1,
            "ActionInformation": BytesIO(DATA),
        },
    ),
    (
        "N_ACTION",
        True,
        {
            "MessageIDBeingRespondedTo": 8,
            "AffectedSOPClassUID": "1.2.3",
            "AffectedSOPInstanceUID": "1.2.3.4",
            "ActionTypeID": 1,
            "Status": 0,
            "ActionReply": BytesIO(DATA),
        },
    ),
    (
        "N_CREATE",
        False,
        {
            "MessageID": 9,
            "AffectedSOPClassUID": "1.2.3",
            "AffectedSOPInstanceUID": "1.2.3.4",
            "AttributeList": BytesIO(DATA),
        },
    ),
    (
        "N_CREATE",
        True,
        {
            "MessageIDBeingRespondedTo": 9,
            "AffectedSOPClassUID": "1.2.3",
            "AffectedSOPInstanceUID": "1.2.3.4",
            "Status": 0x0213,
            "ErrorID": 1,
        },
    ),
    (
        "N_DELETE",
        False,
        {"MessageID": 10, "RequestedSOPClassUID": "1.2.3", "RequestedSOPInstanceUID": "1.2.3.4"},
    ),
    (
        "N_DELETE",
        True,
        {
            "MessageIDBeingRespondedTo": 10,
            "AffectedSOPClassUID": "1.2.3",
            "AffectedSOPInstanceUID": "1.2.3.4",
            "Status": 0,
        },
    ),
]


def _build(module: Any, name: str, values: dict[str, Any]) -> Any:
    primitive = getattr(module, name)()
    for keyword, value in values.items():
        if isinstance(value, BytesIO):
            value = BytesIO(value.getvalue())
        setattr(primitive, keyword, value)
    return primitive


def _pynetdicom_command(name: str, is_response: bool, primitive: Any) -> bytes:
    suffix = "_RSP" if is_response else "_RQ"
    message = getattr(pd_msgs, name + suffix)()
    message.primitive_to_message(primitive)
    encoded: bytes = pd_dsutils.encode(message.command_set, True, True)
    return encoded


@pytest.mark.parametrize(("name", "is_response", "values"), CASES)
def test_command_set_matches_pynetdicom(
    name: str, is_response: bool, values: dict[str, Any]
) -> None:
    ours = _build(dp, name, values)
    expected = _pynetdicom_command(name, is_response, _build(pd_prims, name, values))
    assert dp.to_command_set(ours).encode() == expected
    # the direction is inferred from MessageIDBeingRespondedTo/Status; passing it agrees
    if name != "C_CANCEL":
        assert dp.to_command_set(ours, is_response).encode() == expected


@pytest.mark.parametrize(("name", "is_response", "values"), CASES)
def test_round_trip_through_the_core(name: str, is_response: bool, values: dict[str, Any]) -> None:
    ours = _build(dp, name, values)
    cmd = _core.decode_command_set(dp.to_command_set(ours).encode())
    data = dp.data_set_of(ours)
    back = dp.from_command_set(cmd, data.getvalue() if data else None, context_id=3)
    assert type(back) is type(ours)
    assert back._context_id == 3
    field = dp.command_field_of(ours)
    for keyword, _arg in ELEMENTS[field]:
        assert getattr(back, keyword) == getattr(ours, keyword), keyword
    if data is not None:
        keyword = DATA_SET_KEYWORDS[field]
        assert getattr(back, keyword).getvalue() == DATA
    assert cmd.has_data_set == (data is not None)


@pytest.mark.parametrize(
    "name", ["C_ECHO", "N_EVENT_REPORT", "N_GET", "N_SET", "N_ACTION", "N_CREATE", "N_DELETE"]
)
def test_every_response_may_carry_offending_element(name: str) -> None:
    """PS3.7 C.4.2: a failure may name its elements, where pynetdicom's C-ECHO and
    N-service responses have no Offending Element to set."""
    rsp = getattr(dp, name)()
    assert rsp.OffendingElement is None
    rsp.MessageIDBeingRespondedTo, rsp.Status = 5, 0xC000
    rsp.OffendingElement = [0x00000003, 0x00001001]
    cmd = dp.to_command_set(rsp)
    assert cmd.offending_element == [0x00000003, 0x00001001]
    back = dp.from_command_set(_core.decode_command_set(cmd.encode()))
    assert back.OffendingElement == [0x00000003, 0x00001001]


def test_from_command_set_types_like_pynetdicom() -> None:
    cmd = _core.CommandSet(
        0x0001,
        message_id=1,
        affected_sop_class_uid="1.2.3",
        affected_sop_instance_uid="1.2.3.4",
        priority=0,
        move_originator_application_entity_title="AE  ",
        command_data_set_type=0x0001,
    )
    payload = bytes(range(256)) * 64
    p = dp.from_command_set(cmd, payload)
    assert isinstance(p, dp.C_STORE)
    assert isinstance(p.AffectedSOPClassUID, UID)
    assert p.MoveOriginatorApplicationEntityTitle == "AE"
    assert p.Priority == 0
    assert p.DataSet is not None
    # bytes are wrapped, not copied, and deciding whether there is a data set copies nothing
    assert dp.data_set_of(p) is p.DataSet
    assert p.DataSet.getvalue() is payload
    n = dp.from_command_set(
        _core.CommandSet(
            0x0110,
            message_id=1,
            requested_sop_class_uid="1.2.3",
            requested_sop_instance_uid="1.2",
            attribute_identifier_list=[0x00100010],
        )
    )
    assert isinstance(n, dp.N_GET)
    assert n.AttributeIdentifierList == Tag(0x00100010)


def test_unknown_command_field_is_refused() -> None:
    with pytest.raises(ValueError, match="0x0FFE"):
        dp.from_command_set(_core.CommandSet(0x0FFE))


def test_no_data_set_when_empty() -> None:
    p = dp.C_FIND()
    p.MessageID = 1
    p.AffectedSOPClassUID = "1.2"
    p.Identifier = BytesIO()
    assert dp.data_set_of(p) is None
    assert dp.to_command_set(p).command_data_set_type == 0x0101


def test_long_aet_padding(monkeypatch: pytest.MonkeyPatch) -> None:
    p = dp.C_MOVE()
    p.MessageID = 1
    p.AffectedSOPClassUID = "1.2"
    p.MoveDestination = "DEST"
    assert dp.to_command_set(p).move_destination == "DEST"
    monkeypatch.setattr(_config, "USE_SHORT_DIMSE_AET", False)
    assert dp.to_command_set(p).move_destination == "DEST".ljust(16)


# pydicom's UID() warns about a 65-character UID before we refuse it, as under pynetdicom
@pytest.mark.filterwarnings("ignore:The value length:UserWarning")
@pytest.mark.parametrize(
    ("keyword", "value", "exc", "message"),
    [
        ("MessageID", "1", TypeError, "Message ID must be an int"),
        ("MessageID", 65536, ValueError, "Message ID must be between 0 and 65535, inclusive"),
        ("MessageIDBeingRespondedTo", -1, ValueError, "between 0 and 65535"),
        ("Status", 1.5, TypeError, "DIMSE primitive's 'Status' must be an int"),
        ("Priority", 3, ValueError, "Priority must be 0, 1, or 2"),
        ("DataSet", "x", TypeError, "'DataSet' parameter must be a BytesIO object"),
        ("AffectedSOPClassUID", 100, TypeError, "'Affected SOP Class UID' must be str"),
        ("AffectedSOPInstanceUID", "1" * 65, ValueError, "must not exceed 64 characters"),
        ("MoveOriginatorApplicationEntityTitle", 45.2, TypeError, "must be str or None"),
    ],
)
def test_validation_messages(keyword: str, value: Any, exc: type[Exception], message: str) -> None:
    with pytest.raises(exc, match=message):
        setattr(dp.C_STORE(), keyword, value)


def test_invalid_move_originator_is_logged_and_dropped(caplog: pytest.LogCaptureFixture) -> None:
    p = dp.C_STORE()
    with caplog.at_level(logging.ERROR, logger="fastdimse"):
        p.MoveOriginatorApplicationEntityTitle = "A" * 17
    assert p.MoveOriginatorApplicationEntityTitle is None
    assert "Invalid 'Move Originator AE Title' in C-STORE request" in caplog.text


def test_move_destination_refuses_blank() -> None:
    with pytest.raises(ValueError, match="must not consist entirely of spaces"):
        dp.C_MOVE().MoveDestination = "   "
    with pytest.warns(DeprecationWarning, match="use an ASCII str instead"):
        p = dp.C_MOVE()
        p.MoveDestination = b"DEST  "
    assert p.MoveDestination == "DEST"


def test_shared_data_set_slot_and_validity() -> None:
    p = dp.N_SET()
    p.ModificationList = BytesIO(b"ab")
    assert p.AttributeList is p.ModificationList  # one slot, as in pynetdicom
    assert not p.is_valid_request
    p.MessageID = 1
    p.RequestedSOPClassUID = "1.2"
    p.RequestedSOPInstanceUID = "1.2.3"
    assert p.is_valid_request
    assert not p.is_valid_response
    assert p.msg_type == "N-SET"
    assert not hasattr(dp.C_ECHO(), "AffectedSOPInstanceUID")
