"""How fast our SCP answers hostile peers: time from the peer's last byte to the answer.

For each case family (the ones tests/test_hostile_peers_*.py check for correctness) this
opens raw connections to one in-process Verification SCP and measures, over ``--runs``
runs (median reported), the time from the end of the peer's send to the first answer PDU,
or to the connection's close when the standard's answer is a close. Timer cases run with
the short timers given on the command line, so they measure the timer plus our latency.

    PYTHONPATH=$PWD/python python benches/hostile_times.py [--runs 5]

Prints a markdown table for the README.
"""

from __future__ import annotations

import argparse
import statistics
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fastdimse import _core
from hostile_peer import (  # type: ignore[import-untyped]
    Answer,
    Peer,
    associate_rq,
    describe,
    echo_rq,
    hostile_scp,
    pdu,
)

HOSTILE = Path(__file__).resolve().parent.parent / "tests" / "corpus" / "hostile"


@dataclass
class Case:
    family: str
    name: str
    run: Callable[[int], tuple[float, str]]  # port -> (seconds, answer seen)


def _answer_time(answer: Answer) -> tuple[float, str]:
    if answer.pdus:
        return answer.elapsed, describe(answer.first)
    return (answer.closed_after or answer.elapsed), "closed" if answer.closed else "silence"


def _send(
    data: bytes, *, associate: bool = False, deadline: float = 15.0
) -> Callable[[int], tuple[float, str]]:
    def run(port: int) -> tuple[float, str]:
        with Peer(port) as peer:
            if associate:
                peer.associate()
            peer.send(data)
            return _answer_time(peer.read(count=1, deadline=deadline))

    return run


def _silence(*, associate: bool, prefix: bytes = b"") -> Callable[[int], tuple[float, str]]:
    def run(port: int) -> tuple[float, str]:
        with Peer(port) as peer:
            if associate:
                peer.associate()
            if prefix:
                peer.send(prefix)
            else:
                peer.send(b"")  # starts the clock
            return _answer_time(peer.read(count=1, deadline=30))

    return run


def _oversized_rq() -> bytes:
    sub_item = struct.pack(">BBH", 0x7F, 0, 65531) + b"x" * 65531
    item = struct.pack(">BBH", 0x50, 0, len(sub_item)) + sub_item
    return bytes(pdu(0x01, associate_rq()[6:] + item * 17)[:65536])


def _crowd(size: int) -> Callable[[int], tuple[float, str]]:
    def run(port: int) -> tuple[float, str]:
        peers = [Peer(port) for _ in range(size)]
        try:
            rq = associate_rq()
            start = time.monotonic()
            for peer in peers:
                peer.send(rq)
            answers = [peer.read(count=1, deadline=30) for peer in peers]
            seconds = time.monotonic() - start
        finally:
            for peer in peers:
                peer.close()
        accepted = sum(describe(a.first) == "AC" for a in answers)
        rejected = sum(describe(a.first) == "RJ(2,3,2)" for a in answers)
        return seconds, f"{accepted} AC + {rejected} RJ(2,3,2) (all {size})"

    return run


def cases() -> list[Case]:
    rq = associate_rq()
    return [
        Case("garbage", "64 KiB of random bytes, first", _send(b"\x99" + bytes(range(256)) * 256)),
        Case("garbage", "HTTP request, first", _send(b"GET / HTTP/1.1\r\n\r\n")),
        Case("garbage", "random bytes after association", _send(b"\x99" * 64, associate=True)),
        Case("unknown PDU type", "0x08, first", _send(pdu(0x08, b"\x00" * 4))),
        Case(
            "unknown PDU type",
            "0xFF after association",
            _send(pdu(0xFF, b"\x00" * 4), associate=True),
        ),
        Case(
            "4 GiB length",
            "A-ASSOCIATE-RQ header, first",
            _send(struct.pack(">BBI", 1, 0, 0xFFFFFFFF)),
        ),
        Case(
            "4 GiB length",
            "P-DATA-TF header after association",
            _send(struct.pack(">BBI", 4, 0, 0xFFFFFFFF), associate=True),
        ),
        Case(
            "broken A-ASSOCIATE-RQ",
            "wrong application context",
            _send(associate_rq(application_context="1.2.3")),
        ),
        Case("broken A-ASSOCIATE-RQ", "no presentation context", _send(associate_rq(contexts=()))),
        Case(
            "broken A-ASSOCIATE-RQ",
            "malformed presentation context",
            _send((HOSTILE / "rq-pc-id-even.bin").read_bytes()),
        ),
        Case(
            "broken A-ASSOCIATE-RQ",
            "calling AE title with ESC",
            _send(rq[:26] + b"BAD\x1bAE".ljust(16) + rq[42:]),
        ),
        Case("broken A-ASSOCIATE-RQ", "over the 1 MiB cap (first 64 KiB)", _send(_oversized_rq())),
        Case("out of order", "P-DATA-TF before association", _send(echo_rq())),
        Case("out of order", "A-RELEASE-RQ before association", _send(_core.ReleaseRq().encode())),
        Case(
            "out of order",
            "A-ASSOCIATE-AC to the SCP",
            _send(
                _core.AssociateAc(
                    "A", "B", [_core.PresentationContextAc(1, 0, "1.2.840.10008.1.2")], []
                ).encode()
            ),
        ),
        Case("out of order", "second A-ASSOCIATE-RQ", _send(rq, associate=True)),
        Case("timers", "silent connection (ARTIM)", _silence(associate=False)),
        Case("timers", "half an A-ASSOCIATE-RQ (ARTIM)", _silence(associate=False, prefix=rq[:50])),
        Case(
            "timers",
            "half a P-DATA-TF after association (network)",
            _silence(associate=True, prefix=echo_rq()[:12]),
        ),
        Case("timers", "silence after association (network)", _silence(associate=True)),
        Case("crowd", "200 A-ASSOCIATE-RQ at once, 10 slots (all answered)", _crowd(200)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--acse-timeout", type=float, default=1.0, help="also ARTIM")
    parser.add_argument("--network-timeout", type=float, default=1.0)
    args = parser.parse_args()

    import logging

    logging.getLogger("fastdimse").setLevel(logging.CRITICAL)  # the cases are meant to fail

    rows = []
    for case in cases():
        times: list[float] = []
        seen: set[str] = set()
        for _ in range(args.runs):
            # A fresh server per run: no run waits on another's slot or thread.
            with hostile_scp(
                acse_timeout=args.acse_timeout,
                network_timeout=args.network_timeout,
                maximum_associations=10,
            ) as (_, server, _):
                seconds, answer = case.run(server.server_address[1])
            times.append(seconds)
            seen.add(answer)
        rows.append((case, statistics.median(times), max(times), " / ".join(sorted(seen))))

    print(
        f"ARTIM (ACSE) timeout {args.acse_timeout:g} s, network timeout "
        f"{args.network_timeout:g} s; median of {args.runs} runs, loopback, one process.\n"
    )
    print("| family | case | answer | median | max |")
    print("|---|---|---|---:|---:|")
    for case, median, worst, answers in rows:
        print(f"| {case.family} | {case.name} | {answers} | {_ms(median)} | {_ms(worst)} |")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.3f} s"


if __name__ == "__main__":
    main()
