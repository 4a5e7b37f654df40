"""FileDataSetSender.send_to: the core writes the rest of the stream to a socket
Python owns. The socket receives exactly what iterating the sender yields; a
peer that goes away and a peer that stops reading end in the exceptions
Python's own socket calls raise."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from fastdimse import _core as core

COMMAND = bytes(range(1, 81))  # its content does not matter to the fragmenter
PREFIX = b"\x00" * 128 + b"DICM" + b"meta"


def data_set_file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "instance.dcm"
    path.write_bytes(PREFIX + data + b"trailer")
    return path


def connected_pair() -> tuple[socket.socket, socket.socket]:
    """A loopback TCP connection: (sending side, receiving side)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return client, server


def drain(sock: socket.socket, into: list[bytes]) -> threading.Thread:
    """A thread that reads `sock` to its end into `into`."""

    def run() -> None:
        with sock:
            into.append(b"".join(iter(lambda: sock.recv(1 << 20), b"")))

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def sender(path: Path, peer_max: int, length: int, **kwargs: object) -> core.FileDataSetSender:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return core.FileDataSetSender(peer_max, 1, COMMAND, fd, len(PREFIX), length, **kwargs)  # type: ignore[arg-type]
    finally:
        os.close(fd)  # the sender reads its own duplicate


def send_to(s: core.FileDataSetSender, sock: socket.socket) -> int:
    return s.send_to(sock.fileno(), sock.gettimeout())


def chunks(s: core.FileDataSetSender) -> Iterator[bytes]:
    yield from s


@pytest.mark.parametrize("peer_max", [8, 100, 4096, 16384, 0, 1 << 20])
@pytest.mark.parametrize("length", [0, 1, 6001, 300_000])
@pytest.mark.parametrize("pad", [False, True])
@pytest.mark.parametrize("first", [False, True])
def test_send_to_sends_what_iterating_yields(
    tmp_path: Path, peer_max: int, length: int, pad: bool, first: bool
) -> None:
    if peer_max == 8 and length > 6001:
        length = 6001  # two data bytes per PDU: keep it short
    path = data_set_file(tmp_path, os.urandom(length))
    options = {"chunk_size": 65536, "pad_odd_length": pad}
    expected = b"".join(chunks(sender(path, peer_max, length, **options)))
    s = sender(path, peer_max, length, **options)
    head = next(chunks(s)) if first else b""  # as the drivers send the first chunk
    client, server = connected_pair()
    received: list[bytes] = []
    reader = drain(server, received)
    with client:
        client.settimeout(30)  # non-blocking underneath: EAGAIN is polled for
        sent = send_to(s, client)
        assert send_to(s, client) == 0  # nothing is left
    reader.join()
    assert head + received[0] == expected
    assert sent == len(expected) - len(head)
    assert list(chunks(s)) == []


def test_send_to_a_blocking_socket(tmp_path: Path) -> None:
    data = os.urandom(2_000_001)
    path = data_set_file(tmp_path, data)
    expected = b"".join(chunks(sender(path, 16384, len(data))))
    client, server = connected_pair()
    received: list[bytes] = []
    reader = drain(server, received)
    with client:
        assert client.gettimeout() is None
        assert send_to(sender(path, 16384, len(data)), client) == len(expected)
    reader.join()
    assert received[0] == expected


def test_send_to_a_peer_that_closed(tmp_path: Path) -> None:
    length = 64 << 20
    path = tmp_path / "sparse.dcm"
    with path.open("wb") as f:
        f.truncate(len(PREFIX) + length)  # sparse: reads as zeros, costs no disk
    client, server = connected_pair()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    server.close()  # linger 0: a reset, at once
    s = sender(path, 16384, length)
    with client:
        client.settimeout(30)
        with pytest.raises(OSError) as raised:
            send_to(s, client)
    assert isinstance(raised.value, (BrokenPipeError, ConnectionResetError))
    with pytest.raises(RuntimeError, match="failed part way"):
        next(chunks(s))


def test_send_to_times_out_when_nobody_reads(tmp_path: Path) -> None:
    length = 64 << 20
    path = tmp_path / "sparse.dcm"
    with path.open("wb") as f:
        f.truncate(len(PREFIX) + length)
    client, server = connected_pair()
    with client, server:
        client.settimeout(0.5)
        with pytest.raises(TimeoutError):
            send_to(sender(path, 16384, length), client)


def test_send_to_a_short_file(tmp_path: Path) -> None:
    path = data_set_file(tmp_path, b"abc")
    client, server = connected_pair()
    with client, server:
        with pytest.raises(OSError):
            send_to(sender(path, 0, 100), client)


def test_send_to_bad_arguments(tmp_path: Path) -> None:
    path = data_set_file(tmp_path, b"abcd")
    with pytest.raises(ValueError):
        sender(path, 0, 4).send_to(0, -1.0)
    with pytest.raises(OSError):
        sender(path, 0, 4).send_to(1 << 20)  # not an open descriptor
    with path.open("rb") as f, pytest.raises(OSError):
        sender(path, 0, 4).send_to(f.fileno())  # not a socket
