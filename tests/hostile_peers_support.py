"""Hostile peers over raw sockets against our SCP: the servers, the fixtures and the checks of
the answer on the wire that tests/test_hostile_peers_*.py share (the fixtures are registered
for every test file by tests/conftest.py).

Each case connects to a Verification SCP (short ARTIM/ACSE and network timers, one
association slot), misbehaves, and checks the answer on the wire: A-ABORT with its
source and reason, A-ASSOCIATE-RJ with result, source and reason, or the connection
closed (ARTIM, network timeout, or the peer's own end of stream). Then the server must
still be running with no slot held by the dead peer: a well-formed association from our
own SCU, with a C-ECHO, succeeds straight after.

The server under test comes from one place, the start_scp fixture (SERVERS, by
server_kind): every test runs against each kind of server listed there.

In Sta2 (before association) PS3.8 answers every PDU other than A-ASSOCIATE-RQ and
A-ABORT, and every invalid PDU, with AA-1: A-ABORT with service-user source (0, 0).
Unexpected PDUs in Sta6 get AA-8, A-ABORT (2, 2); invalid ones the reason PS3.8 9.3.8
gives for what is wrong (unrecognized PDU (2, 1), invalid parameter value (2, 6), ...).
For the corpus the expected answers come from its manifest (columns sta2 and sta6), which
tests/corpus/make_hostile.py writes from the standard, never from the code under test.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fastdimse import AE
from hostile_peer import (
    Answer,
    CloseTracker,
    CrashLog,
    Peer,
    crash_log,
    describe,
    echo_works,
    hostile_aio_scp,
    hostile_scp,
)

ACSE = 1.0  # ACSE timeout, which is also the ARTIM timeout
NETWORK = 1.0
SLACK = 5.0  # generous: the deadline is the timer plus this
ANSWER_DEADLINE = SLACK  # for answers that need no timer
HOSTILE = Path(__file__).resolve().parent / "corpus" / "hostile"
LOCAL_MAX_PDU = 16382

AA1 = "A-ABORT(0,0)"  # Sta2, anything but an A-ASSOCIATE-RQ: service-user source
UNEXPECTED = "A-ABORT(2,2)"  # AA-8: unexpected PDU
UNRECOGNIZED = "A-ABORT(2,1)"  # AA-8 for an unknown PDU type
INVALID_PARAMETER = "A-ABORT(2,6)"  # AA-8 for a length over our limits
NETWORK_ABORT = "A-ABORT(2,0)"  # network timeout after association


@dataclass
class Scp:
    """The SCP under attack, and a count of the connections made to it."""

    ae: AE
    server: Any
    tracker: CloseTracker
    crashes: CrashLog
    port: int
    opened: int = 0

    def peer(self) -> Peer:
        self.opened += 1
        return Peer(self.port)

    def settle(self, timeout: float = SLACK) -> None:
        """Every connection made so far has ended on the server's side too."""
        assert self.tracker.wait_for(self.opened, timeout), (
            f"{self.opened - self.tracker.closed} connection(s) still open on the server"
        )
        assert self.ae.active_associations == []

    def echo_after(self) -> None:
        """The dead peer holds nothing: one slot, and a fresh association gets it."""
        self.settle()
        self.ae.maximum_associations = 1
        self.opened += 1
        assert echo_works(self.port) == 0
        self.settle()


@contextmanager
def threaded_scp(**options: Any) -> Iterator[Scp]:
    """Our AE's server (``start_server(block=False)``: a thread per connection), with the
    ``hostile_scp`` options, and a log of the association threads that crashed."""
    with crash_log() as crashes, hostile_scp(**options) as (ae, server, tracker):
        yield Scp(ae, server, tracker, crashes, server.server_address[1])


@contextmanager
def asyncio_scp(**options: Any) -> Iterator[Scp]:
    """The same SCP served by ``fastdimse.aio`` (one event loop, no thread per connection)."""
    with crash_log() as crashes, hostile_aio_scp(**options) as (ae, server, tracker):
        yield Scp(ae, server, tracker, crashes, server.server_address[1])


# The kinds of server every test here runs against, by name: a context manager taking
# hostile_scp's options and yielding an Scp.
SERVERS: dict[str, Callable[..., AbstractContextManager[Scp]]] = {
    "asyncio": asyncio_scp,
    "threaded": threaded_scp,
}


def start_server(kind: str, **options: Any) -> AbstractContextManager[Scp]:
    """Build and start the server under test, of ``kind``: short timers unless ``options``
    say otherwise."""
    return SERVERS[kind](**{"acse_timeout": ACSE, "network_timeout": NETWORK, **options})


@pytest.fixture(scope="module", params=sorted(SERVERS))
def server_kind(request: pytest.FixtureRequest) -> str:
    """The kind of server under test: every test runs once for each kind in SERVERS."""
    kind: str = request.param
    return kind


@pytest.fixture(scope="module")
def start_scp(server_kind: str) -> Callable[..., AbstractContextManager[Scp]]:
    """``with start_scp(**options) as scp``: the one way the tests get a server to attack."""
    return functools.partial(start_server, server_kind)


@pytest.fixture
def scp(start_scp: Callable[..., AbstractContextManager[Scp]]) -> Iterator[Scp]:
    """The server under test with the default options (one association slot)."""
    with start_scp() as server:
        yield server


def exchange(
    scp: Scp, data: bytes, *, associate: bool = False, end: bool = False, answers: int = 1
) -> Answer:
    """Send ``data`` (after a valid association if asked) and read the server's answer.

    ``end``: end our stream (FIN) at once, for inputs that are incomplete on purpose.
    Otherwise the first ``answers`` PDUs must come while our stream is still open; then we
    end it, as a peer that got its answer does, and the server must close.
    """
    with scp.peer() as peer:
        if associate:
            peer.associate()
        peer.send(data)
        if end:
            peer.half_close()
            return peer.read(deadline=ANSWER_DEADLINE)
        answer = peer.read(count=answers, deadline=ANSWER_DEADLINE)
        if not answer.closed:
            peer.half_close()
            rest = peer.read(deadline=ANSWER_DEADLINE)
            answer.pdus += rest.pdus
            answer.closed, answer.garbage = rest.closed, answer.garbage or rest.garbage
        return answer


def assert_answer(answer: Answer, *expected: str) -> None:
    """The server's PDUs are ``expected`` (first ones) and it closed the connection."""
    got = [describe(p) for p in answer.pdus]
    assert answer.garbage is None, answer.garbage
    assert got[: len(expected)] == list(expected), got
    assert answer.closed, f"not closed within the deadline; got {got}"
    assert answer.elapsed < ANSWER_DEADLINE
