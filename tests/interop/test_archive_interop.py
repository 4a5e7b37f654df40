"""Our ``qrscp`` app among real peers (issue 13): DCMTK's findscu, getscu and movescu and
pynetdicom 3.0.4's SCU query and retrieve what DCMTK's storescu loaded into it, and it moves
instances to DCMTK's storescp, to Debian's Orthanc and to conftest's move destination.

One qrscp per index backend (SQLite, then PostgreSQL) serves the whole module: started as a
subprocess with a configuration file naming the move destinations, then loaded once with the
17 instances of ``qr_data`` (3 patients, 5 studies, 8 series). Each C-FIND is checked against
what was loaded: as many responses as distinct matching entities, each response's values
those of one entity, and only the requested keys plus the unique keys. Each retrieved or
moved file must be the loaded one element by element, Pixel Data byte for byte (and in its
transfer syntax, except where the SCU's own proposals let qrscp pick another: getscu).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from helpers import DEADLINE, LOCALHOST, require_module, run_dcmtk

from .archive_cases import CASES, PATIENT_1, PATIENT_3, FindCase, assert_found
from .archive_peers import (
    STORESCP_AET,
    Qrscp,
    Storescp,
    postgres_database,
    start_qrscp,
    start_storescp,
)
from .conftest import EXPLICIT, IMPLICIT, QR_MOVE_AET
from .orthanc import Orthanc
from .qr_api import Library, library
from .qr_data import (
    Instance,
    QRData,
    identifier,
    patient_retrieve,
    series_retrieve,
    study_retrieve,
)
from .qr_support import (
    StoreServer,
    assert_complete,
    assert_retrieved,
    collect,
    models,
    written,
)
from .store_data import (
    EncodedWriter,
    assert_same_instance,
    sop_instance_uid_of,
    transfer_syntax_of,
)

# qrscp needs the archive extra; without it this module is a missing peer.
require_module("sqlalchemy")

TOOL_TIMEOUT = 120.0
# findscu's, getscu's and movescu's option for each information model.
MODEL_OPTIONS = {"patient": "-P", "study": "-S"}
MODEL_NAMES = {"patient": "PatientRoot", "study": "StudyRoot"}


# -- the servers ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pynetdicom_lib() -> Library:
    require_module("pynetdicom")
    return library("pynetdicom")


@pytest.fixture(scope="module")
def storescp_dest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Storescp]:
    server = start_storescp(tmp_path_factory.mktemp("storescp"))
    yield server
    server.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def qrscp(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    qr_data: QRData,
    storescp_dest: Storescp,
    orthanc: Orthanc,
    qr_move_destination: StoreServer,
) -> Iterator[Qrscp]:
    """Our qrscp on the index ``request.param``, loaded by DCMTK's storescu."""
    destinations = {
        STORESCP_AET: storescp_dest.address,
        orthanc.aet: (LOCALHOST, orthanc.dicom_port),
        QR_MOVE_AET: qr_move_destination.address,
    }
    with ExitStack() as stack:
        database = None
        if request.param == "postgresql":
            server_url = request.getfixturevalue("postgres_url")
            database = stack.enter_context(postgres_database(server_url))
        directory = tmp_path_factory.mktemp(f"qrscp-{request.param}")
        server = start_qrscp(directory, destinations, database=database)
        stack.callback(server.stop)  # before the database is dropped
        load(server, qr_data)
        # The SQLite index is a file beside the store, never in it; --database-location
        # overrides the configuration's file.
        sqlite = directory / "index.sqlite"
        assert sqlite.is_file() == (database is None), server.log_tail()
        assert not any(server.instances.rglob("*.sqlite*"))
        yield server


def load(server: Qrscp, data: QRData) -> None:
    """DCMTK's storescu sends every instance (-R: in the file's own transfer syntax)."""
    result = run_dcmtk(
        "storescu", "-v", "-R", "-aec", server.aet, LOCALHOST, str(server.port),
        *(str(path) for path in data.paths), timeout=TOOL_TIMEOUT,
    )  # fmt: skip
    assert result.returncode == 0, f"{result.stdout}\n{server.log_tail()}"
    stored = result.stdout.count("Received Store Response (Success)")
    assert stored == len(data.paths), result.stdout


def key_options(query: Dataset) -> list[str]:
    """``query`` as DCMTK's ``-k`` options: a bare keyword asks for the attribute, and a
    list of values is written with DICOM's backslash."""
    options: list[str] = []
    for element in query:
        value = element.value
        text = "\\".join(map(str, value)) if isinstance(value, MultiValue) else str(value or "")
        options += ["-k", f"{element.keyword}={text}" if text else element.keyword]
    return options


def dcmtk_qr(tool: str, server: Qrscp, model: str, query: Dataset, *options: str) -> str:
    """Run findscu, getscu or movescu against our qrscp; its log (it must exit with 0)."""
    result = run_dcmtk(
        tool, "-v", MODEL_OPTIONS[model], "-aec", server.aet, "-to", str(int(DEADLINE)),
        "-ta", str(int(DEADLINE)), "-td", str(int(DEADLINE)), *options,
        *key_options(query), LOCALHOST, str(server.port), timeout=TOOL_TIMEOUT,
    )  # fmt: skip
    assert result.returncode == 0, f"{result.stdout}\n{server.log_tail()}"
    return result.stdout


def files_in(directory: Path) -> list[Path]:
    return sorted(path for path in directory.iterdir() if path.is_file())


@pytest.fixture
def pn_connect(
    qr_connect: Callable[..., Any], pynetdicom_lib: Library, qrscp: Qrscp
) -> Callable[..., Any]:
    """``connect(receiver=None)``: an association of pynetdicom's SCU with our qrscp."""

    def connect(receiver: Any = None) -> Any:
        return qr_connect(qrscp.port, qrscp.aet, library=pynetdicom_lib, receiver=receiver)

    return connect


def model_uid(lib: Library, model: str, operation: str) -> str:
    return models(lib.sop_class)[f"{MODEL_NAMES[model]}QueryRetrieveInformationModel{operation}"]


# -- C-FIND --------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_findscu(case: FindCase, qrscp: Qrscp, qr_data: QRData, tmp_path: Path) -> None:
    """DCMTK's findscu (-X: each response into a file)."""
    out = tmp_path / "responses"
    out.mkdir()
    query = case.identifier(qr_data)
    log = dcmtk_qr("findscu", qrscp, case.model, query, "-X", "-od", str(out))
    assert "Received Final Find Response (Success)" in log, log
    assert_found(case, [dcmread(path) for path in files_in(out)], qr_data)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_pynetdicom_find(
    case: FindCase,
    pn_connect: Callable[..., Any],
    pynetdicom_lib: Library,
    qrscp: Qrscp,
    qr_data: QRData,
) -> None:
    assoc = pn_connect()
    uid = model_uid(pynetdicom_lib, case.model, "Find")
    outcome = collect(assoc.send_c_find(case.identifier(qr_data), uid))
    outcome.assert_success()
    assert_found(case, outcome.matches, qr_data)


# -- C-GET ---------------------------------------------------------------------------------------


def getscu(server: Qrscp, model: str, query: Dataset, out: Path) -> list[Path]:
    """Run getscu into ``out``; the files it received, after checking its final report."""
    out.mkdir()
    log = dcmtk_qr("getscu", server, model, query, "-od", str(out))
    assert "Received C-GET Response (Success)" in log, log
    received = files_in(out)
    report = dict(re.findall(r"Number of (\w+) Suboperations\s*:\s*(\d+)", log))
    assert report == {
        "Remaining": "0",
        "Completed": str(len(received)),
        "Failed": "0",
        "Warning": "0",
    }, log
    return received


def assert_converted(paths: list[Path], expected: list[Instance]) -> None:
    """As ``assert_retrieved``, but the files may come in another uncompressed transfer
    syntax: getscu proposes Explicit VR first, and qrscp, as pynetdicom's qrscp does, accepts
    in its own order (Implicit VR first). Every element must still be the loaded one."""
    originals = {instance.sop_uid: instance.path for instance in expected}
    received = {sop_instance_uid_of(path): path for path in paths}
    assert len(received) == len(paths), f"an instance came twice among {paths}"
    assert received.keys() == originals.keys(), (sorted(received), sorted(originals))
    for uid, path in received.items():
        assert transfer_syntax_of(path) in (IMPLICIT, EXPLICIT), path
        assert_same_instance(path, originals[uid], same_transfer_syntax=False)


def test_getscu_study(qrscp: Qrscp, qr_data: QRData, tmp_path: Path) -> None:
    study_uid = qr_data.largest_study()
    received = getscu(qrscp, "study", study_retrieve(study_uid), tmp_path / "got")
    assert_converted(received, qr_data.of_study(study_uid))


def test_getscu_patient_root(qrscp: Qrscp, qr_data: QRData, tmp_path: Path) -> None:
    received = getscu(qrscp, "patient", patient_retrieve(PATIENT_3), tmp_path / "got")
    assert_converted(received, qr_data.of_patient(PATIENT_3))


def test_pynetdicom_get(
    pn_connect: Callable[..., Any],
    pynetdicom_lib: Library,
    qrscp: Qrscp,
    qr_data: QRData,
    tmp_path: Path,
) -> None:
    receiver = EncodedWriter(tmp_path / "got")
    assoc = pn_connect(receiver)
    study_uid = qr_data.largest_study()
    uid = model_uid(pynetdicom_lib, "study", "Get")
    outcome = collect(assoc.send_c_get(study_retrieve(study_uid), uid))
    assert_complete(outcome, written(receiver), qr_data.of_study(study_uid), qrscp.log_tail())


# -- C-MOVE --------------------------------------------------------------------------------------


def largest_series(data: QRData) -> Instance:
    """The first instance of a series with the most instances (several sub-operations)."""
    return max(data.all_series().values(), key=lambda i: len(data.of_series(i.series_uid)))


def movescu(server: Qrscp, model: str, query: Dataset, destination: str) -> None:
    log = dcmtk_qr("movescu", server, model, query, "-aem", destination)
    assert "Received Final Move Response (Success)" in log, log


def test_movescu_series_to_storescp(qrscp: Qrscp, storescp_dest: Storescp, qr_data: QRData) -> None:
    storescp_dest.emptied()
    first = largest_series(qr_data)
    query = series_retrieve(first.study_uid, first.series_uid)
    movescu(qrscp, "study", query, STORESCP_AET)
    assert_retrieved(storescp_dest.received(), qr_data.of_series(first.series_uid))


def test_movescu_series_to_orthanc(
    qrscp: Qrscp, orthanc: Orthanc, qr_data: QRData, tmp_path: Path
) -> None:
    for stored in orthanc.instances():
        orthanc.delete(stored)
    first = largest_series(qr_data)
    query = identifier(
        "SERIES",
        PatientID=first.patient_id,
        StudyInstanceUID=first.study_uid,
        SeriesInstanceUID=first.series_uid,
    )
    movescu(qrscp, "patient", query, orthanc.aet)
    expected = qr_data.of_series(first.series_uid)
    assert len(orthanc.instances()) == len(expected), orthanc.log_tail()
    downloaded = []
    for instance in expected:
        found = orthanc.lookup(instance.sop_uid)
        assert found is not None, f"{instance.sop_uid} not in Orthanc:\n{orthanc.log_tail()}"
        downloaded.append(orthanc.download(found, tmp_path / f"{instance.sop_uid}.dcm"))
    assert_retrieved(downloaded, expected)


def test_movescu_unknown_destination(qrscp: Qrscp, qr_data: QRData) -> None:
    """A destination the configuration does not name: Refused, Move Destination unknown
    (PS3.4 C.4.2.1.4, 0xA801)."""
    query = study_retrieve(qr_data.largest_study())
    result = run_dcmtk(
        "movescu", "-v", "-S", "-aec", qrscp.aet, "-aem", "NOWHERE", *key_options(query),
        LOCALHOST, str(qrscp.port), timeout=TOOL_TIMEOUT,
    )  # fmt: skip
    refused = "Received Final Move Response (Refused: MoveDestinationUnknown)"
    assert refused in result.stdout, result.stdout


def test_pynetdicom_move_to_a_storage_scp(
    pn_connect: Callable[..., Any],
    pynetdicom_lib: Library,
    moved: EncodedWriter,
    qrscp: Qrscp,
    qr_data: QRData,
) -> None:
    """To conftest's move destination (the library under test's storage SCP)."""
    assoc = pn_connect()
    uid = model_uid(pynetdicom_lib, "patient", "Move")
    outcome = collect(assoc.send_c_move(patient_retrieve(PATIENT_1), QR_MOVE_AET, uid))
    assert_complete(outcome, written(moved), qr_data.of_patient(PATIENT_1), qrscp.log_tail())


def test_pynetdicom_move_to_storescp(
    pn_connect: Callable[..., Any],
    pynetdicom_lib: Library,
    storescp_dest: Storescp,
    qrscp: Qrscp,
    qr_data: QRData,
) -> None:
    storescp_dest.emptied()
    study_uid = qr_data.largest_study()
    assoc = pn_connect()
    uid = model_uid(pynetdicom_lib, "study", "Move")
    outcome = collect(assoc.send_c_move(study_retrieve(study_uid), STORESCP_AET, uid))
    received = storescp_dest.received()
    assert_complete(outcome, received, qr_data.of_study(study_uid), qrscp.log_tail())
