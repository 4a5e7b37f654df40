"""The test helpers' own rules: DCMTK's tools are found by what they are.

An activated virtualenv puts pynetdicom's console scripts (echoscu, storescu, storescp) first
on PATH; the interop tests must still run DCMTK's.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from helpers import find_dcmtk, is_dcmtk, run


def fake_tool(directory: Path, name: str, output: str, status: int = 0) -> Path:
    """An executable ``name`` in ``directory`` that prints ``output`` whatever it is asked."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    quoted = output.replace("'", "'\\''")
    # printf is a shell builtin: the tests' PATH may hold nothing else.
    path.write_text(f"#!/bin/sh\nprintf '%s\\n' '{quoted}'\nexit {status}\n")
    path.chmod(0o755)
    return path


def test_dcmtk_tool_found_behind_an_impostor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pynetdicom's console script answers --version with a usage error.
    impostor = fake_tool(tmp_path / "venv-bin", "fakescu", "usage: fakescu [options]", 2)
    # A DCMTK tool of another name is not this tool either.
    other = fake_tool(tmp_path / "other", "fakescu", "$dcmtk: storescp v3.6.7 2022-04-22 $")
    real = fake_tool(tmp_path / "dcmtk", "fakescu", "$dcmtk: fakescu v3.6.7 2022-04-22 $\n")
    path = os.pathsep.join(str(p.parent) for p in (impostor, other, real))
    monkeypatch.setenv("PATH", path)
    assert find_dcmtk("fakescu") == str(real)
    assert not is_dcmtk(str(impostor), "fakescu")
    assert not is_dcmtk(str(other), "fakescu")


def test_no_dcmtk_tool_of_that_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_tool(tmp_path / "bin", "fakescu", "usage: fakescu [options]", 2)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert find_dcmtk("fakescu") is None


def test_dcmtk_echoscu_found_with_the_virtualenv_first_on_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As most users run pytest: the virtualenv's bin first, pynetdicom's echoscu in it."""
    venv_bin = Path(sys.executable).parent
    monkeypatch.setenv("PATH", os.pathsep.join([str(venv_bin), os.environ.get("PATH", "")]))
    found = find_dcmtk("echoscu")
    if found is None:
        pytest.skip("DCMTK's echoscu is not installed")
    assert Path(found).parent != venv_bin
    version = run([found, "--version"])
    assert version.stdout.startswith("$dcmtk: echoscu v"), version.stdout
