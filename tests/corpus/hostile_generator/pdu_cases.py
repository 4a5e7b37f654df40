"""Hand-written entries for the fixed-size PDUs (A-ASSOCIATE-RJ, A-RELEASE-RQ/RP, A-ABORT)
and for P-DATA-TF: PDV items, message control headers, reassembly and limits.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from .encoding import (
    DEFAULT_LOCAL_MAX,
    ECHO_RQ,
    MAX_ASSOCIATE_PDU,
    STORE_RQ,
    Len,
    Part,
    associate_rq,
    command_set,
    fixed_pdu,
    p_data,
    pdu_parts,
    pdv,
    raw,
    us,
)
from .systematic import (
    Entry,
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
