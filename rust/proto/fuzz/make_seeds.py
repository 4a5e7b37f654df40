#!/usr/bin/env python3
"""Writes the fuzzers' seed inputs from the DCMTK captures in ../shared/captures.

Each target's seeds go to fuzz/corpus/<target>/seed-*; the fuzzers add what
they find beside them. Run from anywhere: python3 rust/proto/fuzz/make_seeds.py
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
P_DATA_TF = 0x04


def find_captures() -> Path:
    for parent in [HERE, *HERE.parents]:
        candidate = parent / "shared" / "captures"
        if candidate.is_dir():
            return candidate
    sys.exit("shared/captures not found beside the repository")


def split_pdus(stream: bytes) -> list[bytes]:
    """Whole PDUs of a stream; an incomplete last one is dropped."""
    pdus, at = [], 0
    while at + 6 <= len(stream):
        (length,) = struct.unpack_from(">I", stream, at + 2)
        if at + 6 + length > len(stream):
            break
        pdus.append(stream[at : at + 6 + length])
        at += 6 + length
    return pdus


def pdvs(pdu: bytes) -> list[tuple[int, int, bytes]]:
    """(context id, control header, data) of each PDV of a P-DATA-TF."""
    out, at = [], 6
    while at + 6 <= len(pdu):
        (length,) = struct.unpack_from(">I", pdu, at)
        out.append((pdu[at + 4], pdu[at + 5], pdu[at + 6 : at + 4 + length]))
        at += 4 + length
    return out


def main() -> None:
    captures = find_captures()
    seeds: dict[str, dict[str, bytes]] = {
        t: {} for t in ("pdu", "roundtrip", "command_set", "framer", "reassemble")
    }
    for path in sorted(captures.glob("*.bin")):
        stream = path.read_bytes()
        name = path.stem
        for i, pdu in enumerate(split_pdus(stream)):
            if pdu[0] != P_DATA_TF or len(pdu) < 512:
                seeds["pdu"][f"{name}-{i}"] = pdu
                seeds["roundtrip"][f"{name}-{i}"] = pdu
            if pdu[0] == P_DATA_TF:
                for j, (context_id, control, data) in enumerate(pdvs(pdu)):
                    if control & 1:
                        seeds["command_set"][f"{name}-{i}-{j}"] = data
                        record = bytes([context_id, control, min(len(data), 255)])
                        seeds["reassemble"][f"{name}-{i}-{j}"] = record + data[:255]
        if len(stream) < 20000:
            # Local max 16382 (selector 3), reads of 64 bytes.
            seeds["framer"][name] = bytes([3, 64]) + stream
    for target, files in seeds.items():
        directory = HERE / "corpus" / target
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (directory / f"seed-{name}").write_bytes(data)
        print(f"{target}: {len(files)} seeds")


if __name__ == "__main__":
    main()
