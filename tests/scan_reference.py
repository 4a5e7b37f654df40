"""The pure-Python structural scan that fastdimse used before the Rust core's:
the oracle of ``test_scan_differential.py``, kept as it ran.

``scan(data, offset, transfer_syntax)`` checks the data set in `data` from
`offset` (a DICOM file without `transfer_syntax`) as ``fastdimse._files.scan``
does, and returns the same fields, or raises :class:`DataSetError` with the
message and offset the core's error must carry.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import BinaryIO

IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"
EXPLICIT_VR_BIG_ENDIAN = "1.2.840.10008.1.2.2"
DEFLATED_TRANSFER_SYNTAXES = frozenset({"1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.4.95"})

CHUNK = 64 * 1024
MAX_DEPTH = 256
MAX_META_VALUE = 64 * 1024
MAX_UID_VALUE = 1024


class DataSetError(ValueError):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at offset {offset})")
        self.detail = message
        self.offset = offset


# transfer syntax, SOP Class UID, SOP Instance UID, data set offset and
# length, elements: ``ScanResult``'s fields in order
ScanTuple = tuple[str, str | None, str | None, int, int, int]


def scan(data: bytes, offset: int = 0, transfer_syntax: str | None = None) -> ScanTuple:
    return _scan(io.BytesIO(data), offset, len(data), transfer_syntax)


# Helpers

_ITEM = 0xFFFEE000
_ITEM_DELIMITATION = 0xFFFEE00D
_SEQUENCE_DELIMITATION = 0xFFFEE0DD
_UNDEFINED = 0xFFFFFFFF
_PIXEL_DATA = 0x7FE00010
_SOP_CLASS_UID = 0x00080016
_SOP_INSTANCE_UID = 0x00080018
_TRANSFER_SYNTAX_UID = 0x00020010

# PS3.5 7.1.2: VRs with a 2-byte reserved field and a 4-byte length; the
# others have a 2-byte length
_LONG_VRS = frozenset(b"OB OD OF OL OV OW SQ SV UC UN UR UT UV".split())
_SHORT_VRS = frozenset(b"AE AS AT CS DA DS DT FL FD IS LO LT PN SH SL SS ST TM UI UL US".split())

_DATASET, _SEQUENCE, _FRAGMENTS = 0, 1, 2


def _scan(raw: BinaryIO, offset: int, size: int, transfer_syntax: str | None) -> ScanTuple:
    if offset < 0 or offset > size:
        raise DataSetError("offset outside the file", offset)
    raw.seek(offset)
    source: _Source = _FileSource(raw, offset, size)
    if transfer_syntax is None:
        transfer_syntax = _read_file_meta(source)
    transfer_syntax = transfer_syntax.rstrip("\0 ")
    start = source.pos
    if transfer_syntax in DEFLATED_TRANSFER_SYNTAXES:
        raw.seek(start)
        source = _InflatingSource(raw)
    implicit = transfer_syntax == IMPLICIT_VR_LITTLE_ENDIAN
    little = transfer_syntax != EXPLICIT_VR_BIG_ENDIAN
    walker = _Walker(source, implicit, little)
    walker.walk()
    if isinstance(source, _InflatingSource):
        source.check_finished()
        length = source.pos
    else:
        length = source.pos - start
    return (
        transfer_syntax,
        walker.sop_class_uid,
        walker.sop_instance_uid,
        start,
        length,
        walker.elements,
    )


def _read_file_meta(source: _Source) -> str:
    """Check the preamble and File Meta Information (explicit VR little
    endian, group 0002, defined lengths); return the Transfer Syntax UID."""
    header = source.read(132)
    if header[128:] != b"DICM":
        raise DataSetError("no DICM prefix after the 128-byte preamble", source.pos - 4)
    transfer_syntax: str | None = None
    previous = -1
    while True:
        peek = source.peek(4)
        if len(peek) < 4:
            break
        group, element = struct.unpack("<HH", peek)
        if group != 0x0002:
            break
        at = source.pos
        tag = group << 16 | element
        if tag <= previous:
            raise DataSetError(f"File Meta tag {_tag_str(tag)} out of order", at)
        previous = tag
        source.read(4)
        vr = source.read(2)
        if vr in _SHORT_VRS:
            (length,) = struct.unpack("<H", source.read(2))
        elif vr in _LONG_VRS:
            (length,) = struct.unpack("<xxL", source.read(6))
        else:
            raise DataSetError(f"File Meta element {_tag_str(tag)} has unknown VR {vr!r}", at + 4)
        if length > MAX_META_VALUE:
            raise DataSetError(f"File Meta element {_tag_str(tag)} is {length} bytes long", at)
        value = source.read(length)
        if tag == _TRANSFER_SYNTAX_UID:
            transfer_syntax = value.rstrip(b"\0 ").decode("ascii", "replace")
    if not transfer_syntax:
        raise DataSetError("File Meta Information has no Transfer Syntax UID", source.pos)
    return transfer_syntax


def _tag_str(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


class _Frame:
    """One level of the walk: a data set (the top one or an item), a
    sequence of items, or the fragments of encapsulated pixel data."""

    __slots__ = ("end", "implicit", "kind", "limit", "little", "previous", "top", "undefined")

    def __init__(
        self,
        kind: int,
        end: int | None,
        limit: int | None,
        implicit: bool,
        little: bool,
        *,
        undefined: bool = False,
        top: bool = False,
    ) -> None:
        self.kind = kind
        self.end = end  # where a defined-length frame ends
        self.limit = limit  # where anything inside must end (own or enclosing end, file size)
        self.implicit = implicit
        self.little = little
        self.undefined = undefined  # an undefined-length item, closed by its delimiter
        self.top = top
        self.previous = -1


class _Walker:
    """Walks a data set with an explicit stack (no recursion, so nesting
    depth costs no Python frames)."""

    def __init__(self, source: _Source, implicit: bool, little: bool) -> None:
        self.source = source
        self.implicit = implicit
        self.little = little
        self.sop_class_uid: str | None = None
        self.sop_instance_uid: str | None = None
        self.elements = 0

    def walk(self) -> None:
        source = self.source
        stack = [_Frame(_DATASET, None, source.size, self.implicit, self.little, top=True)]
        while stack:
            frame = stack[-1]
            if frame.end is not None and source.pos >= frame.end:
                if source.pos > frame.end:
                    raise DataSetError("contents overrun their defined length", frame.end)
                stack.pop()
                continue
            if frame.kind == _DATASET:
                if frame.top and source.at_end():
                    stack.pop()
                    continue
                child = self._element(frame, len(stack))
            elif frame.kind == _SEQUENCE:
                child = self._item(frame)
            else:
                child = self._fragment(frame)
            if child is None:
                continue
            if child is stack[-1]:
                stack.pop()
            else:
                if len(stack) >= MAX_DEPTH:
                    raise DataSetError("sequences nested too deeply", source.pos)
                stack.append(child)

    def _element(self, frame: _Frame, depth: int) -> _Frame | None:
        """One element of a data set; returns a frame to enter, `frame`
        itself when it ends (item delimiter), or ``None``."""
        source = self.source
        at = source.pos
        tag = self._tag(frame)
        if tag >> 16 == 0xFFFE:
            if tag == _ITEM_DELIMITATION and frame.undefined:
                self._read(frame, 4)  # its length, 0 by the standard, ignored as readers do
                return frame
            raise DataSetError(f"unexpected {_tag_str(tag)} in a data set", at)
        if tag <= frame.previous:
            raise DataSetError(
                f"tag {_tag_str(tag)} does not follow {_tag_str(frame.previous)}", at
            )
        frame.previous = tag
        self.elements += 1
        little = frame.little
        if frame.implicit:
            (length,) = struct.unpack("<L" if little else ">L", self._read(frame, 4))
            vr = _implicit_vr(tag, length)
        else:
            vr = self._read(frame, 2)
            if vr in _SHORT_VRS:
                (length,) = struct.unpack("<H" if little else ">H", self._read(frame, 2))
            elif vr in _LONG_VRS:
                (length,) = struct.unpack("<xxL" if little else ">xxL", self._read(frame, 6))
            else:
                raise DataSetError(f"element {_tag_str(tag)} has unknown VR {vr!r}", at + 4)
        if length == _UNDEFINED:
            if vr == b"SQ":
                return _Frame(_SEQUENCE, None, frame.limit, frame.implicit, little)
            if vr == b"UN":  # PS3.5 6.2.2: a sequence in implicit VR little endian
                return _Frame(_SEQUENCE, None, frame.limit, True, True)
            return _Frame(_FRAGMENTS, None, frame.limit, frame.implicit, little)
        end = source.pos + length
        if frame.limit is not None and end > frame.limit:
            raise DataSetError(
                f"element {_tag_str(tag)} of {length} bytes runs past its end ({frame.limit})", at
            )
        if vr == b"SQ":
            return _Frame(_SEQUENCE, end, end, frame.implicit, little)
        if depth == 1 and tag in (_SOP_CLASS_UID, _SOP_INSTANCE_UID) and length <= MAX_UID_VALUE:
            uid = self._read(frame, length).rstrip(b"\0 ").decode("ascii", "replace")
            if tag == _SOP_CLASS_UID:
                self.sop_class_uid = uid
            else:
                self.sop_instance_uid = uid
            return None
        if source.skip(length) != length:
            raise DataSetError(f"element {_tag_str(tag)} is truncated", at)
        return None

    def _item(self, frame: _Frame) -> _Frame | None:
        at = self.source.pos
        tag, length = self._item_header(frame)
        if tag == _ITEM:
            if length == _UNDEFINED:
                return _Frame(
                    _DATASET, None, frame.limit, frame.implicit, frame.little, undefined=True
                )
            end = self._fits(frame, length, at, "item")
            return _Frame(_DATASET, end, end, frame.implicit, frame.little)
        if tag == _SEQUENCE_DELIMITATION and frame.end is None:
            return frame
        raise DataSetError(f"expected an item, found {_tag_str(tag)}", at)

    def _fragment(self, frame: _Frame) -> _Frame | None:
        at = self.source.pos
        tag, length = self._item_header(frame)
        if tag == _SEQUENCE_DELIMITATION:
            return frame
        if tag != _ITEM:
            raise DataSetError(f"expected a fragment, found {_tag_str(tag)}", at)
        if length == _UNDEFINED:
            raise DataSetError("fragment of undefined length", at)
        self._fits(frame, length, at, "fragment")
        if self.source.skip(length) != length:
            raise DataSetError("fragment is truncated", at)
        return None

    def _item_header(self, frame: _Frame) -> tuple[int, int]:
        group, element, length = struct.unpack(
            "<HHL" if frame.little else ">HHL", self._read(frame, 8)
        )
        return group << 16 | element, length

    def _tag(self, frame: _Frame) -> int:
        group, element = struct.unpack("<HH" if frame.little else ">HH", self._read(frame, 4))
        return int(group << 16 | element)

    def _fits(self, frame: _Frame, length: int, at: int, what: str) -> int:
        end = self.source.pos + length
        if frame.limit is not None and end > frame.limit:
            raise DataSetError(f"{what} of {length} bytes runs past its end ({frame.limit})", at)
        return end

    def _read(self, frame: _Frame, n: int) -> bytes:
        source = self.source
        if frame.limit is not None and source.pos + n > frame.limit:
            raise DataSetError("truncated: an element header runs past its end", source.pos)
        return source.read(n)


_IS_SEQUENCE: dict[int, bool] = {}


def _implicit_vr(tag: int, length: int) -> bytes:
    """What an implicit VR element is, as far as the walk cares: a sequence,
    encapsulated pixel data or a value to skip. Undefined length means a
    sequence (or encapsulated pixel data); a defined-length sequence is
    known from pydicom's data dictionary (private ones are skipped)."""
    if length == _UNDEFINED:
        return b"OB" if tag == _PIXEL_DATA else b"SQ"
    if tag >> 16 & 1:  # private
        return b"UN"
    known = _IS_SEQUENCE.get(tag)
    if known is None:
        from pydicom.datadict import dictionary_VR

        try:
            known = dictionary_VR(tag) == "SQ"
        except KeyError:  # not cached: the cache holds dictionary tags only
            return b"UN"
        _IS_SEQUENCE[tag] = known
    return b"SQ" if known else b"UN"


class _Source:
    """Bytes from a file or an inflater, buffered in bounded chunks.

    `pos` is the offset of the next byte (in the file, or in the inflated
    stream); `size` the total when known."""

    size: int | None = None

    def __init__(self, pos: int) -> None:
        self.pos = pos
        self._buffer = b""
        self._index = 0

    def read(self, n: int) -> bytes:
        """Exactly `n` bytes, else :class:`DataSetError` (truncated)."""
        data = self.peek(n)
        if len(data) < n:
            raise DataSetError(f"truncated: {n} bytes wanted, {len(data)} left", self.pos)
        self._index += n
        self.pos += n
        return data

    def peek(self, n: int) -> bytes:
        """Up to `n` bytes without consuming them (fewer only at the end)."""
        have = len(self._buffer) - self._index
        if have < n:
            parts = [self._buffer[self._index :]]
            while have < n:
                more = self._more(max(n - have, CHUNK))
                if not more:
                    break
                parts.append(more)
                have += len(more)
            self._buffer = b"".join(parts)
            self._index = 0
        return self._buffer[self._index : self._index + n]

    def skip(self, n: int) -> int:
        """Skip up to `n` bytes; how many were skipped (fewer only at the end)."""
        have = len(self._buffer) - self._index
        if n <= have:
            self._index += n
            self.pos += n
            return n
        self._buffer, self._index = b"", 0
        skipped = have + self._discard(n - have)
        self.pos += skipped
        return skipped

    def at_end(self) -> bool:
        return not self.peek(1)

    def _more(self, n: int) -> bytes:
        raise NotImplementedError

    def _discard(self, n: int) -> int:
        raise NotImplementedError


class _FileSource(_Source):
    def __init__(self, raw: BinaryIO, pos: int, size: int) -> None:
        super().__init__(pos)
        self.size = self._size = size
        self._raw = raw
        self._raw_pos = pos

    def _more(self, n: int) -> bytes:
        data = self._raw.read(min(n, max(self._size - self._raw_pos, 0), CHUNK * 16))
        self._raw_pos += len(data)
        return data

    def _discard(self, n: int) -> int:
        n = min(n, max(self._size - self._raw_pos, 0))
        self._raw_pos += n
        self._raw.seek(self._raw_pos)
        return n


class _InflatingSource(_Source):
    """A deflated data set (raw deflate, PS3.5 A.5), inflated as read."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__(0)
        self._raw = raw
        self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)

    def _more(self, n: int) -> bytes:
        inflater = self._inflater
        n = min(n, CHUNK * 16)
        try:
            while not inflater.eof:
                # pending output first, then more input
                data = inflater.decompress(inflater.unconsumed_tail, n)
                if data:
                    return data
                compressed = self._raw.read(CHUNK)
                if not compressed:
                    return b""
                data = inflater.decompress(compressed, n)
                if data:
                    return data
        except zlib.error as exc:
            raise DataSetError(f"deflated data set does not inflate: {exc}", self.pos) from None
        return b""

    def _discard(self, n: int) -> int:
        skipped = 0
        while skipped < n:
            data = self._more(min(n - skipped, CHUNK))
            if not data:
                break
            skipped += len(data)
        return skipped

    def check_finished(self) -> None:
        if not self._inflater.eof:
            raise DataSetError("deflated data set is truncated", self.pos)
