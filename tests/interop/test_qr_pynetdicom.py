"""pynetdicom 3.0.4 as the real Q/R peer, in both directions, in this process.

Each test runs twice: pynetdicom's SCU against our SCP, and our SCU against pynetdicom's
SCP; both SCPs answer from the 17 instances of ``qr_data`` with the same handlers
(``qr_scp.QRHandlers``). C-FIND must return exactly the keys held at each level; C-MOVE (to a
storage SCP of the SCU's library) and C-GET (role selection, EVT_C_STORE on the requesting
association) exactly the instances asked for, each the original element by element. "Ours"
is the library ``qr_api`` chooses (FASTDIMSE_QR_REFERENCE=pynetdicom: pynetdicom both sides).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpers import require_module

from .conftest import MOVE_DESTINATION_UNKNOWN
from .qr_api import UNDER_TEST, Library, library
from .qr_data import FIND_LEVELS, QRData, patient_retrieve, study_query, study_retrieve, unique
from .qr_scp import Archive, QRHandlers
from .qr_support import (
    assert_complete,
    collect,
    find,
    keys,
    models,
    start_store_server,
    written,
)
from .store_data import EncodedWriter

require_module("pynetdicom")
PYNETDICOM = library("pynetdicom")


@dataclass(frozen=True)
class Direction:
    """Who is the SCU and who the SCP."""

    scu: Library
    scp: Library

    def model(self, root: str, service: str) -> str:
        """The SCU's UID of ``root`` ("patient", "study") Q/R ``service`` (Find, Get, Move)."""
        return models(self.scu.sop_class)[
            f"{root.capitalize()}RootQueryRetrieveInformationModel{service}"
        ]


DIRECTIONS = {
    "pynetdicom-to-ours": Direction(scu=PYNETDICOM, scp=UNDER_TEST),
    "ours-to-pynetdicom": Direction(scu=UNDER_TEST, scp=PYNETDICOM),
}


@pytest.fixture(params=list(DIRECTIONS))
def direction(request: pytest.FixtureRequest) -> Direction:
    return DIRECTIONS[request.param]


@pytest.fixture
def handlers(qr_data: QRData) -> QRHandlers:
    return QRHandlers(Archive(qr_data.datasets()))


@pytest.fixture
def scp_port(direction: Direction, handlers: QRHandlers, qr_serve: Callable[..., int]) -> int:
    return qr_serve(handlers, direction.scp)


@pytest.mark.parametrize("level", list(FIND_LEVELS))
def test_find(
    level: str,
    direction: Direction,
    scp_port: int,
    handlers: QRHandlers,
    qr_connect: Callable[..., Any],
    qr_data: QRData,
) -> None:
    spec = FIND_LEVELS[level]
    assoc = qr_connect(scp_port, "QRSCP", direction.scu)
    outcome = find(assoc, spec.query(qr_data), direction.model(spec.root, "Find"))
    outcome.assert_success()
    assert unique(keys(outcome, spec.key)) == spec.expected(qr_data)
    assert set(keys(outcome, "QueryRetrieveLevel")) <= {level}
    assert [str(q.QueryRetrieveLevel) for q in handlers.identifiers] == [level]


def test_find_matching(
    direction: Direction, scp_port: int, qr_connect: Callable[..., Any], qr_data: QRData
) -> None:
    assoc = qr_connect(scp_port, "QRSCP", direction.scu)
    query = study_query(PatientName="*O*", StudyDate="-20240301")
    outcome = find(assoc, query, direction.model("study", "Find"))
    outcome.assert_success()
    expected = {
        uid
        for uid, first in qr_data.studies().items()
        if "O" in first.patient_name and first.study_date <= "20240301"
    }
    assert len(expected) == 1
    assert unique(keys(outcome, "StudyInstanceUID")) == expected
    match = outcome.matches[0]
    assert str(match.PatientName) == qr_data.studies()[str(match.StudyInstanceUID)].patient_name


def test_move(
    direction: Direction,
    scp_port: int,
    handlers: QRHandlers,
    qr_aes: Callable[..., Any],
    qr_connect: Callable[..., Any],
    qr_data: QRData,
    tmp_path: Path,
) -> None:
    destination = start_store_server(
        qr_aes("MOVEDEST", direction.scu), direction.scu.evt, tmp_path / "moved"
    )
    handlers.destinations["MOVEDEST"] = destination.address
    study_uid = qr_data.largest_study()
    assoc = qr_connect(scp_port, "QRSCP", direction.scu)
    move = assoc.send_c_move(
        study_retrieve(study_uid), "MOVEDEST", direction.model("study", "Move")
    )
    outcome = collect(move)
    assert_complete(outcome, written(destination.receiver.writer), qr_data.of_study(study_uid))


def test_move_to_unknown_destination(
    direction: Direction, scp_port: int, qr_connect: Callable[..., Any], qr_data: QRData
) -> None:
    assoc = qr_connect(scp_port, "QRSCP", direction.scu)
    identifier = study_retrieve(qr_data.largest_study())
    move = assoc.send_c_move(identifier, "NOSUCHDEST", direction.model("study", "Move"))
    assert collect(move).final_status == MOVE_DESTINATION_UNKNOWN


@pytest.mark.parametrize("root", ["patient", "study"])
def test_get(
    root: str,
    direction: Direction,
    scp_port: int,
    qr_connect: Callable[..., Any],
    qr_data: QRData,
    tmp_path: Path,
) -> None:
    if root == "patient":
        patient_id = qr_data.instances[0].patient_id
        identifier, expected = patient_retrieve(patient_id), qr_data.of_patient(patient_id)
    else:
        study_uid = qr_data.largest_study()
        identifier, expected = study_retrieve(study_uid), qr_data.of_study(study_uid)
    receiver = EncodedWriter(tmp_path / "got")
    assoc = qr_connect(scp_port, "QRSCP", direction.scu, receiver=receiver)
    outcome = collect(assoc.send_c_get(identifier, direction.model(root, "Get")))
    assert_complete(outcome, written(receiver), expected)
