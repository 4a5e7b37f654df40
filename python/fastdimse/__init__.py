"""fastdimse: DICOM networking with a Rust protocol core and pynetdicom's API.

``from fastdimse import AE, evt, debug_logger`` works as with pynetdicom. The
association machinery (and pydicom with it) is imported on first use, so that
``import fastdimse`` stays cheap: a command-line server can listen before the
heavy modules load.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from fastdimse._core import __version__
from fastdimse.errors import (
    AbortAnswer,
    Answer,
    CoreError,
    DataSetTooLargeError,
    DataSetWriteError,
    DecodeError,
    EncodeError,
    LimitExceededError,
    RejectAnswer,
    StatusAnswer,
    TruncatedError,
)

if TYPE_CHECKING:
    from fastdimse import events as evt
    from fastdimse._io.processes import ProcessServer, WorkerStartError
    from fastdimse._io.thread_ae import AE, ApplicationEntity
    from fastdimse._io.thread_ae import IMPLEMENTATION_CLASS_UID as FASTDIMSE_IMPLEMENTATION_UID
    from fastdimse._io.thread_ae import IMPLEMENTATION_CLASS_UID as PYNETDICOM_IMPLEMENTATION_UID
    from fastdimse._io.thread_ae import (
        IMPLEMENTATION_VERSION_NAME as FASTDIMSE_IMPLEMENTATION_VERSION,
    )
    from fastdimse._io.thread_ae import (
        IMPLEMENTATION_VERSION_NAME as PYNETDICOM_IMPLEMENTATION_VERSION,
    )
    from fastdimse._io.thread_association import Association
    from fastdimse._logging import debug_logger
    from fastdimse._upper.contexts import (
        ALL_TRANSFER_SYNTAXES,
        DEFAULT_TRANSFER_SYNTAXES,
        build_context,
        build_role,
    )
    from fastdimse.sop_class import register_uid

# A library's loggers stay silent until the application configures logging (as
# pynetdicom's): records still reach the root logger's handlers, if it has any.
logging.getLogger("fastdimse").addHandler(logging.NullHandler())

__all__ = [
    "AE",
    "ALL_TRANSFER_SYNTAXES",
    "DEFAULT_TRANSFER_SYNTAXES",
    "FASTDIMSE_IMPLEMENTATION_UID",
    "FASTDIMSE_IMPLEMENTATION_VERSION",
    "PYNETDICOM_IMPLEMENTATION_UID",
    "PYNETDICOM_IMPLEMENTATION_VERSION",
    "AbortAnswer",
    "Answer",
    "ApplicationEntity",
    "Association",
    "CoreError",
    "DataSetTooLargeError",
    "DataSetWriteError",
    "DecodeError",
    "EncodeError",
    "LimitExceededError",
    "ProcessServer",
    "RejectAnswer",
    "StatusAnswer",
    "TruncatedError",
    "WorkerStartError",
    "__version__",
    "build_context",
    "build_role",
    "debug_logger",
    "evt",
    "register_uid",
]

# name -> (module, attribute or None for the module itself)
_LAZY: dict[str, tuple[str, str | None]] = {
    "AE": ("fastdimse._io.thread_ae", "AE"),
    "ApplicationEntity": ("fastdimse._io.thread_ae", "ApplicationEntity"),
    "Association": ("fastdimse._io.thread_association", "Association"),
    # Ours: one server as several processes on one port (SO_REUSEPORT).
    "ProcessServer": ("fastdimse._io.processes", "ProcessServer"),
    "WorkerStartError": ("fastdimse._io.processes", "WorkerStartError"),
    "evt": ("fastdimse.events", None),
    "debug_logger": ("fastdimse._logging", "debug_logger"),
    "register_uid": ("fastdimse.sop_class", "register_uid"),
    "FASTDIMSE_IMPLEMENTATION_UID": ("fastdimse._io.thread_ae", "IMPLEMENTATION_CLASS_UID"),
    "FASTDIMSE_IMPLEMENTATION_VERSION": ("fastdimse._io.thread_ae", "IMPLEMENTATION_VERSION_NAME"),
    # pynetdicom's names for them, so that code written for it keeps working.
    "PYNETDICOM_IMPLEMENTATION_UID": ("fastdimse._io.thread_ae", "IMPLEMENTATION_CLASS_UID"),
    "PYNETDICOM_IMPLEMENTATION_VERSION": ("fastdimse._io.thread_ae", "IMPLEMENTATION_VERSION_NAME"),
}
# build_context, build_role, the transfer-syntax lists and every
# *PresentationContexts list come from fastdimse._upper.contexts.
_FROM_PRESENTATION = (
    "build_context",
    "build_role",
    "ALL_TRANSFER_SYNTAXES",
    "DEFAULT_TRANSFER_SYNTAXES",
)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module_name, attribute = _LAZY[name]
        module = importlib.import_module(module_name)
        value = module if attribute is None else getattr(module, attribute)
    elif name in _FROM_PRESENTATION or name.endswith("PresentationContexts"):
        value = getattr(importlib.import_module("fastdimse._upper.contexts"), name)
    else:
        raise AttributeError(f"module 'fastdimse' has no attribute '{name}'")
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
