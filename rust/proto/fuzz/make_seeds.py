#!/usr/bin/env python3
"""Writes the fuzzers' seed inputs from the DCMTK captures in ../shared/captures
(the scanner's: the data sets the captured C-STOREs carry).

Each target's seeds go to fuzz/corpus/<target>/seed-*; the fuzzers add what
they find beside them. Run from anywhere: python3 rust/proto/fuzz/make_seeds.py
"""

from __future__ import annotations

import struct
import sys
import zlib
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


def data_sets(stream: bytes) -> list[bytes]:
    """The data sets of a stream's messages, whole or as far as captured."""
    found: list[bytes] = []
    current: list[bytes] | None = None
    for pdu in split_pdus(stream):
        if pdu[0] != P_DATA_TF:
            continue
        for _, control, data in pdvs(pdu):
            if control & 1:
                continue
            if current is None:
                current = []
                found.append(b"")
            current.append(data)
            found[-1] = b"".join(current)
            if control & 2:
                current = None
    return found


def part10(data_set: bytes) -> bytes:
    """`data_set` in a DICOM file: preamble, DICM, File Meta Information
    with an explicit VR little endian Transfer Syntax UID."""
    uid = b"1.2.840.10008.1.2.1\0"
    meta = b"\x02\x00\x10\x00UI" + struct.pack("<H", len(uid)) + uid
    group_length = b"\x02\x00\x00\x00UL" + struct.pack("<HI", 4, len(meta))
    return bytes(128) + b"DICM" + group_length + meta + data_set


def main() -> None:
    captures = find_captures()
    seeds: dict[str, dict[str, bytes]] = {
        t: {} for t in ("pdu", "roundtrip", "command_set", "framer", "reassemble", "scan")
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
        for k, data_set in enumerate(data_sets(stream)[:2]):
            # The start of each data set: explicit and implicit VR (selectors 2
            # and 1), in a Part 10 file (0), deflated (4); reads of 7 bytes.
            head = data_set[:4096]
            seeds["scan"][f"{name}-{k}-explicit"] = bytes([2 + 5 * 7]) + head
            seeds["scan"][f"{name}-{k}-implicit"] = bytes([1 + 5 * 7]) + head
            seeds["scan"][f"{name}-{k}-part10"] = bytes([0 + 5 * 7]) + part10(head)
            deflater = zlib.compressobj(wbits=-zlib.MAX_WBITS)
            deflated = deflater.compress(head) + deflater.flush()
            seeds["scan"][f"{name}-{k}-deflated"] = bytes([4 + 5 * 7]) + deflated
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
