"""Memory stays flat: length claims are not allocated, large data sets stream to a file, and
the structural scan reads a data set in bounded chunks.

Peak RSS (ru_maxrss) is compared before and after each scenario, which runs in a fresh
interpreter (this file run as a script) so that a peak reached by earlier tests cannot hide its
growth. The headers claiming 0xFFFFFFFF bytes are fed many times in fresh receivers, and a 64 MB
data set is generated and fed in 1 MB pieces so that the scenario itself never holds more than
a few MB.
"""

from __future__ import annotations

import hashlib
import struct
import sys
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from fastdimse import _core
from fastdimse._files.scan import DataSetError, scan_bytes, scan_file
from fastdimse.errors import DecodeError, LimitExceededError, TruncatedError
from helpers import MB, peak_rss, run_in_fresh_interpreter

RSS_BUDGET = 50 * MB
REPEATS = 2000
EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1.99"


# --- a small encoder (PS3.8 9.3.1, 9.3.5; PS3.7 Annex E) -------------------------------------


def element(tag: int, value: bytes) -> bytes:
    """Implicit VR Little Endian element: group, element, 32-bit length, value."""
    return struct.pack("<HHI", tag >> 16, tag & 0xFFFF, len(value)) + value


def command_set(elements: list[tuple[int, bytes]]) -> bytes:
    body = b"".join(element(tag, value) for tag, value in elements)
    return element(0x00000000, struct.pack("<I", len(body))) + body


def us(value: int) -> bytes:
    return struct.pack("<H", value)


def ui(uid: bytes) -> bytes:
    """A UID value, NUL padded to even length (PS3.5 9.1)."""
    return uid + b"\0" * (len(uid) % 2)


CT_IMAGE = ui(b"1.2.840.10008.5.1.4.1.1.2")
STORE_RQ = command_set([
    (0x00000002, CT_IMAGE), (0x00000100, us(0x0001)), (0x00000110, us(7)),
    (0x00000700, us(0)), (0x00000800, us(0x0000)),
    (0x00001000, ui(b"1.2.826.0.1.3680043.9.3811.9.1")),
])  # fmt: skip


def pdv_header(length: int, context_id: int, control: int) -> bytes:
    """PDV item: Item-length (counts the context ID and control header), ID, control."""
    return struct.pack(">IBB", length, context_id, control)


def p_data_header(length: int) -> bytes:
    return struct.pack(">BBI", 0x04, 0, length)


def p_data(context_id: int, control: int, data: bytes) -> bytes:
    return p_data_header(len(data) + 6) + pdv_header(len(data) + 2, context_id, control) + data


# --- length claims ----------------------------------------------------------------------------


def test_length_claims_are_not_allocated() -> None:
    run_in_fresh_interpreter(__file__, "length_claims")


def length_claims() -> None:
    rq_claim = b"\x01\x00\xff\xff\xff\xff" + bytes(74)
    # A P-DATA-TF of 0xFFFFFFFF bytes (no local limit): a whole C-STORE-RQ command, then the
    # first bytes of a data set PDV that claims the rest of the PDU.
    command_pdv = pdv_header(len(STORE_RQ) + 2, 1, 0x03) + STORE_RQ
    rest = 0xFFFFFFFF - len(command_pdv) - 4
    pdata_claim = p_data_header(0xFFFFFFFF) + command_pdv + pdv_header(rest, 1, 0x02) + bytes(4096)
    # A PDV claiming 0xFFFFFFFF inside P-DATA-TFs that cannot hold it.
    pdv_claim_small = p_data_header(100) + struct.pack(">I", 0xFFFFFFFF) + bytes(96)
    pdv_claim_unlimited = p_data_header(0xFFFFFFFF) + struct.pack(">I", 0xFFFFFFFF) + bytes(96)

    before = peak_rss()
    for _ in range(REPEATS):
        with pytest.raises(LimitExceededError) as limit:
            _core.Receiver().feed(rq_claim)
        assert limit.value.kind == "LimitExceeded"

        receiver = _core.Receiver(0, announce_data_sets=True)
        events = receiver.feed(pdata_claim)
        assert [type(e).__name__ for e in events] == ["DataSetStart"]
        assert events[0].context_id == 1
        assert events[0].command.command_field == 0x0001
        assert receiver.resume(None) == []
        assert receiver.partial_pdu_pending
        with pytest.raises(TruncatedError):
            receiver.finish()

        for local_max, stream in ((16382, pdv_claim_small), (0, pdv_claim_unlimited)):
            with pytest.raises(DecodeError) as overflow:
                _core.Receiver(local_max).feed(stream)
            assert overflow.value.kind == "LengthOverflow"
    growth = peak_rss() - before
    assert growth < RSS_BUDGET, f"peak RSS grew by {growth / MB:.1f} MB"


# --- a 64 MB data set streamed to a file -------------------------------------------------------

DATA_SET_LEN = 64 * MB


def data_set_blocks() -> Iterator[bytes]:
    """64 MB of data set bytes in 1 MB blocks, each different (its index in front)."""
    pattern = bytes(range(256)) * (MB // 256)
    for index in range(DATA_SET_LEN // MB):
        yield struct.pack(">Q", index) + pattern[8:]


def fragments(size: int) -> Iterator[memoryview | bytes]:
    """The data set cut into fragments of `size` bytes (the last may be shorter)."""
    carry = b""
    for block in data_set_blocks():
        data = carry + block
        view = memoryview(data)
        whole = len(data) // size * size
        for start in range(0, whole, size):
            yield view[start : start + size]
        carry = bytes(view[whole:])
    if carry:
        yield carry


def stream_pieces(local_max_pdu: int) -> Iterator[bytes]:
    """The data set's P-DATA-TF PDUs, as pieces of about 1 MB."""
    if local_max_pdu == 0:
        # One P-DATA-TF of 64 MB: the receiver must stream it, never hold it whole.
        yield p_data_header(DATA_SET_LEN + 6) + pdv_header(DATA_SET_LEN + 2, 1, 0x02)
        yield from data_set_blocks()
        return
    sent = 0
    piece = bytearray()
    for fragment in fragments(local_max_pdu - 6):
        sent += len(fragment)
        piece += p_data(1, 0x02 if sent == DATA_SET_LEN else 0x00, bytes(fragment))
        if len(piece) >= MB:
            yield bytes(piece)
            piece = bytearray()
    if piece:
        yield bytes(piece)


def expected_digest() -> str:
    digest = hashlib.sha256()
    for block in data_set_blocks():
        digest.update(block)
    return digest.hexdigest()


def file_digest(f: tempfile._TemporaryFileWrapper[bytes]) -> str:
    digest = hashlib.sha256()
    f.seek(0)
    while block := f.read(MB):
        digest.update(block)
    return digest.hexdigest()


@pytest.mark.parametrize("local_max_pdu", [0, 16382])
def test_64_mb_data_set_streams_to_a_file(local_max_pdu: int) -> None:
    run_in_fresh_interpreter(__file__, "data_set_to_file", str(local_max_pdu))


def data_set_to_file(local_max_pdu: int) -> None:
    with tempfile.NamedTemporaryFile() as f:
        before = peak_rss()
        receiver = _core.Receiver(local_max_pdu, announce_data_sets=True)
        events = receiver.feed(p_data(1, 0x03, STORE_RQ))
        assert [type(e).__name__ for e in events] == ["DataSetStart"]
        assert receiver.resume(f.fileno()) == []
        events = []
        for piece in stream_pieces(local_max_pdu):
            events += receiver.feed(piece)
        receiver.finish()
        growth = peak_rss() - before

        assert [type(e).__name__ for e in events] == ["Message"]
        message = events[0]
        assert message.context_id == 1
        assert message.command.command_field == 0x0001
        assert message.data_set is None
        assert message.data_set_length == DATA_SET_LEN
        assert not receiver.message_pending
        assert f.seek(0, 2) == DATA_SET_LEN
        assert file_digest(f) == expected_digest()
        assert growth < RSS_BUDGET, f"peak RSS grew by {growth / MB:.1f} MB"


# --- the structural scan of a data set ---------------------------------------------------------


def test_scan_claims_and_large_data_sets_keep_memory_flat() -> None:
    run_in_fresh_interpreter(__file__, "scan_claims")


def scan_claims() -> None:
    """A value claiming 4 GB (in a buffer that does not hold it, and in a sparse file that
    does), and 64 MB of deflated pixel data inflated by the core in bounded chunks."""
    head = b"\x08\x00\x18\x00UI\x06\x001.2.3\x00" + b"\xe0\x7f\x10\x00OB\x00\x00"
    claim = head + struct.pack("<I", 0xFFFFFFFE)
    value = 64 * MB
    deflater = zlib.compressobj(1, wbits=-zlib.MAX_WBITS)
    zeros = bytes(MB)
    parts = [deflater.compress(head + struct.pack("<I", value))]
    parts += [deflater.compress(zeros) for _ in range(value // MB)]
    deflated = b"".join([*parts, deflater.flush()])
    with tempfile.TemporaryDirectory() as directory:
        sparse = Path(directory) / "sparse.bin"
        with open(sparse, "wb") as f:
            f.write(claim)
            f.truncate(len(claim) + 0xFFFFFFFE)
        before = peak_rss()
        for _ in range(REPEATS):
            with pytest.raises(DataSetError, match="runs past its end"):
                scan_bytes(claim, EXPLICIT_VR_LITTLE_ENDIAN)
        whole = scan_file(sparse, 0, EXPLICIT_VR_LITTLE_ENDIAN)
        assert whole.data_set_length == len(claim) + 0xFFFFFFFE
        inflated = scan_bytes(deflated, DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN)
        assert inflated.data_set_length == len(head) + 4 + value
        growth = peak_rss() - before
    assert growth < RSS_BUDGET, f"peak RSS grew by {growth / MB:.1f} MB"


# --- running a scenario on its own -------------------------------------------------------------

SCENARIOS = {
    "length_claims": length_claims,
    "data_set_to_file": data_set_to_file,
    "scan_claims": scan_claims,
}


if __name__ == "__main__":
    name, *scenario_args = sys.argv[1:]
    SCENARIOS[name](*map(int, scenario_args))
