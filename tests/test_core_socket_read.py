"""`Receiver.receive_from`: the core reading a socket Python owns (the threaded
driver on plain TCP), with the GIL released and the receiver unlocked while
it waits."""

from __future__ import annotations

import os
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.helpers import DEADLINE
from tests.test_core_api import echo_rq, pdu, store_rq

from fastdimse import _core as core
from fastdimse.errors import DecodeError


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, peer = socket.socketpair()
    with ours, peer:
        yield ours, peer


def test_returns_once_the_bytes_complete_a_message_over_several_sends(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, peer = pair
    stream = core.fragment_message(16, 1, echo_rq().encode())
    receiver = core.Receiver()

    def send_in_pieces() -> None:
        for start in range(0, len(stream), 7):
            peer.sendall(stream[start : start + 7])

    sender = threading.Thread(target=send_in_pieces)
    sender.start()
    assert receiver.receive_from(ours.fileno(), DEADLINE) is True
    sender.join()
    assert receiver.events_pending
    (message,) = receiver.take_events()
    assert isinstance(message, core.Message)
    assert message.command == echo_rq()
    assert not receiver.events_pending
    assert receiver.take_events() == []


def test_one_read_at_a_time_without_until_event(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, peer = pair
    stream = begin_an_echo(peer)
    receiver = core.Receiver()
    assert receiver.receive_from(ours.fileno(), DEADLINE, until_event=False) is False
    assert receiver.partial_pdu_pending
    peer.sendall(stream[5:])
    assert receiver.receive_from(ours.fileno(), DEADLINE, until_event=False) is True
    assert len(receiver.take_events()) == 1


def test_end_of_stream_is_none_on_blocking_and_timed_sockets(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, peer = pair
    peer.sendall(core.ReleaseRq().encode())
    peer.shutdown(socket.SHUT_WR)
    receiver = core.Receiver()
    ours.settimeout(None)  # blocking
    assert receiver.receive_from(ours.fileno(), None) is True
    assert receiver.take_events() == [core.ReleaseRq()]
    ours.settimeout(5.0)  # non-blocking underneath: the core still waits
    assert receiver.receive_from(ours.fileno(), None) is None


def test_timeout_raises_timeout_error(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, _ = pair
    receiver = core.Receiver()
    with pytest.raises(TimeoutError):
        receiver.receive_from(ours.fileno(), 0.05)
    with pytest.raises(TimeoutError):
        receiver.receive_from(ours.fileno(), 0.0)


def test_the_idle_timeout_counts_from_the_last_byte(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, peer = pair
    begin_an_echo(peer)
    receiver = core.Receiver()
    # The first wait is generous; the later ones are short, and nothing more comes.
    with pytest.raises(TimeoutError):
        receiver.receive_from(ours.fileno(), DEADLINE, idle_timeout=0.05)
    assert receiver.partial_pdu_pending


def test_bad_arguments(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, _ = pair
    receiver = core.Receiver()
    with pytest.raises(ValueError, match="invalid timeout"):
        receiver.receive_from(ours.fileno(), -1.0)
    with pytest.raises(ValueError, match="invalid timeout"):
        receiver.receive_from(ours.fileno(), float("nan"))
    with pytest.raises(ValueError):
        receiver.receive_from(-1, 1.0)
    read_end, write_end = os.pipe()
    os.close(write_end)
    try:
        with pytest.raises(OSError):  # not a socket
            receiver.receive_from(read_end, 1.0)
    finally:
        os.close(read_end)


def test_a_reset_raises_connection_reset_error() -> None:
    # A TCP reset (SO_LINGER with a zero timeout): a socketpair cannot send one.
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        accepted, _ = server.accept()
        with client, accepted:
            client.sendall(b"\x01")
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()
            with pytest.raises(ConnectionResetError):
                core.Receiver().receive_from(accepted.fileno(), DEADLINE)


def test_a_decode_error_comes_with_the_events_before_it(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, peer = pair
    peer.sendall(core.ReleaseRq().encode() + pdu(0x55, b"\x00" * 4))
    receiver = core.Receiver()
    assert receiver.receive_from(ours.fileno(), DEADLINE) is True
    with pytest.raises(DecodeError) as raised:
        receiver.take_events()
    assert raised.value.events == [core.ReleaseRq()]  # type: ignore[attr-defined]
    assert receiver.take_events() == []  # reported once
    peer.sendall(b"more")
    assert receiver.receive_from(ours.fileno(), DEADLINE) is True
    with pytest.raises(DecodeError):  # the receiver stays poisoned
        receiver.take_events()


def test_a_data_set_goes_to_its_file_between_two_returns(
    pair: tuple[socket.socket, socket.socket], tmp_path: Path
) -> None:
    ours, peer = pair
    data = os.urandom(600_000)
    stream = core.fragment_message(16382, 1, store_rq().encode(), data)
    sender = threading.Thread(target=peer.sendall, args=(stream,))
    sender.start()
    receiver = core.Receiver(announce_data_sets=True)
    assert receiver.receive_from(ours.fileno(), DEADLINE) is True
    (start,) = receiver.take_events()
    assert isinstance(start, core.DataSetStart)
    path = tmp_path / "data"
    with path.open("wb") as f:
        events = receiver.resume(f.fileno())
        while not events:
            assert receiver.receive_from(ours.fileno(), DEADLINE) is True
            events = receiver.take_events()
    sender.join()
    (message,) = events
    assert isinstance(message, core.Message)
    assert message.data_set is None
    assert message.data_set_length == len(data)
    assert path.read_bytes() == data


def test_the_receiver_is_not_locked_while_the_socket_is_waited_for(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, peer = pair
    receiver, reader, outcome = read_in_a_thread(ours)
    # Other threads change and read the receiver meanwhile (the state machine
    # turns P-DATA reports on and off from any thread): none of this waits.
    receiver.report_pdata = True
    assert receiver.report_pdata
    assert not receiver.message_pending
    assert not receiver.events_pending
    assert reader.is_alive()
    peer.sendall(core.fragment_message(0, 1, echo_rq().encode()))
    reader.join(DEADLINE)
    assert outcome == [True]
    header, message = receiver.take_events()
    assert isinstance(header, core.PDataTfHeader)
    assert isinstance(message, core.Message)


def test_a_shutdown_from_another_thread_ends_the_wait(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, _ = pair
    _, reader, outcome = read_in_a_thread(ours)
    ours.shutdown(socket.SHUT_RDWR)
    reader.join(DEADLINE)
    assert outcome == [None]


def read_in_a_thread(
    sock: socket.socket,
) -> tuple[core.Receiver, threading.Thread, list[bool | None]]:
    """A receiver, a thread started in its ``receive_from``, and where its result goes."""
    receiver = core.Receiver()
    outcome: list[bool | None] = []
    reader = threading.Thread(
        target=lambda: outcome.append(receiver.receive_from(sock.fileno(), DEADLINE))
    )
    reader.start()
    return receiver, reader, outcome


def begin_an_echo(peer: socket.socket) -> bytes:
    """Send the first 5 bytes of a C-ECHO-RQ's P-DATA-TF; returns all of it."""
    stream = core.fragment_message(0, 1, echo_rq().encode())
    peer.sendall(stream[:5])
    return stream
