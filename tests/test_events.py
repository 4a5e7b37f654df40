"""fastdimse.events: the event catalogue, handler bookkeeping, trigger and Event."""

from __future__ import annotations

import logging
from collections import namedtuple
from io import BytesIO
from typing import Any

import pytest
from pydicom.dataset import Dataset

from fastdimse import events as evt
from fastdimse.dimse_primitives import C_FIND, C_STORE, N_GET
from helpers import require_module

pd_events = require_module("pynetdicom.events")

Ctx = namedtuple("Ctx", "context_id abstract_syntax transfer_syntax")
IMPLICIT = Ctx(1, "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.1.2")
PATIENT_NAME = b"\x10\x00\x10\x00\x08\x00\x00\x00DOE^JOHN"


class FakeAssoc:
    """The association contract trigger relies on: get_handlers(event)."""

    def __init__(self) -> None:
        self.handlers: dict[Any, Any] = {}
        for event in evt._INTERVENTION_EVENTS:
            evt._add_handler(event, self.handlers, (evt.get_default_handler(event), None))
        self.aborts: list[str] = []

    def get_handlers(self, event: Any) -> Any:
        return self.handlers.get(event, [])

    def bind(self, event: Any, handler: Any, args: list[Any] | None = None) -> None:
        evt._add_handler(event, self.handlers, (handler, args))

    def _abort_blocking(self) -> None:
        self.aborts.append("blocking")

    def _abort_nonblocking(self) -> None:
        self.aborts.append("nonblocking")

    abort = _abort_blocking


def test_every_pynetdicom_event_with_the_same_description() -> None:
    theirs = {n: getattr(pd_events, n) for n in dir(pd_events) if n.startswith("EVT_")}
    ours = {n: getattr(evt, n) for n in dir(evt) if n.startswith("EVT_")}
    assert ours.keys() == theirs.keys()
    for name, event in theirs.items():
        assert tuple(ours[name]) == tuple(event), name
    assert [e.name for e in evt._INTERVENTION_EVENTS] == [
        e.name for e in pd_events._INTERVENTION_EVENTS
    ]
    assert [e.name for e in evt._NOTIFICATION_EVENTS] == [
        e.name for e in pd_events._NOTIFICATION_EVENTS
    ]
    assert str(evt.EVT_C_ECHO) == "EVT_C_ECHO"


def test_notification_handlers_run_in_order_and_errors_are_contained(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assoc = FakeAssoc()
    seen: list[Any] = []

    def first(event: evt.Event) -> None:
        seen.append(("first", event.event, event.pdu))
        raise RuntimeError("boom")

    def second(event: evt.Event, tag: str, n: int) -> None:
        seen.append(("second", tag, n))
        event.assoc.abort()

    assoc.bind(evt.EVT_PDU_RECV, first)
    assoc.bind(evt.EVT_PDU_RECV, first)  # bound once only
    assoc.bind(evt.EVT_PDU_RECV, second, ["x", 2])
    with caplog.at_level(logging.ERROR, logger="fastdimse"):
        assert evt.trigger(assoc, evt.EVT_PDU_RECV, {"pdu": "P"}) is None
    assert seen == [("first", evt.EVT_PDU_RECV, "P"), ("second", "x", 2)]
    assert "Exception raised in user's 'evt.EVT_PDU_RECV' event handler 'first'" in caplog.text
    assert "RuntimeError: boom" in caplog.text
    # abort() inside a notification handler is the non-blocking one, and is restored after
    assert assoc.aborts == ["nonblocking"]
    assoc.abort()
    assert assoc.aborts == ["nonblocking", "blocking"]


def test_intervention_handler_result_and_exception() -> None:
    assoc = FakeAssoc()
    assert evt.trigger(assoc, evt.EVT_C_ECHO, {}) == 0x0000

    def handler(event: evt.Event, extra: int) -> int:
        return event.message_id + extra

    req = C_FIND()
    req.MessageID = 5
    assoc.bind(evt.EVT_C_ECHO, handler, [100])
    assert evt.trigger(assoc, evt.EVT_C_ECHO, {"request": req}) == 105
    with pytest.raises(NotImplementedError, match="EVT_C_STORE"):
        evt.trigger(assoc, evt.EVT_C_STORE, {"request": C_STORE()})


def test_unbound_events_cost_one_lookup() -> None:
    assoc = FakeAssoc()
    assert not evt.is_bound(assoc, evt.EVT_DATA_RECV)
    assert evt.trigger(assoc, evt.EVT_DATA_RECV, {"data": b"x"}) is None
    assert evt.is_bound(assoc, evt.EVT_C_ECHO)

    def h(event: evt.Event) -> None: ...

    assoc.bind(evt.EVT_DATA_RECV, h)
    assert evt.is_bound(assoc, evt.EVT_DATA_RECV)
    evt._remove_handler(evt.EVT_DATA_RECV, assoc.handlers, h)
    assert evt.EVT_DATA_RECV not in assoc.handlers
    assoc.handlers[evt.EVT_USER_ID] = (None, None)
    assert not evt.is_bound(assoc, evt.EVT_USER_ID)


def test_remove_intervention_handler_restores_default() -> None:
    handlers: dict[Any, Any] = {}

    def mine(event: evt.Event) -> int:
        return 1

    def other(event: evt.Event) -> int:
        return 2

    evt._add_handler(evt.EVT_C_ECHO, handlers, (mine, None))
    evt._remove_handler(evt.EVT_C_ECHO, handlers, other)
    assert handlers[evt.EVT_C_ECHO] == (mine, None)
    evt._remove_handler(evt.EVT_C_ECHO, handlers, mine)
    assert handlers[evt.EVT_C_ECHO] == (evt._c_echo_handler, None)


def test_dataset_is_decoded_lazily_once_per_buffer() -> None:
    req = C_STORE()
    req.AffectedSOPClassUID = IMPLICIT.abstract_syntax
    req.AffectedSOPInstanceUID = "1.2.3.4"
    req.DataSet = BytesIO(PATIENT_NAME)
    event = evt.Event(None, evt.EVT_C_STORE, {"request": req, "context": IMPLICIT})
    assert event._decoded is None
    ds = event.dataset
    assert ds.PatientName == "DOE^JOHN"
    assert event.dataset is ds
    req.DataSet = BytesIO(PATIENT_NAME)
    assert event.dataset is not ds
    # the encoded bytes, with and without a File Meta header, never decoded
    assert event.encoded_dataset(include_meta=False) == PATIENT_NAME
    whole = event.encoded_dataset()
    assert whole[128:132] == b"DICM" and whole.endswith(PATIENT_NAME)
    from pydicom import dcmread

    read_back = dcmread(BytesIO(whole))
    assert read_back.file_meta.MediaStorageSOPInstanceUID == "1.2.3.4"
    assert read_back.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2"
    assert read_back.PatientName == "DOE^JOHN"


def test_empty_identifier_and_attribute_identifiers() -> None:
    event = evt.Event(None, evt.EVT_C_FIND, {"request": C_FIND(), "context": IMPLICIT})
    assert event.identifier == Dataset()
    n_get = N_GET()
    n_get.AttributeIdentifierList = [0x00100010, 0x00100020]
    event = evt.Event(None, evt.EVT_N_GET, {"request": n_get})
    assert event.attribute_identifiers == [0x00100010, 0x00100020]


def test_wrong_event_messages_and_attribute_clash() -> None:
    event = evt.Event(None, evt.EVT_DATA_RECV)
    with pytest.raises(AttributeError, match="not a C-STORE request and has no 'Data Set'"):
        _ = event.dataset
    with pytest.raises(AttributeError, match="not a C-MOVE request"):
        _ = event.move_destination
    with pytest.raises(AttributeError, match="not a DIMSE service request"):
        _ = event.message_id
    assert event.is_cancelled is False
    with pytest.raises(AttributeError, match="already has an attribute 'assoc'"):
        evt.Event(None, evt.EVT_C_STORE, {"assoc": None})


def test_is_cancelled_asks_the_callback() -> None:
    req = C_FIND()
    req.MessageID = 3
    event = evt.Event(None, evt.EVT_C_FIND, {"request": req, "_is_cancelled": lambda i: i == 3})
    assert event.is_cancelled is True


@pytest.mark.parametrize("event", evt._INTERVENTION_EVENTS, ids=str)
def test_default_handlers_match_pynetdicom(event: evt.InterventionEvent) -> None:
    ours = evt.get_default_handler(event)
    theirs = pd_events.get_default_handler(getattr(pd_events, event.name))
    assert ours.__name__ == theirs.__name__
    try:
        expected: Any = theirs(None)
    except NotImplementedError as exc:
        with pytest.raises(NotImplementedError) as info:
            ours(None)  # type: ignore[arg-type]
        assert str(info.value) == str(exc)
    else:
        assert ours(None) == expected  # type: ignore[arg-type]


def test_import_does_not_load_pydicom() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import fastdimse.events, fastdimse.status, fastdimse._config, "
        "fastdimse.utils, fastdimse.dimse_primitives, fastdimse._logging; "
        "print('pydicom' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
