"""A corpus entry, and the systematic entries: every prefix of each valid example, and every
length field set to 0, 1, one less, one more and the maximum.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from .encoding import (
    DEFAULT_LOCAL_MAX,
    ECHO_RQ,
    ECHO_RSP,
    STORE_RQ,
    LengthField,
    Part,
    associate_ac,
    associate_rq,
    command_parts,
    command_set,
    encode_tree,
    fixed_pdu,
    full_rq_items,
    p_data,
    pdv,
    raw,
)
from .model import (
    model_command,
    model_pdu,
    model_stream,
)

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
