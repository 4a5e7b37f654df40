"""The SCU apps start without pydicom: ``storescu`` and ``echoscu`` import it only when a
file needs converting (importing pydicom costs more than the rest of a short run), and
without asyncio, which a threads-only process does not need.

Each app runs in a fresh interpreter whose import system refuses pydicom, against our own
``storescp``; the files it sends must arrive byte for byte all the same. A file that does
need pydicom (its meta group lacks the SOP class) still goes, pydicom loading then.

Other modules that only some paths need are imported there, not at start-up (each import
is start-up time, and so is compiling it where no bytecode cache is written): the same runs
check that they stay unloaded.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from benches.synthetic import write_study
from pydicom import dcmread
from pydicom.dataset import FileMetaDataset

from helpers import PORT, Server, app_cmd, data_set_bytes, run, start_server

# Run as `python -c`: with --refuse, any import of pydicom or asyncio fails; then it runs
# `python -m fastdimse <argv>` and writes the names of the modules loaded to LOADED.
_WITHOUT_PYDICOM = """
import runpy, sys

class RefusePydicom:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("pydicom", "asyncio"):
            raise ImportError(f"refused in this test: {name}")
        return None

refuse, loaded, *argv = sys.argv[1:]
if refuse == "--refuse":
    sys.meta_path.insert(0, RefusePydicom())
sys.argv = ["fastdimse", *argv]
try:
    runpy.run_module("fastdimse", run_name="__main__")
finally:
    with open(loaded, "w") as out:
        out.write("\\n".join(sorted(sys.modules)))
"""

# Loaded where they are needed, never by an SCU run without TLS: ssl (TLS only), tempfile
# and secrets (spool files of received data sets), datetime (events passed to handlers),
# fastdimse.status (a response status other than Success).
_NOT_FOR_SCU = frozenset({"tempfile", "secrets", "datetime", "fastdimse.status"})
# echoscu names no file: nor pathlib (with urllib.parse and ipaddress, which it imports).
_NOT_FOR_ECHOSCU = _NOT_FOR_SCU | {"pathlib", "urllib.parse", "ipaddress"}


def _app(refuse: bool, loaded: Path, *args: str) -> list[str]:
    flag = "--refuse" if refuse else "--allow"
    return [sys.executable, "-c", _WITHOUT_PYDICOM, flag, str(loaded), *args]


def _loaded(path: Path) -> set[str]:
    """The modules the app had loaded when it ended."""
    return set(path.read_text().split())


@pytest.fixture
def storescp(tmp_path: Path) -> Iterator[Server]:
    out = tmp_path / "out"
    out.mkdir()
    server = start_server(app_cmd("storescp", PORT, "-od", str(out)), tmp_path / "storescp.log")
    yield server
    server.stop()


def test_echoscu_runs_without_pydicom(storescp: Server, tmp_path: Path) -> None:
    loaded = tmp_path / "loaded"
    result = run(_app(True, loaded, "echoscu", "-v", "127.0.0.1", str(storescp.port)))
    assert result.returncode == 0, result.stderr
    assert "Received Echo Response (Status: 0x0000 - Success)" in result.stderr
    assert "refused in this test" not in result.stderr
    assert _loaded(loaded) & _NOT_FOR_ECHOSCU == set()


def test_echoscu_without_tls_does_not_load_ssl(storescp: Server, tmp_path: Path) -> None:
    loaded = tmp_path / "loaded"
    result = run(_app(True, loaded, "echoscu", "127.0.0.1", str(storescp.port)))
    assert result.returncode == 0, result.stderr
    assert "ssl" not in _loaded(loaded)


def test_storescu_sends_a_study_without_pydicom(storescp: Server, tmp_path: Path) -> None:
    sent = write_study(tmp_path / "study", 6)
    loaded = tmp_path / "loaded"
    study = str(tmp_path / "study")
    result = run(_app(True, loaded, "storescu", "127.0.0.1", str(storescp.port), study))
    assert result.returncode == 0, result.stderr
    assert "refused in this test" not in result.stderr
    assert "Stored:         6" in result.stderr
    _assert_stored(sent, tmp_path / "out")
    assert _loaded(loaded) & _NOT_FOR_SCU == set()


def test_storescu_loads_pydicom_for_a_file_that_needs_it(storescp: Server, tmp_path: Path) -> None:
    """The refusal is real: a file whose meta lacks its SOP class is read with pydicom."""
    (sent,) = write_study(tmp_path / "study", 1)
    ds = dcmread(sent)
    meta = FileMetaDataset(ds.file_meta)
    del meta.MediaStorageSOPClassUID
    ds.file_meta = meta
    odd = tmp_path / "odd.dcm"
    ds.save_as(odd, enforce_file_format=False)

    loaded = tmp_path / "loaded"
    refused = run(_app(True, loaded, "storescu", "127.0.0.1", str(storescp.port), str(odd)))
    assert "refused in this test: pydicom" in refused.stderr

    allowed = run(_app(False, loaded, "storescu", "127.0.0.1", str(storescp.port), str(odd)))
    assert allowed.returncode == 0, allowed.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == [f"CT.{ds.SOPInstanceUID}"]


def _assert_stored(sent: list[Path], out: Path) -> None:
    """Every file sent is stored once (storescp names it <modality>.<instance UID>), its
    data set byte for byte."""
    assert len(list(out.iterdir())) == len(sent)
    for path in sent:
        ds = dcmread(path)
        copy = out / f"{ds.Modality}.{ds.SOPInstanceUID}"
        assert data_set_bytes(copy) == data_set_bytes(path)
