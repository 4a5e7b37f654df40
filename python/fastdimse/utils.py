"""Small helpers shared by the pynetdicom-compatible layer.

AE title and UID checks, text decoding with the configured fallback codecs,
hex dumps for debug logs, and thread-target wrapping. pydicom is imported
only by the functions that return a pydicom ``UID``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import copy_context
from io import BytesIO
from typing import TYPE_CHECKING, Literal, TypeVar, overload

from fastdimse import _config
from fastdimse._config import validate_ui
from fastdimse._validation import as_uid, is_acceptable_uid, is_conformant_uid, validate_ae

if TYPE_CHECKING:
    from pydicom.uid import UID

__all__ = [
    "checked_uid",
    "decode_bytes",
    "make_target",
    "pretty_bytes",
    "set_ae",
    "set_timer_resolution",
    "set_uid",
    "validate_ae",
    "validate_ui",
    "validate_uid",
]

LOGGER = logging.getLogger("fastdimse.utils")

_T = TypeVar("_T")

_ASCII_CODEC_NAMES = frozenset(("ascii", "646", "us-ascii"))


def validate_uid(uid: str) -> bool:
    """``True`` if `uid` is acceptable under the current conformance setting.

    Conformance enforced: PS3.5 9.1 (digits and dots, no leading zeros, 1-64
    characters). Not enforced: 1 to 64 characters.
    """
    return is_acceptable_uid(uid, _config.ENFORCE_UID_CONFORMANCE)


@overload
def set_ae(value: str | None, name: str, allow_empty: bool, allow_none: Literal[False]) -> str: ...
@overload
def set_ae(
    value: str | None, name: str, allow_empty: bool = True, allow_none: bool = True
) -> str | None: ...
def set_ae(
    value: str | None, name: str, allow_empty: bool = True, allow_none: bool = True
) -> str | None:
    """Validate an AE-title-like parameter and return it unchanged.

    Raises ``TypeError`` for anything but ``str`` (or ``None`` when
    `allow_none`), ``ValueError`` when the configured AE validator refuses
    it, or, with ``allow_empty=False``, when it is empty or only spaces.
    """
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        expected = "str or None" if allow_none else "str"
        raise TypeError(f"'{name}' must be {expected}, not '{type(value).__name__}'")
    if not allow_empty and not value.strip():
        why = "must not consist entirely of spaces" if value else "must not be an empty str"
        msg = f"Invalid '{name}' value - {why}"
        LOGGER.error(msg)
        raise ValueError(msg)
    if value:
        ok, reason = _config.VALIDATORS["AE"](value)
        if not ok:
            msg = f"Invalid '{name}' value '{value}' - {reason}"
            LOGGER.error(msg)
            raise ValueError(msg)
    return value


def set_uid(
    value: str | bytes | None,
    name: str,
    allow_empty: bool = True,
    allow_none: bool = True,
    validate: bool = True,
) -> UID | None:
    """Convert `value` to a pydicom ``UID``, validating it on the way
    (:func:`checked_uid` says how)."""
    uid = checked_uid(value, name, allow_empty, allow_none, validate)
    return None if uid is None else as_uid(uid)


def checked_uid(
    value: str | bytes | None,
    name: str,
    allow_empty: bool = True,
    allow_none: bool = True,
    validate: bool = True,
) -> str | None:
    """`value` as a UID string, validated; no pydicom ``UID`` is made.

    ``bytes`` are decoded with :func:`decode_bytes`, surrounding spaces are
    stripped (as pydicom's ``UID`` does). Raises ``TypeError`` for other
    types (``None`` only when not `allow_none`), ``ValueError`` when empty and
    not `allow_empty`, or when `validate` and the configured UID validator
    refuses it. A valid but non-conformant UID is logged as a warning and
    returned.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bytes):
        value = decode_bytes(value)
    if not isinstance(value, str):
        expected = "str, bytes, UID or None" if allow_none else "str, bytes or UID"
        raise TypeError(f"'{name}' must be {expected}, not '{type(value).__name__}'")

    stripped = value.strip()
    # Kept as it is (a UID stays one) unless there was something to strip.
    uid = value if len(stripped) == len(value) else stripped
    if not uid and not allow_empty:
        raise ValueError(f"Invalid '{name}' value - must not be an empty str")
    if not validate or not uid:
        return uid
    ok, reason = _config.VALIDATORS["UI"](uid)
    if not ok:
        msg = f"Invalid '{name}' value '{uid}' - {reason}"
        LOGGER.error(msg)
        raise ValueError(msg)
    if not is_conformant_uid(uid):
        LOGGER.warning(f"Non-conformant '{name}' value '{uid}'")
    return uid


def decode_bytes(encoded_value: bytes) -> str:
    """Decode text from the peer: ASCII first, then each fallback in
    ``_config.CODECS`` (keeping only the ASCII characters of the result).

    Raises ``ValueError`` naming the bytes in hex and the codecs tried; each
    failed attempt is logged at ERROR.
    """
    try:
        return encoded_value.decode("ascii")
    except UnicodeDecodeError as exc:
        LOGGER.error(str(exc))

    fallbacks = [c for c in _config.CODECS if c.lower() not in _ASCII_CODEC_NAMES]
    for codec in fallbacks:
        try:
            text = encoded_value.decode(codec)
        except UnicodeError as exc:
            LOGGER.error(str(exc))
            continue
        return text.encode("ascii", errors="ignore").decode("ascii")

    as_hex = " ".join(f"{b:02X}" for b in encoded_value)
    tried = ", ".join(["ascii", *fallbacks])
    raise ValueError(f"Unable to decode '{as_hex}' using the {tried} codec(s)")


def pretty_bytes(
    bytestream: bytes | bytearray | memoryview | BytesIO,
    prefix: str = "  ",
    delimiter: str = "  ",
    items_per_line: int = 16,
    max_size: int | None = 512,
    suffix: str = "",
) -> list[str]:
    """Format bytes as lines of lowercase hex for debug logs.

    Each line holds `items_per_line` bytes joined by `delimiter`, between
    `prefix` and `suffix`. When more than `max_size` bytes would be shown,
    the output stops at the last whole line within the limit and starts
    with an ``"<prefix>Only dumping <max_size> bytes."`` line.
    """
    data = bytestream.getvalue() if isinstance(bytestream, BytesIO) else bytes(bytestream)
    lines: list[str] = []
    truncated = False
    for start in range(0, len(data), items_per_line):
        end = start + items_per_line
        if max_size is not None and min(end, len(data)) > max_size:
            truncated = True
            break
        chunk = data[start:end]
        lines.append(prefix + delimiter.join(f"{b:02x}" for b in chunk) + suffix)
    if truncated:
        lines.insert(0, f"{prefix}Only dumping {max_size} bytes.")
    return lines


def make_target(target_fn: Callable[[], _T]) -> Callable[[], _T]:
    """Wrap a thread target so that it runs in a copy of the current
    ``contextvars`` context when ``_config.PASS_CONTEXTVARS`` is set;
    otherwise return it unchanged."""
    if not _config.PASS_CONTEXTVARS:
        return target_fn
    ctx = copy_context()

    def run_in_context() -> _T:
        return ctx.run(target_fn)

    return run_in_context


@contextmanager
def set_timer_resolution(resolution: float | None) -> Iterator[None]:
    """On Windows, request a timer resolution of `resolution` milliseconds
    for the duration of the block (clamped to what the system allows);
    elsewhere, or with ``None``, do nothing."""
    if sys.platform != "win32" or resolution is None:
        yield None
        return

    import ctypes

    ntdll = ctypes.WinDLL("NTDLL.DLL")  # type: ignore[attr-defined,unused-ignore]
    coarsest, finest, current = ctypes.c_ulong(), ctypes.c_ulong(), ctypes.c_ulong()
    ntdll.NtQueryTimerResolution(
        ctypes.byref(coarsest), ctypes.byref(finest), ctypes.byref(current)
    )
    original = current.value
    # the API counts in units of 100 ns
    wanted = min(max(int(resolution * 10_000), finest.value), coarsest.value)
    ntdll.NtSetTimerResolution(wanted, 1, ctypes.byref(current))
    try:
        yield None
    finally:
        ntdll.NtSetTimerResolution(original, 1, ctypes.byref(current))
