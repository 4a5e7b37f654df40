"""Our Modality Worklist SCP (the Archive) and DCMTK's wlmscpfs, loaded with the same
items, answer the same queries alike: DCMTK's findscu -W queries ours (on SQLite and on
PostgreSQL), and our SCU queries wlmscpfs.

The six items of ``worklist_data`` are written by DCMTK's dump2dcm as ``.wl`` files (half
with File Meta Information, half bare data sets) into the directory wlmscpfs serves; the
archive imports that same directory. For each query both sides are told apart (wlmscpfs
matches person names case-sensitively, knows a fixed set of matching keys and matches a
date range with a time range as one; such cases are left to ``test_archive_worklist``):
the matches must be the same items, each response must hold the same keys with the same
values, and both must be the items the case names.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset

from fastdimse import AE
from fastdimse.sop_class import ModalityWorklistInformationFind
from helpers import (
    DEADLINE,
    LOCALHOST,
    PORT,
    Server,
    dcmtk,
    dcmtk_env,
    require_module,
    run_dcmtk,
    start_server,
)
from worklist_data import (
    CASES,
    STEPS,
    Case,
    expected_summary,
    findscu_keys,
    identifier,
    items,
    summary,
    write_worklist,
)

from .archive_peers import postgres_database

# The archive needs its extra; without it this module is a missing peer.
require_module("sqlalchemy")

from fastdimse.archive import Archive  # noqa: E402

MWL = ModalityWorklistInformationFind
# wlmscpfs serves the items of the directory named as the AE title it is called by.
WLMSCPFS_AET = "WLMSCPFS"
OUR_AET = "ARCHIVE"
TOOL_TIMEOUT = 120.0
DCMTK_CASES = [case for case in CASES if case.dcmtk]
PENDING = (0xFF00, 0xFF01)


@pytest.fixture(scope="module")
def worklist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory wlmscpfs serves (one subdirectory per AE title) and we import."""
    top = tmp_path_factory.mktemp("worklist")
    write_worklist(top / WLMSCPFS_AET, items())
    return top


@pytest.fixture(scope="module")
def wlmscpfs(worklist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """DCMTK's wlmscpfs on a free port, in one process, returning the files' character set."""
    log = tmp_path_factory.mktemp("wlmscpfs-log") / "wlmscpfs.log"
    argv = [dcmtk("wlmscpfs"), "-v", "-s", "-csk", "-dfp", str(worklist), PORT]
    server = start_server(argv, log, env=dcmtk_env())
    yield server
    server.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def ours(
    request: pytest.FixtureRequest, worklist: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    """Our threaded server in front of an Archive on ``request.param`` that imported the
    worklist directory; its port."""
    with ExitStack() as stack:
        directory = tmp_path_factory.mktemp(f"archive-{request.param}")
        database = str(directory / "index.sqlite")
        if request.param == "postgresql":
            server_url = request.getfixturevalue("postgres_url")
            database = stack.enter_context(postgres_database(server_url))
        archive = stack.enter_context(Archive(directory / "store", database))
        assert archive.import_worklist(worklist) == len(STEPS)
        ae = AE(OUR_AET)
        ae.add_supported_context(MWL)
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
        server = ae.start_server((LOCALHOST, 0), block=False, evt_handlers=archive.handlers)
        stack.callback(server.shutdown)
        yield int(server.server_address[1])


def findscu(port: int, case: Case, out: Path) -> list[Dataset]:
    """DCMTK's findscu -W against our SCP: the responses it wrote (-X)."""
    out.mkdir()
    result = run_dcmtk(
        "findscu", "-v", "-W", "-aec", OUR_AET, "-to", str(int(DEADLINE)),
        "-ta", str(int(DEADLINE)), "-td", str(int(DEADLINE)), "-X", "-od", str(out),
        *findscu_keys(case), LOCALHOST, str(port), timeout=TOOL_TIMEOUT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
    assert "Received Final Find Response (Success)" in result.stdout, result.stdout
    # findscu writes a response as rsp0001.dcm, rsp0002.dcm... in the order received.
    return [dcmread(path) for path in sorted(out.glob("rsp*.dcm"))]


def our_scu(port: int, case: Case) -> list[Dataset]:
    """Our SCU against wlmscpfs: the identifiers of the pending responses."""
    ae = AE("MODALITY")
    ae.add_requested_context(MWL)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEADLINE
    assoc = ae.associate(LOCALHOST, port, ae_title=WLMSCPFS_AET)
    assert assoc.is_established
    try:
        results = list(assoc.send_c_find(identifier(case), MWL))
    finally:
        assoc.release()
    statuses = [int(status.Status) for status, _ in results]
    assert statuses[-1] == 0x0000, statuses
    assert all(status in PENDING for status in statuses[:-1]), statuses
    return [ds for _, ds in results[:-1]]


def keys_of(response: Dataset) -> tuple[frozenset[str], frozenset[str]]:
    """The keywords of a response and of its Scheduled Procedure Step Item (the
    character set left out: wlmscpfs sends it only with what needs it)."""
    top = frozenset(e.keyword for e in response if e.keyword != "SpecificCharacterSet")
    step = frozenset(e.keyword for e in response.ScheduledProcedureStepSequence[0])
    return top, step


@pytest.mark.parametrize("case", DCMTK_CASES, ids=[case.name for case in DCMTK_CASES])
def test_findscu_and_wlmscpfs_agree(
    case: Case, ours: int, wlmscpfs: Server, tmp_path: Path
) -> None:
    from_ours = findscu(ours, case, tmp_path / "responses")
    from_dcmtk = our_scu(wlmscpfs.port, case)
    assert len(from_ours) == len(from_dcmtk) == len(case.expected), wlmscpfs.output()[-3000:]
    expected = sorted(expected_summary(s) for s in STEPS if s.step_id in case.expected)
    assert sorted(map(summary, from_ours)) == sorted(map(summary, from_dcmtk)) == expected
    assert {keys_of(ds) for ds in from_ours} == {keys_of(ds) for ds in from_dcmtk}


def test_non_ascii_values_arrive_alike(ours: int, wlmscpfs: Server, tmp_path: Path) -> None:
    """A name in ISO_IR 100 comes back decoded alike from both, with its character set."""
    case = Case("patient", {"PatientID": "P3"}, {}, frozenset({"SPS3"}))
    from_ours = findscu(ours, case, tmp_path / "responses")
    from_dcmtk = our_scu(wlmscpfs.port, case)
    for found in (from_ours, from_dcmtk):
        assert [str(ds.PatientName) for ds in found] == ["Müller^Hans"]
        assert [ds.SpecificCharacterSet for ds in found] == ["ISO_IR 100"]
