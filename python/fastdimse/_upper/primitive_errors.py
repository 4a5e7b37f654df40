"""How the pynetdicom-style upper-layer primitives refuse a value.

pynetdicom's setters log the message at ERROR and raise it (its tests look for
both); ours do the same, on the logger the primitives have always used.
"""

from __future__ import annotations

import logging
from typing import NoReturn

__all__ = ["LOGGER", "fail"]

LOGGER = logging.getLogger("fastdimse.pdu_primitives")


def fail(kind: type[Exception], message: str) -> NoReturn:
    """Log `message` at ERROR and raise `kind` with it."""
    LOGGER.error(message)
    raise kind(message)
