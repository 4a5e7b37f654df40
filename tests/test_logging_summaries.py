"""fastdimse._logging: pynetdicom-layout summaries, written only when enabled."""

from __future__ import annotations

import logging

import pytest

from fastdimse import _core, _logging
from fastdimse.dimse_primitives import C_ECHO, C_STORE, from_command_set

LOGGER = logging.getLogger("fastdimse.test")
VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT = "1.2.840.10008.1.2"


def _rq() -> _core.AssociateRq:
    return _core.AssociateRq(
        "ANY-SCP",
        "ECHOSCU",
        [_core.PresentationContextRq(1, VERIFICATION, [IMPLICIT])],
        [
            _core.MaximumLength(16382),
            _core.ImplementationClassUid("1.2.3.4"),
            _core.ImplementationVersionName("TEST_1"),
            _core.UserIdentityRq(2, True, b"user", b"pass"),
        ],
    )


def test_associate_rq_block(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="fastdimse"):
        _logging.log_associate_rq(LOGGER, _rq(), sent=False)
    lines = caplog.messages
    assert lines[0] == "Request Parameters:"
    assert lines[1] == f"{' INCOMING A-ASSOCIATE-RQ PDU ':=^76}"
    assert "Their Implementation Class UID:      1.2.3.4" in lines
    assert "Calling Application Name:    ECHOSCU" in lines
    assert "Their Max PDU Receive Size:  16382" in lines
    assert "Presentation Context:" in lines
    assert "  Context ID:        1 (Proposed)" in lines
    assert "    Abstract Syntax: =Verification SOP Class" in lines
    assert "      =Implicit VR Little Endian" in lines
    assert "  Authentication Mode: 2 - Username/Password" in lines
    assert "  Password: [pass]" in lines
    assert lines[-1] == f"{' END A-ASSOCIATE-RQ PDU ':=^76}"


def test_associate_ac_rj_abort(caplog: pytest.LogCaptureFixture) -> None:
    ac = _core.AssociateAc(
        "ANY-SCP",
        "ECHOSCU",
        [_core.PresentationContextAc(1, 0, IMPLICIT)],
        [_core.MaximumLength(0), _core.ImplementationClassUid("1.2.3")],
    )
    with caplog.at_level(logging.DEBUG, logger="fastdimse"):
        _logging.log_associate_ac(LOGGER, ac, sent=True, rq=_rq())
        _logging.log_associate_rj(LOGGER, _core.AssociateRj(2, 3, 2), sent=False)
        _logging.log_abort(LOGGER, 2, 1, sent=True)
    lines = caplog.messages
    assert "Our Implementation Class UID:      1.2.3" in lines
    assert "Our Max PDU Receive Size:    0" in lines
    assert "  Context ID:        1 (Accepted)" in lines
    assert "    Accepted SCP/SCU Role: Default" in lines
    assert "    Accepted Transfer Syntax: =Implicit VR Little Endian" in lines
    assert "Result:    Rejected (Transient)" in lines
    assert "Source:    DUL service-provider (presentation related)" in lines
    assert "Reason:    Local limit exceeded" in lines
    assert "Abort Source: DUL service-provider" in lines
    assert "Abort Reason: Unrecognised PDU" in lines


def test_echo_lines(caplog: pytest.LogCaptureFixture) -> None:
    rq = C_ECHO()
    rq.MessageID = 1
    rq.AffectedSOPClassUID = VERIFICATION
    rsp = from_command_set(
        _core.CommandSet(
            0x8030,
            affected_sop_class_uid=VERIFICATION,
            message_id_being_responded_to=1,
            status=0,
        ),
        context_id=1,
    )
    with caplog.at_level(logging.INFO, logger="fastdimse"):
        _logging.log_dimse(LOGGER, rq, sent=True)
        _logging.log_dimse(LOGGER, rsp, sent=False)
        _logging.log_dimse(LOGGER, rq, sent=False)
    assert caplog.messages == [
        "Sending Echo Request: MsgID 1",
        "Received Echo Response (Status: 0x0000 - Success)",
        "Received Echo Request (MsgID 1)",
    ]


def test_store_lines(caplog: pytest.LogCaptureFixture) -> None:
    rq = C_STORE()
    rq.MessageID = 3
    rq.AffectedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    rq.AffectedSOPInstanceUID = "1.2.3"
    rq.DataSet = b"\x00\x01"
    rsp = C_STORE()
    rsp.MessageIDBeingRespondedTo = 3
    rsp.Status = 0xA700
    with caplog.at_level(logging.DEBUG, logger="fastdimse"):
        _logging.log_dimse(LOGGER, rq, sent=True)
        _logging.log_dimse(LOGGER, rsp, sent=False)
    assert "Sending Store Request: MsgID 3, (CT)" in caplog.messages
    assert "Data Set                      : Present" in caplog.messages
    assert "Received Store Response (Status: 0xA700 - Failure)" in caplog.messages


def test_nothing_is_formatted_when_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    quiet = logging.getLogger("fastdimse.quiet")
    monkeypatch.setattr(quiet, "level", logging.WARNING)

    def explode(*args: object) -> None:
        raise AssertionError("formatted while disabled")

    monkeypatch.setattr(_logging, "_emit", explode)
    monkeypatch.setattr(quiet, "info", explode)
    monkeypatch.setattr(_logging, "_UserInfo", explode)
    rq = C_ECHO()
    rq.MessageID = 1
    _logging.log_associate_rq(quiet, _rq(), sent=True)
    _logging.log_dimse(quiet, rq, sent=True)
    _logging.log_abort(quiet, 0, 0, sent=True)


def test_debug_logger(monkeypatch: pytest.MonkeyPatch) -> None:
    logger = logging.getLogger("fastdimse")
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "level", logger.level)
    _logging.debug_logger()
    _logging.debug_logger()
    assert len(logger.handlers) == 1
    assert logger.level == logging.DEBUG
    assert isinstance(logger.handlers[0], logging.StreamHandler)
