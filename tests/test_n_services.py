"""Our DIMSE-N SCP's rules (pynetdicom 3.0.4's handler contract, PS3.7's statuses),
through our own SCU, threaded and under asyncio: what a handler's return becomes, what
a handler that fails or returns nonsense gets, which services each class answers, and
that the association goes on serving after each refusal.

Against pynetdicom as the peer: tests/interop/test_n_scp_pynetdicom.py."""

from __future__ import annotations

import asyncio
import logging
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydicom.dataset import Dataset

from fastdimse import AE, aio, evt
from helpers import DEADLINE, LOCALHOST

DISPLAY = "1.2.840.10008.5.1.1.40"  # Display System: N-GET only
MPPS = "1.2.840.10008.3.1.2.3.3"  # Modality Performed Procedure Step
COMMITMENT = "1.2.840.10008.1.20.1"  # Storage Commitment Push Model
UPS_PUSH = "1.2.840.10008.5.1.4.34.6.1"  # Unified Procedure Step - Push
INSTANCE = "1.2.826.0.1.3680043.9.7433.14.7"
CONTEXTS = (DISPLAY, MPPS, COMMITMENT, UPS_PUSH)

Handler = Callable[[Any], Any]


def dataset(**elements: Any) -> Dataset:
    ds = Dataset()
    for keyword, value in elements.items():
        setattr(ds, keyword, value)
    return ds


class Answers:
    """The handler of each N-event: whatever the test put in ``by_event``."""

    def __init__(self) -> None:
        self.by_event: dict[Any, Handler] = {}

    def bindings(self) -> list[Any]:
        events = (evt.EVT_N_GET, evt.EVT_N_SET, evt.EVT_N_CREATE, evt.EVT_N_ACTION)
        return [(event, self._dispatch(event)) for event in (*events, evt.EVT_N_EVENT_REPORT)]

    def _dispatch(self, event_type: Any) -> Handler:
        def handle(event: Any) -> Any:
            return self.by_event[event_type](event)

        return handle


@pytest.fixture(params=["threaded", "asyncio"])
def scp(request: pytest.FixtureRequest) -> Iterator[tuple[Answers, int]]:
    answers = Answers()
    if request.param == "threaded":
        ae = AE("NSCP")
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
        for uid in CONTEXTS:
            ae.add_supported_context(uid)
        server = ae.start_server((LOCALHOST, 0), block=False, evt_handlers=answers.bindings())
        yield answers, int(server.server_address[1])
        ae.shutdown()
        return
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    aio_ae = aio.AE("NSCP")
    aio_ae.acse_timeout = aio_ae.dimse_timeout = aio_ae.network_timeout = DEADLINE
    for uid in CONTEXTS:
        aio_ae.add_supported_context(uid)
    starting = aio_ae.start_server((LOCALHOST, 0), evt_handlers=answers.bindings())
    server = asyncio.run_coroutine_threadsafe(starting, loop).result(DEADLINE)
    try:
        yield answers, int(server.server_address[1])
    finally:
        asyncio.run_coroutine_threadsafe(aio_ae.shutdown(), loop).result(DEADLINE)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(DEADLINE)
        loop.close()


@pytest.fixture
def assoc(scp: tuple[Answers, int]) -> Iterator[tuple[Answers, Any]]:
    answers, port = scp
    ae = AE("NSCU")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    for uid in CONTEXTS:
        ae.add_requested_context(uid)
    association = ae.associate(LOCALHOST, port)
    assert association.is_established
    yield answers, association
    if association.is_established:
        association.release()


def still_serves(answers: Answers, association: Any) -> None:
    """A good N-GET after a refusal: the association goes on."""
    answers.by_event[evt.EVT_N_GET] = lambda event: (0x0000, dataset(PatientID="ok"))
    status, got = association.send_n_get([0x00100020], DISPLAY, INSTANCE)
    assert (status.Status, got) == (0x0000, dataset(PatientID="ok"))


def test_an_unknown_sop_instance_gets_0112_with_its_status_elements(
    assoc: tuple[Answers, Any],
) -> None:
    answers, association = assoc

    def no_such_instance(event: Any) -> Any:
        status = dataset(Status=0x0112, ErrorComment="unknown instance")
        return status, dataset(PatientID="never sent")

    answers.by_event[evt.EVT_N_SET] = no_such_instance
    status, got = association.send_n_set(dataset(PatientID="X"), MPPS, "1.2.3.999")
    assert (status.Status, status.ErrorComment, got) == (0x0112, "unknown instance", None)
    still_serves(answers, association)


def test_a_handler_that_raises_is_answered_0110(
    assoc: tuple[Answers, Any], caplog: pytest.LogCaptureFixture
) -> None:
    answers, association = assoc

    def fails(event: Any) -> Any:
        raise RuntimeError("database down")

    answers.by_event[evt.EVT_N_ACTION] = fails
    with caplog.at_level(logging.ERROR, logger="fastdimse"):
        status, got = association.send_n_action(dataset(PatientID="X"), 1, COMMITMENT, INSTANCE)
    assert (status.Status, got) == (0x0110, None)
    assert "Exception in the handler bound to 'evt.EVT_N_ACTION'" in caplog.text
    still_serves(answers, association)


@pytest.mark.parametrize("returned", [0x0000, None, "text", (0x0000,)])
def test_a_handler_that_returns_no_pair_is_answered_0110(
    assoc: tuple[Answers, Any], returned: Any
) -> None:
    answers, association = assoc
    answers.by_event[evt.EVT_N_GET] = lambda event: returned
    status, got = association.send_n_get([0x00100020], DISPLAY, INSTANCE)
    assert (status.Status, got) == (0x0110, None)
    still_serves(answers, association)


def test_an_unknown_status_is_sent_as_it_is_without_the_data_set(
    assoc: tuple[Answers, Any], caplog: pytest.LogCaptureFixture
) -> None:
    answers, association = assoc
    answers.by_event[evt.EVT_N_GET] = lambda event: (0xFFF0, dataset(PatientID="X"))
    with caplog.at_level(logging.WARNING, logger="fastdimse"):
        status, got = association.send_n_get([0x00100020], DISPLAY, INSTANCE)
    assert (status.Status, got) == (0xFFF0, None)
    assert "Unknown status value returned by callback - 0xFFF0" in caplog.text


def test_a_warning_carries_the_data_set(assoc: tuple[Answers, Any]) -> None:
    answers, association = assoc
    answers.by_event[evt.EVT_N_GET] = lambda event: (0x0001, dataset(PatientID="partial"))
    # MPPS's table has 0x0001 (Requested optional Attributes are not supported).
    status, got = association.send_n_get([0x00100020, 0x00100010], MPPS, INSTANCE)
    assert (status.Status, got) == (0x0001, dataset(PatientID="partial"))


def test_a_reply_that_cannot_be_encoded_is_answered_0110(assoc: tuple[Answers, Any]) -> None:
    answers, association = assoc
    bad = Dataset()
    with warnings.catch_warnings():  # pydicom warns at once; the encoder must refuse it
        warnings.simplefilter("ignore")
        bad.add_new(0x00280010, "US", 70000)  # Rows: more than an unsigned short holds
    answers.by_event[evt.EVT_N_GET] = lambda event: (0x0000, bad)
    status, got = association.send_n_get([0x00280010], DISPLAY, INSTANCE)
    assert (status.Status, got) == (0x0110, None)
    still_serves(answers, association)


def test_n_create_without_an_instance_and_none_chosen_is_answered_0110(
    assoc: tuple[Answers, Any],
) -> None:
    """PS3.7 10.1.5.1.4: a created instance must be named; the handler named none."""
    answers, association = assoc
    answers.by_event[evt.EVT_N_CREATE] = lambda event: (0x0000, dataset(PatientID="X"))
    status, got = association.send_n_create(dataset(PatientID="X"), MPPS, None)
    assert (status.Status, got) == (0x0110, None)
    still_serves(answers, association)


def test_a_service_the_class_does_not_define_is_answered_0211(
    assoc: tuple[Answers, Any],
) -> None:
    """Display System Management defines N-GET only (PS3.4 EE): an N-SET is refused
    with Unrecognized Operation, and no handler runs."""
    answers, association = assoc
    called: list[Any] = []
    answers.by_event[evt.EVT_N_SET] = lambda event: called.append(event) or (0x0000, None)
    status, got = association.send_n_set(dataset(PatientID="X"), DISPLAY, INSTANCE)
    assert (status.Status, got, called) == (0x0211, None, [])
    still_serves(answers, association)


def test_unified_procedure_step_answers_its_n_services(assoc: tuple[Answers, Any]) -> None:
    answers, association = assoc
    created = dataset(ProcedureStepState="SCHEDULED")
    answers.by_event[evt.EVT_N_CREATE] = lambda event: (0xB300, event.attribute_list)
    status, got = association.send_n_create(created, UPS_PUSH, INSTANCE)
    assert (status.Status, got) == (0xB300, created)  # created with modifications


def test_an_event_report_without_a_handler_is_answered_0110() -> None:
    """An N-EVENT-REPORT that matches nothing our SCU knows of (no handler bound):
    Processing failure, the standard naming no other status, and the association
    goes on."""
    ae = AE("SCP")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    ae.add_supported_context(COMMITMENT)
    server = ae.start_server((LOCALHOST, 0), block=False)
    try:
        peer = AE("REPORTER")
        peer.acse_timeout = peer.dimse_timeout = peer.network_timeout = DEADLINE
        peer.add_requested_context(COMMITMENT)
        association = peer.associate(LOCALHOST, int(server.server_address[1]))
        info = dataset(TransactionUID="1.2.826.0.1.3680043.9.7433.14.8")
        first, _ = association.send_n_event_report(info, 1, COMMITMENT, INSTANCE)
        second, _ = association.send_n_event_report(info, 2, COMMITMENT, INSTANCE)
        association.release()
    finally:
        ae.shutdown()
    assert (first.Status, second.Status) == (0x0110, 0x0110)


def test_an_async_handler_under_asyncio() -> None:
    async def on_get(event: Any) -> Any:
        await asyncio.sleep(0)
        return 0x0000, dataset(PatientID=str(event.request.RequestedSOPInstanceUID))

    async def scenario() -> Any:
        scp_ae = aio.AE("SCP")
        scp_ae.add_supported_context(DISPLAY)
        server = await scp_ae.start_server((LOCALHOST, 0), evt_handlers=[(evt.EVT_N_GET, on_get)])
        scu_ae = aio.AE("SCU")
        scu_ae.add_requested_context(DISPLAY)
        try:
            async with scu_ae.associate(LOCALHOST, int(server.server_address[1])) as association:
                return await association.send_n_get([0x00100020], DISPLAY, INSTANCE)
        finally:
            await scp_ae.shutdown()

    status, got = asyncio.run(asyncio.wait_for(scenario(), DEADLINE))
    assert (status.Status, got) == (0x0000, dataset(PatientID=INSTANCE))


@pytest.mark.parametrize(
    ("sop_class", "keyword", "class_name"),
    [
        ("1.2.840.10008.1.40", "ProceduralEventLogging", "ApplicationEventLoggingServiceClass"),
        ("1.2.840.10008.5.1.1.40", "DisplaySystem", "DisplaySystemManagementServiceClass"),
        (
            "1.2.840.10008.5.1.4.33",
            "InstanceAvailabilityNotification",
            "InstanceAvailabilityNotificationServiceClass",
        ),
        (
            "1.2.840.10008.5.1.1.33",
            "MediaCreationManagement",
            "MediaCreationManagementServiceClass",
        ),
        (
            "1.2.840.10008.5.1.1.9",
            "BasicGrayscalePrintManagementMeta",
            "PrintManagementServiceClass",
        ),
        ("1.2.840.10008.3.1.2.3.3", "ModalityPerformedProcedureStep", "ProcedureStepServiceClass"),
        (
            "1.2.840.10008.5.1.4.34.8",
            "RTConventionalMachineVerification",
            "RTMachineVerificationServiceClass",
        ),
        ("1.2.840.10008.1.20.1", "StorageCommitmentPushModel", "StorageCommitmentServiceClass"),
        ("1.2.840.10008.5.1.4.1.1.201.5", "InventoryCreation", "StorageManagementServiceClass"),
        (
            "1.2.840.10008.5.1.4.34.6.1",
            "UnifiedProcedureStepPush",
            "UnifiedProcedureStepServiceClass",
        ),
    ],
)
def test_each_n_sop_class_finds_its_service_class(
    sop_class: str, keyword: str, class_name: str
) -> None:
    """pynetdicom's module names: ``fastdimse.service_class_n`` holds the N classes."""
    from fastdimse import service_class, service_class_n
    from fastdimse import sop_class as sop_classes
    from fastdimse.sop_class import uid_to_service_class

    found = uid_to_service_class(sop_class)
    assert found is getattr(service_class_n, class_name) is getattr(service_class, class_name)
    assert str(getattr(sop_classes, keyword)) == sop_class


def test_a_failure_naming_several_offending_elements_is_sent(assoc: tuple[Answers, Any]) -> None:
    """Offending Element with several tags (pynetdicom's MultiValue) reaches the peer."""
    answers, association = assoc

    def invalid(event: Any) -> Any:
        status = dataset(Status=0x0106)
        status.OffendingElement = [0x00100010, 0x00100020]
        return status, None

    answers.by_event[evt.EVT_N_SET] = invalid
    received: list[Any] = []
    association.bind(evt.EVT_DIMSE_RECV, lambda event: received.append(event.message))
    status, got = association.send_n_set(dataset(PatientID="X"), MPPS, INSTANCE)
    assert (status.Status, got) == (0x0106, None)
    # On the wire; the status the SCU returns keeps pynetdicom's keys, which lack it.
    assert [int(tag) for tag in received[-1].OffendingElement] == [0x00100010, 0x00100020]
    assert "OffendingElement" not in status
    still_serves(answers, association)


def test_a_response_that_cannot_be_encoded_is_replaced_by_0110(
    assoc: tuple[Answers, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """An Error Comment over LO's 64 characters: the peer still gets an answer."""
    answers, association = assoc
    failure = Dataset()
    failure.Status = 0x0112
    with warnings.catch_warnings():  # pydicom warns at once; the encoder must refuse it
        warnings.simplefilter("ignore")
        failure.ErrorComment = "x" * 100
    answers.by_event[evt.EVT_N_GET] = lambda event: (failure, None)
    with caplog.at_level(logging.ERROR, logger="fastdimse"):
        status, got = association.send_n_get([0x00100020], DISPLAY, INSTANCE)
    assert (status.Status, got) == (0x0110, None)
    assert "could not be encoded" in caplog.text
    still_serves(answers, association)
