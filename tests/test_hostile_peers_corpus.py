"""Hostile peers over raw sockets: every entry of the named hostile corpus, through a real
server, answered as its manifest says (columns sta2 and sta6).
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import pytest

from fastdimse import _core
from fastdimse.errors import DecodeError
from hostile_peer import (
    Answer,
    Peer,
    describe,
    echo_works,
)
from hostile_peers_support import (
    ANSWER_DEADLINE,
    HOSTILE,
    LOCAL_MAX_PDU,
    SLACK,
    Scp,
)

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
