"""pynetdicom 3.0.4's SCU and ours against the archive's Modality Performed Procedure
Step SCP (PS3.4 F), served threaded and under fastdimse.aio, on SQLite and
PostgreSQL: a step's whole life to COMPLETED and to DISCONTINUED with the stored
record checked after each request, and the refusals (an unknown step, a duplicate
N-CREATE, an N-CREATE not IN PROGRESS), each followed by a good request on the same
association.

The SCP's other rules, a restart and concurrent N-SETs: tests/test_archive_mpps.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import fastdimse
from helpers import require_module
from mpps_support import Modality, Served, run_hostile, run_to_the_end


@pytest.fixture(params=["pynetdicom", "fastdimse"])
def modality(request: pytest.FixtureRequest, mpps_served: Served) -> Iterator[Modality]:
    """pynetdicom's SCU or ours on one association to the archive."""
    library = fastdimse if request.param == "fastdimse" else require_module("pynetdicom")
    with Modality(library, mpps_served.port) as peer:
        yield peer


@pytest.mark.parametrize("final", ["COMPLETED", "DISCONTINUED"])
def test_a_step_runs_to_its_end(modality: Modality, mpps_served: Served, final: str) -> None:
    run_to_the_end(modality, mpps_served, 1, final)


def test_refusals_leave_the_association_serving(modality: Modality, mpps_served: Served) -> None:
    run_hostile(modality, mpps_served, 1)
