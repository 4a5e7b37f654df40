"""fastdimse: DICOM networking with a Rust protocol core and pynetdicom's API."""

from fastdimse._core import __version__
from fastdimse.errors import (
    AbortAnswer,
    Answer,
    CoreError,
    DataSetWriteError,
    DecodeError,
    EncodeError,
    LimitExceededError,
    RejectAnswer,
    StatusAnswer,
    TruncatedError,
)

__all__ = [
    "AbortAnswer",
    "Answer",
    "CoreError",
    "DataSetWriteError",
    "DecodeError",
    "EncodeError",
    "LimitExceededError",
    "RejectAnswer",
    "StatusAnswer",
    "TruncatedError",
    "__version__",
]
