"""A peer that floods C-FIND matches faster than the caller takes them: what our SCU
holds is bounded (``MAX_QUEUED_RESPONSES``; the rest waits in TCP, as pynetdicom's
paused reactor makes it), every match still arrives in order, and abandoning or
aborting a query never leaves the reading thread stuck."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydicom.dataset import Dataset

from fastdimse import AE, _core, aio
from fastdimse._dimse.responses import MAX_QUEUED_RESPONSES
from fastdimse.sop_class import PatientRootQueryRetrieveInformationModelFind as FIND
from helpers import DEADLINE, wait_until

IMPLICIT = "1.2.840.10008.1.2"
MATCHES = 4000
# Each match's identifier: (0010,0020) Patient ID and a private 8 KiB value.
PAYLOAD = 8 * 1024


def identifier(number: int) -> bytes:
    patient = f"P{number:06d}".encode()
    return (
        b"\x10\x00\x20\x00" + len(patient).to_bytes(4, "little") + patient
        + b"\x09\x00\x10\x10" + PAYLOAD.to_bytes(4, "little") + bytes(PAYLOAD)
    )  # fmt: skip


class FloodingScp:
    """A raw SCP: accepts one association and answers its C-FIND with MATCHES pending
    responses sent as fast as TCP takes them, then Success; counts the bytes sent."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(DEADLINE)
        self.port: int = self.listener.getsockname()[1]
        self.sent = 0
        self.finished = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(4 * DEADLINE)
            try:
                self._talk(conn)
            except OSError:
                pass  # the SCU aborted or closed: what it had is what the test checks
        self.finished.set()

    def _talk(self, conn: socket.socket) -> None:
        receiver = _core.Receiver(0)
        pending: list[object] = []

        def next_pdu() -> object:
            while not pending:
                data = conn.recv(65536)
                if not data:
                    raise ConnectionError("closed")
                pending.extend(receiver.feed(data))
            return pending.pop(0)

        rq = next_pdu()
        assert isinstance(rq, _core.AssociateRq)
        contexts = [
            _core.PresentationContextAc(c.id, 0, IMPLICIT) for c in rq.presentation_contexts
        ]
        ac = _core.AssociateAc(
            rq.called_ae_title, rq.calling_ae_title, contexts, [_core.MaximumLength(16382)]
        )
        conn.sendall(ac.encode())
        find = next_pdu()
        assert isinstance(find, _core.Message)
        for number in range(MATCHES + 1):
            command = _core.CommandSet(
                0x8020,
                message_id_being_responded_to=find.command.message_id,
                affected_sop_class_uid=FIND,
                command_data_set_type=0x0000 if number < MATCHES else 0x0101,
                status=0xFF00 if number < MATCHES else 0x0000,
            ).encode()
            data = identifier(number) if number < MATCHES else None
            message = _core.fragment_message(16382, find.context_id, command, data)
            conn.sendall(message)
            self.sent += len(message)
        while True:  # until the SCU releases or aborts
            pdu = next_pdu()
            if isinstance(pdu, _core.ReleaseRq):
                conn.sendall(_core.ReleaseRp().encode())
                return

    def close(self) -> None:
        self.listener.close()
        self.thread.join(DEADLINE)


@pytest.fixture
def flood() -> Iterator[FloodingScp]:
    scp = FloodingScp()
    yield scp
    scp.close()


def query() -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "PATIENT"
    ds.PatientID = "*"
    return ds


def requestor() -> Any:
    ae = AE("FLOODED")
    ae.add_requested_context(FIND, IMPLICIT)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    return ae


def settled(scp: FloodingScp) -> int:
    """The bytes the SCP managed to send once it has stopped making progress."""
    last = -1
    while scp.sent != last:
        last = scp.sent
        time.sleep(0.5)
    return last


def test_a_caller_that_does_not_take_the_matches_holds_the_peer_back(
    flood: FloodingScp,
) -> None:
    total = MATCHES * (PAYLOAD + 200)
    assoc = requestor().associate("127.0.0.1", flood.port)
    results = assoc.send_c_find(query(), FIND)
    status, first = next(results)
    # We take nothing more: the peer can send what we hold plus what TCP buffers hold.
    held = settled(flood)
    assert not flood.finished.is_set()
    assert held < total / 2, f"{held} of about {total} bytes taken in while no one read"
    rest = list(results)
    assoc.release()
    assert int(status.Status) == 0xFF00 and first.PatientID == "P000000"
    ids = [ident.PatientID for _, ident in rest[:-1]]
    assert ids == [f"P{n:06d}" for n in range(1, MATCHES)]
    assert int(rest[-1][0].Status) == 0x0000
    assert MAX_QUEUED_RESPONSES < MATCHES  # the bound was in play


def test_abandoning_the_query_frees_the_reading_thread(flood: FloodingScp) -> None:
    assoc = requestor().associate("127.0.0.1", flood.port)
    results = assoc.send_c_find(query(), FIND)
    next(results)
    settled(flood)
    results.close()  # the caller stops iterating: the rest is read and dropped
    # The final response came (and was dropped): the request is no longer outstanding.
    assert wait_until(lambda: assoc.dimse.invoked.outstanding == 0, 4 * DEADLINE)
    assert flood.sent > MATCHES * PAYLOAD
    assoc.release()
    assert assoc.is_released


def test_aborting_while_the_reader_is_held_ends_everything(flood: FloodingScp) -> None:
    ae = requestor()
    ae.acse_timeout = 2  # ARTIM after our A-ABORT: the flooding peer never closes
    assoc = ae.associate("127.0.0.1", flood.port)
    results = assoc.send_c_find(query(), FIND)
    next(results)
    settled(flood)
    assoc.abort()
    assert assoc.is_aborted
    assert wait_until(lambda: not assoc.is_alive())  # the reading thread ended
    statuses = [status for status, _ in results]
    assert statuses[-1] == Dataset()  # no final response: the association ended


def test_asyncio_caller_holds_the_peer_back_too(flood: FloodingScp) -> None:
    import asyncio

    async def main() -> tuple[int, list[str]]:
        ae = aio.AE("FLOODED")
        ae.add_requested_context(FIND, IMPLICIT)
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
        async with ae.associate("127.0.0.1", flood.port) as assoc:
            results = assoc.send_c_find(query(), FIND)
            ids = []
            async for _, ident in results:
                if ident is not None:
                    ids.append(ident.PatientID)
                if len(ids) == 1:
                    held = await asyncio.to_thread(settled, flood)
        return held, ids

    held, ids = asyncio.run(asyncio.wait_for(main(), 8 * DEADLINE))
    assert held < MATCHES * (PAYLOAD + 200) / 2
    assert ids == [f"P{n:06d}" for n in range(MATCHES)]
