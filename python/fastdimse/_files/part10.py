"""DICOM files (PS3.10) at the byte level: the file meta header we write before a
received data set, and the one we read from a file we are about to send.

Both sides avoid pydicom on purpose: a C-STORE SCP writes a header per instance
and an SCU reads one per file, and doing either through pydicom Datasets costs
more than the network transfer of a small image. Only group 0002 is touched;
the data set after it is never parsed here.
"""

from __future__ import annotations

import os
import struct
from typing import NamedTuple

__all__ = ["PREAMBLE", "FileMeta", "encode_file_meta", "read_file_meta"]

PREAMBLE = b"\x00" * 128 + b"DICM"

# Explicit VR elements with a 4-byte length (PS3.5 7.1.2); the rest have 2 bytes.
_LONG_VRS = frozenset({b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN"})
_LONG_VRS |= {b"UR", b"UT", b"UV"}
# A file meta header larger than this is not one (a few hundred bytes is usual).
_MAX_META = 64 * 1024
_FIRST_READ = 4096


class FileMeta(NamedTuple):
    """What the SCU needs from a file's meta header, and where its data set starts."""

    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax_uid: str
    data_offset: int
    file_size: int


def encode_file_meta(
    sop_class_uid: str,
    sop_instance_uid: str,
    transfer_syntax_uid: str,
    implementation_class_uid: str,
    implementation_version_name: str | None = None,
) -> bytes:
    """Preamble, ``DICM`` and the group 0002 elements pynetdicom's ``Event.file_meta`` has."""
    body = b"".join(
        (
            _element(0x0001, b"OB", b"\x00\x01"),
            _element(0x0002, b"UI", _uid(sop_class_uid)),
            _element(0x0003, b"UI", _uid(sop_instance_uid)),
            _element(0x0010, b"UI", _uid(transfer_syntax_uid)),
            _element(0x0012, b"UI", _uid(implementation_class_uid)),
            _element(0x0013, b"SH", _text(implementation_version_name))
            if implementation_version_name
            else b"",
        )
    )
    return PREAMBLE + _element(0x0000, b"UL", struct.pack("<I", len(body))) + body


def read_file_meta(path: str | os.PathLike[str]) -> FileMeta:
    """The meta header of the DICOM file at ``path``.

    Raises ``ValueError`` (its message completes "the file ... cannot be sent
    as ...") when the file has no preamble and ``DICM`` prefix, or lacks
    (0002,0002), (0002,0003) or (0002,0010); ``OSError`` as ``open`` does.
    """
    with open(path, "rb", buffering=0) as file:
        # One small read covers the usual header; a larger one only if it does not.
        head = file.read(_FIRST_READ)
        size = os.fstat(file.fileno()).st_size
        if len(head) == _FIRST_READ and _meta_end(head) is None:
            head += file.read(132 + _MAX_META - _FIRST_READ)
    if len(head) < 132 or head[128:132] != b"DICM":
        raise ValueError("it has no DICOM preamble and 'DICM' prefix")
    values: dict[int, bytes] = {}
    offset = 132
    while offset + 8 <= len(head):
        group, element = struct.unpack_from("<HH", head, offset)
        if group != 0x0002:
            break
        vr = head[offset + 4 : offset + 6]
        if vr in _LONG_VRS:
            if offset + 12 > len(head):
                break
            (length,) = struct.unpack_from("<I", head, offset + 8)
            start = offset + 12
        else:
            (length,) = struct.unpack_from("<H", head, offset + 6)
            start = offset + 8
        if start + length > len(head):
            raise ValueError(f"its file meta element (0002,{element:04X}) is cut short")
        values[element] = head[start : start + length]
        offset = start + length
    missing = [name for tag, name in _REQUIRED.items() if not values.get(tag)]
    if missing:
        raise ValueError(
            "one or more required file meta information elements are missing: " + ", ".join(missing)
        )
    return FileMeta(
        sop_class_uid=_str(values[0x0002]),
        sop_instance_uid=_str(values[0x0003]),
        transfer_syntax_uid=_str(values[0x0010]),
        data_offset=offset,
        file_size=size,
    )


_REQUIRED = {
    0x0002: "MediaStorageSOPClassUID",
    0x0003: "MediaStorageSOPInstanceUID",
    0x0010: "TransferSyntaxUID",
}


def _meta_end(head: bytes) -> int | None:
    """Where group 0002 ends according to its group length, if ``head`` holds it all."""
    if len(head) < 144 or head[132:136] != b"\x02\x00\x00\x00":
        return None
    end = 144 + int.from_bytes(head[140:144], "little")
    return end if end + 8 <= len(head) else None


def _element(element: int, vr: bytes, value: bytes) -> bytes:
    if vr in _LONG_VRS:
        return struct.pack("<HH2s2xI", 0x0002, element, vr, len(value)) + value
    return struct.pack("<HH2sH", 0x0002, element, vr, len(value)) + value


def _uid(value: str) -> bytes:
    raw = value.encode("ascii")
    return raw + b"\x00" if len(raw) % 2 else raw


def _text(value: str) -> bytes:
    raw = value.encode("ascii")
    return raw + b" " if len(raw) % 2 else raw


def _str(value: bytes) -> str:
    return value.rstrip(b"\x00 ").decode("ascii", "replace")
