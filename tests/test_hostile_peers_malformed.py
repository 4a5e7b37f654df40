"""Hostile peers over raw sockets: garbage bytes, unknown PDU types, 4 GiB length claims and
broken A-ASSOCIATE-RQs.

Run as a script (`python tests/test_hostile_peers_malformed.py SCENARIO ARGS...`), it runs
one memory scenario in a fresh interpreter (see the end).
"""

from __future__ import annotations

import random
import struct
import sys
from collections.abc import Callable

import pytest

from fastdimse import _core
from helpers import MB, peak_rss, run_in_fresh_interpreter
from hostile_peer import (
    VERIFICATION as VERIFICATION_UID,
)
from hostile_peer import (
    associate_rq,
    describe,
    pdu,
)
from hostile_peers_support import (
    AA1,
    ACSE,
    ANSWER_DEADLINE,
    HOSTILE,
    INVALID_PARAMETER,
    NETWORK,
    NETWORK_ABORT,
    SLACK,
    UNRECOGNIZED,
    Scp,
    assert_answer,
    exchange,
    start_server,
)

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


# -- memory scenarios, each run on its own (run_in_fresh_interpreter) -------------------------

SCENARIOS: dict[str, Callable[..., None]] = {
    "four_gib_length_claim": four_gib_length_claim,
    "four_gib_data_set_claim": four_gib_data_set_claim,
    "associate_rq_over_the_cap": associate_rq_over_the_cap,
}

if __name__ == "__main__":
    scenario, *scenario_args = sys.argv[1:]
    SCENARIOS[scenario](*scenario_args)
