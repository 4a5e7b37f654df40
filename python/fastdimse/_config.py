"""Process-wide options, with pynetdicom 3.0.4's names and defaults.

Each option is a module attribute that users set directly::

    from fastdimse import _config
    _config.ENFORCE_UID_CONFORMANCE = True

The code that honours an option reads it at the moment it needs it, so a
change takes effect for work that starts afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastdimse._validation import check_ui, validate_ae

__all__ = [
    "CODECS",
    "ENFORCE_UID_CONFORMANCE",
    "LOG_HANDLER_LEVEL",
    "LOG_REQUEST_IDENTIFIERS",
    "LOG_RESPONSE_IDENTIFIERS",
    "MAX_IN_MEMORY_DATA_SET",
    "PASS_CONTEXTVARS",
    "STORE_RECV_CHUNKED_DATASET",
    "STORE_SEND_CHUNKED_DATASET",
    "UNRESTRICTED_STORAGE_SERVICE",
    "USE_SHORT_DIMSE_AET",
    "VALIDATORS",
    "WINDOWS_TIMER_RESOLUTION",
]

LOG_HANDLER_LEVEL: str = "standard"
"""``"standard"``: association and DIMSE summaries are logged (at DEBUG and
INFO under the ``fastdimse`` logger); ``"none"``: they are not (warnings and
errors still are). Default ``"standard"``."""

ENFORCE_UID_CONFORMANCE: bool = False
"""``True``: UIDs must conform to PS3.5 9.1 (digits and dots, no leading
zero in a component, 1 to 64 characters). ``False``: a UID only has to be 1 to
64 characters long. Default ``False``."""

USE_SHORT_DIMSE_AET: bool = True
"""``False``: AE titles in DIMSE command sets (Move Destination, Move
Originator AE Title) are padded with spaces to 16 characters; ``True``: they
are sent as given. Default ``True``."""

LOG_RESPONSE_IDENTIFIERS: bool = True
"""Log the *Identifier* of pending C-FIND, C-GET and C-MOVE responses.
Default ``True``."""

LOG_REQUEST_IDENTIFIERS: bool = True
"""Log the *Identifier* of received C-FIND, C-GET and C-MOVE requests.
Default ``True``."""

STORE_SEND_CHUNKED_DATASET: bool = False
"""When ``send_c_store`` is given a file path, send the encoded data set
straight from the file (without its File Meta Information) instead of
decoding it first; needs an accepted context with exactly the file's
transfer syntax. Default ``False``."""

STORE_RECV_CHUNKED_DATASET: bool = False
"""As a Storage SCP, write each received data set to a temporary file in the
DICOM File Format instead of holding it in memory; the handler finds it at
``event.dataset_path``. Default ``False``."""

MAX_IN_MEMORY_DATA_SET: int = 1024 * 1024
"""The largest data set, in bytes, received into memory: a C-FIND, C-GET or
C-MOVE identifier, an N-service data set, and the data set of any response
(C-STORE requests are written to a spool file and not capped). A peer's
request over it is answered 0xA700 (Out of Resources) without reaching a
handler; a response over it aborts the association. The bytes past the limit
are received and dropped, never held. Read when an association starts.
Not in pynetdicom, which holds whatever the peer sends. Default ``1048576``
(1 MiB)."""

PASS_CONTEXTVARS: bool = False
"""Run the threads the library starts in a copy of the caller's
``contextvars`` context (see ``utils.make_target``). Default ``False``."""

WINDOWS_TIMER_RESOLUTION: float | None = 1
"""On Windows, the timer resolution in milliseconds requested while an
association is active (``None`` leaves it alone). No effect elsewhere.
Default ``1``."""

CODECS: tuple[str, ...] = ("ascii",)
"""Codecs tried, in order, when decoding text from the peer (AE titles, UIDs,
implementation version names). The standard allows only ASCII; a value decoded
by a fallback codec is reduced to its ASCII characters. Default
``("ascii",)``."""


def validate_ui(value: Any) -> tuple[bool, str]:
    """The default ``"UI"`` validator: ``_validation.check_ui`` under the
    ``ENFORCE_UID_CONFORMANCE`` in force when it is called. It lives here, with
    the option it reads, so that this module imports no module that reads it."""
    return check_ui(value, ENFORCE_UID_CONFORMANCE)


VALIDATORS: dict[str, Callable[[Any], tuple[bool, str]]] = {
    "AE": validate_ae,
    "UI": validate_ui,
}
"""The checks applied to AE titles (``"AE"``) and UIDs (``"UI"``): each takes
the value and returns ``(ok, reason)``; ``reason`` is used in the error when
``ok`` is ``False``. Replace an entry to relax or tighten a check."""

UNRESTRICTED_STORAGE_SERVICE: bool = False
"""As an SCP, accept every proposed context whose abstract syntax is private
or unknown as a storage context, and accept any storage request. Default
``False``."""
