"""The test helpers' own rules: DCMTK's tools are found by what they are, and a missing
peer fails its tests where peers are required.

An activated virtualenv puts pynetdicom's console scripts (echoscu, storescu, storescp) first
on PATH; the interop tests must still run DCMTK's. And a CI run must not pass green with its
interop tests skipped because a peer was not installed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from helpers import (
    REQUIRE_PEERS,
    dcmtk,
    find_dcmtk,
    is_dcmtk,
    missing_peer,
    peers_required,
    require_module,
    run,
)

# The inner runs need neither the cache nor asyncio support.
NO_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:asyncio")


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
        missing_peer("DCMTK's echoscu is not installed")
    assert Path(found).parent != venv_bin
    version = run([found, "--version"])
    assert version.stdout.startswith("$dcmtk: echoscu v"), version.stdout


# -- a missing peer fails where peers are required ---------------------------------------------

NO_TOOL = "nosuchscu-fastdimse"
NO_MODULE = "no_such_module_fastdimse"


def set_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv(REQUIRE_PEERS, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize(
    ("env", "required"),
    [
        ({}, False),
        ({"CI": "true"}, True),
        ({"CI": "1"}, True),
        ({"CI": "false"}, False),
        ({"CI": ""}, False),
        ({REQUIRE_PEERS: "1"}, True),
        ({REQUIRE_PEERS: "0"}, False),
        ({"CI": "true", REQUIRE_PEERS: "0"}, True),
    ],
)
def test_missing_peer_fails_where_peers_are_required(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], required: bool
) -> None:
    set_env(monkeypatch, env)
    assert peers_required() is required
    outcome = pytest.fail.Exception if required else pytest.skip.Exception
    with pytest.raises(outcome, match=f"DCMTK's {NO_TOOL} is not installed"):
        dcmtk(NO_TOOL)
    with pytest.raises(outcome, match=f"cannot import {NO_MODULE}"):
        require_module(NO_MODULE)
    with pytest.raises(outcome, match="Orthanc is missing"):
        missing_peer("Orthanc is missing")


def test_required_peers_fail_a_real_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through pytest itself: without CI a skipped test and a skipped module; with CI=true a
    failed test, and a collection error that stops the run."""
    pytester.makepyfile(
        test_tool=f"""
        from helpers import dcmtk

        def test_needs_a_tool():
            dcmtk("{NO_TOOL}")
        """,
        test_module=f"""
        from helpers import require_module

        require_module("{NO_MODULE}")

        def test_never_collected():
            pass
        """,
    )
    set_env(monkeypatch, {})
    pytester.runpytest_inprocess(*NO_PLUGINS).assert_outcomes(skipped=2)
    set_env(monkeypatch, {"CI": "true"})
    result = pytester.runpytest_inprocess(*NO_PLUGINS, "test_tool.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*DCMTK's {NO_TOOL} is not installed*peers are required*"])
    # A module that needs a missing peer is a collection error: the whole run stops.
    result = pytester.runpytest_inprocess(*NO_PLUGINS)
    result.assert_outcomes(errors=1)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([f"*cannot import {NO_MODULE}*peers are required*"])
