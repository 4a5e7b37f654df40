"""The library under test in the Query/Retrieve interop tests: fastdimse, or pynetdicom as the
reference.

Every Q/R test file imports ``AE``, ``build_role``, ``evt``, ``sop_class`` and the presentation
context lists from here, never from ``fastdimse`` directly. The environment variable
``FASTDIMSE_QR_REFERENCE`` chooses the implementation::

    FASTDIMSE_QR_REFERENCE=pynetdicom pytest tests/interop/test_qr_*.py

runs the very same tests with pynetdicom 3.0.4 in fastdimse's place (unset, or ``fastdimse``,
runs them against fastdimse). This is a differential check: the real peers (Orthanc, DCMTK's
dcmqrscp, findscu, getscu and movescu) and the expectations stay the same, only the library
changes, so a test that passes against pynetdicom and fails against fastdimse points at
fastdimse, and a test that fails against both points at the test or the peer. The tests that
pit pynetdicom against "ours" then pit pynetdicom against pynetdicom.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any

# The variable, and its two values.
REFERENCE_VARIABLE = "FASTDIMSE_QR_REFERENCE"
FASTDIMSE = "fastdimse"
PYNETDICOM = "pynetdicom"


def _chosen() -> str:
    name = os.environ.get(REFERENCE_VARIABLE, "").strip().lower() or FASTDIMSE
    if name not in (FASTDIMSE, PYNETDICOM):
        raise RuntimeError(f"{REFERENCE_VARIABLE}={name!r}: use {FASTDIMSE} or {PYNETDICOM}")
    return name


@dataclass(frozen=True)
class Library:
    """One library's Q/R-relevant public objects (pynetdicom 3.0.4's names)."""

    name: str
    AE: Any
    build_role: Any
    evt: Any
    sop_class: Any
    QueryRetrievePresentationContexts: Any
    StoragePresentationContexts: Any


def library(name: str) -> Library:
    """The objects of ``name`` (fastdimse or pynetdicom)."""
    module = importlib.import_module(name)
    return Library(
        name=name,
        AE=module.AE,
        build_role=module.build_role,
        evt=module.evt,
        sop_class=importlib.import_module(f"{name}.sop_class"),
        QueryRetrievePresentationContexts=module.QueryRetrievePresentationContexts,
        StoragePresentationContexts=module.StoragePresentationContexts,
    )


NAME = _chosen()
# The library under test ("ours"), and pynetdicom as a peer.
UNDER_TEST = library(NAME)

AE: Any = UNDER_TEST.AE
build_role: Any = UNDER_TEST.build_role
evt: Any = UNDER_TEST.evt
sop_class: Any = UNDER_TEST.sop_class
QueryRetrievePresentationContexts: Any = UNDER_TEST.QueryRetrievePresentationContexts
StoragePresentationContexts: Any = UNDER_TEST.StoragePresentationContexts

__all__ = [
    "AE",
    "NAME",
    "UNDER_TEST",
    "Library",
    "QueryRetrievePresentationContexts",
    "StoragePresentationContexts",
    "build_role",
    "evt",
    "library",
    "sop_class",
]
