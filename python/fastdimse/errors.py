"""The exceptions of fastdimse's protocol core, and the answers they carry.

The Rust binding raises these classes (it imports them from here): every
decode error says what went wrong (``kind``), in which field, at which byte
offset, and what the protocol would answer by default (``answer``); the
caller, which knows the association's role and state, decides what to send.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, TypeAlias

__all__ = [
    "AbortAnswer",
    "Answer",
    "CoreError",
    "DataSetError",
    "DataSetTooLargeError",
    "DataSetWriteError",
    "DecodeError",
    "EncodeError",
    "LimitExceededError",
    "RejectAnswer",
    "StatusAnswer",
    "TruncatedError",
]


class AbortAnswer(NamedTuple):
    """Send A-ABORT with this source and reason (PS3.8 9.3.8)."""

    source: int
    reason: int


class RejectAnswer(NamedTuple):
    """Send A-ASSOCIATE-RJ with this result, source and reason (PS3.8 9.3.4)."""

    result: int
    source: int
    reason: int


class StatusAnswer(NamedTuple):
    """Answer the message with this DIMSE failure status (PS3.7 Annex C)."""

    status: int


Answer: TypeAlias = AbortAnswer | RejectAnswer | StatusAnswer


class CoreError(Exception):
    """Base class of every error the protocol core raises.

    ``events``: when ``Receiver.feed`` or ``Receiver.resume`` fails, the
    events that the same call completed before the error, in stream order
    (empty otherwise).
    """

    events: Sequence[object] = ()


class DecodeError(CoreError, ValueError):
    """Bytes from the peer that do not decode.

    ``str(e)`` reads "<field>: <detail> (at offset <offset>)".
    """

    kind: str
    field: str
    offset: int
    answer: Answer
    detail: str

    def __init__(
        self, message: str, kind: str, field: str, offset: int, answer: Answer, detail: str
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.field = field
        self.offset = offset
        self.answer = answer
        self.detail = detail

    def __reduce__(self) -> tuple[type[DecodeError], tuple[str, str, str, int, Answer, str]]:
        return (
            type(self),
            (str(self), self.kind, self.field, self.offset, self.answer, self.detail),
        )


class LimitExceededError(DecodeError):
    """A length beyond one of our limits (kind "LimitExceeded"), refused before allocating."""


class TruncatedError(DecodeError):
    """The stream ended inside a PDU (kind "Truncated")."""


class EncodeError(CoreError, ValueError):
    """A value that cannot be put on the wire as given.

    ``reason`` describes the problem; ``kind`` names it ("TooLong",
    "InvalidText", "InvalidValue" or "Source").
    """

    field: str
    reason: str
    kind: str

    def __init__(self, message: str, field: str, reason: str, kind: str) -> None:
        super().__init__(message)
        self.field = field
        self.reason = reason
        self.kind = kind

    def __reduce__(self) -> tuple[type[EncodeError], tuple[str, str, str, str]]:
        return (type(self), (str(self), self.field, self.reason, self.kind))


class DataSetError(CoreError, ValueError):
    """An encoded data set that is malformed at ``offset`` (in the file or
    buffer, or in the inflated data set for a deflated transfer syntax), as
    the structural scan (:mod:`fastdimse._files.scan`) finds it.

    ``str(e)`` reads "<detail> (at offset <offset>)"; ``kind`` names the
    fault for the core's errors ("TagOrder", "PastEnd"...), else is empty.
    """

    detail: str
    offset: int
    kind: str

    def __init__(self, message: str, offset: int, kind: str = "") -> None:
        super().__init__(f"{message} (at offset {offset})")
        self.detail = message
        self.offset = offset
        self.kind = kind

    def __reduce__(self) -> tuple[type[DataSetError], tuple[str, int, str]]:
        return (type(self), (self.detail, self.offset, self.kind))


class DataSetWriteError(CoreError, OSError):
    """Writing a received data set to its file failed (``Message.data_set_error``).

    The receiver reports it on the message instead of raising: the rest of that
    data set was received and dropped, and the association can answer it.
    Constructed as ``OSError(errno, strerror)``; ``errno`` is None when the
    failure has no errno equivalent.
    """


class DataSetTooLargeError(CoreError, ValueError):
    """A data set received into memory was larger than the receiver's limit
    (``Message.data_set_error``; ``Receiver(max_memory_data_set=...)``, by
    default ``_config.MAX_IN_MEMORY_DATA_SET``).

    Like ``DataSetWriteError`` it is reported on the message, not raised: the
    buffer was freed when the data set passed ``limit`` bytes and the rest was
    received and dropped (``length`` bytes in all), so the stream stays in step
    and the association can answer (or abandon) the message.
    """

    limit: int
    length: int

    def __init__(self, message: str, limit: int, length: int) -> None:
        super().__init__(message)
        self.limit = limit
        self.length = length

    def __reduce__(self) -> tuple[type[DataSetTooLargeError], tuple[str, int, int]]:
        return (type(self), (str(self), self.limit, self.length))
