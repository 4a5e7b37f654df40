"""The answer to a request whose command set lacks mandatory elements.

The core delivers such a request when its answer can still be addressed (it has
its Message ID), naming what it lacks (``CommandSet.missing_elements()``). It is
not performed: the provider refuses it with the status PS3.7 Annex C and PS3.4
give for the first element missing, all of them named in Offending Element
(PS3.7 C.4.2), and the association goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastdimse._dimse.answers import (
    PROCESSING_FAILURE,
    UNABLE_TO_PROCESS,
    failure_status,
    is_n_service,
    status_response,
)

__all__ = ["refusal_of_incomplete", "tags_text"]

# For each service-specific mandatory element: its tag, the status refusing an
# N-service request without it, and a C-service one. A request lacking several
# gets the status of the first listed.
_STATUS_OF_MISSING: tuple[tuple[int, int, int], ...] = (
    # Affected / Requested SOP Class UID: No Such SOP Class; SOP Class Not Supported.
    (0x00000002, 0x0118, 0x0122),
    (0x00000003, 0x0118, 0x0122),
    # Affected / Requested SOP Instance UID: Invalid Object Instance; a C-STORE's
    # is Cannot Understand.
    (0x00001000, 0x0117, UNABLE_TO_PROCESS),
    (0x00001001, 0x0117, UNABLE_TO_PROCESS),
    (0x00001002, 0x0113, UNABLE_TO_PROCESS),  # Event Type ID: No Such Event Type
    (0x00001008, 0x0123, UNABLE_TO_PROCESS),  # Action Type ID: No Such Action
    (0x00000600, PROCESSING_FAILURE, 0xA801),  # Move Destination: Move Destination Unknown
)
# Anything else (Priority): the service's general failure.
# Error Comment is an LO (PS3.5 6.2).
_LO_LENGTH = 64


def refusal_of_incomplete(request: Any, command_field: int, missing: Sequence[int]) -> Any:
    """The response refusing ``request`` (of ``command_field``), whose command set
    lacks the ``missing`` tags: the status of the first in the table above, the tags
    in Offending Element and in the Error Comment."""
    column = 1 if is_n_service(command_field) else 2
    status = next(
        (row[column] for row in _STATUS_OF_MISSING if row[0] in missing),
        failure_status(command_field),
    )
    rsp = status_response(request, status)
    rsp.OffendingElement = list(missing)
    rsp.ErrorComment = f"Missing mandatory {tags_text(missing)}"[:_LO_LENGTH]
    return rsp


def tags_text(tags: Sequence[int], *, named: bool = False) -> str:
    """``(0000,1001) (0000,1008)``; with ``named``, each after its keyword
    (``RequestedSOPInstanceUID (0000,1001), ...``) for a log line."""
    text = [f"({tag >> 16:04X},{tag & 0xFFFF:04X})" for tag in tags]
    if not named:
        return " ".join(text)
    from pydicom.datadict import keyword_for_tag  # only when a refusal is logged

    return ", ".join(f"{keyword_for_tag(tag)} {t}" for tag, t in zip(tags, text, strict=True))
