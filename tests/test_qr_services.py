"""Query/Retrieve end to end through the API, both sides ours, threads and asyncio:
C-FIND's matches, C-GET's sub-operations on the same association, C-MOVE's on one
association to the destination, C-CANCEL read while the handler runs, the counters
and the Failed SOP Instance UID List, and the statuses PS3.4 C.4 gives."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from fastdimse import AE, aio, build_role, evt
from fastdimse.sop_class import (
    CTImageStorage,
    PatientRootQueryRetrieveInformationModelFind,
    PatientRootQueryRetrieveInformationModelGet,
    PatientRootQueryRetrieveInformationModelMove,
)
from helpers import DEADLINE, LOCALHOST

FIND = PatientRootQueryRetrieveInformationModelFind
GET = PatientRootQueryRetrieveInformationModelGet
MOVE = PatientRootQueryRetrieveInformationModelMove


def ct(number: int) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = f"1.2.826.0.1.3680043.9.7433.3.{number}"
    ds.PatientID = "QR-1"
    ds.PatientName = f"Retrieve^{number}"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    return ds


def match(number: int) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "PATIENT"
    ds.PatientID = f"P{number:05d}"
    return ds


def query() -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "PATIENT"
    ds.PatientID = "*"
    return ds


def uids(identifier: Dataset) -> list[str]:
    """The Failed SOP Instance UID List (pydicom gives one value as a str)."""
    value = identifier.FailedSOPInstanceUIDList
    return [value] if isinstance(value, str) and value else [str(v) for v in value or []]


def qr_ae(ae: Any) -> Any:
    for model in (FIND, GET, MOVE):
        ae.add_supported_context(model)
        ae.add_requested_context(model)
    ae.add_supported_context(CTImageStorage, scu_role=False, scp_role=True)
    ae.add_requested_context(CTImageStorage)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    return ae


class Stored:
    """An EVT_C_STORE handler that keeps what it was sent, answering ``status``."""

    def __init__(self, status: int = 0x0000) -> None:
        self.status = status
        self.datasets: list[Dataset] = []
        self.requests: list[Any] = []

    def __call__(self, event: Any) -> int:
        self.datasets.append(event.dataset)
        self.requests.append(event.request)
        return self.status


@pytest.fixture
def serve() -> Iterator[Any]:
    """``serve(handlers)``: a threaded Q/R SCP of ours; its port."""
    servers: list[Any] = []

    def start(handlers: list[Any]) -> int:
        server = qr_ae(AE("QR-SCP")).start_server(
            (LOCALHOST, 0), block=False, evt_handlers=handlers
        )
        servers.append(server)
        return int(server.server_address[1])

    yield start
    for server in servers:
        server.shutdown()


def associate(port: int, store: Stored | None = None) -> Any:
    handlers = [] if store is None else [(evt.EVT_C_STORE, store)]
    assoc = qr_ae(AE("QR-SCU")).associate(
        LOCALHOST, port, ext_neg=[build_role(CTImageStorage, scp_role=True)], evt_handlers=handlers
    )
    assert assoc.is_established
    return assoc


# -- C-FIND ------------------------------------------------------------------------


def test_find_yields_each_match_then_success(serve: Any) -> None:
    def handle(event: Any) -> Iterator[tuple[int, Dataset]]:
        assert event.identifier.PatientID == "*"
        for number in range(25):
            yield 0xFF00, match(number)

    assoc = associate(serve([(evt.EVT_C_FIND, handle)]))
    results = list(assoc.send_c_find(query(), FIND))
    assoc.release()
    assert [int(status.Status) for status, _ in results] == [0xFF00] * 25 + [0x0000]
    assert [ident.PatientID for _, ident in results[:-1]] == [f"P{n:05d}" for n in range(25)]
    assert results[-1][1] is None


def test_find_handler_failing_midway_ends_with_c311_after_its_matches(serve: Any) -> None:
    def handle(event: Any) -> Iterator[tuple[int, Dataset]]:
        yield 0xFF00, match(1)
        raise RuntimeError("the database went away")

    assoc = associate(serve([(evt.EVT_C_FIND, handle)]))
    statuses = [int(status.Status) for status, _ in assoc.send_c_find(query(), FIND)]
    # The association still serves the next query.
    again = [int(s.Status) for s, _ in assoc.send_c_find(query(), FIND, msg_id=2)]
    assoc.release()
    assert statuses == [0xFF00, 0xC311]
    assert again == [0xFF00, 0xC311]


def test_find_identifier_that_cannot_be_encoded_gives_c312(serve: Any) -> None:
    def handle(event: Any) -> Iterator[tuple[int, Any]]:
        yield 0xFF00, "not a data set"

    assoc = associate(serve([(evt.EVT_C_FIND, handle)]))
    statuses = [int(status.Status) for status, _ in assoc.send_c_find(query(), FIND)]
    assoc.release()
    assert statuses == [0xC312]


def test_cancel_is_seen_by_the_running_handler(serve: Any) -> None:
    seen: list[bool] = []
    first_sent = threading.Event()

    def handle(event: Any) -> Iterator[tuple[int, Dataset | None]]:
        for number in range(10_000):
            if event.is_cancelled:
                seen.append(True)
                yield 0xFE00, None
                return
            yield 0xFF00, match(number)
            first_sent.set()
            time.sleep(0.005)

    assoc = associate(serve([(evt.EVT_C_FIND, handle)]))
    results = assoc.send_c_find(query(), FIND, msg_id=9)
    status, _ = next(results)
    assert int(status.Status) == 0xFF00
    assoc.send_c_cancel(9, query_model=FIND)
    rest = [int(s.Status) for s, _ in results]
    assoc.release()
    assert seen == [True]
    assert rest[-1] == 0xFE00
    assert len(rest) < 10_000


def test_find_on_a_get_context_is_refused_with_0122(serve: Any) -> None:
    port = serve([])
    ae = AE("QR-SCU")
    ae.add_requested_context(GET)
    assoc = ae.associate(LOCALHOST, port)
    from fastdimse._dimse.primitives.c_services import C_FIND

    # A C-FIND sent on the C-GET context by hand: the SCU API would refuse it.
    req = C_FIND()
    req.MessageID = 3
    req.AffectedSOPClassUID = GET
    req.Priority = 2
    from io import BytesIO

    from fastdimse._files.encoding import encode_data_set

    req.Identifier = BytesIO(encode_data_set(query(), ImplicitVRLittleEndian))
    responses = assoc.dimse.expect(3)
    assoc.dimse.send_msg(req, int(assoc.accepted_contexts[0].context_id))
    rsp = assoc.dimse.get_response(3, responses)
    assoc.release()
    assert int(rsp.Status) == 0x0122


# -- C-GET -------------------------------------------------------------------------


def test_get_sends_sub_operations_on_the_same_association(serve: Any) -> None:
    def handle(event: Any) -> Iterator[Any]:
        yield 4
        for number in range(4):
            yield 0xFF00, ct(number)

    store = Stored()
    assoc = associate(serve([(evt.EVT_C_GET, handle)]), store)
    results = list(assoc.send_c_get(query(), GET))
    assoc.release()
    remaining = [int(s.NumberOfRemainingSuboperations) for s, _ in results[:-1]]
    final, identifier = results[-1]
    assert remaining == [3, 2, 1, 0]
    assert int(final.Status) == 0x0000
    assert int(final.NumberOfCompletedSuboperations) == 4
    assert "NumberOfRemainingSuboperations" not in final
    assert identifier is None
    assert [ds.SOPInstanceUID for ds in store.datasets] == [ct(n).SOPInstanceUID for n in range(4)]
    assert [ds.PatientName for ds in store.datasets] == [f"Retrieve^{n}" for n in range(4)]


def test_get_counts_failures_and_lists_their_uids(serve: Any) -> None:
    def handle(event: Any) -> Iterator[Any]:
        yield 2
        yield 0xFF00, ct(1)
        yield 0xFF00, ct(2)

    assoc = associate(serve([(evt.EVT_C_GET, handle)]), Stored(status=0xA700))
    final, identifier = list(assoc.send_c_get(query(), GET))[-1]
    assoc.release()
    assert int(final.Status) == 0xA702  # every sub-operation failed
    assert int(final.NumberOfFailedSuboperations) == 2
    assert uids(identifier) == [ct(1).SOPInstanceUID, ct(2).SOPInstanceUID]


def test_get_without_the_scp_role_sends_no_sub_operation(serve: Any) -> None:
    def handle(event: Any) -> Iterator[Any]:
        yield 1
        yield 0xFF00, ct(1)

    store = Stored()
    port = serve([(evt.EVT_C_GET, handle)])
    assoc = qr_ae(AE("QR-SCU")).associate(LOCALHOST, port, evt_handlers=[(evt.EVT_C_STORE, store)])
    final, identifier = list(assoc.send_c_get(query(), GET))[-1]
    assoc.release()
    assert int(final.Status) == 0xA702
    # Our SCU did not offer the SCP role for CT, so the SCP has no context to send on.
    assert store.datasets == []
    assert uids(identifier) == [ct(1).SOPInstanceUID]


def test_get_cancelled_midway_reports_its_counters(serve: Any) -> None:
    def handle(event: Any) -> Iterator[Any]:
        yield 50
        for number in range(50):
            if event.is_cancelled:
                yield 0xFE00, None
                return
            yield 0xFF00, ct(number)

    store = Stored()
    assoc = associate(serve([(evt.EVT_C_GET, handle)]), store)
    results = assoc.send_c_get(query(), GET, msg_id=5)
    next(results)
    assoc.send_c_cancel(5, query_model=GET)
    final, identifier = list(results)[-1]
    assoc.release()
    assert int(final.Status) == 0xFE00
    done = int(final.NumberOfCompletedSuboperations)
    assert done == len(store.datasets) < 50
    assert int(final.NumberOfRemainingSuboperations) == 50 - done
    assert uids(identifier) == []


# -- C-MOVE ------------------------------------------------------------------------


@pytest.fixture
def destination() -> Iterator[tuple[int, Stored, list[Any]]]:
    """A storage SCP of ours: its port, what it stored and the associations it accepted."""
    store = Stored()
    accepted: list[Any] = []
    ae = AE("DEST")
    ae.add_supported_context(CTImageStorage)
    server = ae.start_server(
        (LOCALHOST, 0),
        block=False,
        evt_handlers=[(evt.EVT_C_STORE, store), (evt.EVT_ACCEPTED, accepted.append)],
    )
    yield int(server.server_address[1]), store, accepted
    server.shutdown()


def test_move_uses_one_association_to_the_destination(serve: Any, destination: Any) -> None:
    port, store, accepted = destination

    def handle(event: Any) -> Iterator[Any]:
        assert event.move_destination == "DEST"
        yield LOCALHOST, port
        yield 3
        for number in range(3):
            yield 0xFF00, ct(number)

    assoc = associate(serve([(evt.EVT_C_MOVE, handle)]))
    results = list(assoc.send_c_move(query(), "DEST", MOVE, msg_id=17))
    assoc.release()
    assert [int(s.Status) for s, _ in results] == [0xFF00] * 3 + [0x0000]
    assert len(accepted) == 1
    assert [ds.SOPInstanceUID for ds in store.datasets] == [ct(n).SOPInstanceUID for n in range(3)]
    originators = {
        (r.MoveOriginatorApplicationEntityTitle, r.MoveOriginatorMessageID) for r in store.requests
    }
    assert originators == {("QR-SCP", 17)}


def test_move_to_an_unknown_destination_is_a801(serve: Any) -> None:
    def handle(event: Any) -> Iterator[Any]:
        yield None, None

    assoc = associate(serve([(evt.EVT_C_MOVE, handle)]))
    statuses = [int(s.Status) for s, _ in assoc.send_c_move(query(), "NOBODY", MOVE)]
    assoc.release()
    assert statuses == [0xA801]


def test_move_to_a_destination_that_does_not_answer_is_a801(serve: Any) -> None:
    import socket

    with socket.socket() as closed:  # a port nobody listens on
        closed.bind((LOCALHOST, 0))
        dead_port = closed.getsockname()[1]

    def handle(event: Any) -> Iterator[Any]:
        yield LOCALHOST, dead_port
        yield 1
        yield 0xFF00, ct(1)

    assoc = associate(serve([(evt.EVT_C_MOVE, handle)]))
    statuses = [int(s.Status) for s, _ in assoc.send_c_move(query(), "GONE", MOVE)]
    assoc.release()
    assert statuses == [0xA801]


# -- asyncio -------------------------------------------------------------------------


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 4 * DEADLINE))


def test_asyncio_find_with_an_async_generator_handler() -> None:
    async def handle(event: Any) -> Any:
        for number in range(5):
            await asyncio.sleep(0)
            yield 0xFF00, match(number)

    async def main() -> list[Any]:
        server = await qr_ae(aio.AE("QR-SCP")).start_server(
            (LOCALHOST, 0), evt_handlers=[(evt.EVT_C_FIND, handle)]
        )
        try:
            async with qr_ae(aio.AE("QR-SCU")).associate(
                LOCALHOST, server.server_address[1]
            ) as assoc:
                return [item async for item in assoc.send_c_find(query(), FIND)]
        finally:
            server.close()

    results = run(main())
    assert [int(s.Status) for s, _ in results] == [0xFF00] * 5 + [0x0000]
    assert [i.PatientID for _, i in results[:-1]] == [f"P{n:05d}" for n in range(5)]


def test_asyncio_get_and_move_with_plain_handlers(destination: Any) -> None:
    port, moved, _ = destination

    def handle_get(event: Any) -> Iterator[Any]:
        time.sleep(0.01)  # plain handlers run on worker threads: the loop is not blocked
        yield 2
        yield 0xFF00, ct(1)
        yield 0xFF00, ct(2)

    def handle_move(event: Any) -> Iterator[Any]:
        yield LOCALHOST, port
        yield 1
        yield 0xFF00, ct(3)

    got: list[str] = []

    async def handle_store(event: Any) -> int:
        got.append(event.dataset.SOPInstanceUID)
        return 0

    async def main() -> tuple[list[int], list[int]]:
        server = await qr_ae(aio.AE("QR-SCP")).start_server(
            (LOCALHOST, 0),
            evt_handlers=[(evt.EVT_C_GET, handle_get), (evt.EVT_C_MOVE, handle_move)],
        )
        try:
            async with qr_ae(aio.AE("QR-SCU")).associate(
                LOCALHOST,
                server.server_address[1],
                ext_neg=[build_role(CTImageStorage, scp_role=True)],
                evt_handlers=[(evt.EVT_C_STORE, handle_store)],
            ) as assoc:
                gets = [int(s.Status) async for s, _ in assoc.send_c_get(query(), GET)]
                moves = [int(s.Status) async for s, _ in assoc.send_c_move(query(), "DEST", MOVE)]
                return gets, moves
        finally:
            server.close()

    gets, moves = run(main())
    assert gets == [0xFF00, 0xFF00, 0x0000]
    assert moves == [0xFF00, 0x0000]
    assert got == [ct(1).SOPInstanceUID, ct(2).SOPInstanceUID]
    assert [ds.SOPInstanceUID for ds in moved.datasets] == [ct(3).SOPInstanceUID]


def test_identifiers_go_in_the_accepted_transfer_syntax(serve: Any) -> None:
    def handle(event: Any) -> Iterator[Any]:
        yield 0xFF00, match(7)

    port = serve([(evt.EVT_C_FIND, handle)])
    ae = AE("QR-SCU")
    ae.add_requested_context(FIND, ExplicitVRLittleEndian)
    assoc = ae.associate(LOCALHOST, port)
    (status, identifier), _ = list(assoc.send_c_find(query(), FIND))
    assoc.release()
    assert int(status.Status) == 0xFF00
    assert identifier.PatientID == "P00007"
    assert identifier.original_encoding == (False, True)  # explicit VR, little endian


def test_get_streams_yielded_file_paths_from_disk(serve: Any, tmp_path: Any) -> None:
    paths = []
    for number in range(3):
        ds = ct(number)
        ds.PixelData = bytes(range(256)) * 8 * (number + 1)
        ds.Rows, ds.Columns, ds.BitsAllocated = 16, 16 * (number + 1), 8
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        path = tmp_path / f"{number}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)

    def handle(event: Any) -> Iterator[Any]:
        yield len(paths)
        for path in paths:
            yield 0xFF00, str(path)

    store = Stored()
    assoc = associate(serve([(evt.EVT_C_GET, handle)]), store)
    final = list(assoc.send_c_get(query(), GET))[-1][0]
    assoc.release()
    assert int(final.Status) == 0x0000
    from pydicom import dcmread

    for received, path in zip(store.datasets, paths, strict=True):
        original = dcmread(path)
        assert [(e.tag, e.value) for e in received] == [(e.tag, e.value) for e in original]


def test_failed_file_paths_are_listed_by_their_instance_uid(serve: Any, tmp_path: Any) -> None:
    path = tmp_path / "one.dcm"
    ct(5).save_as(path, enforce_file_format=True)

    def handle(event: Any) -> Iterator[Any]:
        yield 1
        yield 0xFF00, path

    assoc = associate(serve([(evt.EVT_C_GET, handle)]), Stored(status=0xA700))
    final, identifier = list(assoc.send_c_get(query(), GET))[-1]
    assoc.release()
    assert int(final.Status) == 0xA702
    assert uids(identifier) == [ct(5).SOPInstanceUID]


def test_a_string_naming_no_file_is_an_invalid_data_set(serve: Any) -> None:
    def handle(event: Any) -> Iterator[Any]:
        yield 2
        yield 0xFF00, ct(1)
        yield 0xFF00, "no such file"  # pynetdicom's rule: counted failed, not sent
        yield 0xFF00, ct(2)

    store = Stored()
    assoc = associate(serve([(evt.EVT_C_GET, handle)]), store)
    results = list(assoc.send_c_get(query(), GET))
    assoc.release()
    final, identifier = results[-1]
    assert [int(s.Status) for s, _ in results] == [0xFF00] * 3 + [0xB000]
    assert (int(final.NumberOfCompletedSuboperations), int(final.NumberOfFailedSuboperations)) == (
        2,
        1,
    )
    assert len(store.datasets) == 2
    assert identifier.FailedSOPInstanceUIDList == ""  # the invalid one has no UID


def test_ups_pull_c_find_reaches_the_handler() -> None:
    from fastdimse.sop_class import UnifiedProcedureStepPull

    def handle(event: Any) -> Iterator[Any]:
        item = Dataset()
        item.ProcedureStepState = "SCHEDULED"
        yield 0xFF00, item

    ae = AE("UPS-SCP")
    ae.add_supported_context(UnifiedProcedureStepPull)
    server = ae.start_server((LOCALHOST, 0), block=False, evt_handlers=[(evt.EVT_C_FIND, handle)])
    try:
        scu = AE("UPS-SCU")
        scu.add_requested_context(UnifiedProcedureStepPull)
        assoc = scu.associate(LOCALHOST, server.server_address[1])
        results = list(assoc.send_c_find(Dataset(), UnifiedProcedureStepPull))
        assoc.release()
    finally:
        server.shutdown()
    assert [int(s.Status) for s, _ in results] == [0xFF00, 0x0000]
    assert results[0][1].ProcedureStepState == "SCHEDULED"


def test_relational_queries_negotiated_are_seen_by_the_handler(serve: Any) -> None:
    """SOP Class Extended Negotiation (PS3.4 C.3.4): relational queries proposed by the
    SCU, accepted by the SCP's EVT_SOP_EXTENDED handler, known to its C-FIND handler."""
    from fastdimse.pdu_primitives import SOPClassExtendedNegotiation

    seen: list[bytes | None] = []

    def accept(event: Any) -> dict[str, bytes]:
        return dict(event.app_info)

    def handle(event: Any) -> Iterator[tuple[int, Dataset]]:
        seen.append(event.assoc.acceptor.sop_class_extended.get(FIND))
        yield 0xFF00, match(1)

    port = serve([(evt.EVT_C_FIND, handle), (evt.EVT_SOP_EXTENDED, accept)])
    item = SOPClassExtendedNegotiation()
    item.sop_class_uid = FIND
    item.service_class_application_information = b"\x01"  # relational queries
    ae = AE("QR-SCU")
    ae.add_requested_context(FIND)
    assoc = ae.associate(LOCALHOST, port, ext_neg=[item])
    statuses = [int(s.Status) for s, _ in assoc.send_c_find(query(), FIND)]
    accepted = assoc.acceptor.sop_class_extended.get(FIND)
    assoc.release()
    assert statuses == [0xFF00, 0x0000]
    assert seen == [b"\x01"]
    assert accepted == b"\x01"  # the requestor sees what was accepted too


def test_move_pipelines_its_sub_operations_when_our_ae_may() -> None:
    """An AE allowed several operations at once proposes that window to the C-MOVE
    destination; every instance still arrives once, each Pending in order."""
    moved = Stored()
    windows: list[int] = []
    dest = AE("DEST")
    dest.add_supported_context(CTImageStorage)
    dest.maximum_operations_performed = 4
    server = dest.start_server(
        (LOCALHOST, 0),
        block=False,
        evt_handlers=[
            (evt.EVT_C_STORE, moved),
            (evt.EVT_ACCEPTED, lambda event: windows.append(event.assoc.dimse.performed.window)),
        ],
    )
    dest_port = int(server.server_address[1])

    def handle(event: Any) -> Iterator[Any]:
        yield LOCALHOST, dest_port
        yield 12
        for number in range(12):
            yield 0xFF00, ct(number)

    scp_ae = qr_ae(AE("QR-SCP"))
    scp_ae.maximum_operations_invoked = 4
    scp = scp_ae.start_server((LOCALHOST, 0), block=False, evt_handlers=[(evt.EVT_C_MOVE, handle)])
    try:
        assoc = associate(int(scp.server_address[1]))
        results = list(assoc.send_c_move(query(), "DEST", MOVE))
        assoc.release()
    finally:
        scp.shutdown()
        server.shutdown()
    assert windows == [4]
    remaining = [int(s.NumberOfRemainingSuboperations) for s, _ in results[:-1]]
    assert remaining == list(range(11, -1, -1))
    assert int(results[-1][0].Status) == 0x0000
    assert int(results[-1][0].NumberOfCompletedSuboperations) == 12
    assert sorted(ds.SOPInstanceUID for ds in moved.datasets) == sorted(
        ct(n).SOPInstanceUID for n in range(12)
    )
