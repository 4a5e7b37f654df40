"""Hostile peers over raw sockets against our SCP: the standard's answer, at once, every time.

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

import csv
import functools
import random
import struct
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from fastdimse import AE, _core
from fastdimse.errors import DecodeError
from helpers import MB, peak_rss, run_in_fresh_interpreter
from hostile_peer import (
    IMPLICIT as IMPLICIT_UID,
)
from hostile_peer import (
    VERIFICATION as VERIFICATION_UID,
)
from hostile_peer import (
    Answer,
    CloseTracker,
    CrashLog,
    Peer,
    associate_rq,
    crash_log,
    describe,
    echo_rq,
    echo_works,
    hostile_aio_scp,
    hostile_scp,
    pdu,
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


# -- (a) the named hostile corpus, through a real server: the manifest's answers ----------


def _manifest() -> list[dict[str, str]]:
    with (HOSTILE / "MANIFEST.tsv").open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [r for r in rows if r["entry"] in ("pdu", "stream")]


ENTRIES = _manifest()


def answer_matches(expected: str, got: str) -> bool:
    """``got`` (a ``describe`` name) is one of the manifest's ``expected`` answers: alternatives
    joined by "|", a name without parentheses standing for any PDU of its type."""
    return any(got == one or got.startswith(f"{one}(") for one in expected.split("|"))


@dataclass
class CorpusRun:
    sta2: dict[str, tuple[Answer, int]] = field(default_factory=dict)
    sta6: dict[str, tuple[Answer, int]] = field(default_factory=dict)
    crashed: set[int] = field(default_factory=set)
    crash_messages: list[str] = field(default_factory=list)
    echo_status: int | None = None
    leftover: int = 0
    seconds: float = 0.0


def _send_entry(port: int, data: bytes, associate: bool) -> tuple[Answer, int]:
    with Peer(port) as peer:
        local_port = peer.sock.getsockname()[1]
        if associate:
            peer.associate()
        peer.send(data)
        peer.half_close()
        return peer.read(deadline=ANSWER_DEADLINE), local_port


@pytest.fixture(scope="module")
def corpus_run(start_scp: Callable[..., AbstractContextManager[Scp]]) -> Iterator[CorpusRun]:
    """Every corpus entry as first bytes, then again after an association; one server."""
    run = CorpusRun()
    started = time.monotonic()
    with start_scp(maximum_associations=64) as scp:
        blobs = {e["name"]: (HOSTILE / f"{e['name']}.bin").read_bytes() for e in ENTRIES}
        with ThreadPoolExecutor(16) as pool:
            for state, results in ((False, run.sta2), (True, run.sta6)):
                futures = {
                    n: pool.submit(_send_entry, scp.port, d, state) for n, d in blobs.items()
                }
                for name, future in futures.items():
                    results[name] = future.result()
        connections = 2 * len(blobs)
        if scp.tracker.wait_for(connections, SLACK):
            scp.ae.maximum_associations = 1
            run.leftover = len(scp.ae.active_associations)
            run.echo_status = echo_works(scp.port)
        else:
            run.leftover = connections - scp.tracker.closed
        run.crashed = scp.crashes.ports()
        run.crash_messages = scp.crashes.messages()
    run.seconds = time.monotonic() - started
    yield run


def _mismatches(results: dict[str, tuple[Answer, int]], state: str) -> list[str]:
    """The entries whose answer is not the manifest's for ``state`` ("sta2" or "sta6"),
    or that the server did not close."""
    expected = {e["name"]: e[state] for e in ENTRIES}
    wrong = []
    for name, (answer, _) in results.items():
        got = describe(answer.first)
        if not answer_matches(expected[name], got) or not answer.closed or answer.garbage:
            wrong.append(
                f"{name}: expected {expected[name]}, got {got}, closed={answer.closed}, "
                f"{answer.garbage or ''}"
            )
    return wrong


def test_corpus_as_first_bytes(corpus_run: CorpusRun) -> None:
    """Sta2: the manifest's answer, from the state table (AA-1, A-ASSOCIATE-RJ, close...)."""
    results = dict(corpus_run.sta2)
    assert len(results) > 1000
    wrong = _mismatches(results, "sta2")
    assert not wrong, "\n".join(wrong[:40])


def test_corpus_after_association(corpus_run: CorpusRun) -> None:
    """Sta6: the manifest's answer: A-ABORT with the standard's reason, A-RELEASE-RP, a
    response, or close."""
    wrong = _mismatches(corpus_run.sta6, "sta6")
    assert not wrong, "\n".join(wrong[:40])


def test_corpus_answers_agree_with_manifest() -> None:
    """The oracle above reads the manifest's way: same error kinds for the stream entries."""
    for entry in ENTRIES:
        if entry["entry"] != "stream" or int(entry["local_max_pdu"]) != LOCAL_MAX_PDU:
            continue
        data = (HOSTILE / f"{entry['name']}.bin").read_bytes()
        receiver = _core.Receiver(LOCAL_MAX_PDU)
        try:
            receiver.feed(data)
            receiver.finish()
            kind = "ok"
        except DecodeError as error:
            kind = error.kind
        assert kind == entry["expect"], entry["name"]


def test_corpus_leaves_server_serving(corpus_run: CorpusRun) -> None:
    assert corpus_run.leftover == 0
    assert corpus_run.echo_status == 0


def test_corpus_no_acceptor_thread_dies(corpus_run: CorpusRun) -> None:
    assert not corpus_run.crash_messages, "\n".join(corpus_run.crash_messages[:10])


# -- (b) garbage bytes ----------------------------------------------------------------------


def _garbage(seed: int, size: int) -> bytes:
    rng = random.Random(seed)
    data = bytearray(rng.randbytes(size))
    # First byte outside 0x01..0x07: unknown PDU type, so the answer needs no more bytes.
    data[0] = rng.choice([0x00, *range(0x08, 0x100)])
    return bytes(data)


GARBAGE = {
    "zeros": b"\x00" * 64,
    "ones": b"\xff" * 64,
    "random-16": _garbage(1, 16),
    "random-4k": _garbage(2, 4096),
    "random-256k": _garbage(3, 256 * 1024),
    "http": b"GET / HTTP/1.1\r\nHost: scp\r\n\r\n",
    "text": b"hello, is this the DICOM port?\n",
}


@pytest.mark.parametrize("name", GARBAGE)
def test_garbage_as_first_bytes(scp: Scp, name: str) -> None:
    # Our stream stays open: the answer must not wait for its end.
    assert_answer(exchange(scp, GARBAGE[name]), AA1)
    scp.echo_after()


@pytest.mark.parametrize("name", GARBAGE)
def test_garbage_after_association(scp: Scp, name: str) -> None:
    assert_answer(exchange(scp, GARBAGE[name], associate=True), UNRECOGNIZED)
    scp.echo_after()


# -- (c) unknown PDU types ------------------------------------------------------------------

UNKNOWN_TYPES = [0x00, 0x08, 0x09, 0x0A, 0x10, 0x47, 0x80, 0xFE, 0xFF]


@pytest.mark.parametrize("pdu_type", UNKNOWN_TYPES, ids=lambda t: f"0x{t:02X}")
def test_unknown_pdu_type_as_first_bytes(scp: Scp, pdu_type: int) -> None:
    assert_answer(exchange(scp, pdu(pdu_type, b"\x00" * 4)), AA1)
    scp.echo_after()


@pytest.mark.parametrize("pdu_type", UNKNOWN_TYPES, ids=lambda t: f"0x{t:02X}")
def test_unknown_pdu_type_after_association(scp: Scp, pdu_type: int) -> None:
    answer = exchange(scp, pdu(pdu_type, b"\x00" * 4), associate=True)
    assert_answer(answer, UNRECOGNIZED)
    scp.echo_after()


def test_unknown_pdu_type_byte_alone(scp: Scp) -> None:
    """One unknown type byte, then silence: answered at once, or at the latest by ARTIM."""
    with scp.peer() as peer:
        peer.send(b"\x08")
        answer = peer.read(deadline=ACSE + SLACK)
    assert [describe(p) for p in answer.pdus] in ([], [AA1])
    assert answer.closed
    scp.echo_after()


# -- (d) 4 GiB length claims ----------------------------------------------------------------


# Each memory check runs in a fresh interpreter (this file run as a script, see the end): a
# high-water mark reached by earlier tests in the pytest process (50 MB interop instances, the
# corpus run) would hide the growth.
RSS_BOUND = 50 * MB
CLAIM = 0xFFFFFFFF


def assert_rss_growth_below_bound(before: int) -> None:
    growth = peak_rss() - before
    assert growth < RSS_BOUND, f"peak RSS grew by {growth / MB:.1f} MB"


@pytest.mark.parametrize(
    ("name", "pdu_type", "associate", "expected"),
    [
        ("associate-rq-first", 0x01, False, AA1),
        ("p-data-tf-first", 0x04, False, AA1),
        ("associate-rq-after-association", 0x01, True, INVALID_PARAMETER),
        ("p-data-tf-after-association", 0x04, True, INVALID_PARAMETER),
        ("release-rq-after-association", 0x05, True, INVALID_PARAMETER),
        ("abort-after-association", 0x07, True, INVALID_PARAMETER),
    ],
)
def test_four_gib_length_claim(
    server_kind: str, name: str, pdu_type: int, associate: bool, expected: str
) -> None:
    """The 6-byte header alone is answered at once; nothing near 4 GiB is allocated."""
    run_in_fresh_interpreter(
        __file__, "four_gib_length_claim", server_kind, str(pdu_type), str(int(associate)), expected
    )


def four_gib_length_claim(kind: str, pdu_type: str, associate: str, expected: str) -> None:
    with start_server(kind) as scp:
        before = peak_rss()
        header = struct.pack(">BBI", int(pdu_type), 0, CLAIM)
        assert_answer(exchange(scp, header + b"\x00" * 64, associate=associate == "1"), expected)
        assert_rss_growth_below_bound(before)
        scp.echo_after()


def test_four_gib_data_set_claim_without_pdu_limit(server_kind: str) -> None:
    """Maximum PDU 0 (no limit): a 4 GiB claim streams; memory follows bytes, not claims.

    The peer sends the C-ECHO-RQ command (announcing a data set), then a P-DATA-TF and a
    PDV claiming 4 GiB, 1 MiB of it, and goes quiet: the network timeout aborts.
    """
    run_in_fresh_interpreter(__file__, "four_gib_data_set_claim", server_kind)


def four_gib_data_set_claim(kind: str) -> None:
    with start_server(kind, maximum_pdu_size=0) as scp:
        before = peak_rss()
        command = _core.CommandSet(
            0x0030, affected_sop_class_uid=VERIFICATION_UID, message_id=1, command_data_set_type=0
        ).encode()
        with scp.peer() as peer:
            peer.associate()
            peer.send(_core.fragment_message(0, 1, command))
            peer.send(struct.pack(">BBIIBB", 0x04, 0, CLAIM, CLAIM - 4, 1, 0x00))
            peer.send(b"\x00" * (1 << 20))
            answer = peer.read(deadline=NETWORK + SLACK)
        got = [describe(p) for p in answer.pdus]
        assert got[:1] == [NETWORK_ABORT], got
        assert answer.closed
        assert_rss_growth_below_bound(before)
        scp.echo_after()


# -- (e) broken A-ASSOCIATE-RQs -------------------------------------------------------------


def test_protocol_version_with_bit_0_and_others_is_accepted(scp: Scp) -> None:
    """PS3.8 9.3.2: a version-1 receiver tests bit 0 only; other bits do not matter."""
    for version in (0x0003, 0xFFFF):
        scp.settle()
        assert_answer(exchange(scp, associate_rq(protocol_version=version)), "AC")
    scp.echo_after()


@pytest.mark.parametrize("version", [0x0000, 0x0002, 0x8000])
def test_protocol_version_without_bit_0_is_rejected(scp: Scp, version: int) -> None:
    """PS3.8 9.3.2/9.3.4: rejected-permanent, service-provider (ACSE), protocol-version."""
    assert_answer(exchange(scp, associate_rq(protocol_version=version)), "RJ(1,2,2)")
    scp.echo_after()


@pytest.mark.parametrize("name", ["1.2.3.4", "1.2.840.10008.3.1.1.2", ""])
def test_wrong_application_context_name(scp: Scp, name: str) -> None:
    """Rejected-permanent, service-user, application-context-name-not-supported."""
    assert_answer(exchange(scp, associate_rq(application_context=name)), "RJ(1,1,2)")
    scp.echo_after()


def test_no_presentation_contexts(scp: Scp) -> None:
    """PS3.8 9.3.2 wants one or more: rejected-permanent, service-user, no reason given."""
    assert_answer(exchange(scp, associate_rq(contexts=())), "RJ(1,1,1)")
    scp.echo_after()


MALFORMED_RQ = [
    "rq-pc-id-even",
    "rq-pc-id-zero",
    "rq-pc-id-duplicate",
    "rq-pc-no-abstract-syntax",
    "rq-pc-no-transfer-syntax",
    "rq-pc-two-abstract-syntaxes",
    "rq-ac-context-item",
    "rq-unknown-pc-sub-item",
    "rq-sub-item-overflows-item",
    "rq-no-app-context",
    "rq-no-user-info",
]


@pytest.mark.parametrize("name", MALFORMED_RQ)
def test_malformed_presentation_context_or_item(scp: Scp, name: str) -> None:
    """An invalid A-ASSOCIATE-RQ is an invalid PDU in Sta2: AA-1, A-ABORT (0, 0)."""
    data = (HOSTILE / f"{name}.bin").read_bytes()
    assert_answer(exchange(scp, data), AA1)
    scp.echo_after()


@pytest.mark.parametrize(
    ("called", "calling", "expected"),
    [
        ("HOSTILE-SCP", "BAD\\AE", "RJ(1,1,3)"),
        ("HOSTILE-SCP", "BAD\x01AE", "RJ(1,1,3)"),
        ("HOSTILE-SCP", "BAD\x1bAE", "RJ(1,1,3)"),
        ("BAD\x07SCP", "HOSTILE", "RJ(1,1,7)"),
        ("HOSTILE-SCP", "  LEADING", "AC"),
    ],
    ids=["calling-backslash", "calling-soh", "calling-esc", "called-bel", "leading-spaces"],
)
def test_bad_ae_titles(scp: Scp, called: str, calling: str, expected: str) -> None:
    assert_answer(exchange(scp, _raw_titles(called, calling)), expected)
    scp.echo_after()


def test_all_space_called_ae_title(scp: Scp) -> None:
    assert_answer(exchange(scp, _raw_titles(" " * 16, "HOSTILE")), "RJ(1,1,7)")
    scp.echo_after()


@pytest.mark.parametrize("calling", [" " * 16, "\x00" * 16], ids=["spaces", "nuls"])
def test_empty_calling_ae_title(scp: Scp, calling: str) -> None:
    assert_answer(exchange(scp, _raw_titles("HOSTILE-SCP", calling)), "RJ(1,1,3)")
    scp.echo_after()


def _raw_titles(called: str, calling: str) -> bytes:
    """A valid A-ASSOCIATE-RQ with the AE title fields overwritten byte for byte."""
    data = bytearray(associate_rq())
    data[10:26] = called.encode("latin-1").ljust(16, b" ")[:16]
    data[26:42] = calling.encode("latin-1").ljust(16, b" ")[:16]
    return bytes(data)


def _oversized_rq() -> bytes:
    """An A-ASSOCIATE-RQ of about 1.1 MB: 17 user information items of 64 KiB."""
    sub_item = struct.pack(">BBH", 0x7F, 0, 65531) + b"x" * 65531
    item = struct.pack(">BBH", 0x50, 0, len(sub_item)) + sub_item
    return pdu(0x01, associate_rq()[6:] + item * 17)


def test_associate_rq_over_the_1_mib_cap(server_kind: str) -> None:
    """Refused at its header, before the body arrives: only the first 64 KiB are sent."""
    run_in_fresh_interpreter(__file__, "associate_rq_over_the_cap", server_kind)


def associate_rq_over_the_cap(kind: str) -> None:
    data = _oversized_rq()
    assert len(data) > 1 << 20
    with start_server(kind) as scp:
        before = peak_rss()
        assert_answer(exchange(scp, data[:65536]), AA1)
        assert_rss_growth_below_bound(before)
        scp.echo_after()


def test_associate_rq_over_the_cap_sent_whole(scp: Scp) -> None:
    """The peer keeps writing after our A-ABORT: its writes fail, the server does not care."""
    with scp.peer() as peer:
        peer.send(_oversized_rq())  # may fail part-way with a reset: that is the point
        answer = peer.read(deadline=ANSWER_DEADLINE)
    assert answer.closed
    assert [describe(p) for p in answer.pdus][:1] in ([AA1], [])
    scp.echo_after()


# -- (f) PDUs out of order ------------------------------------------------------------------

OUT_OF_ORDER_FIRST = {
    "p-data-tf": echo_rq(),
    "release-rq": _core.ReleaseRq().encode(),
    "release-rp": _core.ReleaseRp().encode(),
    "associate-ac": _core.AssociateAc(
        "HOSTILE", "HOSTILE-SCP", [_core.PresentationContextAc(1, 0, IMPLICIT_UID)], []
    ).encode(),
    "associate-rj": _core.AssociateRj(1, 1, 1).encode(),
}


@pytest.mark.parametrize("name", OUT_OF_ORDER_FIRST)
def test_out_of_order_before_association(scp: Scp, name: str) -> None:
    """Sta2: anything but A-ASSOCIATE-RQ gets AA-1."""
    assert_answer(exchange(scp, OUT_OF_ORDER_FIRST[name]), AA1)
    scp.echo_after()


def test_peer_that_never_closes_after_abort(scp: Scp) -> None:
    """Sta13 after AA-1: ARTIM closes the connection the peer leaves open."""
    with scp.peer() as peer:
        peer.send(_core.ReleaseRq().encode())
        answer = peer.read(deadline=ACSE + SLACK)
    assert_answer(answer, AA1)
    scp.echo_after()


def test_abort_before_association(scp: Scp) -> None:
    """Sta2 + A-ABORT: AA-2, the server just closes."""
    with scp.peer() as peer:
        peer.send(_core.Abort(0, 0).encode())
        answer = peer.read(deadline=ANSWER_DEADLINE)
    assert answer.pdus == [] and answer.closed
    scp.echo_after()


OUT_OF_ORDER_AFTER = {
    "associate-rq": associate_rq(),
    "associate-ac": OUT_OF_ORDER_FIRST["associate-ac"],
    "associate-rj": OUT_OF_ORDER_FIRST["associate-rj"],
    "release-rp": OUT_OF_ORDER_FIRST["release-rp"],
}


@pytest.mark.parametrize("name", OUT_OF_ORDER_AFTER)
def test_out_of_order_after_association(scp: Scp, name: str) -> None:
    """Sta6: AA-8, A-ABORT (2, 2) unexpected PDU."""
    answer = exchange(scp, OUT_OF_ORDER_AFTER[name], associate=True)
    assert_answer(answer, UNEXPECTED)
    scp.echo_after()


def test_associate_rq_twice_in_one_write(scp: Scp) -> None:
    """The first is accepted, the second is unexpected (Sta6): AC, then A-ABORT (2, 2)."""
    rq = associate_rq()
    assert_answer(exchange(scp, rq + rq, answers=2), "AC", UNEXPECTED)
    scp.echo_after()


def test_p_data_on_a_context_never_proposed(scp: Scp) -> None:
    """A C-ECHO-RQ on presentation context 3 (we proposed only 1): aborted at once."""
    answer = exchange(scp, echo_rq(context_id=3), associate=True)
    assert describe(answer.first).startswith("A-ABORT(")
    assert answer.closed
    scp.echo_after()


def test_c_store_on_a_context_never_proposed(scp: Scp) -> None:
    """A C-STORE-RQ with 4 MB of data set on context 3: dropped as it comes, then aborted."""
    command = _core.CommandSet(
        0x0001,
        message_id=9,
        affected_sop_class_uid="1.2.840.10008.5.1.4.1.1.2",
        affected_sop_instance_uid="1.2.3.4",
        priority=2,
        command_data_set_type=0x0001,
    ).encode()
    data = _core.fragment_message(LOCAL_MAX_PDU, 3, command, bytes(4 * 1024 * 1024))
    answer = exchange(scp, data, associate=True)
    assert describe(answer.first).startswith("A-ABORT(")
    assert answer.closed
    scp.echo_after()


def test_release_then_echo_on_the_same_connection(scp: Scp) -> None:
    """After our A-RELEASE-RQ is answered, a P-DATA-TF is Sta13's business: no answer."""
    with scp.peer() as peer:
        peer.associate()
        peer.send(_core.ReleaseRq().encode())
        assert describe(peer.read(count=1).first) == "RELEASE-RP"
        peer.send(echo_rq())
        answer = peer.read(deadline=ACSE + SLACK)
    assert answer.closed
    assert all(describe(p).startswith("A-ABORT(") for p in answer.pdus)
    scp.echo_after()


# -- (g) half a PDU, then silence -----------------------------------------------------------


def test_silent_connection_closed_by_artim(scp: Scp) -> None:
    with scp.peer() as peer:
        answer = peer.read(deadline=ACSE + SLACK)
    assert answer.pdus == [] and answer.closed
    scp.echo_after()


@pytest.mark.parametrize("size", [1, 6, 150])
def test_half_associate_rq_closed_by_artim(scp: Scp, size: int) -> None:
    """Sta2: ARTIM runs from the connection, whatever trickles in; AA-2 closes silently."""
    with scp.peer() as peer:
        peer.send(associate_rq()[:size])
        answer = peer.read(deadline=ACSE + SLACK)
    assert answer.pdus == [] and answer.closed
    scp.echo_after()


def test_associate_rq_dripped_byte_by_byte_closed_by_artim(scp: Scp) -> None:
    """A slow drip does not restart ARTIM in Sta2."""
    data = associate_rq()
    end = time.monotonic() + ACSE + SLACK
    with scp.peer() as peer:
        answer = Answer()
        for byte in data:
            if not peer.send(bytes([byte])):
                answer.closed = True
                break
            answer = peer.read(deadline=0.1)  # paces the drip; returns at once on close
            if answer.closed or answer.pdus or time.monotonic() > end:
                break
    assert answer.pdus == [] and answer.closed
    scp.echo_after()


@pytest.mark.parametrize("size", [1, 12])
def test_half_p_data_after_association_closed_by_network_timeout(scp: Scp, size: int) -> None:
    """Sta6: the network timeout aborts (2, 0); the server then closes (ARTIM in Sta13)."""
    with scp.peer() as peer:
        peer.associate()
        peer.send(echo_rq()[:size])
        answer = peer.read(deadline=NETWORK + ACSE + SLACK)
    assert [describe(p) for p in answer.pdus] == [NETWORK_ABORT]
    assert answer.closed
    scp.echo_after()


def test_silent_after_association_closed_by_network_timeout(scp: Scp) -> None:
    with scp.peer() as peer:
        peer.associate()
        answer = peer.read(deadline=NETWORK + ACSE + SLACK)
    assert [describe(p) for p in answer.pdus] == [NETWORK_ABORT]
    assert answer.closed
    scp.echo_after()


def test_peer_that_never_closes_after_rj(scp: Scp) -> None:
    """Sta13 after A-ASSOCIATE-RJ: ARTIM closes the connection the peer leaves open."""
    with scp.peer() as peer:
        peer.send(associate_rq(application_context="1.2.3"))
        answer = peer.read(deadline=ACSE + SLACK)
    assert_answer(answer, "RJ(1,1,2)")
    scp.echo_after()


# -- the slot of a finished association -----------------------------------------------------


@pytest.mark.parametrize("ending", ["release", "reject", "abort-before-association"])
def test_slot_free_once_association_is_over(
    start_scp: Callable[..., AbstractContextManager[Scp]], ending: str
) -> None:
    with start_scp(acse_timeout=5.0) as scp:
        port = scp.port
        with Peer(port) as peer:
            if ending == "release":
                peer.associate()
                peer.send(_core.ReleaseRq().encode())
                expected = "RELEASE-RP"
            elif ending == "reject":
                peer.send(associate_rq(application_context="1.2.3"))
                expected = "RJ(1,1,2)"
            else:
                peer.send(pdu(0xFF, b"\x00" * 4))
                expected = AA1
            assert describe(peer.read(count=1).first) == expected
            # The association is over (Sta13); the peer lingers. A new one must fit.
            assert echo_works(port) == 0
        assert not scp.crashes.messages()


# -- (h) a crowd: 200 connections at once, 10 slots -------------------------------------------

CROWD = 200
CROWD_SLOTS = 10
LOCAL_LIMIT = "RJ(2,3,2)"  # rejected-transient, service-provider (presentation), local limit


def test_crowd_of_associate_requests(
    start_scp: Callable[..., AbstractContextManager[Scp]],
) -> None:
    """Every peer gets an answer, AC or RJ local-limit-exceeded, never silence."""
    with start_scp(maximum_associations=CROWD_SLOTS) as scp:
        peers = [scp.peer() for _ in range(CROWD)]
        try:
            rq = associate_rq()
            for peer in peers:
                assert peer.send(rq)
            end = time.monotonic() + ACSE + SLACK
            answers = [
                peer.read(count=1, deadline=max(0.0, end - time.monotonic())) for peer in peers
            ]
        finally:
            for peer in peers:
                peer.close()
        got = [describe(a.first) for a in answers]
        assert "nothing" not in got
        assert set(got) <= {"AC", LOCAL_LIMIT}, set(got)
        # Nobody released a slot while the crowd waited: exactly the limit got in.
        assert got.count("AC") == CROWD_SLOTS
        scp.settle()
        assert scp.ae.active_associations == []
        scp.echo_after()
        assert not scp.crashes.messages()


# -- memory scenarios, each run on its own (run_in_fresh_interpreter) -------------------------

SCENARIOS: dict[str, Callable[..., None]] = {
    "four_gib_length_claim": four_gib_length_claim,
    "four_gib_data_set_claim": four_gib_data_set_claim,
    "associate_rq_over_the_cap": associate_rq_over_the_cap,
}

if __name__ == "__main__":
    scenario, *scenario_args = sys.argv[1:]
    SCENARIOS[scenario](*scenario_args)
