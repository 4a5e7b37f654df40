"""pynetdicom 3.0.4's SCU against our DIMSE-N SCP (threaded and under asyncio): each
request arrives at our handler as pynetdicom sent it (command elements and data set
compared element by element), and each response reaches pynetdicom as our handler
made it (status, the response's command elements, the reply data set).

Also both halves of Storage Commitment's N-EVENT-REPORT (PS3.4 J.3.3.1.3): on the
association of the N-ACTION, while our SCU waits for the N-ACTION's response, and on
a new association the SCP opens with the roles reversed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from pydicom.dataset import Dataset
from pydicom.tag import Tag

from fastdimse import AE, aio, evt
from helpers import DEADLINE, LOCALHOST, require_module, wait_until

pynetdicom = require_module("pynetdicom")

DISPLAY = "1.2.840.10008.5.1.1.40"  # Display System (N-GET)
MPPS = "1.2.840.10008.3.1.2.3.3"  # Modality Performed Procedure Step (N-CREATE, N-SET)
COMMITMENT = "1.2.840.10008.1.20.1"  # Storage Commitment Push Model (N-ACTION, N-EVENT-REPORT)
GRAYSCALE_META = "1.2.840.10008.5.1.1.9"  # Basic Grayscale Print Management Meta SOP Class
FILM_SESSION = "1.2.840.10008.5.1.1.1"  # Basic Film Session (N-DELETE)
PRINTER = "1.2.840.10008.5.1.1.16"  # Printer, under the meta SOP class
PRINTER_INSTANCE = "1.2.840.10008.5.1.1.17"  # Printer's well-known instance
INSTANCE = "1.2.826.0.1.3680043.9.7433.14.3"
SYNTAXES = {"implicit": "1.2.840.10008.1.2", "explicit": "1.2.840.10008.1.2.1"}
CONTEXTS = (DISPLAY, MPPS, COMMITMENT, GRAYSCALE_META, FILM_SESSION)

# What each handler hands back: the N-service's event, and its request's data set.
DATA_SETS = {
    "N-ACTION": "action_information",
    "N-CREATE": "attribute_list",
    "N-EVENT-REPORT": "event_information",
    "N-SET": "modification_list",
}
EVENTS = {
    "N-ACTION": evt.EVT_N_ACTION,
    "N-CREATE": evt.EVT_N_CREATE,
    "N-DELETE": evt.EVT_N_DELETE,
    "N-EVENT-REPORT": evt.EVT_N_EVENT_REPORT,
    "N-GET": evt.EVT_N_GET,
    "N-SET": evt.EVT_N_SET,
}
# The request's command elements each handler records.
COMMAND_ELEMENTS = (
    "MessageID",
    "AffectedSOPClassUID",
    "AffectedSOPInstanceUID",
    "RequestedSOPClassUID",
    "RequestedSOPInstanceUID",
    "ActionTypeID",
    "EventTypeID",
)


def dataset(**elements: Any) -> Dataset:
    ds = Dataset()
    for keyword, value in elements.items():
        setattr(ds, keyword, value)
    return ds


class Handlers:
    """Our SCP's handlers: what each request carried, and the answers to give."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any], Dataset | None]] = []
        self.answers: dict[str, Any] = {}

    def bindings(self) -> list[Any]:
        return [(event, self._handler(name)) for name, event in EVENTS.items()]

    def _handler(self, name: str) -> Any:
        def handle(event: Any) -> Any:
            elements = {k: getattr(event.request, k, None) for k in COMMAND_ELEMENTS}
            if name == "N-GET":
                elements["AttributeIdentifierList"] = list(event.attribute_identifiers)
            data = getattr(event, DATA_SETS[name]) if name in DATA_SETS else None
            self.received.append((name, elements, data))
            return self.answers[name]

        return handle


def our_ae(syntax: str) -> AE:
    ae = AE("OURSCP")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    for uid in CONTEXTS:
        ae.add_supported_context(uid, syntax)
    return ae


@pytest.fixture(params=["threaded", "asyncio"])
def driver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=sorted(SYNTAXES))
def syntax(request: pytest.FixtureRequest) -> str:
    return SYNTAXES[str(request.param)]


@pytest.fixture
def scp(driver: str, syntax: str) -> Iterator[tuple[Handlers, int]]:
    """Our SCP, threaded or under asyncio: its handlers and its port."""
    handlers = Handlers()
    if driver == "threaded":
        ae = our_ae(syntax)
        server = ae.start_server((LOCALHOST, 0), block=False, evt_handlers=handlers.bindings())
        yield handlers, int(server.server_address[1])
        ae.shutdown()
        return
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    aio_ae = aio.AE("OURSCP")
    aio_ae.acse_timeout = aio_ae.dimse_timeout = aio_ae.network_timeout = DEADLINE
    for uid in CONTEXTS:
        aio_ae.add_supported_context(uid, syntax)
    starting = aio_ae.start_server((LOCALHOST, 0), evt_handlers=handlers.bindings())
    server = asyncio.run_coroutine_threadsafe(starting, loop).result(DEADLINE)
    try:
        yield handlers, int(server.server_address[1])
    finally:
        asyncio.run_coroutine_threadsafe(aio_ae.shutdown(), loop).result(DEADLINE)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(DEADLINE)
        loop.close()


class PynetdicomSCU:
    """pynetdicom's SCU on one association to our SCP; it keeps every response
    primitive it received, for their command elements."""

    def __init__(self, port: int, syntax: str) -> None:
        self.responses: list[Any] = []
        ae = pynetdicom.AE("PNSCU")
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
        for uid in CONTEXTS:
            ae.add_requested_context(uid, syntax)
        handlers = [(pynetdicom.evt.EVT_DIMSE_RECV, self._keep)]
        self.assoc = ae.associate(LOCALHOST, port, ae_title="OURSCP", evt_handlers=handlers)
        assert self.assoc.is_established

    def _keep(self, event: Any) -> None:
        self.responses.append(event.message)

    def last_response(self, *keywords: str) -> dict[str, Any]:
        command = self.responses[-1].command_set
        return {k: command.get(k) for k in keywords}


@pytest.fixture
def scu(scp: tuple[Handlers, int], syntax: str) -> Iterator[tuple[Handlers, PynetdicomSCU]]:
    handlers, port = scp
    peer = PynetdicomSCU(port, syntax)
    yield handlers, peer
    peer.assoc.release()


def test_n_get(scu: tuple[Handlers, PynetdicomSCU]) -> None:
    handlers, peer = scu
    attributes = dataset(PatientName="Doe^Jane", Manufacturer="X", Rows=512)
    handlers.answers["N-GET"] = (0x0000, attributes)
    status, got = peer.assoc.send_n_get([0x00100010, 0x00080070], DISPLAY, INSTANCE, msg_id=7)
    assert status.Status == 0x0000
    assert got == attributes
    name, elements, _ = handlers.received[-1]
    assert name == "N-GET"
    assert elements["MessageID"] == 7
    assert (elements["RequestedSOPClassUID"], elements["RequestedSOPInstanceUID"]) == (
        DISPLAY,
        INSTANCE,
    )
    assert elements["AttributeIdentifierList"] == [Tag(0x00100010), Tag(0x00080070)]
    assert peer.last_response(
        "MessageIDBeingRespondedTo", "AffectedSOPClassUID", "AffectedSOPInstanceUID"
    ) == {
        "MessageIDBeingRespondedTo": 7,
        "AffectedSOPClassUID": DISPLAY,
        "AffectedSOPInstanceUID": INSTANCE,
    }


def test_n_create_then_n_set(scu: tuple[Handlers, PynetdicomSCU]) -> None:
    handlers, peer = scu
    created = dataset(PerformedProcedureStepStatus="IN PROGRESS", Modality="CT", PatientID="P1")
    handlers.answers["N-CREATE"] = (0x0000, created)
    status, got = peer.assoc.send_n_create(created, MPPS, INSTANCE, msg_id=3)
    assert (status.Status, got) == (0x0000, created)
    name, elements, data = handlers.received[-1]
    assert (name, data) == ("N-CREATE", created)
    assert (elements["AffectedSOPClassUID"], elements["AffectedSOPInstanceUID"]) == (MPPS, INSTANCE)
    changed = dataset(PerformedProcedureStepStatus="COMPLETED")
    handlers.answers["N-SET"] = (0x0000, changed)
    status, got = peer.assoc.send_n_set(changed, MPPS, INSTANCE, msg_id=4)
    assert (status.Status, got) == (0x0000, changed)
    name, elements, data = handlers.received[-1]
    assert (name, data, elements["MessageID"]) == ("N-SET", changed, 4)
    assert peer.last_response("AffectedSOPClassUID", "AffectedSOPInstanceUID") == {
        "AffectedSOPClassUID": MPPS,
        "AffectedSOPInstanceUID": INSTANCE,
    }


def test_n_create_without_an_instance_uid_gets_the_one_the_handler_chose(
    scu: tuple[Handlers, PynetdicomSCU],
) -> None:
    """PS3.7 10.1.5.1.4: the SCP names the instance it created."""
    handlers, peer = scu
    attributes = dataset(PerformedProcedureStepStatus="IN PROGRESS")
    answer = dataset(AffectedSOPInstanceUID=INSTANCE, PerformedProcedureStepStatus="IN PROGRESS")
    handlers.answers["N-CREATE"] = (0x0000, answer)
    status, got = peer.assoc.send_n_create(attributes, MPPS, None)
    assert status.Status == 0x0000
    assert got == attributes  # the instance UID went into the command, not the data set
    assert peer.last_response("AffectedSOPInstanceUID") == {"AffectedSOPInstanceUID": INSTANCE}
    assert handlers.received[-1][1]["AffectedSOPInstanceUID"] is None


def test_n_action_and_n_event_report(scu: tuple[Handlers, PynetdicomSCU]) -> None:
    handlers, peer = scu
    request = dataset(TransactionUID="1.2.826.0.1.3680043.9.7433.14.4")
    handlers.answers["N-ACTION"] = (0x0000, dataset(TransactionUID=request.TransactionUID))
    status, got = peer.assoc.send_n_action(request, 1, COMMITMENT, INSTANCE, msg_id=5)
    assert (status.Status, got) == (0x0000, request)
    name, elements, data = handlers.received[-1]
    assert (name, data, elements["ActionTypeID"]) == ("N-ACTION", request, 1)
    assert peer.last_response("ActionTypeID", "AffectedSOPClassUID") == {
        "ActionTypeID": 1,
        "AffectedSOPClassUID": COMMITMENT,
    }
    handlers.answers["N-EVENT-REPORT"] = (0x0000, None)
    status, got = peer.assoc.send_n_event_report(request, 2, COMMITMENT, INSTANCE, msg_id=6)
    assert status.Status == 0x0000
    assert got == Dataset()  # a Success with no reply
    name, elements, data = handlers.received[-1]
    assert (name, data, elements["EventTypeID"]) == ("N-EVENT-REPORT", request, 2)
    assert peer.last_response("EventTypeID", "AffectedSOPInstanceUID") == {
        "EventTypeID": 2,
        "AffectedSOPInstanceUID": INSTANCE,
    }


def test_n_delete_and_a_failure_with_its_status_elements(
    scu: tuple[Handlers, PynetdicomSCU],
) -> None:
    handlers, peer = scu
    handlers.answers["N-DELETE"] = 0x0000
    assert peer.assoc.send_n_delete(FILM_SESSION, INSTANCE, msg_id=8).Status == 0x0000
    assert handlers.received[-1][1]["RequestedSOPClassUID"] == FILM_SESSION
    failure = dataset(Status=0x0112, ErrorComment="no such instance")
    handlers.answers["N-GET"] = (failure, dataset(PatientName="not sent"))
    status, got = peer.assoc.send_n_get([0x00100010], DISPLAY, INSTANCE)
    assert (status.Status, status.ErrorComment, got) == (0x0112, "no such instance", None)


def test_print_management_through_its_meta_sop_class(
    scu: tuple[Handlers, PynetdicomSCU],
) -> None:
    handlers, peer = scu
    handlers.answers["N-GET"] = (0x0000, dataset(PrinterStatus="NORMAL"))
    status, got = peer.assoc.send_n_get(
        [0x21100010], PRINTER, PRINTER_INSTANCE, meta_uid=GRAYSCALE_META
    )
    assert (status.Status, got) == (0x0000, dataset(PrinterStatus="NORMAL"))
    assert handlers.received[-1][1]["RequestedSOPClassUID"] == PRINTER


def test_a_raising_handler_is_answered_0110_and_the_association_goes_on(
    scu: tuple[Handlers, PynetdicomSCU],
) -> None:
    handlers, peer = scu
    handlers.answers["N-SET"] = "not a pair"
    status, got = peer.assoc.send_n_set(dataset(PatientName="X"), MPPS, INSTANCE)
    assert (status.Status, got) == (0x0110, None)
    handlers.answers["N-DELETE"] = 0x0000
    assert peer.assoc.send_n_delete(FILM_SESSION, INSTANCE).Status == 0x0000


# -- Storage Commitment's N-EVENT-REPORT ------------------------------------------------------


class CommitmentSCP:
    """pynetdicom as the Storage Commitment SCP: its N-ACTION handler reports the result
    on the same association before answering (``same_association``), or keeps the
    request for a report on a new association."""

    def __init__(self, same_association: bool) -> None:
        self.same_association = same_association
        self.report_status: Any = None
        ae = pynetdicom.AE("PNCOMMIT")
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
        ae.add_supported_context(COMMITMENT)
        handlers = [(pynetdicom.evt.EVT_N_ACTION, self._on_action)]
        self.server = ae.start_server((LOCALHOST, 0), block=False, evt_handlers=handlers)
        self.port = int(self.server.server_address[1])
        self.ae = ae

    def _on_action(self, event: Any) -> Any:
        info = event.action_information
        if self.same_association:
            self.report_status, _ = event.assoc.send_n_event_report(
                result_of(info), 1, COMMITMENT, INSTANCE
            )
        return 0x0000, None

    def report_back(self, port: int, info: Dataset) -> Any:
        """A new association to the SCU, as SCP of Storage Commitment (J.3.3.1.3)."""
        ae = pynetdicom.AE("PNCOMMIT")
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
        ae.add_requested_context(COMMITMENT)
        role = pynetdicom.build_role(COMMITMENT, scp_role=True)
        assoc = ae.associate(LOCALHOST, port, ae_title="OURSCU", ext_neg=[role])
        assert assoc.is_established
        status, _ = assoc.send_n_event_report(result_of(info), 1, COMMITMENT, INSTANCE)
        assoc.release()
        return status

    def close(self) -> None:
        self.server.shutdown()


def result_of(request: Dataset) -> Dataset:
    """The N-EVENT-REPORT's Event Information: every instance committed."""
    return dataset(
        TransactionUID=request.TransactionUID,
        ReferencedSOPSequence=request.ReferencedSOPSequence,
    )


def commitment_request() -> Dataset:
    item = dataset(
        ReferencedSOPClassUID="1.2.840.10008.5.1.4.1.1.2",
        ReferencedSOPInstanceUID="1.2.826.0.1.3680043.9.7433.14.5",
    )
    return dataset(TransactionUID="1.2.826.0.1.3680043.9.7433.14.6", ReferencedSOPSequence=[item])


def reports(received: list[Dataset]) -> Any:
    def on_report(event: Any) -> Any:
        received.append(event.event_information)
        return 0x0000, None

    return on_report


def test_an_n_event_report_arriving_while_waiting_for_the_n_action_reaches_its_handler() -> None:
    peer = CommitmentSCP(same_association=True)
    received: list[Dataset] = []
    ae = AE("OURSCU")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    ae.add_requested_context(COMMITMENT)
    handlers = [(evt.EVT_N_EVENT_REPORT, reports(received))]
    try:
        assoc = ae.associate(LOCALHOST, peer.port, ae_title="PNCOMMIT", evt_handlers=handlers)
        assert assoc.is_established
        status, _ = assoc.send_n_action(commitment_request(), 1, COMMITMENT, INSTANCE)
        assoc.release()
    finally:
        peer.close()
    assert status.Status == 0x0000
    assert peer.report_status is not None and peer.report_status.Status == 0x0000
    assert received == [result_of(commitment_request())]


def test_asyncio_n_event_report_arriving_while_waiting_for_the_n_action() -> None:
    peer = CommitmentSCP(same_association=True)
    received: list[Dataset] = []

    async def scenario() -> Any:
        ae = aio.AE("OURSCU")
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
        ae.add_requested_context(COMMITMENT)
        handlers = [(evt.EVT_N_EVENT_REPORT, reports(received))]
        async with ae.associate(
            LOCALHOST, peer.port, ae_title="PNCOMMIT", evt_handlers=handlers
        ) as assoc:
            return await assoc.send_n_action(commitment_request(), 1, COMMITMENT, INSTANCE)

    try:
        status, _ = asyncio.run(scenario())
    finally:
        peer.close()
    assert status.Status == 0x0000
    assert received == [result_of(commitment_request())]


def test_the_scu_accepts_the_reversed_role_association_of_the_report(driver: str) -> None:
    """The SCU listens, accepting Storage Commitment with the SCP role proposed by the
    requestor (scu_role/scp_role as pynetdicom has them), and takes the report."""
    peer = CommitmentSCP(same_association=False)
    received: list[Dataset] = []
    handlers = [(evt.EVT_N_EVENT_REPORT, reports(received))]
    try:
        if driver == "threaded":
            ae = AE("OURSCU")
            ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
            ae.add_supported_context(COMMITMENT, scu_role=True, scp_role=True)
            server = ae.start_server((LOCALHOST, 0), block=False, evt_handlers=handlers)
            try:
                status = peer.report_back(int(server.server_address[1]), commitment_request())
                assert wait_until(lambda: not server.active_associations)
            finally:
                ae.shutdown()
        else:
            status = asyncio.run(_report_to_asyncio_scu(peer, handlers))
    finally:
        peer.close()
    assert status.Status == 0x0000
    assert received == [result_of(commitment_request())]


async def _report_to_asyncio_scu(peer: CommitmentSCP, handlers: list[Any]) -> Any:
    ae = aio.AE("OURSCU")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    ae.add_supported_context(COMMITMENT, scu_role=True, scp_role=True)
    server = await ae.start_server((LOCALHOST, 0), evt_handlers=handlers)
    try:
        port = int(server.server_address[1])
        return await asyncio.to_thread(peer.report_back, port, commitment_request())
    finally:
        await ae.shutdown()
