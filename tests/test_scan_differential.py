"""The Rust core's structural scan against the pure-Python one it replaced.

Random valid data sets (nested sequences and items of defined and undefined
length, UN sequences, encapsulated pixel data) are encoded here, by hand, in
implicit VR little endian, explicit VR little and big endian, and deflated;
then broken (cut, a length field rewritten, two elements swapped, a delimiter
dropped, a byte overwritten). ``fastdimse._files.scan`` and the oracle
(``scan_reference``, the former implementation) must give the same verdict:
the same result, or an error with the same message at the same offset. A
corrupt deflate stream only has to fail in both: where zlib and the core's
inflater notice the corruption differs.
"""

from __future__ import annotations

import struct
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import astuple, dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.datadict import DicomDictionary

import scan_reference
from fastdimse._files.scan import DataSetError, ScanResult, scan_bytes, scan_file

IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
BIG = "1.2.840.10008.1.2.2"
DEFLATED = "1.2.840.10008.1.2.1.99"
SYNTAXES = [IMPLICIT, EXPLICIT, BIG, DEFLATED]

ITEM, ITEM_END, SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
UNDEFINED = 0xFFFFFFFF
PIXEL_DATA = 0x7FE00010
LONG_VRS = {b"OB", b"OW", b"SQ", b"UN", b"UT"}

# Values (none is SQ in the dictionary, so implicit VR skips them too)
VALUE_TAGS = {
    0x00080016: b"UI",  # SOP Class UID
    0x00080018: b"UI",  # SOP Instance UID
    0x00080020: b"DA",
    0x00090010: b"LO",  # private creator
    0x00100010: b"PN",
    0x00111001: b"OB",  # private
    0x00181030: b"LO",
    0x00280010: b"US",
    0x0040A040: b"CS",
    0x00431029: b"UN",
    0x00540081: b"US",
}
# Sequences in the dictionary (the last in a repeating group, 50xx), and
# tags for UN sequences (private, or unknown to the dictionary)
SEQUENCE_TAGS = [0x00081115, 0x00081140, 0x00400275, 0x0040A730, 0x00540016, 0x50022600]
UN_TAGS = [0x00191010, 0x00330010]


@dataclass
class Value:
    tag: int
    vr: bytes
    value: bytes


@dataclass
class Item:
    nodes: list[Node]
    defined: bool


@dataclass
class Sequence:
    tag: int
    items: list[Item]
    defined: bool
    unknown: bool  # UN: items in implicit VR little endian whatever the syntax


@dataclass
class Pixels:
    fragments: list[bytes]


Node = Value | Sequence | Pixels


# --- random data sets ---------------------------------------------------------------------


UIDS = st.one_of(
    st.from_regex(rb"\A[0-9]{1,3}(\.[0-9]{1,6}){0,8}\Z").map(
        lambda uid: uid + b"\0" * (len(uid) % 2)
    ),
    st.binary(max_size=12).map(lambda raw: raw + b" \0"),  # padding, bytes past ASCII
    st.just(b"1" * 1030),  # longer than the scan reads
)


@st.composite
def data_sets(draw: st.DrawFn, depth: int = 0, top: bool = False) -> list[Node]:
    pool = [*VALUE_TAGS, *(SEQUENCE_TAGS + UN_TAGS if depth < 3 else [])]
    nodes: list[Node] = []
    for tag in sorted(draw(st.sets(st.sampled_from(pool), max_size=6))):
        if tag in VALUE_TAGS:
            value = draw(UIDS if VALUE_TAGS[tag] == b"UI" else st.binary(max_size=14))
            nodes.append(Value(tag, VALUE_TAGS[tag], value))
            continue
        items = [
            Item(draw(data_sets(depth + 1)), draw(st.booleans()))
            for _ in range(draw(st.integers(0, 3 if depth < 2 else 1)))
        ]
        nodes.append(Sequence(tag, items, draw(st.booleans()), tag in UN_TAGS))
    if top and draw(st.booleans()):
        nodes.append(Pixels(draw(st.lists(st.binary(max_size=20), max_size=3))))
    return nodes


class Writer:
    """Encodes nodes, noting where length fields, delimiters and top-level
    elements are (for the corruptions)."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.lengths: list[tuple[int, int, bool]] = []  # offset, size, little
        self.delimiters: list[int] = []
        self.tops: list[int] = []

    def int(self, value: int, size: int, little: bool) -> None:
        self.out += value.to_bytes(size, "little" if little else "big")

    def header(self, tag: int, vr: bytes, length: int, implicit: bool, little: bool) -> int:
        self.int(tag >> 16, 2, little)
        self.int(tag & 0xFFFF, 2, little)
        size = 4 if implicit or vr in LONG_VRS else 2
        if not implicit:
            self.out += vr + (b"\0\0" if size == 4 else b"")
        at = len(self.out)
        self.lengths.append((at, size, little))
        self.int(length, size, little)
        return at

    def item_header(self, tag: int, length: int, little: bool) -> int:
        self.int(tag >> 16, 2, little)
        self.int(tag & 0xFFFF, 2, little)
        self.lengths.append((len(self.out), 4, little))
        self.int(length, 4, little)
        return len(self.out) - 4

    def delimiter(self, tag: int, little: bool) -> None:
        self.delimiters.append(len(self.out))
        self.item_header(tag, 0, little)

    def patch(self, at: int, length: int, little: bool) -> None:
        self.out[at : at + 4] = length.to_bytes(4, "little" if little else "big")

    def nodes(self, nodes: list[Node], implicit: bool, little: bool, top: bool = False) -> None:
        for node in nodes:
            if top:
                self.tops.append(len(self.out))
            if isinstance(node, Value):
                self.header(node.tag, node.vr, len(node.value), implicit, little)
                self.out += node.value
            elif isinstance(node, Pixels):
                self.header(PIXEL_DATA, b"OB", UNDEFINED, implicit, little)
                for fragment in node.fragments:
                    self.item_header(ITEM, len(fragment), little)
                    self.out += fragment
                self.delimiter(SEQUENCE_END, little)
            else:
                self.sequence(node, implicit, little)

    def sequence(self, node: Sequence, implicit: bool, little: bool) -> None:
        vr = b"UN" if node.unknown else b"SQ"
        at = self.header(node.tag, vr, UNDEFINED, implicit, little)
        outer = little
        if node.unknown:
            implicit, little = True, True
        start = len(self.out)
        for item in node.items:
            item_at = self.item_header(ITEM, UNDEFINED, little)
            item_start = len(self.out)
            self.nodes(item.nodes, implicit, little)
            if item.defined:
                self.patch(item_at, len(self.out) - item_start, little)
            else:
                self.delimiter(ITEM_END, little)
        # a defined-length UN is skipped whole: its contents still encoded as they are
        if node.defined:
            self.patch(at, len(self.out) - start, outer)
        else:
            self.delimiter(SEQUENCE_END, little)


def encode(nodes: list[Node], syntax: str) -> Writer:
    writer = Writer()
    writer.nodes(nodes, syntax == IMPLICIT, syntax != BIG, top=True)
    return writer


# --- corruptions --------------------------------------------------------------------------


# (what, where: an index into the writer's notes or the bytes, a new value)
Corruption = tuple[str, int, int]
CORRUPTIONS = st.tuples(
    st.sampled_from(["none", "truncate", "length", "swap", "drop delimiter", "byte"]),
    st.integers(0, 1 << 16),
    st.one_of(
        st.sampled_from([0, 1, 2, 7, 8, 0xFFFF, 0xFFFFFFFE, UNDEFINED]),
        st.integers(0, UNDEFINED),
    ),
)


def corrupt(writer: Writer, corruption: Corruption) -> bytes:
    data = bytearray(writer.out)
    kind, where, value = corruption
    if kind == "truncate":
        return bytes(data[: where % (len(data) + 1)])
    if kind == "length" and writer.lengths:
        at, size, little = writer.lengths[where % len(writer.lengths)]
        value %= 1 << (8 * size)
        data[at : at + size] = value.to_bytes(size, "little" if little else "big")
    elif kind == "swap" and len(writer.tops) >= 2:
        i = where % (len(writer.tops) - 1)
        ends = [*writer.tops, len(data)]
        first, second = data[ends[i] : ends[i + 1]], data[ends[i + 1] : ends[i + 2]]
        data[ends[i] : ends[i + 2]] = second + first
    elif kind == "drop delimiter" and writer.delimiters:
        at = writer.delimiters[where % len(writer.delimiters)]
        del data[at : at + 8]
    elif kind == "byte" and data:
        data[where % len(data)] = value & 0xFF
    return bytes(data)


def deflate(data: bytes, level: int) -> bytes:
    deflater = zlib.compressobj(level, wbits=-zlib.MAX_WBITS)
    return deflater.compress(data) + deflater.flush()


def part10(data_set: bytes, syntax: str) -> bytes:
    """A DICOM file: preamble, DICM, File Meta Information, `data_set`."""
    uid = syntax.encode() + b"\0" * (len(syntax) % 2)
    meta = b"".join(
        struct.pack("<HH2sH", 0x0002, element, vr, len(value)) + value
        for element, vr, value in [
            (0x0002, b"UI", b"1.2.840.10008.5.1.4.1.1.7\0"),
            (0x0003, b"UI", b"1.2.34"),
            (0x0010, b"UI", uid),
        ]
    )
    version = b"\x02\x00\x01\x00OB\0\0" + struct.pack("<I", 2) + b"\0\1"
    meta = version + meta
    length = b"\x02\x00\x00\x00UL" + struct.pack("<HI", 4, len(meta))
    return bytes(128) + b"DICM" + length + meta + data_set


# --- the comparison ----------------------------------------------------------------------


Verdict = tuple[object, ...]


def core_verdict(scan: Callable[..., ScanResult], *args: object) -> Verdict:
    try:
        result = scan(*args)
    except DataSetError as exc:
        return ("error", exc.detail, exc.offset)
    return ("ok", *astuple(result))


def oracle_verdict(*args: object) -> Verdict:
    """The oracle's verdict on ``scan_reference.scan(*args)``."""
    try:
        result = scan_reference.scan(*args)  # type: ignore[arg-type]
    except scan_reference.DataSetError as exc:
        return ("error", exc.detail, exc.offset)
    return ("ok", *result)


def same(core: Verdict, oracle: Verdict) -> None:
    """Equal verdicts; for a deflate stream that does not inflate, failing is enough."""
    inflate = "deflated data set does not inflate"
    if oracle[0] == "error" and str(oracle[1]).startswith(inflate):
        assert core[0] == "error", (core, oracle)
        return
    assert core == oracle


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    syntax=st.sampled_from(SYNTAXES),
    nodes=data_sets(top=True),
    corruption=CORRUPTIONS,
    form=st.sampled_from(["bare", "part10", "file"]),
    level=st.integers(0, 9),
)
def test_core_and_oracle_agree(
    scratch: Path,
    syntax: str,
    nodes: list[Node],
    corruption: Corruption,
    form: str,
    level: int,
) -> None:
    inner = EXPLICIT if syntax == DEFLATED else syntax
    data = corrupt(encode(nodes, inner), corruption)
    if syntax == DEFLATED:
        data = deflate(data, level)
    if form == "bare":
        same(core_verdict(scan_bytes, data, syntax), oracle_verdict(data, 0, syntax))
    elif form == "part10":
        whole = part10(data, syntax)
        same(core_verdict(scan_bytes, bytearray(whole)), oracle_verdict(whole))
    else:
        path = scratch / "data.bin"
        path.write_bytes(b"junk" + data)
        same(core_verdict(scan_file, path, 4, syntax), oracle_verdict(b"junk" + data, 4, syntax))


@settings(max_examples=200, deadline=None)
@given(
    nodes=data_sets(top=True),
    level=st.integers(0, 9),
    cut=st.integers(0, 1 << 16),
    flips=st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), max_size=3),
)
def test_corrupt_deflate_streams_fail_in_both(
    nodes: list[Node], level: int, cut: int, flips: list[tuple[int, int]]
) -> None:
    stream = bytearray(deflate(bytes(encode(nodes, EXPLICIT).out), level))
    for at, value in flips:
        stream[at % len(stream)] = value
    data = bytes(stream[: cut % (len(stream) + 1)])
    same(core_verdict(scan_bytes, data, DEFLATED), oracle_verdict(data, 0, DEFLATED))


@pytest.mark.parametrize("form", ["bare", "part10"])
def test_every_file_meta_and_header_cut(form: str) -> None:
    """Every prefix of a small file, and of its data set: exhaustively, not by chance."""
    nodes: list[Node] = [
        Value(0x00080016, b"UI", b"1.2.3\0"),
        Sequence(0x00081115, [Item([Value(0x00100010, b"PN", b"A^B ")], False)], False, False),
        Pixels([b"", b"frame"]),
    ]
    for syntax in SYNTAXES[:3]:
        data = bytes(encode(nodes, syntax).out)
        whole = data if form == "bare" else part10(data, syntax)
        given_syntax = syntax if form == "bare" else None
        for cut in range(len(whole) + 1):
            same(
                core_verdict(scan_bytes, whole[:cut], given_syntax),
                oracle_verdict(whole[:cut], 0, given_syntax),
            )


def test_sequence_tags_are_the_dictionary_s() -> None:
    """Implicit VR: every dictionary tag with a defined-length value holding one
    item of one element. A sequence counts two elements, anything else one,
    in both scanners (the core's table is generated from pydicom's dictionary)."""
    tags = sorted(tag for tag in DicomDictionary if tag >> 16 not in (0x0000, 0x0002, 0xFFFE))
    tags = sorted({*tags, 0x50002600, 0x50FE2600, 0x50012600})  # repeating, and private
    inner = struct.pack("<HHI", 0x0010, 0x0010, 2) + b"AB"
    item = struct.pack("<HHI", 0xFFFE, 0xE000, len(inner)) + inner
    data = b"".join(struct.pack("<HHI", tag >> 16, tag & 0xFFFF, len(item)) + item for tag in tags)
    result = scan_bytes(data, IMPLICIT)
    sequences = sum(1 for tag in tags if DicomDictionary.get(tag, ("",))[0] == "SQ") + 2
    assert result.elements == len(tags) + sequences
    assert core_verdict(scan_bytes, data, IMPLICIT) == oracle_verdict(data, 0, IMPLICIT)


def test_nesting_depth_is_capped_alike() -> None:
    """Undefined-length sequences nested past the cap: the same error at the same offset."""
    open_sequence = struct.pack("<HH2sHI", 0x0008, 0x1115, b"SQ", 0, UNDEFINED)
    open_item = struct.pack("<HHI", 0xFFFE, 0xE000, UNDEFINED)
    data = (open_sequence + open_item) * 200
    core = core_verdict(scan_bytes, data, EXPLICIT)
    assert core[0] == "error"
    assert "nested too deeply" in str(core[1])
    assert core == oracle_verdict(data, 0, EXPLICIT)
