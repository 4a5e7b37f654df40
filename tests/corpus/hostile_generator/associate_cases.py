"""Hand-written A-ASSOCIATE-RQ and -AC entries: fixed fields, items, sub-items, AE titles
and UIDs.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from .encoding import (
    APP_CONTEXT,
    CT_IMAGE,
    IMPL_UID,
    IMPLICIT_LE,
    VERIFICATION,
    Part,
    app_context,
    assoc_fixed,
    associate_rq,
    impl_class_uid,
    impl_version,
    item,
    max_length,
    pc_ac,
    pc_rq,
    pdu_parts,
    raw,
    user_info,
)
from .systematic import (
    Entry,
)


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
