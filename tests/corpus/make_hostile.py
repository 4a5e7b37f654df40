#!/usr/bin/env python3
"""Writes the named corpus of hostile inputs: tests/corpus/hostile/<name>.bin and MANIFEST.tsv.

Deterministic and stdlib only: PDUs (PS3.8 9.3, Annex D; PS3.7 Annex D) and command sets
(PS3.7 Annex E, Implicit VR Little Endian) are built here by hand with `struct`, never with
fastdimse or pynetdicom, so the corpus does not share a bug with the code it tests.

Entries (MANIFEST.tsv columns: name, entry, local_max_pdu, expect, sta2, sta6, description):
- `pdu`: one whole PDU for `decode_pdu`;
- `stream`: a byte stream for a `Receiver` with the given local maximum PDU (0: no limit),
  fed and then `finish()`ed;
- `command`: a command set for `decode_command_set`.
`expect` is `ok` or the `ErrorKind::name()` of the first error.
`sta2` and `sta6` (for `pdu` and `stream` entries; `-` for commands) are what an acceptor with
a local maximum PDU of 16382 sends back when a peer sends the entry as the first bytes of a
connection (Sta2), or right after a valid association (Sta6), and then ends its stream: from
PS3.8's state table (9.2) and reasons (9.3.4, 9.3.8), see `sta2_answer` and `sta6_answer`.
The first PDU of the answer, as `AC`, `RJ(result,source,reason)`, `A-ABORT(source,reason)`,
`RELEASE-RP`, `P-DATA` or `nothing`; alternatives are joined by `|`, and a name without
parentheses stands for any PDU of that type.

Hand-written entries carry the expectation read from the standard. The systematic ones
(every prefix, every length field set to 0, 1, one less, one more and the maximum) get theirs
from `Model` below: a small reference decoder that applies the standard's rules in wire order
with the core's documented error kinds (a length past its parent is LengthOverflow, bytes left
in an item are TrailingBytes, a body shorter than its fixed part is LengthTooShort). Every
hand-written expectation is checked against the model too, so the two cannot disagree.

Run: python3 tests/corpus/make_hostile.py [--check]  (--check compares with the files on disk)
"""

from __future__ import annotations

import argparse
import struct
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent / "hostile"
DEFAULT_LOCAL_MAX = 16382
MAX_ASSOCIATE_PDU = 1024 * 1024

# ---------------------------------------------------------------------------------------------
# Encoder with length-field bookkeeping. A `Len` part encodes its children behind a length
# field and records where that field is, so that every length field can be mutated later.
# ---------------------------------------------------------------------------------------------


@dataclass
class Len:
    """A length field (struct format `fmt`) followed by the parts it counts."""

    name: str
    fmt: str
    parts: list[Part]


Part = bytes | Len


@dataclass
class LengthField:
    name: str
    offset: int
    fmt: str
    value: int
    followers: int  # bytes from the end of the field to the end of its parent


def encode(parts: list[Part]) -> tuple[bytes, list[LengthField]]:
    out = bytearray()
    fields: list[LengthField] = []
    _encode_into(parts, out, fields)
    return bytes(out), fields


def _encode_into(parts: list[Part], out: bytearray, fields: list[LengthField]) -> None:
    for part in parts:
        if isinstance(part, bytes):
            out += part
            continue
        at = len(out)
        size = struct.calcsize(part.fmt)
        out += bytes(size)
        record = LengthField(part.name, at, part.fmt, 0, 0)
        fields.append(record)
        _encode_into(part.parts, out, fields)
        record.value = len(out) - at - size
        struct.pack_into(part.fmt, out, at, record.value)


def encode_tree(parts: list[Part]) -> tuple[bytes, list[LengthField]]:
    """Encodes and fills in each field's `followers`: the bytes from the end of the field to
    the end of the innermost length-counted span holding it (or of the whole input)."""
    data, fields = encode(parts)
    spans = [
        (f.offset + struct.calcsize(f.fmt), f.offset + struct.calcsize(f.fmt) + f.value)
        for f in fields
    ]
    for f, (start, _) in zip(fields, spans, strict=True):
        parent_end = len(data)
        for o_start, o_end in spans:
            if o_start <= f.offset < o_end:
                parent_end = min(parent_end, o_end)
        f.followers = parent_end - start
    return data, fields


def pdu_parts(pdu_type: int, parts: list[Part]) -> list[Part]:
    return [bytes([pdu_type, 0]), Len("PDU-length", ">I", parts)]


def item(item_type: int, name: str, parts: list[Part], second: int = 0) -> list[Part]:
    """Item header: type, reserved, Item-length (16-bit big endian), PS3.8 Annex D."""
    return [bytes([item_type, second]), Len(f"{name}/Item-length", ">H", parts)]


def u16_len(name: str, value: bytes) -> Len:
    return Len(name, ">H", [value])


def ae(title: bytes) -> bytes:
    return title.ljust(16, b" ")


def assoc_fixed(called: bytes, calling: bytes) -> bytes:
    """Protocol-version (bit 0), reserved, called and calling AE titles, 32 reserved bytes."""
    return struct.pack(">HH", 1, 0) + ae(called) + ae(calling) + bytes(32)


APP_CONTEXT = b"1.2.840.10008.3.1.1.1"
VERIFICATION = b"1.2.840.10008.1.1"
CT_IMAGE = b"1.2.840.10008.5.1.4.1.1.2"
IMPLICIT_LE = b"1.2.840.10008.1.2"
EXPLICIT_LE = b"1.2.840.10008.1.2.1"
IMPL_UID = b"1.2.826.0.1.3680043.9.3811.2.0.0"


def app_context(name: bytes = APP_CONTEXT) -> list[Part]:
    return item(0x10, "Application-context", [name])


def pc_rq(ctx_id: int, abstract: bytes, transfers: list[bytes], tag: str) -> list[Part]:
    body: list[Part] = [bytes([ctx_id, 0, 0, 0])]
    body += item(0x30, f"{tag}/Abstract-syntax", [abstract])
    for i, ts in enumerate(transfers):
        body += item(0x40, f"{tag}/Transfer-syntax{i + 1}", [ts])
    return item(0x20, tag, body)


def pc_ac(ctx_id: int, result: int, transfer: bytes, tag: str) -> list[Part]:
    body: list[Part] = [bytes([ctx_id, 0, result, 0])]
    body += item(0x40, f"{tag}/Transfer-syntax", [transfer])
    return item(0x21, tag, body)


def user_info(subitems: list[list[Part]]) -> list[Part]:
    return item(0x50, "User-information", [p for sub in subitems for p in sub])


def max_length(value: int) -> list[Part]:
    return item(0x51, "Maximum-length", [struct.pack(">I", value)])


def impl_class_uid(uid: bytes = IMPL_UID) -> list[Part]:
    return item(0x52, "Implementation-class-UID", [uid])


def impl_version(name: bytes = b"FASTDIMSE_010") -> list[Part]:
    return item(0x55, "Implementation-version-name", [name])


def async_ops() -> list[Part]:
    return item(0x53, "Asynchronous-operations-window", [struct.pack(">HH", 1, 1)])


def role_selection() -> list[Part]:
    name = "SCP-SCU-role-selection"
    return item(0x54, name, [u16_len(f"{name}/UID-length", CT_IMAGE), bytes([1, 0])])


def sop_extended() -> list[Part]:
    name = "SOP-class-extended"
    return item(0x56, name, [u16_len(f"{name}/SOP-class-UID-length", CT_IMAGE), b"\x01\x00\x01"])


def sop_common_extended() -> list[Part]:
    name = "SOP-class-common-extended"
    related: list[Part] = [u16_len(f"{name}/Related-UID-length", b"1.2.840.10008.5.1.4.1.1.2.1")]
    return item(
        0x57,
        name,
        [
            u16_len(f"{name}/SOP-class-UID-length", CT_IMAGE),
            u16_len(f"{name}/Service-class-UID-length", b"1.2.840.10008.4.2"),
            Len(f"{name}/Related-general-SOP-class-identification-length", ">H", related),
        ],
    )


def user_identity_rq() -> list[Part]:
    name = "User-identity-RQ"
    return item(
        0x58,
        name,
        [
            bytes([2, 1]),
            u16_len(f"{name}/Primary-field-length", b"user"),
            u16_len(f"{name}/Secondary-field-length", b"secret"),
        ],
    )


def user_identity_ac() -> list[Part]:
    name = "User-identity-AC"
    return item(0x59, name, [u16_len(f"{name}/Server-response-length", b"granted")])


def associate_rq(
    called: bytes = b"ANY-SCP",
    calling: bytes = b"ECHOSCU",
    items: list[list[Part]] | None = None,
) -> list[Part]:
    if items is None:
        items = [
            app_context(),
            pc_rq(1, VERIFICATION, [IMPLICIT_LE], "PC1"),
            user_info([max_length(16382), impl_class_uid()]),
        ]
    body: list[Part] = [assoc_fixed(called, calling)]
    for parts in items:
        body += parts
    return pdu_parts(0x01, body)


def full_rq_items() -> list[list[Part]]:
    """An A-ASSOCIATE-RQ with every item and user-information sub-item of PS3.8/PS3.7 D."""
    return [
        app_context(),
        pc_rq(1, VERIFICATION, [IMPLICIT_LE, EXPLICIT_LE], "PC1"),
        pc_rq(3, CT_IMAGE, [IMPLICIT_LE], "PC3"),
        user_info(
            [
                max_length(16382),
                impl_class_uid(),
                async_ops(),
                role_selection(),
                impl_version(),
                sop_extended(),
                sop_common_extended(),
                user_identity_rq(),
            ]
        ),
    ]


def associate_ac() -> list[Part]:
    body: list[Part] = [assoc_fixed(b"ANY-SCP", b"ECHOSCU")]
    body += app_context()
    body += pc_ac(1, 0, IMPLICIT_LE, "PC1")
    body += pc_ac(3, 3, IMPLICIT_LE, "PC3")
    body += user_info([max_length(16382), impl_class_uid(), impl_version(), user_identity_ac()])
    return pdu_parts(0x02, body)


def fixed_pdu(pdu_type: int, body: bytes) -> list[Part]:
    return pdu_parts(pdu_type, [body])


# --- DIMSE command sets (PS3.7 Annex E: group 0000, Implicit VR Little Endian) ---------------


def element(tag: int, value: bytes) -> list[Part]:
    """Tag (group, element: 16-bit little endian each), 32-bit little-endian length, value."""
    return [
        struct.pack("<HH", tag >> 16, tag & 0xFFFF),
        Len(f"({tag >> 16:04X},{tag & 0xFFFF:04X})/Value-length", "<I", [value]),
    ]


def us(value: int) -> bytes:
    return struct.pack("<H", value)


def ui(uid: bytes) -> bytes:
    """A UID value, NUL padded to even length (PS3.5 9.1)."""
    return uid + b"\0" * (len(uid) % 2)


def command_set(elements: list[tuple[int, bytes]], group_length: int | None = None) -> bytes:
    """Elements in the given order, behind (0000,0000) Command Group Length."""
    body = b"".join(encode(element(tag, value))[0] for tag, value in elements)
    gl = len(body) if group_length is None else group_length
    return encode(element(0x00000000, struct.pack("<I", gl)))[0] + body


def command_parts(elements: list[tuple[int, bytes]]) -> list[Part]:
    """Like `command_set`, as parts whose length fields can be mutated (the group length
    value is a length too: it is recorded as `Command-group-length`)."""
    body: list[Part] = []
    for tag, value in elements:
        body += element(tag, value)
    return [struct.pack("<HHI", 0, 0, 4), Len("(0000,0000)/Command-group-length", "<I", body)]


ECHO_RQ = [
    (0x00000002, ui(VERIFICATION)),
    (0x00000100, us(0x0030)),
    (0x00000110, us(1)),
    (0x00000800, us(0x0101)),
]
ECHO_RSP = [
    (0x00000002, ui(VERIFICATION)),
    (0x00000100, us(0x8030)),
    (0x00000120, us(1)),
    (0x00000800, us(0x0101)),
    (0x00000900, us(0)),
]
STORE_INSTANCE = b"1.2.826.0.1.3680043.9.3811.9.1"
STORE_RQ = [
    (0x00000002, ui(CT_IMAGE)),
    (0x00000100, us(0x0001)),
    (0x00000110, us(7)),
    (0x00000700, us(0)),
    (0x00000800, us(0x0000)),
    (0x00001000, ui(STORE_INSTANCE)),
    (0x00001030, b"MOVESCU "),
    (0x00001031, us(3)),
]


def pdv(ctx_id: int, control: int, data: bytes) -> Len:
    """PDV item: Item-length (32-bit), context ID, message control header, fragment."""
    return Len("PDV/Item-length", ">I", [bytes([ctx_id, control]), data])


def p_data(pdvs: list[Len]) -> list[Part]:
    return pdu_parts(0x04, list(pdvs))


def raw(parts: list[Part]) -> bytes:
    return encode(parts)[0]


# ---------------------------------------------------------------------------------------------
# Reference model: the first error the standard's rules give, in wire order.
# ---------------------------------------------------------------------------------------------


class ModelError(Exception):
    def __init__(self, kind: str, reject_reason: int = 0) -> None:
        super().__init__(kind)
        self.kind = kind
        # Not 0: the error makes an A-ASSOCIATE-RQ one to reject with this reason (PS3.8
        # Table 9-21, source service-user), not an invalid PDU.
        self.reject_reason = reject_reason


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int) -> bytes:
        if n > self.remaining():
            raise ModelError("LengthOverflow")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def unpack(self, fmt: str) -> int:
        value: int = struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]
        return value

    def rest(self) -> bytes:
        return self.take(self.remaining())

    def finish(self) -> None:
        if self.remaining():
            raise ModelError("TrailingBytes")


def _trim(raw_text: bytes) -> bytes:
    return raw_text.strip(b"\0 ")


def check_ae(raw_title: bytes) -> None:
    t = _trim(raw_title)
    if len(t) > 16:
        raise ModelError("LimitExceeded")
    if not all(0x20 <= c < 0x7F and c != 0x5C for c in t):
        raise ModelError("InvalidText")


# PS3.8 Table 9-21: A-ASSOCIATE-RJ reasons from the service user.
CALLING_AE_TITLE_NOT_RECOGNIZED = 3
CALLED_AE_TITLE_NOT_RECOGNIZED = 7


def check_rq_ae(raw_title: bytes, reject_reason: int) -> None:
    """An A-ASSOCIATE-RQ's AE title: the PDU is well formed whatever the 16 bytes hold, and an
    AE title outside the repertoire is one the acceptor cannot recognise (PS3.8 9.3.2, 9.3.4):
    a reason to reject the association, not to abort it."""
    try:
        check_ae(raw_title)
    except ModelError as err:
        raise ModelError(err.kind, reject_reason) from None


def check_uid(raw_uid: bytes) -> None:
    t = _trim(raw_uid)
    if len(t) > 64:
        raise ModelError("LimitExceeded")
    if not all(0x20 <= c < 0x7F for c in t):
        raise ModelError("InvalidText")


def read_item(r: Reader) -> tuple[int, Reader]:
    item_type = r.u8()
    r.u8()
    length = r.unpack(">H")
    return item_type, Reader(r.take(length))


def model_pdu(data: bytes) -> str:
    try:
        r = Reader(data)
        pdu_type = r.u8()
        r.u8()
        length = r.unpack(">I")
        check_pdu_type(pdu_type)
        body = r.take(length)
        r.finish()
        model_pdu_body(pdu_type, body)
    except ModelError as err:
        return err.kind
    return "ok"


def check_pdu_type(pdu_type: int) -> None:
    if not 1 <= pdu_type <= 7:
        raise ModelError("UnknownPduType")


def model_pdu_body(pdu_type: int, body: bytes) -> None:
    if pdu_type in (1, 2):
        if len(body) < 68:
            raise ModelError("LengthTooShort")
        model_associate(pdu_type, Reader(body))
    elif pdu_type == 4:
        r = Reader(body)
        if not r.remaining():
            raise ModelError("Missing")
        while r.remaining():
            length = r.unpack(">I")
            if length < 2:
                raise ModelError("LengthTooShort")
            r.take(length)
    else:
        if len(body) < 4:
            raise ModelError("LengthTooShort")
        if len(body) > 4:
            raise ModelError("TrailingBytes")


def model_associate(pdu_type: int, r: Reader) -> None:
    r.take(4)
    called, calling = r.take(16), r.take(16)
    if pdu_type == 1:
        check_rq_ae(called, CALLED_AE_TITLE_NOT_RECOGNIZED)
        check_rq_ae(calling, CALLING_AE_TITLE_NOT_RECOGNIZED)
    r.take(32)
    seen: set[int] = set()
    ids: set[int] = set()
    while r.remaining():
        item_type, body = read_item(r)
        if item_type == 0x10:
            check_uid(body.rest())
        elif item_type == 0x50:
            model_user_info(body)
        elif item_type == 0x20 and pdu_type == 1:
            ctx_id = model_pc_rq(body)
            if ctx_id in ids:
                raise ModelError("Duplicate")
            ids.add(ctx_id)
            continue
        elif item_type == 0x21 and pdu_type == 2:
            model_pc_ac(body)
            continue
        else:
            raise ModelError("UnknownItemType")
        if item_type in seen:
            raise ModelError("Duplicate")
        seen.add(item_type)
    if 0x10 not in seen or 0x50 not in seen:
        raise ModelError("Missing")


def model_pc_rq(r: Reader) -> int:
    ctx_id = r.u8()
    if ctx_id % 2 == 0:
        raise ModelError("InvalidValue")
    r.take(3)
    abstract = 0
    transfers = 0
    while r.remaining():
        sub_type, body = read_item(r)
        if sub_type == 0x30:
            check_uid(body.rest())
            abstract += 1
            if abstract > 1:
                raise ModelError("Duplicate")
        elif sub_type == 0x40:
            check_uid(body.rest())
            transfers += 1
        else:
            raise ModelError("UnknownItemType")
    if not abstract or not transfers:
        raise ModelError("Missing")
    return ctx_id


def model_pc_ac(r: Reader) -> None:
    if r.u8() % 2 == 0:
        raise ModelError("InvalidValue")  # PS3.8 9.3.3.2: odd, 1 to 255
    r.u8()
    result = r.u8()
    r.u8()
    transfers = 0
    while r.remaining():
        sub_type, body = read_item(r)
        if sub_type != 0x40:
            raise ModelError("UnknownItemType")
        try:
            check_uid(body.rest())
        except ModelError:
            if result == 0:
                raise
            continue  # PS3.8 Table 9-18: not tested unless the context is accepted
        transfers += 1
        if transfers > 1:
            raise ModelError("Duplicate")
    if result == 0 and not transfers:
        raise ModelError("Missing")


def model_user_info(r: Reader) -> None:
    while r.remaining():
        sub_type, body = read_item(r)
        USER_ITEM_MODELS.get(sub_type, lambda b: b.rest())(body)


def _fixed(size: int) -> Callable[[Reader], object]:
    def check(r: Reader) -> None:
        r.take(size)
        r.finish()

    return check


def _uid_item(r: Reader) -> None:
    check_uid(r.rest())


def _version_name(r: Reader) -> None:
    """Printable ASCII of any length: the 1 to 16 characters of PS3.7 D.3.3.2 bind senders."""
    if not all(0x20 <= c < 0x7F for c in _trim(r.rest())):
        raise ModelError("InvalidText")


def _u16_uid(r: Reader) -> None:
    check_uid(r.take(r.unpack(">H")))


def _role(r: Reader) -> None:
    _u16_uid(r)
    r.take(2)
    r.finish()


def _sop_extended(r: Reader) -> None:
    _u16_uid(r)
    r.rest()


def _common_extended(r: Reader) -> None:
    _u16_uid(r)
    _u16_uid(r)
    related = Reader(r.take(r.unpack(">H")))
    while related.remaining():
        _u16_uid(related)
    r.finish()


def _identity_rq(r: Reader) -> None:
    r.take(2)
    r.take(r.unpack(">H"))
    r.take(r.unpack(">H"))
    r.finish()


def _identity_ac(r: Reader) -> None:
    r.take(r.unpack(">H"))
    r.finish()


USER_ITEM_MODELS: dict[int, Callable[[Reader], object]] = {
    0x51: _fixed(4),
    0x52: _uid_item,
    0x53: _fixed(4),
    0x54: _role,
    0x55: _version_name,
    0x56: _sop_extended,
    0x57: _common_extended,
    0x58: _identity_rq,
    0x59: _identity_ac,
}

# Command set elements: (tag) -> value check.
US_TAGS = {
    0x0110,
    0x0120,
    0x0700,
    0x0800,
    0x0900,
    0x0903,
    0x1002,
    0x1008,
    0x1020,
    0x1021,
    0x1022,
    0x1023,
    0x1031,
    0x0100,
}
UI_TAGS = {0x0002, 0x0003, 0x1000, 0x1001}
AE_TAGS = {0x0600, 0x1030}
AT_TAGS = {0x0901, 0x1005}
KNOWN_COMMAND_FIELDS = {
    0x0001,
    0x8001,
    0x0010,
    0x8010,
    0x0020,
    0x8020,
    0x0021,
    0x8021,
    0x0030,
    0x8030,
    0x0100,
    0x8100,
    0x0110,
    0x8110,
    0x0120,
    0x8120,
    0x0130,
    0x8130,
    0x0140,
    0x8140,
    0x0150,
    0x8150,
    0x0FFF,
}


def model_command(data: bytes) -> str:
    try:
        model_command_set(data)
    except ModelError as err:
        return err.kind
    return "ok"


def model_command_set(data: bytes) -> None:
    r = Reader(data)
    if len(data) < 8 or data[:4] != bytes(4):
        raise ModelError("Missing")  # (0000,0000) Command Group Length comes first
    _, value = read_element(r)
    if len(value) != 4:
        raise ModelError("InvalidValue")  # UL
    if struct.unpack("<I", value)[0] != r.remaining():
        raise ModelError("InvalidValue")  # it counts exactly the bytes that follow
    last = 0
    present: dict[int, bytes] = {0x0000: value}
    while r.remaining():
        tag, value = read_element(r)
        if tag <= last:
            raise ModelError("Duplicate" if tag in present else "InvalidValue")
        last = tag
        check_command_value(tag, value)
        present[tag] = value
    if 0x0100 not in present:
        raise ModelError("Missing")
    command_field = struct.unpack("<H", present[0x0100])[0]
    if command_field not in KNOWN_COMMAND_FIELDS:
        raise ModelError("UnknownCommandField")
    if not mandatory_elements(command_field) <= present.keys():
        raise ModelError("Missing")


def read_element(r: Reader) -> tuple[int, bytes]:
    """An element of group 0000 with an even value length (PS3.5 7.1.1)."""
    if r.remaining() < 8:
        raise ModelError("LengthOverflow")
    group, elem, length = r.unpack("<H"), r.unpack("<H"), r.unpack("<I")
    if group != 0 or length % 2:
        raise ModelError("InvalidValue")
    return elem, r.take(length)


def mandatory_elements(command_field: int) -> set[int]:
    """The elements PS3.7 chapters 9 and 10 make mandatory ("M") for each command."""
    if command_field & 0x8000:
        base = {0x0100, 0x0120, 0x0800, 0x0900}
    elif command_field == 0x0FFF:
        base = {0x0100, 0x0120, 0x0800}
    else:
        base = {0x0100, 0x0110, 0x0800}
    extra = {
        0x0001: {0x0002, 0x1000, 0x0700},
        0x0020: {0x0002, 0x0700},
        0x0010: {0x0002, 0x0700},
        0x0021: {0x0002, 0x0700, 0x0600},
        0x0030: {0x0002},
        0x0140: {0x0002},
        0x0100: {0x0002, 0x1000, 0x1002},
        0x0110: {0x0003, 0x1001},
        0x0120: {0x0003, 0x1001},
        0x0150: {0x0003, 0x1001},
        0x0130: {0x0003, 0x1001, 0x1008},
    }.get(command_field, set())
    return base | extra


def check_command_value(elem: int, value: bytes) -> None:
    if elem in US_TAGS and len(value) != 2:
        raise ModelError("InvalidValue")
    if elem in AT_TAGS and len(value) % 4:
        raise ModelError("InvalidValue")
    if elem in UI_TAGS:
        check_uid(value)
    if elem in AE_TAGS:
        check_ae(value)
    if elem == 0x0902 and not all(0x20 <= c < 0x7F for c in value.rstrip(b" \0")):
        raise ModelError("InvalidText")  # LO Error Comment


def command_has_data_set(data: bytes) -> bool:
    r = Reader(data)
    while r.remaining():
        elem, value = read_element(r)
        if elem == 0x0800:
            return value != us(0x0101)
    return False


@dataclass
class Reassembly:
    """PS3.8 9.3.5 / Annex E: a command's fragments, then (if announced) its data set's."""

    context_id: int | None = None
    command: bytearray = field(default_factory=bytearray)
    command_done: bool = False
    completed: int = 0  # whole messages (command and, if announced, data set) so far

    def header(self, ctx_id: int, control: int) -> None:
        is_command = bool(control & 1)
        if self.context_id is None:
            if not is_command:
                raise ModelError("MessageSequence")  # a data set fragment before its command
            self.context_id = ctx_id
        elif ctx_id != self.context_id:
            raise ModelError("MessageSequence")
        elif is_command == self.command_done:
            raise ModelError("MessageSequence")  # a command fragment after its last, or vice versa

    def fragment(self, control: int, data: bytes) -> None:
        if control & 1:
            self.command += data
            if control & 2:
                model_command_set(bytes(self.command))
                self.command_done = True
                if not command_has_data_set(bytes(self.command)):
                    self.completed += 1
                    self.reset()
        elif control & 2:
            self.completed += 1
            self.reset()

    def reset(self) -> None:
        self.context_id = None
        self.command = bytearray()
        self.command_done = False


def model_stream(data: bytes, local_max: int) -> str:
    try:
        run_stream(data, local_max)
    except ModelError as err:
        return err.kind
    return "ok"


def run_stream(data: bytes, local_max: int) -> None:
    pos = 0
    message = Reassembly()
    while pos < len(data):
        if len(data) - pos < 6:
            raise ModelError("Truncated")
        pdu_type = data[pos]
        length = struct.unpack_from(">I", data, pos + 2)[0]
        check_header(pdu_type, length, local_max)
        body_start = pos + 6
        if pdu_type != 4:
            if len(data) - body_start < length:
                raise ModelError("Truncated")
            model_pdu_body(pdu_type, data[body_start : body_start + length])
            pos = body_start + length
            continue
        pos = stream_pdvs(data, body_start, body_start + length, message)


def check_header(pdu_type: int, length: int, local_max: int) -> None:
    """What the framer knows from the 6-byte header alone, before any body byte."""
    check_pdu_type(pdu_type)
    if pdu_type == 4:
        if local_max and length > local_max:
            raise ModelError("LimitExceeded")
        if length < 6:
            raise ModelError("LengthTooShort")  # one or more PDVs of at least 6 bytes
    elif pdu_type in (1, 2):
        if length > MAX_ASSOCIATE_PDU:
            raise ModelError("LimitExceeded")
    elif length < 4:
        raise ModelError("LengthTooShort")  # the fixed PDUs have 4-byte bodies
    elif length > 4:
        raise ModelError("LimitExceeded")


def stream_pdvs(data: bytes, pos: int, end: int, message: Reassembly) -> int:
    """The PDVs of one P-DATA-TF body [pos, end), as they arrive; returns `end`. Nothing is
    judged about bytes that have not arrived: a stream ending first is Truncated."""
    while pos < end:
        if len(data) == pos:
            raise ModelError("Truncated")
        if end - pos < 6:
            raise ModelError("LengthOverflow")  # a PDV header cannot fit in the PDU
        if len(data) - pos < 6:
            raise ModelError("Truncated")
        length = struct.unpack_from(">I", data, pos)[0]
        if length < 2:
            raise ModelError("LengthTooShort")
        if length > end - pos - 4:
            raise ModelError("LengthOverflow")
        ctx_id, control = data[pos + 4], data[pos + 5]
        message.header(ctx_id, control)
        fragment_end = pos + 4 + length
        if len(data) < fragment_end:
            raise ModelError("Truncated")
        message.fragment(control, data[pos + 6 : fragment_end])
        pos = fragment_end
    return end


# ---------------------------------------------------------------------------------------------
# What an acceptor answers on the wire (PS3.8 9.2, the state table), when a peer sends an entry
# as the first bytes of a connection (Sta2) or right after a valid association (Sta6), then ends
# its stream. The answer depends on the first thing the acceptor hears: a whole PDU, a whole
# DIMSE message, an error (the model's, above, in wire order), or nothing complete.
# ---------------------------------------------------------------------------------------------

# The acceptor's local maximum PDU, whatever the entry's own: the tests' server uses 16382.
SERVER_LOCAL_MAX = DEFAULT_LOCAL_MAX

# PS3.8 Table 9-26, the A-ABORT reasons of the service provider: unrecognized-PDU (1) for a PDU
# type the standard does not define, unrecognized-PDU-parameter (4) for an item type not allowed
# where it stands, unexpected-PDU-parameter (5) for an item or PDV that may not come (again) at
# that point; every other broken field, length or value is an invalid-PDU-parameter value (6).
ABORT_REASONS = {
    "UnknownPduType": 1,
    "UnknownItemType": 4,
    "Duplicate": 5,
    "MessageSequence": 5,
}
INVALID_PDU_PARAMETER_VALUE = 6
UNEXPECTED_PDU = "A-ABORT(2,2)"  # AA-8 for a valid PDU the state does not expect
AA1 = "A-ABORT(0,0)"  # AA-1: A-ABORT with service-user source, reason 0 (PS3.8 9.3.8)


@dataclass(frozen=True)
class Heard:
    """The first thing an acceptor makes of a stream."""

    what: str  # "pdu", "message", "error" or "incomplete"
    pdu_type: int = 0
    kind: str = ""  # for an error: its kind
    reject_reason: int = 0  # for an error: see ModelError


def first_heard(data: bytes, local_max: int, pdata_at_header: bool) -> Heard:
    """What an acceptor hears first in ``data``. ``pdata_at_header``: a P-DATA-TF counts once
    its header is in (outside Sta6 it is answered whatever its body); else P-DATA-TFs are read
    PDV by PDV until a DIMSE message is whole."""
    pos = 0
    message = Reassembly()
    try:
        while len(data) - pos >= 6:
            pdu_type = data[pos]
            length = struct.unpack_from(">I", data, pos + 2)[0]
            check_header(pdu_type, length, local_max)
            body = pos + 6
            if pdu_type == 4:
                if pdata_at_header:
                    return Heard("pdu", 4)
                pos = stream_pdvs(data, body, body + length, message)
                if message.completed:
                    return Heard("message")
                continue
            if len(data) - body < length:
                break
            model_pdu_body(pdu_type, data[body : body + length])
            return Heard("pdu", pdu_type)
    except ModelError as err:
        if message.completed:
            return Heard("message")  # a whole message came before the error
        if err.kind == "Truncated":
            return Heard("incomplete")
        return Heard("error", kind=err.kind, reject_reason=err.reject_reason)
    return Heard("incomplete")


def sta2_answer(data: bytes) -> str:
    """The answer to ``data`` as the first bytes of a connection (Sta2, ARTIM running)."""
    heard = first_heard(data, SERVER_LOCAL_MAX, pdata_at_header=True)
    if heard.what == "incomplete":
        return "nothing"  # our end of stream: Evt17, AA-5 (just close)
    if heard.what == "error":
        if heard.reject_reason:
            # A title that can never be recognised: rejected-permanent, service-user.
            return f"RJ(1,1,{heard.reject_reason})"
        return AA1  # Evt19, an invalid PDU: AA-1
    if heard.pdu_type == 1:
        return "AC|RJ"  # Evt6, AE-6: the acceptor's own decision
    if heard.pdu_type == 7:
        return "nothing"  # Evt16, AA-2: close
    return AA1  # Evt3, Evt4, Evt10, Evt12, Evt13: AA-1


def sta6_answer(data: bytes) -> str:
    """The answer to ``data`` sent right after a valid association (Sta6)."""
    heard = first_heard(data, SERVER_LOCAL_MAX, pdata_at_header=False)
    if heard.what == "incomplete":
        return "nothing"  # our end of stream: Evt17, AA-4 (no PDU)
    if heard.what == "message":
        # DT-2: the service user answers it (a response), or aborts (a context not accepted).
        return "P-DATA|A-ABORT"
    if heard.what == "error":
        if heard.reject_reason:
            return UNEXPECTED_PDU  # a well-formed A-ASSOCIATE-RQ all the same: Evt6, AA-8
        if heard.kind == "UnknownCommandField":
            # A whole message whose operation no service defines: not a PDU error. The DIMSE
            # service user answers with the failure status Unrecognized Operation (0211H,
            # PS3.7 Annex C) where it can form a response, or aborts; PS3.7 fixes neither.
            return "P-DATA|A-ABORT"
        return f"A-ABORT(2,{ABORT_REASONS.get(heard.kind, INVALID_PDU_PARAMETER_VALUE)})"
    if heard.pdu_type == 5:
        return "RELEASE-RP"  # Evt12, AR-2; the service user releases
    if heard.pdu_type == 7:
        return "nothing"  # Evt16, AA-3: close
    return UNEXPECTED_PDU  # Evt3, Evt4, Evt6, Evt13: AA-8, unexpected PDU


# ---------------------------------------------------------------------------------------------
# The corpus.
# ---------------------------------------------------------------------------------------------


@dataclass
class Entry:
    name: str
    entry: str
    data: bytes
    expect: str
    description: str
    local_max_pdu: int = DEFAULT_LOCAL_MAX

    def model(self) -> str:
        if self.entry == "pdu":
            return model_pdu(self.data)
        if self.entry == "command":
            return model_command(self.data)
        return model_stream(self.data, self.local_max_pdu)


def valid_examples() -> list[tuple[str, str, list[Part]]]:
    """The seven PDU types, valid (PS3.8 9.3.2-9.3.8)."""
    return [
        (
            "assoc-rq",
            "A-ASSOCIATE-RQ with two presentation contexts and every user-info sub-item",
            associate_rq(items=full_rq_items()),
        ),
        (
            "assoc-ac",
            "A-ASSOCIATE-AC, one context accepted, one refused, user identity AC",
            associate_ac(),
        ),
        (
            "assoc-rj",
            "A-ASSOCIATE-RJ permanent, service user, no reason",
            fixed_pdu(0x03, bytes([0, 1, 1, 1])),
        ),
        (
            "p-data",
            "P-DATA-TF carrying a whole C-ECHO-RQ command set",
            p_data([pdv(1, 0x03, command_set(ECHO_RQ))]),
        ),
        ("release-rq", "A-RELEASE-RQ", fixed_pdu(0x05, bytes(4))),
        ("release-rp", "A-RELEASE-RP", fixed_pdu(0x06, bytes(4))),
        (
            "abort",
            "A-ABORT from the service provider, reason not specified",
            fixed_pdu(0x07, bytes([0, 0, 2, 0])),
        ),
    ]


def prefix_lengths(total: int) -> Iterator[int]:
    """Every prefix of the first 80 bytes, then every 7th."""
    yield from range(min(total, 80))
    yield from range(80 + 7, total, 7)


def truncations() -> Iterator[Entry]:
    for name, what, parts in valid_examples():
        data = raw(parts)
        yield Entry(f"{name}-valid", "pdu", data, "ok", f"{what} (valid)")
        yield Entry(f"{name}-valid-stream", "stream", data, "ok", f"{what} (valid)")
        for n in prefix_lengths(len(data)):
            yield Entry(
                f"{name}-prefix-{n:03d}",
                "pdu",
                data[:n],
                "LengthOverflow",
                f"{what}: first {n} of {len(data)} bytes",
            )
            if n:
                yield Entry(
                    f"{name}-prefix-{n:03d}-stream",
                    "stream",
                    data[:n],
                    "Truncated",
                    f"{what}: stream ends after {n} of {len(data)} bytes",
                )


def mutated_values(f: LengthField) -> dict[str, int]:
    top = 0xFFFF if f.fmt.endswith("H") else 0xFFFFFFFF
    values = {"zero": 0, "one": 1, "minus1": f.followers - 1, "plus1": f.followers + 1, "max": top}
    return {k: v for k, v in values.items() if 0 <= v <= top}


def slug(text: str) -> str:
    keep = [c.lower() if c.isalnum() else "-" for c in text]
    return "-".join(part for part in "".join(keep).split("-") if part)


def length_mutations() -> Iterator[Entry]:
    """Each length field set to 0, 1, one less and one more than the bytes that follow it in
    its parent, and the maximum; everything else unchanged (other lengths not patched)."""
    sources: list[tuple[str, str, list[Part], str]] = [
        (name, what, parts, "pdu") for name, what, parts in valid_examples()
    ]
    sources.append(
        (
            "p-data-2pdv",
            "P-DATA-TF with a command and a data set PDV",
            p_data(
                [
                    pdv(1, 0x03, command_set(STORE_RQ)),
                    pdv(1, 0x02, b"\x08\x00\x16\x00\x02\x00\x00\x00AB"),
                ]
            ),
            "pdu",
        )
    )
    sources.append(("cmd-store-rq", "C-STORE-RQ command set", command_parts(STORE_RQ), "command"))
    sources.append(("cmd-echo-rsp", "C-ECHO-RSP command set", command_parts(ECHO_RSP), "command"))
    for name, what, parts, kind in sources:
        data, fields = encode_tree(parts)
        seen: dict[str, int] = {}
        for f in fields:
            label = slug(f.name)
            seen[label] = seen.get(label, 0) + 1
            if seen[label] > 1:
                label = f"{label}-{seen[label]}"
            for tag, value in mutated_values(f).items():
                mutated = bytearray(data)
                struct.pack_into(f.fmt, mutated, f.offset, value)
                desc = (
                    f"{what}: {f.name} = {value:#x} (the {f.followers} bytes that follow "
                    f"in its parent; was {f.value})"
                )
                base = f"{name}-len-{label}-{tag}"
                yield Entry(base, kind, bytes(mutated), "", desc)
                if kind == "pdu" and f.name in ("PDU-length", "PDV/Item-length"):
                    yield Entry(f"{base}-stream", "stream", bytes(mutated), "", desc)


def rq_with(
    *,
    called: bytes = b"ANY-SCP",
    calling: bytes = b"ECHOSCU",
    items: list[list[Part]] | None = None,
) -> bytes:
    return raw(associate_rq(called, calling, items))


def std_items(
    *,
    app: list[Part] | None = None,
    pcs: list[list[Part]] | None = None,
    user: list[Part] | None = None,
) -> list[list[Part]]:
    return [
        app if app is not None else app_context(),
        *(pcs if pcs is not None else [pc_rq(1, VERIFICATION, [IMPLICIT_LE], "PC1")]),
        user if user is not None else user_info([max_length(16382), impl_class_uid()]),
    ]


def pc(
    ctx_id: int = 1, abstract: bytes = VERIFICATION, transfers: list[bytes] | None = None
) -> list[Part]:
    return pc_rq(ctx_id, abstract, transfers or [IMPLICIT_LE], "PC")


def associate_cases() -> Iterator[Entry]:
    uid65 = b"1." + b"2" * 63
    yield Entry(
        "rq-unknown-user-sub-item",
        "pdu",
        rq_with(
            items=std_items(
                user=user_info([max_length(16382), impl_class_uid(), item(0x7F, "x", [b"private"])])
            )
        ),
        "ok",
        "an unknown user-information sub-item (0x7F) is kept, not refused",
    )
    yield Entry(
        "rq-unknown-item",
        "pdu",
        rq_with(items=[*std_items(), item(0x60, "x", [b"??"])]),
        "UnknownItemType",
        "an item of type 0x60 in an A-ASSOCIATE-RQ",
    )
    yield Entry(
        "rq-ac-context-item",
        "pdu",
        rq_with(items=std_items(pcs=[pc_ac(1, 0, IMPLICIT_LE, "PC")])),
        "UnknownItemType",
        "a presentation context item of the AC form (0x21) in an RQ",
    )
    yield Entry(
        "rq-unknown-pc-sub-item",
        "pdu",
        rq_with(
            items=std_items(
                pcs=[
                    item(
                        0x20,
                        "PC",
                        [
                            bytes([1, 0, 0, 0]),
                            *item(0x30, "a", [VERIFICATION]),
                            *item(0x40, "t", [IMPLICIT_LE]),
                            *item(0x41, "x", [b"?"]),
                        ],
                    )
                ]
            )
        ),
        "UnknownItemType",
        "a sub-item of type 0x41 in a presentation context",
    )
    yield Entry(
        "rq-uid-non-ascii",
        "pdu",
        rq_with(items=std_items(pcs=[pc(abstract="1.2.840.10008.1.1é".encode())])),
        "InvalidText",
        "an abstract syntax UID with a non-ASCII character",
    )
    yield Entry(
        "rq-uid-control-char",
        "pdu",
        rq_with(items=std_items(app=app_context(b"1.2.840.10008.3.1\x01.1.1"))),
        "InvalidText",
        "an application context name with 0x01",
    )
    yield Entry(
        "rq-uid-65-chars",
        "pdu",
        rq_with(items=std_items(pcs=[pc(transfers=[uid65])])),
        "LimitExceeded",
        "a 65-character transfer syntax UID",
    )
    yield Entry(
        "rq-uid-64-chars",
        "pdu",
        rq_with(items=std_items(pcs=[pc(transfers=[uid65[:64]])])),
        "ok",
        "a 64-character transfer syntax UID (the maximum)",
    )
    yield Entry(
        "rq-impl-uid-65-chars",
        "pdu",
        rq_with(items=std_items(user=user_info([max_length(0), impl_class_uid(uid65)]))),
        "LimitExceeded",
        "a 65-character implementation class UID",
    )
    yield Entry(
        "rq-uid-empty-abstract",
        "pdu",
        rq_with(items=std_items(pcs=[pc(abstract=b"")])),
        "ok",
        "an empty abstract syntax (the core is lenient; the policy refuses it)",
    )
    yield Entry(
        "rq-uid-empty-app-context",
        "pdu",
        rq_with(items=std_items(app=app_context(b""))),
        "ok",
        "an empty application context name (lenient; the policy refuses it)",
    )
    yield Entry(
        "rq-uid-padded",
        "pdu",
        rq_with(
            items=std_items(pcs=[pc(abstract=VERIFICATION + b"\0", transfers=[IMPLICIT_LE + b" "])])
        ),
        "ok",
        "UIDs padded with NUL and space (stripped)",
    )
    yield Entry(
        "rq-ae-non-ascii",
        "pdu",
        rq_with(called="ÉCHO".encode()),
        "InvalidText",
        "a called AE title with a non-ASCII character",
    )
    yield Entry(
        "rq-ae-backslash",
        "pdu",
        rq_with(calling=b"A\\B"),
        "InvalidText",
        "a calling AE title with a backslash",
    )
    yield Entry(
        "rq-ae-control-char",
        "pdu",
        rq_with(calling=b"ECHO\x07SCU"),
        "InvalidText",
        "a calling AE title with a control character",
    )
    yield Entry(
        "rq-ae-empty-spaces",
        "pdu",
        rq_with(called=b""),
        "ok",
        "an all-space called AE title (lenient; the policy refuses it)",
    )
    yield Entry(
        "rq-ae-empty-nuls",
        "pdu",
        rq_with(calling=bytes(16)),
        "ok",
        "an all-NUL calling AE title (lenient; the policy refuses it)",
    )
    yield Entry(
        "rq-ae-nul-padded",
        "pdu",
        rq_with(called=b"STORESCP".ljust(16, b"\0")),
        "ok",
        "a NUL-padded called AE title",
    )
    yield Entry(
        "rq-ae-leading-spaces",
        "pdu",
        rq_with(calling=b"  ECHOSCU"),
        "ok",
        "a calling AE title with leading spaces",
    )
    yield Entry(
        "rq-pc-id-even",
        "pdu",
        rq_with(items=std_items(pcs=[pc(2)])),
        "InvalidValue",
        "presentation context ID 2 (IDs are odd, PS3.8 9.3.2.2)",
    )
    yield Entry(
        "rq-pc-id-zero",
        "pdu",
        rq_with(items=std_items(pcs=[pc(0)])),
        "InvalidValue",
        "presentation context ID 0",
    )
    yield Entry(
        "rq-pc-id-255",
        "pdu",
        rq_with(items=std_items(pcs=[pc(255)])),
        "ok",
        "presentation context ID 255 (the largest)",
    )
    yield Entry(
        "rq-pc-id-duplicate",
        "pdu",
        rq_with(items=std_items(pcs=[pc(1), pc(1)])),
        "Duplicate",
        "two presentation contexts with ID 1",
    )
    yield Entry(
        "rq-pc-no-transfer-syntax",
        "pdu",
        rq_with(
            items=std_items(
                pcs=[item(0x20, "PC", [bytes([1, 0, 0, 0]), *item(0x30, "a", [VERIFICATION])])]
            )
        ),
        "Missing",
        "a presentation context without a transfer syntax",
    )
    yield Entry(
        "rq-pc-no-abstract-syntax",
        "pdu",
        rq_with(
            items=std_items(
                pcs=[item(0x20, "PC", [bytes([1, 0, 0, 0]), *item(0x40, "t", [IMPLICIT_LE])])]
            )
        ),
        "Missing",
        "a presentation context without an abstract syntax",
    )
    yield Entry(
        "rq-pc-two-abstract-syntaxes",
        "pdu",
        rq_with(
            items=std_items(
                pcs=[
                    item(
                        0x20,
                        "PC",
                        [
                            bytes([1, 0, 0, 0]),
                            *item(0x30, "a", [VERIFICATION]),
                            *item(0x30, "a", [CT_IMAGE]),
                            *item(0x40, "t", [IMPLICIT_LE]),
                        ],
                    )
                ]
            )
        ),
        "Duplicate",
        "a presentation context with two abstract syntaxes",
    )
    yield Entry(
        "rq-no-app-context",
        "pdu",
        rq_with(items=std_items()[1:]),
        "Missing",
        "no application context item",
    )
    yield Entry(
        "rq-no-user-info",
        "pdu",
        rq_with(items=std_items()[:-1]),
        "Missing",
        "no user information item",
    )
    yield Entry(
        "rq-two-app-contexts",
        "pdu",
        rq_with(items=[app_context(), *std_items()]),
        "Duplicate",
        "two application context items",
    )
    yield Entry(
        "rq-two-user-infos",
        "pdu",
        rq_with(items=[*std_items(), user_info([max_length(0)])]),
        "Duplicate",
        "two user information items",
    )
    yield Entry(
        "rq-short-fixed-part",
        "pdu",
        raw(pdu_parts(0x01, [assoc_fixed(b"A", b"B")[:67]])),
        "LengthTooShort",
        "an A-ASSOCIATE-RQ of 67 bytes (the fixed part is 68)",
    )
    yield Entry(
        "rq-item-overflows-pdu",
        "pdu",
        raw(
            pdu_parts(
                0x01,
                [assoc_fixed(b"A", b"B"), bytes([0x10, 0]), struct.pack(">H", 100), APP_CONTEXT],
            )
        ),
        "LengthOverflow",
        "an item claiming 100 bytes where 21 remain in the PDU",
    )
    yield Entry(
        "rq-sub-item-overflows-item",
        "pdu",
        rq_with(
            items=std_items(
                pcs=[
                    item(
                        0x20,
                        "PC",
                        [
                            bytes([1, 0, 0, 0]),
                            *item(0x30, "a", [VERIFICATION]),
                            bytes([0x40, 0]),
                            struct.pack(">H", 40),
                            IMPLICIT_LE,
                        ],
                    )
                ]
            )
        ),
        "LengthOverflow",
        "a transfer syntax sub-item running past its presentation context item",
    )
    yield Entry(
        "rq-user-sub-item-overflows-item",
        "pdu",
        rq_with(
            items=std_items(
                user=item(
                    0x50, "U", [*max_length(0), bytes([0x52, 0]), struct.pack(">H", 500), IMPL_UID]
                )
            )
        ),
        "LengthOverflow",
        "an implementation class UID sub-item running past the user info item",
    )
    yield Entry(
        "rq-max-length-5-bytes",
        "pdu",
        rq_with(items=std_items(user=user_info([item(0x51, "M", [bytes(5)]), impl_class_uid()]))),
        "TrailingBytes",
        "a maximum length sub-item of 5 bytes",
    )
    yield Entry(
        "rq-max-length-3-bytes",
        "pdu",
        rq_with(items=std_items(user=user_info([item(0x51, "M", [bytes(3)]), impl_class_uid()]))),
        "LengthOverflow",
        "a maximum length sub-item of 3 bytes",
    )
    yield Entry(
        "rq-version-name-17",
        "pdu",
        rq_with(
            items=std_items(
                user=user_info([max_length(0), impl_class_uid(), impl_version(b"X" * 17)])
            )
        ),
        "ok",
        "a 17-character implementation version name (kept: the 1-16 limit binds senders)",
    )
    yield Entry(
        "rq-version-name-control-byte",
        "pdu",
        rq_with(
            items=std_items(
                user=user_info([max_length(0), impl_class_uid(), impl_version(b"OFF\x01IS")])
            )
        ),
        "InvalidText",
        "an implementation version name with a control byte (found by the roundtrip fuzzer)",
    )
    yield Entry(
        "ac-pc-no-transfer-syntax-accepted",
        "pdu",
        raw(
            pdu_parts(
                0x02,
                [
                    assoc_fixed(b"A", b"B"),
                    *app_context(),
                    *item(0x21, "PC", [bytes([1, 0, 0, 0])]),
                    *user_info([max_length(0)]),
                ],
            )
        ),
        "Missing",
        "an accepted presentation context without its transfer syntax",
    )
    yield Entry(
        "ac-pc-refused-no-transfer-syntax",
        "pdu",
        raw(
            pdu_parts(
                0x02,
                [
                    assoc_fixed(b"A", b"B"),
                    *app_context(),
                    *item(0x21, "PC", [bytes([1, 0, 3, 0])]),
                    *user_info([max_length(0)]),
                ],
            )
        ),
        "ok",
        "a refused presentation context without a transfer syntax (some peers omit it)",
    )
    yield Entry(
        "ac-pc-id-even",
        "pdu",
        raw(
            pdu_parts(
                0x02,
                [
                    assoc_fixed(b"A", b"B"),
                    *app_context(),
                    *item(
                        0x21, "PC", [bytes([2, 0, 0, 0]), *item(0x40, "TS", [b"1.2.840.10008.1.2"])]
                    ),
                    *user_info([max_length(0)]),
                ],
            )
        ),
        "InvalidValue",
        "an even presentation context ID in an A-ASSOCIATE-AC (found by the roundtrip fuzzer)",
    )
    yield Entry(
        "ac-pc-refused-garbage-transfer-syntax",
        "pdu",
        raw(
            pdu_parts(
                0x02,
                [
                    assoc_fixed(b"A", b"B"),
                    *app_context(),
                    *item(0x21, "PC", [bytes([1, 0, 3, 0]), *item(0x40, "TS", [b"\xff\x01 junk"])]),
                    *user_info([max_length(0)]),
                ],
            )
        ),
        "ok",
        "a refused context's transfer syntax is not tested (PS3.8 Table 9-18)",
    )
    yield Entry(
        "ac-ae-fields-binary",
        "pdu",
        raw(
            pdu_parts(
                0x02,
                [
                    struct.pack(">HH", 1, 0)
                    + bytes(range(200, 216))
                    + bytes(range(16))
                    + bytes(32),
                    *app_context(),
                    *user_info([max_length(0)]),
                ],
            )
        ),
        "ok",
        "AC reserved AE title fields with binary bytes (not tested on receipt, PS3.8 9.3.3)",
    )


def fixed_pdu_cases() -> Iterator[Entry]:
    for pdu_type, name in (
        (0x03, "assoc-rj"),
        (0x05, "release-rq"),
        (0x06, "release-rp"),
        (0x07, "abort"),
    ):
        for size in (0, 3, 5, 8):
            data = raw(fixed_pdu(pdu_type, bytes(size)))
            expect = "LengthTooShort" if size < 4 else "TrailingBytes"
            desc = f"{name} with a {size}-byte body (it is 4, PS3.8 9.3)"
            yield Entry(f"{name}-body-{size}", "pdu", data, expect, desc)
            # The framer refuses a longer claim from the header, before any body byte.
            expect = "LengthTooShort" if size < 4 else "LimitExceeded"
            yield Entry(f"{name}-body-{size}-stream", "stream", data, expect, desc)
    for pdu_type in (0x00, 0x08, 0x09, 0x10, 0x47, 0xFF):
        data = bytes([pdu_type, 0]) + struct.pack(">I", 4) + bytes(4)
        desc = f"unknown PDU type {pdu_type:#04x}"
        yield Entry(f"unknown-pdu-type-{pdu_type:02x}", "pdu", data, "UnknownPduType", desc)
        yield Entry(
            f"unknown-pdu-type-{pdu_type:02x}-stream", "stream", data, "UnknownPduType", desc
        )
    yield Entry(
        "http-request-stream",
        "stream",
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "UnknownPduType",
        "an HTTP request sent to the DICOM port",
    )
    yield Entry(
        "tls-client-hello-stream",
        "stream",
        bytes.fromhex("16030100a5010000a10303") + bytes(32),
        "UnknownPduType",
        "a TLS ClientHello sent to a plain DICOM port",
    )


def pdata_cases() -> Iterator[Entry]:
    echo = command_set(ECHO_RQ)
    store = command_set(STORE_RQ)
    data_set = b"\x08\x00\x16\x00\x02\x00\x00\x00AB" * 4

    def stream(
        name: str,
        pdus: list[list[Part]],
        expect: str,
        desc: str,
        local_max: int = DEFAULT_LOCAL_MAX,
    ) -> Entry:
        return Entry(name, "stream", b"".join(raw(p) for p in pdus), expect, desc, local_max)

    yield stream(
        "pdata-echo-in-two-fragments",
        [p_data([pdv(1, 0x01, echo[:10])]), p_data([pdv(1, 0x03, echo[10:])])],
        "ok",
        "a command set in two fragments in two PDUs",
    )
    yield stream(
        "pdata-store-with-data-set",
        [
            p_data([pdv(1, 0x03, store)]),
            p_data([pdv(1, 0x00, data_set[:20]), pdv(1, 0x02, data_set[20:])]),
        ],
        "ok",
        "a C-STORE-RQ and its data set in two fragments",
    )
    yield stream(
        "pdata-pdv-length-0",
        [p_data([Len("PDV", ">I", [])])],
        "LengthTooShort",
        "a PDV of length 0 (it needs a context ID and a control header)",
    )
    yield stream(
        "pdata-pdv-length-1",
        [p_data([Len("PDV", ">I", [b"\x01"])])],
        "LengthTooShort",
        "a PDV of length 1",
    )
    yield Entry(
        "pdata-pdv-length-0-pdu",
        "pdu",
        raw(p_data([Len("PDV", ">I", [])])),
        "LengthTooShort",
        "a PDV of length 0",
    )
    yield Entry(
        "pdata-pdv-length-1-pdu",
        "pdu",
        raw(p_data([Len("PDV", ">I", [b"\x01"])])),
        "LengthTooShort",
        "a PDV of length 1",
    )
    long_pdv = raw(pdu_parts(0x04, [struct.pack(">I", len(echo) + 3), bytes([1, 3]), echo]))
    yield Entry(
        "pdata-pdv-longer-than-pdu",
        "pdu",
        long_pdv,
        "LengthOverflow",
        "a PDV claiming one byte more than its P-DATA-TF holds",
    )
    yield Entry(
        "pdata-pdv-longer-than-pdu-stream",
        "stream",
        long_pdv,
        "LengthOverflow",
        "a PDV claiming one byte more than its P-DATA-TF holds",
    )
    yield Entry(
        "pdata-empty-pdu",
        "pdu",
        raw(p_data([])),
        "Missing",
        "a P-DATA-TF without PDVs (it carries one or more, PS3.8 9.3.5)",
    )
    yield stream(
        "pdata-data-before-command",
        [p_data([pdv(1, 0x02, data_set)])],
        "MessageSequence",
        "a data set fragment before any command",
    )
    yield stream(
        "pdata-data-before-last-command",
        [p_data([pdv(1, 0x01, store[:20]), pdv(1, 0x02, data_set)])],
        "MessageSequence",
        "a data set fragment before the command's last fragment",
    )
    yield stream(
        "pdata-command-after-last",
        [p_data([pdv(1, 0x03, store), pdv(1, 0x01, b"\0\0")])],
        "MessageSequence",
        "a command fragment after the command's last fragment",
    )
    yield stream(
        "pdata-context-change-in-command",
        [p_data([pdv(1, 0x01, echo[:10]), pdv(3, 0x03, echo[10:])])],
        "MessageSequence",
        "the presentation context changes inside a command set",
    )
    yield stream(
        "pdata-context-change-in-data-set",
        [p_data([pdv(1, 0x03, store), pdv(1, 0x00, data_set[:10]), pdv(3, 0x02, data_set[10:])])],
        "MessageSequence",
        "the presentation context changes inside a data set",
    )
    yield stream(
        "pdata-data-set-when-none",
        [p_data([pdv(1, 0x03, echo), pdv(1, 0x02, data_set)])],
        "MessageSequence",
        "a data set after a command that announces none",
    )
    yield stream(
        "pdata-over-local-max",
        [p_data([pdv(1, 0x03, echo + bytes(100))])],
        "LimitExceeded",
        "a P-DATA-TF of 182 bytes with a local maximum of 64",
        64,
    )
    yield stream(
        "pdata-at-local-max",
        [p_data([pdv(1, 0x03, echo)])],
        "ok",
        "a P-DATA-TF exactly at the local maximum",
        len(echo) + 6,
    )
    yield stream(
        "pdata-one-over-local-max",
        [p_data([pdv(1, 0x03, echo)])],
        "LimitExceeded",
        "a P-DATA-TF one byte over the local maximum",
        len(echo) + 5,
    )
    huge = b"\x04\x00\xff\xff\xff\xff" + struct.pack(">I", 0xFFFFFFFB) + b"\x01\x01" + echo
    yield Entry(
        "pdata-4gib-no-limit-ends",
        "stream",
        huge,
        "Truncated",
        "a P-DATA-TF claiming 0xFFFFFFFF bytes with no local limit, streamed, that just ends",
        0,
    )
    yield Entry(
        "pdata-4gib-default-limit",
        "stream",
        huge,
        "LimitExceeded",
        "a P-DATA-TF claiming 0xFFFFFFFF bytes with the default local maximum",
    )
    yield stream(
        "pdata-bad-command-in-stream",
        [p_data([pdv(1, 0x03, command_set([(0x00000100, us(0x4242)), (0x00000800, us(0x0101))]))])],
        "UnknownCommandField",
        "a whole command set with an unknown Command Field",
    )
    yield stream(
        "pdata-then-release",
        [p_data([pdv(1, 0x03, echo)]), fixed_pdu(0x05, bytes(4))],
        "ok",
        "a message then an A-RELEASE-RQ",
    )
    rq_header = b"\x01\x00\xff\xff\xff\xff"
    yield Entry(
        "assoc-rq-4gib-claim",
        "stream",
        rq_header + raw(associate_rq())[6:],
        "LimitExceeded",
        "an A-ASSOCIATE-RQ claiming 0xFFFFFFFF bytes",
    )
    yield Entry(
        "assoc-rq-over-cap",
        "stream",
        b"\x01\x00" + struct.pack(">I", MAX_ASSOCIATE_PDU + 1),
        "LimitExceeded",
        "an A-ASSOCIATE-RQ header claiming one byte more than the 1 MiB cap",
    )
    yield Entry(
        "assoc-ac-4gib-claim",
        "stream",
        b"\x02\x00\xff\xff\xff\xff",
        "LimitExceeded",
        "an A-ASSOCIATE-AC header claiming 0xFFFFFFFF bytes",
    )


def command_cases() -> Iterator[Entry]:
    def cmd(
        name: str,
        elements: list[tuple[int, bytes]],
        expect: str,
        desc: str,
        group_length_delta: int = 0,
    ) -> Entry:
        data = command_set(elements)
        real = struct.unpack_from("<I", data, 8)[0]
        data = command_set(elements, real + group_length_delta)
        return Entry(f"cmd-{name}", "command", data, expect, desc)

    yield cmd("echo-rq", ECHO_RQ, "ok", "C-ECHO-RQ")
    yield cmd("store-rq", STORE_RQ, "ok", "C-STORE-RQ with move originator")
    yield cmd(
        "unknown-command-field",
        [(0x00000100, us(0x4242)), (0x00000800, us(0x0101))],
        "UnknownCommandField",
        "Command Field 0x4242",
    )
    yield cmd(
        "no-command-field",
        [(0x00000110, us(1)), (0x00000800, us(0x0101))],
        "Missing",
        "no Command Field",
    )
    yield cmd(
        "no-data-set-type",
        [(0x00000100, us(0x0030)), (0x00000110, us(1))],
        "Missing",
        "no Command Data Set Type",
    )
    yield cmd(
        "duplicate-element",
        [
            (0x00000100, us(0x0030)),
            (0x00000110, us(1)),
            (0x00000110, us(2)),
            (0x00000800, us(0x0101)),
        ],
        "Duplicate",
        "Message ID twice",
    )
    yield cmd(
        "us-of-4-bytes",
        [(0x00000100, us(0x0030)), (0x00000110, b"\1\0\0\0"), (0x00000800, us(0x0101))],
        "InvalidValue",
        "a US element of 4 bytes",
    )
    yield cmd(
        "odd-value-length",
        [(0x00000002, VERIFICATION), *ECHO_RQ[1:]],
        "InvalidValue",
        "a UID of odd length, unpadded (values have even lengths, PS3.5 7.1.1)",
    )
    yield cmd(
        "echo-rq-no-sop-class",
        ECHO_RQ[1:],
        "Missing",
        "a C-ECHO-RQ without its mandatory Affected SOP Class UID (PS3.7 9.3.5)",
    )
    yield cmd(
        "error-comment-non-ascii",
        [*ECHO_RSP, (0x00000902, "échec".encode())],
        "InvalidText",
        "a C-ECHO-RSP Error Comment with a non-ASCII character",
    )
    yield cmd(
        "uid-non-ascii",
        [
            (0x00000002, "1.2.é".encode()),
            (0x00000100, us(0x0030)),
            (0x00000800, us(0x0101)),
        ],
        "InvalidText",
        "an affected SOP class UID with a non-ASCII character",
    )
    yield cmd(
        "uid-65-chars",
        [
            (0x00000002, b"1." + b"2" * 63 + b"\0"),
            (0x00000100, us(0x0030)),
            (0x00000800, us(0x0101)),
        ],
        "LimitExceeded",
        "a 65-character affected SOP class UID",
    )
    yield cmd(
        "move-destination-non-ascii",
        [
            (0x00000100, us(0x0021)),
            (0x00000600, "MOVÉ".encode().ljust(16, b" ")),
            (0x00000800, us(0x0101)),
        ],
        "InvalidText",
        "a move destination with a non-ASCII character",
    )
    yield cmd(
        "unknown-element",
        [*ECHO_RQ, (0x00004242, b"xy")],
        "ok",
        "an element no DIMSE command defines (kept)",
    )
    yield cmd(
        "other-group",
        [(0x00000100, us(0x0030)), (0x00000800, us(0x0101)), (0x00080016, b"1.2\0")],
        "InvalidValue",
        "an element of group 0008 inside the command set",
    )
    yield cmd(
        "out-of-order",
        [(0x00000800, us(0x0101)), (0x00000100, us(0x0030))],
        "InvalidValue",
        "elements out of ascending tag order",
    )
    yield cmd(
        "group-length-too-big",
        ECHO_RQ,
        "InvalidValue",
        "Command Group Length one more than the bytes that follow",
        1,
    )
    yield cmd(
        "group-length-too-small",
        ECHO_RQ,
        "InvalidValue",
        "Command Group Length one less than the bytes that follow",
        -1,
    )
    yield Entry(
        "cmd-no-group-length",
        "command",
        b"".join(raw(element(t, v)) for t, v in ECHO_RQ),
        "Missing",
        "no Command Group Length element",
    )
    echo = command_set(ECHO_RQ)
    for value in (0, 1, 3, 5, 0xFFFFFFFF):
        mutated = echo[:4] + struct.pack("<I", value) + echo[8:]
        yield Entry(
            f"cmd-group-length-value-length-{value:x}",
            "command",
            mutated,
            "",
            f"(0000,0000) Value Length {value:#x} (it is 4: UL)",
        )
    yield Entry("cmd-empty", "command", b"", "Missing", "an empty command set (no group length)")


def all_entries() -> list[Entry]:
    entries: list[Entry] = []
    for group in (
        truncations(),
        length_mutations(),
        associate_cases(),
        fixed_pdu_cases(),
        pdata_cases(),
        command_cases(),
    ):
        entries.extend(group)
    for e in entries:
        modelled = e.model()
        if not e.expect:
            e.expect = modelled
        elif e.expect != modelled:
            raise SystemExit(f"{e.name}: hand-written {e.expect} but the model says {modelled}")
    names = [e.name for e in entries]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise SystemExit(f"duplicate names: {sorted(duplicates)}")
    return sorted(entries, key=lambda e: e.name)


def manifest(entries: list[Entry]) -> str:
    lines = ["name\tentry\tlocal_max_pdu\texpect\tsta2\tsta6\tdescription"]
    for e in entries:
        local_max = e.local_max_pdu if e.entry == "stream" else 0
        # A command set alone is never sent on a connection.
        sta2, sta6 = (
            ("-", "-") if e.entry == "command" else (sta2_answer(e.data), sta6_answer(e.data))
        )
        lines.append(
            f"{e.name}\t{e.entry}\t{local_max}\t{e.expect}\t{sta2}\t{sta6}\t{e.description}"
        )
    return "\n".join(lines) + "\n"


def expected_files() -> dict[str, bytes]:
    entries = all_entries()
    files = {f"{e.name}.bin": e.data for e in entries}
    files["MANIFEST.tsv"] = manifest(entries).encode()
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare with the files on disk instead of writing them",
    )
    args = parser.parse_args()
    files = expected_files()
    if args.check:
        on_disk = {p.name: p.read_bytes() for p in OUT_DIR.iterdir()} if OUT_DIR.is_dir() else {}
        if on_disk != files:
            print(
                "tests/corpus/hostile is out of date: run tests/corpus/make_hostile.py",
                file=sys.stderr,
            )
            return 1
        return 0
    OUT_DIR.mkdir(exist_ok=True)
    for stale in OUT_DIR.iterdir():
        if stale.name not in files:
            stale.unlink()
    for name, data in files.items():
        (OUT_DIR / name).write_bytes(data)
    print(f"wrote {len(files) - 1} entries to {OUT_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
