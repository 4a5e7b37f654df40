"""Hand-written DIMSE command set entries (PS3.7 Annex E)."""

from __future__ import annotations

import struct
from collections.abc import Iterator

from .encoding import (
    ECHO_RQ,
    ECHO_RSP,
    STORE_RQ,
    VERIFICATION,
    command_set,
    element,
    raw,
    us,
)
from .systematic import (
    Entry,
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
        "ok",
        "a C-ECHO-RQ without its mandatory Affected SOP Class UID (PS3.7 9.3.5): delivered,"
        " for the policy to answer with a failure status",
    )
    yield cmd(
        "echo-rq-no-message-id",
        [element for element in ECHO_RQ if element[0] != 0x00000110],
        "Missing",
        "a C-ECHO-RQ without Message ID: no response could name it",
    )
    yield cmd(
        "echo-rsp-no-status",
        [element for element in ECHO_RSP if element[0] != 0x00000900],
        "Missing",
        "a C-ECHO-RSP without Status (PS3.7 9.3.5)",
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
