"""storescu keeps the link busy: with ``--async-ops N`` it has up to N C-STORE requests
outstanding at once (the window negotiated, PS3.7 D.3.3.3), and by default (no window) it
reads the next file while the last one's response is awaited, one request at a time.

The SCP is our AE in this process, performing up to 16 requests at once; its handler counts
how many are being performed together.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from benches.synthetic import write_study
from pydicom import dcmread

from fastdimse import AE, evt
from helpers import run_app, wait_until

CT = "1.2.840.10008.5.1.4.1.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
VERIFICATION = "1.2.840.10008.1.1"
DEADLINE = 30.0


class CountingScp:
    """Our SCP with a window of 16; records the most requests performed at once, and
    holds each request until ``together`` are being performed (or a deadline passes)."""

    def __init__(self, together: int) -> None:
        self.together = together
        self.lock = threading.Condition()
        self.running = 0
        self.most = 0
        self.received: list[str] = []
        self.ae = AE("STORESCP")
        self.ae.maximum_operations_performed = 16
        self.ae.add_supported_context(CT, EXPLICIT)
        self.ae.add_supported_context(VERIFICATION)
        self.server = self.ae.start_server(
            ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_STORE, self.handle)]
        )
        self.port = self.server.server_address[1]

    def handle(self, event: Any) -> int:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.received.append(str(event.request.AffectedSOPInstanceUID))
            self.lock.notify_all()
            self.lock.wait_for(lambda: self.most >= self.together, timeout=DEADLINE)
            self.running -= 1
        return 0x0000


@pytest.fixture
def study(tmp_path: Path) -> list[Path]:
    return write_study(tmp_path / "study", 12, rows=64, columns=64)


@pytest.fixture
def scps() -> Iterator[list[CountingScp]]:
    made: list[CountingScp] = []
    yield made
    for scp in made:
        scp.server.shutdown()


def test_async_ops_keeps_that_many_requests_outstanding(
    scps: list[CountingScp], study: list[Path]
) -> None:
    scp = CountingScp(together=8)
    scps.append(scp)
    proc = run_app("storescu", "--async-ops", "8", "127.0.0.1", str(scp.port), str(study[0].parent))
    assert proc.returncode == 0, proc.stderr
    assert "Stored:         12" in proc.stderr
    # 8 performed together: the handler let none go before the eighth arrived.
    assert scp.most == 8
    assert sorted(scp.received) == sorted(str(dcmread(p).SOPInstanceUID) for p in study)


def test_without_async_ops_one_request_at_a_time(
    scps: list[CountingScp], study: list[Path]
) -> None:
    scp = CountingScp(together=1)
    scps.append(scp)
    proc = run_app("storescu", "-d", "127.0.0.1", str(scp.port), str(study[0].parent))
    assert proc.returncode == 0, proc.stderr
    assert "Stored:         12" in proc.stderr
    assert scp.most == 1
    assert "Requested Asynchronous Operations Window Negotiation: None" in proc.stderr


def test_async_ops_must_be_a_window_size() -> None:
    proc = run_app("storescu", "--async-ops", "0", "127.0.0.1", "11112", "x.dcm")
    assert proc.returncode == 2
    assert "must be from 1 to 65535" in proc.stderr


def test_the_next_file_is_read_while_the_last_response_is_awaited(
    scps: list[CountingScp], study: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Window 1: submit_c_store reads its file before it waits for the slot the request
    before it holds, so reading overlaps the peer's work on that request."""
    scp = CountingScp(together=1)
    scps.append(scp)
    hold = threading.Event()
    handled = threading.Event()

    def slow(event: Any) -> int:
        handled.set()
        hold.wait(DEADLINE)
        return 0x0000

    scp.server.shutdown()
    scp.server = scp.ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_STORE, slow)]
    )
    scu = AE("STORESCU")
    scu.acse_timeout = scu.dimse_timeout = scu.network_timeout = DEADLINE
    scu.add_requested_context(CT, EXPLICIT)
    assoc = scu.associate("127.0.0.1", scp.server.server_address[1])
    assert assoc.is_established
    first = assoc.submit_c_store(study[0])
    assert handled.wait(DEADLINE)  # the SCP holds the first request

    read_while_held: list[bool] = []
    real = assoc.dimse.file_message

    def spy(*args: Any, **kwargs: Any) -> Any:
        read_while_held.append(not hold.is_set() and not first.done())
        return real(*args, **kwargs)

    monkeypatch.setattr(assoc.dimse, "file_message", spy)
    second: list[Any] = []
    sender = threading.Thread(target=lambda: second.append(assoc.submit_c_store(study[1])))
    sender.start()
    assert wait_until(lambda: bool(read_while_held), DEADLINE)
    assert read_while_held == [True]
    assert second == []  # still waiting for the slot
    hold.set()
    sender.join(DEADLINE)
    assert first.status() == 0x0000 and second[0].status() == 0x0000
    assoc.release()
