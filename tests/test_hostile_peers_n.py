"""Requests whose command sets lack mandatory elements, from a raw peer: each gets the
failure status PS3.7 Annex C and PS3.4 give, its missing tags in Offending Element,
and the next good request on the same association is served. Also an N-SET whose
Modification List is over the in-memory cap. Against the threaded SCP and the
asyncio one (``fastdimse.aio``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydicom.dataset import Dataset

from fastdimse import _config, _core, evt
from fastdimse._dimse.incomplete import refusal_of_incomplete
from fastdimse._dimse.primitives.c_services import C_MOVE
from fastdimse._files.encoding import encode_data_set
from fastdimse.sop_class import (
    BasicFilmSession,
    CTImageStorage,
    PatientRootQueryRetrieveInformationModelFind,
)
from fastdimse.storage import FileStore
from helpers import DEADLINE
from hostile_peer import IMPLICIT, Peer, associate_rq, running_scp

FIND = PatientRootQueryRetrieveInformationModelFind
INSTANCE = "1.2.826.0.1.3680043.9.7433.14.1"
# The contexts the raw peer proposes: Print Management answers all six N-services.
N_CONTEXT, STORE_CONTEXT, FIND_CONTEXT = 1, 3, 5
CONTEXTS = [
    (N_CONTEXT, BasicFilmSession, (IMPLICIT,)),
    (STORE_CONTEXT, CTImageStorage, (IMPLICIT,)),
    (FIND_CONTEXT, FIND, (IMPLICIT,)),
]

# CommandSet keyword of each service-specific mandatory element.
ARGUMENT = {
    0x00000002: "affected_sop_class_uid",
    0x00000003: "requested_sop_class_uid",
    0x00000600: "move_destination",
    0x00000700: "priority",
    0x00001000: "affected_sop_instance_uid",
    0x00001001: "requested_sop_instance_uid",
    0x00001002: "event_type_id",
    0x00001008: "action_type_id",
}
# Each N-request: its Command Field, its mandatory elements (PS3.7 10.3), whether it
# carries a data set here.
N_REQUESTS: dict[str, tuple[int, dict[int, object], bool]] = {
    "N-EVENT-REPORT": (
        0x0100,
        {0x00000002: BasicFilmSession, 0x00001000: INSTANCE, 0x00001002: 1},
        True,
    ),
    "N-GET": (0x0110, {0x00000003: BasicFilmSession, 0x00001001: INSTANCE}, False),
    "N-SET": (0x0120, {0x00000003: BasicFilmSession, 0x00001001: INSTANCE}, True),
    "N-ACTION": (
        0x0130,
        {0x00000003: BasicFilmSession, 0x00001001: INSTANCE, 0x00001008: 1},
        True,
    ),
    "N-CREATE": (0x0140, {0x00000002: BasicFilmSession}, True),
    "N-DELETE": (0x0150, {0x00000003: BasicFilmSession, 0x00001001: INSTANCE}, False),
}
# The status for each missing element of an N-request (PS3.7 C.5).
N_STATUS = {
    0x00000002: 0x0118,  # No Such SOP Class
    0x00000003: 0x0118,
    0x00001000: 0x0117,  # Invalid Object Instance
    0x00001001: 0x0117,
    0x00001002: 0x0113,  # No Such Event Type
    0x00001008: 0x0123,  # No Such Action
}
N_CASES = [(name, tag) for name, (_, elements, _) in N_REQUESTS.items() for tag in elements]


def attributes() -> Dataset:
    ds = Dataset()
    ds.NumberOfCopies = "1"
    return ds


def message(
    field: int,
    message_id: int,
    elements: dict[int, object],
    *,
    context_id: int = N_CONTEXT,
    data_set: Dataset | None = None,
) -> bytes:
    """A request carrying ``elements`` (and ``data_set``), as P-DATA-TF bytes."""
    command = _core.CommandSet(
        field,
        message_id=message_id,
        command_data_set_type=0x0101 if data_set is None else 0x0001,
        **{ARGUMENT[tag]: value for tag, value in elements.items()},
    ).encode()
    encoded = None if data_set is None else encode_data_set(data_set, IMPLICIT)
    return _core.fragment_message(16382, context_id, command, encoded)


def n_request(name: str, message_id: int, missing: tuple[int, ...] = ()) -> bytes:
    field, elements, has_data_set = N_REQUESTS[name]
    kept = {tag: value for tag, value in elements.items() if tag not in missing}
    return message(field, message_id, kept, data_set=attributes() if has_data_set else None)


class Handled:
    """The N-service and C-service handlers: each records the Message ID it served."""

    def __init__(self, store: FileStore) -> None:
        self.ids: list[int] = []
        self._lock = threading.Lock()
        self._store = store

    def _record(self, event: Any) -> None:
        with self._lock:
            self.ids.append(int(event.request.MessageID))

    def with_data_set(self, event: Any) -> tuple[int, Dataset]:
        self._record(event)
        return 0x0000, attributes()

    def create(self, event: Any) -> tuple[int, Dataset]:
        """Names the instance it created (the request did not: PS3.7 10.1.5.1.4)."""
        self._record(event)
        created = attributes()
        created.AffectedSOPInstanceUID = INSTANCE
        return 0x0000, created

    def without_data_set(self, event: Any) -> tuple[int, None]:
        self._record(event)
        return 0x0000, None

    def delete(self, event: Any) -> int:
        self._record(event)
        return 0x0000

    def store(self, event: Any) -> int:
        self._record(event)
        return self._store(event)

    def find(self, event: Any) -> Iterator[tuple[int, Dataset]]:
        self._record(event)
        yield 0xFF00, attributes()

    def handlers(self) -> list[tuple[Any, Any]]:
        return [
            (evt.EVT_N_EVENT_REPORT, self.without_data_set),
            (evt.EVT_N_GET, self.with_data_set),
            (evt.EVT_N_SET, self.with_data_set),
            (evt.EVT_N_ACTION, self.with_data_set),
            (evt.EVT_N_CREATE, self.create),
            (evt.EVT_N_DELETE, self.delete),
            (evt.EVT_C_STORE, self.store),
            (evt.EVT_C_FIND, self.find),
        ]


@pytest.fixture(params=["threaded", "asyncio"])
def scp(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[int, Handled, Path]]:
    """Our SCP of the three contexts, threaded or under asyncio: its port, what its
    handlers served, and its storage (and spool) directory."""

    def configure(ae: Any) -> None:
        for _, abstract, _ in CONTEXTS:
            ae.add_supported_context(abstract, IMPLICIT)
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE

    directory = tmp_path / "stored"
    handled = Handled(FileStore(directory))
    with running_scp(request.param, configure, handled.handlers()) as (port, _):
        yield port, handled, directory


def exchange(peer: Peer, request: bytes, count: int = 1) -> list[_core.CommandSet]:
    """Send ``request``; the command sets of the ``count`` messages answering it."""
    peer.send(request)
    answer = peer.read(count=count, deadline=DEADLINE)
    assert not answer.closed
    return [pdu.command for pdu in answer.pdus if isinstance(pdu, _core.Message)]


@pytest.mark.parametrize(("name", "tag"), N_CASES, ids=[f"{n}-{t:08X}" for n, t in N_CASES])
def test_an_n_request_without_a_mandatory_element_is_refused_then_served(
    scp: tuple[int, Handled, Path], name: str, tag: int
) -> None:
    port, handled, _ = scp
    with Peer(port) as peer:
        peer.associate(associate_rq(contexts=CONTEXTS))
        [refused] = exchange(peer, n_request(name, 1, missing=(tag,)))
        [served] = exchange(peer, n_request(name, 2))
    assert refused.command_name == f"{name}-RSP"
    assert (refused.message_id_being_responded_to, refused.status) == (1, N_STATUS[tag])
    assert refused.offending_element == [tag]
    assert refused.error_comment == f"Missing mandatory (0000,{tag & 0xFFFF:04X})"
    assert (served.message_id_being_responded_to, served.status) == (2, 0x0000)
    assert handled.ids == [2]  # the refused request reached no handler


def test_the_first_missing_element_decides_and_all_are_offending(
    scp: tuple[int, Handled, Path], caplog: pytest.LogCaptureFixture
) -> None:
    port, handled, _ = scp
    everything = (0x00000003, 0x00001001, 0x00001008)
    with caplog.at_level(logging.ERROR, logger="fastdimse.dimse"), Peer(port) as peer:
        peer.associate(associate_rq(contexts=CONTEXTS))
        [refused] = exchange(peer, n_request("N-ACTION", 1, missing=everything))
        [served] = exchange(peer, n_request("N-ACTION", 2))
    assert refused.status == 0x0118  # No Such SOP Class, before Invalid Object Instance
    assert refused.offending_element == list(everything)
    assert refused.error_comment == "Missing mandatory (0000,0003) (0000,1001) (0000,1008)"
    assert served.status == 0x0000
    assert handled.ids == [2]
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert (
        "N-ACTION request 1 lacks mandatory RequestedSOPClassUID (0000,0003), "
        "RequestedSOPInstanceUID (0000,1001), ActionTypeID (0000,1008): answering 0x0118"
    ) in logged


def ct_instance() -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = INSTANCE
    ds.PatientName = "Missing^Elements"
    return ds


def test_a_store_without_its_instance_uid_is_refused_and_leaves_no_file(
    scp: tuple[int, Handled, Path],
) -> None:
    port, handled, directory = scp
    elements: dict[int, object] = {0x00000002: CTImageStorage, 0x00000700: 0}
    store = {"context_id": STORE_CONTEXT, "data_set": ct_instance()}
    with Peer(port) as peer:
        peer.associate(associate_rq(contexts=CONTEXTS))
        [refused] = exchange(peer, message(0x0001, 1, elements, **store))
        left = sorted(path.name for path in directory.iterdir())
        complete = {**elements, 0x00001000: INSTANCE}
        [served] = exchange(peer, message(0x0001, 2, complete, **store))
    assert (refused.command_name, refused.status) == ("C-STORE-RSP", 0xC000)
    assert refused.offending_element == [0x00001000]
    assert left == []  # no spool file, no stored file
    assert served.status == 0x0000
    assert sorted(path.name for path in directory.iterdir()) == [f"{INSTANCE}.dcm"]
    assert handled.ids == [2]


def test_a_find_without_priority_is_refused_then_served(
    scp: tuple[int, Handled, Path],
) -> None:
    port, handled, _ = scp
    elements: dict[int, object] = {0x00000002: FIND}
    identifier = Dataset()
    identifier.QueryRetrieveLevel = "PATIENT"
    find = {"context_id": FIND_CONTEXT, "data_set": identifier}
    with Peer(port) as peer:
        peer.associate(associate_rq(contexts=CONTEXTS))
        [refused] = exchange(peer, message(0x0020, 1, elements, **find))
        with_priority = {**elements, 0x00000700: 0}
        served = exchange(peer, message(0x0020, 2, with_priority, **find), count=2)
    assert (refused.command_name, refused.status) == ("C-FIND-RSP", 0xC000)
    assert refused.offending_element == [0x00000700]
    assert [command.status for command in served] == [0xFF00, 0x0000]
    assert handled.ids == [2]


def test_a_modification_list_over_the_cap_is_refused_then_a_good_n_set(
    scp: tuple[int, Handled, Path],
) -> None:
    """As a too-large C-FIND identifier (test_hostile_peers_qr.py), refused unread, with
    the N-services' status for it: 0x0213 Resource Limitation (PS3.7 Annex C)."""
    port, handled, _ = scp
    huge = attributes()
    huge.add_new(0x00091010, "OB", bytes(2 * _config.MAX_IN_MEMORY_DATA_SET))
    field, elements, _ = N_REQUESTS["N-SET"]
    with Peer(port) as peer:
        peer.associate(associate_rq(contexts=CONTEXTS))
        [refused] = exchange(peer, message(field, 1, elements, data_set=huge))
        [served] = exchange(peer, n_request("N-SET", 2))
    assert (refused.command_name, refused.status) == ("N-SET-RSP", 0x0213)
    assert (served.message_id_being_responded_to, served.status) == (2, 0x0000)
    assert handled.ids == [2]


def test_move_without_priority_and_destination_gets_move_destination_unknown() -> None:
    """The C-services' order: Affected SOP Class UID, then Move Destination, then the rest."""
    request = C_MOVE()
    request.MessageID = 9
    rsp = refusal_of_incomplete(request, 0x0021, [0x00000600, 0x00000700])
    assert (rsp.Status, rsp.OffendingElement) == (0xA801, [0x00000600, 0x00000700])
    assert rsp.MessageIDBeingRespondedTo == 9
    no_class = refusal_of_incomplete(request, 0x0021, [0x00000002, 0x00000600])
    assert no_class.Status == 0x0122
