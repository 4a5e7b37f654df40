"""Our DIMSE-N SCU (``send_n_*``) against pynetdicom 3.0.4's SCP, in this process: each
request arrives as sent (its command elements and data set compared element by element
on pynetdicom's side), and each response comes back as pynetdicom's handler made it
(status, optional status elements, the reply data set), over Implicit and Explicit VR.
The other direction is test_n_scp_pynetdicom.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydicom.dataset import Dataset
from pydicom.tag import Tag

from fastdimse import AE
from helpers import DEADLINE, LOCALHOST, require_module

pynetdicom = require_module("pynetdicom")

DISPLAY = "1.2.840.10008.5.1.1.40"  # Display System SOP Class (N-GET)
MPPS = "1.2.840.10008.3.1.2.3.3"  # Modality Performed Procedure Step (N-CREATE, N-SET)
COMMITMENT = "1.2.840.10008.1.20.1"  # Storage Commitment Push Model (N-ACTION, N-EVENT-REPORT)
PRINTER = "1.2.840.10008.5.1.1.16"  # Printer SOP Class, under a Print Management meta class
GRAYSCALE_META = "1.2.840.10008.5.1.1.9"  # Basic Grayscale Print Management Meta SOP Class
FILM_SESSION = "1.2.840.10008.5.1.1.1"  # Basic Film Session (N-DELETE)
INSTANCE = "1.2.826.0.1.3680043.9.7433.14.1"
SYNTAXES = {"implicit": "1.2.840.10008.1.2", "explicit": "1.2.840.10008.1.2.1"}


def reply(**elements: Any) -> Dataset:
    ds = Dataset()
    for keyword, value in elements.items():
        setattr(ds, keyword, value)
    return ds


class Peer:
    """pynetdicom's SCP: every request it got (event attributes it kept), and its answers."""

    def __init__(self, syntax: str) -> None:
        self.requests: list[tuple[str, Any, Dataset | None]] = []
        self.answers: dict[str, Any] = {}
        evt = pynetdicom.evt
        ae = pynetdicom.AE("PNSCP")
        for uid in (DISPLAY, MPPS, COMMITMENT, GRAYSCALE_META, FILM_SESSION):
            ae.add_supported_context(uid, syntax)
        handlers = [
            (evt.EVT_N_GET, self._handler("N-GET", "AttributeIdentifierList", None)),
            (evt.EVT_N_CREATE, self._handler("N-CREATE", None, "attribute_list")),
            (evt.EVT_N_SET, self._handler("N-SET", None, "modification_list")),
            (evt.EVT_N_ACTION, self._handler("N-ACTION", None, "action_information")),
            (evt.EVT_N_EVENT_REPORT, self._handler("N-EVENT-REPORT", None, "event_information")),
            (evt.EVT_N_DELETE, self._handler("N-DELETE", None, None)),
        ]
        self.server = ae.start_server((LOCALHOST, 0), block=False, evt_handlers=handlers)
        self.port = int(self.server.server_address[1])

    def _handler(self, name: str, attribute: str | None, data_set: str | None) -> Any:
        def handle(event: Any) -> Any:
            kept = getattr(event.request, attribute) if attribute else event.request
            self.requests.append((name, kept, getattr(event, data_set) if data_set else None))
            return self.answers[name]

        return handle

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture(params=sorted(SYNTAXES))
def peer(request: Any) -> Iterator[tuple[Peer, Any]]:
    syntax = SYNTAXES[request.param]
    served = Peer(syntax)
    ae = AE("OURSCU")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    for uid in (DISPLAY, MPPS, COMMITMENT, GRAYSCALE_META, FILM_SESSION):
        ae.add_requested_context(uid, syntax)
    assoc = ae.associate(LOCALHOST, served.port, ae_title="PNSCP")
    assert assoc.is_established
    yield served, assoc
    assoc.release()
    served.close()


def test_n_get(peer: tuple[Peer, Any]) -> None:
    served, assoc = peer
    served.answers["N-GET"] = (0x0000, reply(PatientName="Doe^Jane", Manufacturer="X"))
    status, attributes = assoc.send_n_get([0x00100010, 0x00080070], DISPLAY, INSTANCE, msg_id=7)
    assert status.Status == 0x0000
    assert attributes == reply(PatientName="Doe^Jane", Manufacturer="X")
    name, identifiers, _ = served.requests[-1]
    assert name == "N-GET"
    assert [Tag(t) for t in identifiers] == [Tag(0x00100010), Tag(0x00080070)]


def test_n_create_and_n_set(peer: tuple[Peer, Any]) -> None:
    served, assoc = peer
    created = reply(PerformedProcedureStepStatus="IN PROGRESS", Modality="CT")
    served.answers["N-CREATE"] = (0x0000, created)
    status, attributes = assoc.send_n_create(created, MPPS, INSTANCE)
    assert (status.Status, attributes) == (0x0000, created)
    assert served.requests[-1][2] == created
    changed = reply(PerformedProcedureStepStatus="COMPLETED")
    served.answers["N-SET"] = (0x0000, changed)
    status, attributes = assoc.send_n_set(changed, MPPS, INSTANCE, msg_id=9)
    assert (status.Status, attributes) == (0x0000, changed)
    assert served.requests[-1][:1] == ("N-SET",) and served.requests[-1][2] == changed


def test_n_action_and_n_event_report(peer: tuple[Peer, Any]) -> None:
    served, assoc = peer
    request = reply(TransactionUID="1.2.826.0.1.3680043.9.7433.14.2")
    served.answers["N-ACTION"] = (0x0000, None)
    status, action_reply = assoc.send_n_action(request, 1, COMMITMENT, INSTANCE)
    assert status.Status == 0x0000
    assert action_reply == Dataset()  # a Success with no reply: an empty data set
    assert served.requests[-1][2] == request
    served.answers["N-EVENT-REPORT"] = (0x0000, reply(TransactionUID=request.TransactionUID))
    status, event_reply = assoc.send_n_event_report(request, 1, COMMITMENT, INSTANCE)
    assert status.Status == 0x0000
    assert event_reply == reply(TransactionUID=request.TransactionUID)


def test_n_delete_and_failures(peer: tuple[Peer, Any]) -> None:
    served, assoc = peer
    served.answers["N-DELETE"] = 0x0000
    assert assoc.send_n_delete(FILM_SESSION, INSTANCE).Status == 0x0000
    # A failure's data set is not returned; its optional status elements are.
    failure = Dataset()
    failure.Status = 0x0112  # No such SOP Instance
    failure.ErrorComment = "gone"
    served.answers["N-GET"] = (failure, reply(PatientName="X"))
    status, attributes = assoc.send_n_get([0x00100010], DISPLAY, INSTANCE)
    assert (status.Status, status.ErrorComment, attributes) == (0x0112, "gone", None)


def test_meta_sop_class_selects_the_context(peer: tuple[Peer, Any]) -> None:
    """Print Management: the Printer SOP Class is requested on the context of the meta
    SOP class it belongs to (``meta_uid``)."""
    served, assoc = peer
    served.answers["N-GET"] = (0x0000, reply(PrinterStatus="NORMAL"))
    status, attributes = assoc.send_n_get(
        [0x21100010], PRINTER, "1.2.840.10008.5.1.1.17", meta_uid=GRAYSCALE_META
    )
    assert (status.Status, attributes.PrinterStatus) == (0x0000, "NORMAL")


def test_without_a_context_nothing_is_sent(peer: tuple[Peer, Any]) -> None:
    served, assoc = peer
    with pytest.raises(ValueError, match="No presentation context"):
        assoc.send_n_get([0x00100010], "1.2.840.10008.5.1.4.34.6.1", INSTANCE)
    assert served.requests == []


def test_asyncio_sends_every_n_request() -> None:
    """``fastdimse.aio``: the same six requests, awaited, against pynetdicom's SCP."""
    import asyncio

    from fastdimse import aio

    served = Peer(SYNTAXES["explicit"])
    data = reply(PerformedProcedureStepStatus="IN PROGRESS")
    served.answers.update(
        {
            "N-GET": (0x0000, reply(PatientName="Doe^Jane")),
            "N-CREATE": (0x0000, data),
            "N-SET": (0x0000, data),
            "N-ACTION": (0x0000, reply(TransactionUID="1.2.3")),
            "N-EVENT-REPORT": (0x0000, None),
            "N-DELETE": 0x0000,
        }
    )

    async def scenario() -> list[Any]:
        ae = aio.AE("OURSCU")
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
        for uid in (DISPLAY, MPPS, COMMITMENT, FILM_SESSION):
            ae.add_requested_context(uid, SYNTAXES["explicit"])
        async with ae.associate(LOCALHOST, served.port, ae_title="PNSCP") as assoc:
            return [
                await assoc.send_n_get([0x00100010], DISPLAY, INSTANCE),
                await assoc.send_n_create(data, MPPS, INSTANCE, msg_id=2),
                await assoc.send_n_set(data, MPPS, INSTANCE, msg_id=3),
                await assoc.send_n_action(data, 1, COMMITMENT, INSTANCE, msg_id=4),
                await assoc.send_n_event_report(data, 2, COMMITMENT, INSTANCE, msg_id=5),
                await assoc.send_n_delete(FILM_SESSION, INSTANCE, msg_id=6),
            ]

    try:
        results = asyncio.run(scenario())
    finally:
        served.close()
    got, created, changed, acted, reported, deleted = results
    assert got[1] == reply(PatientName="Doe^Jane")
    assert created[1] == data and changed[1] == data
    assert acted[1] == reply(TransactionUID="1.2.3")
    assert reported == (reported[0], Dataset()) and reported[0].Status == 0x0000
    assert deleted.Status == 0x0000
    assert [name for name, _, _ in served.requests] == [
        "N-GET",
        "N-CREATE",
        "N-SET",
        "N-ACTION",
        "N-EVENT-REPORT",
        "N-DELETE",
    ]
    assert all(ds == data for name, _, ds in served.requests if name != "N-GET" and ds)
