"""DCMTK's findscu, getscu and movescu against our Q/R SCP (the API, in-memory handlers).

Our SCP answers from the 17 instances of ``qr_data`` through ``qr_scp.QRHandlers``. findscu
(-X) writes each response to a file: the matches must be exactly the keys held, at each level.
getscu and movescu (which is its own move destination, ``--port``) write what they receive:
exactly the instances asked for, each the original element by element. Our SCU against
DCMTK's dcmqrscp is in ``test_qr_archives.py``. The library is chosen by ``qr_api``
(FASTDIMSE_QR_REFERENCE=pynetdicom runs these with pynetdicom's SCP as the reference).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset

from helpers import DEADLINE, LOCALHOST, free_port, run_dcmtk

from .qr_data import FIND_LEVELS, QRData, patient_retrieve, study_query, study_retrieve, unique
from .qr_scp import Archive, QRHandlers
from .qr_support import assert_retrieved

SCP_AET = "QRSCP"
TOOL_TIMEOUT = 120.0


def key_options(identifier: Dataset) -> list[str]:
    """``identifier`` as DCMTK's ``-k`` options (a bare keyword asks for the attribute)."""
    options: list[str] = []
    for element in identifier:
        value = "" if element.value is None else str(element.value)
        options += ["-k", f"{element.keyword}={value}" if value else element.keyword]
    return options


def dcmtk_qr(tool: str, port: int, model: str, identifier: Dataset, *options: str) -> str:
    """Run ``tool`` (findscu, getscu or movescu) against our SCP; its log (must succeed)."""
    result = run_dcmtk(
        tool, "-v", model, "-aec", SCP_AET, "-to", str(int(DEADLINE)),
        "-ta", str(int(DEADLINE)), "-td", str(int(DEADLINE)), *options,
        *key_options(identifier), LOCALHOST, str(port), timeout=TOOL_TIMEOUT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
    return result.stdout


def files_in(directory: Path) -> list[Path]:
    return sorted(path for path in directory.iterdir() if path.is_file())


@pytest.fixture
def handlers(qr_data: QRData) -> QRHandlers:
    return QRHandlers(Archive(qr_data.datasets()))


@pytest.fixture
def scp_port(handlers: QRHandlers, qr_serve: Callable[..., int]) -> int:
    return qr_serve(handlers)


# -- findscu ------------------------------------------------------------------------------


# findscu's, getscu's and movescu's option for each information model.
MODEL_OPTIONS = {"patient": "-P", "study": "-S"}


@pytest.mark.parametrize("level", list(FIND_LEVELS))
def test_findscu(
    level: str, scp_port: int, handlers: QRHandlers, qr_data: QRData, tmp_path: Path
) -> None:
    spec = FIND_LEVELS[level]
    out = tmp_path / "responses"
    out.mkdir()
    model = MODEL_OPTIONS[spec.root]
    log = dcmtk_qr("findscu", scp_port, model, spec.query(qr_data), "-X", "-od", str(out))
    assert "Received Final Find Response (Success)" in log, log
    responses = [dcmread(path) for path in files_in(out)]
    assert unique([str(r.get(spec.key, "")) for r in responses]) == spec.expected(qr_data)
    assert {str(r.QueryRetrieveLevel) for r in responses} == {level}
    assert [str(q.QueryRetrieveLevel) for q in handlers.identifiers] == [level]


def test_findscu_matching(scp_port: int, qr_data: QRData, tmp_path: Path) -> None:
    """A wildcard and a date range, as findscu sends them, reach the handler intact."""
    out = tmp_path / "responses"
    out.mkdir()
    query = study_query(PatientName="A*", StudyDate="20240201-")
    dcmtk_qr("findscu", scp_port, "-S", query, "-X", "-od", str(out))
    found = [str(dcmread(path).StudyInstanceUID) for path in files_in(out)]
    expected = {
        uid
        for uid, first in qr_data.studies().items()
        if first.patient_name.startswith("A") and first.study_date >= "20240201"
    }
    assert len(expected) == 1
    assert unique(found) == expected


def test_findscu_cancel(qr_data: QRData, qr_serve: Callable[..., int], tmp_path: Path) -> None:
    """findscu --cancel 1: a C-CANCEL after the first response ends the C-FIND (0xFE00)."""
    slow = QRHandlers(Archive(qr_data.datasets()), wait_for_cancel=True)
    port = qr_serve(slow)
    log = dcmtk_qr("findscu", port, "-S", study_query(), "--cancel", "1")
    assert "Received Final Find Response (Cancel" in log, log
    assert log.count("Find Response:") < len(qr_data.studies()), log
    assert slow.cancelled == ["find"]


# -- getscu and movescu --------------------------------------------------------------------


def test_getscu(scp_port: int, qr_data: QRData, tmp_path: Path) -> None:
    study_uid = qr_data.largest_study()
    out = tmp_path / "got"
    out.mkdir()
    log = dcmtk_qr("getscu", scp_port, "-S", study_retrieve(study_uid), "-od", str(out))
    assert "Received C-GET Response (Success)" in log, log
    assert_retrieved(files_in(out), qr_data.of_study(study_uid))


def test_getscu_patient_root(scp_port: int, qr_data: QRData, tmp_path: Path) -> None:
    patient_id = qr_data.instances[-1].patient_id
    out = tmp_path / "got"
    out.mkdir()
    dcmtk_qr("getscu", scp_port, "-P", patient_retrieve(patient_id), "-od", str(out))
    assert_retrieved(files_in(out), qr_data.of_patient(patient_id))


def test_movescu_to_itself(
    handlers: QRHandlers, scp_port: int, qr_data: QRData, tmp_path: Path
) -> None:
    """movescu asks for a move to itself (``--port``): our SCP opens the association to it."""
    port = free_port()
    handlers.destinations["MOVESCU"] = (LOCALHOST, port)
    study_uid = qr_data.largest_study()
    out = tmp_path / "moved"
    out.mkdir()
    options = ("-aem", "MOVESCU", "--port", str(port), "-od", str(out))
    log = dcmtk_qr("movescu", scp_port, "-S", study_retrieve(study_uid), *options)
    assert "Received Final Move Response (Success)" in log, log
    assert_retrieved(files_in(out), qr_data.of_study(study_uid))
