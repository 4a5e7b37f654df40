"""The encoder with length-field bookkeeping, and builders of PDUs, items, sub-items and
DIMSE command sets, written by hand from PS3.8 9.3, Annex D and PS3.7 Annex E.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

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
