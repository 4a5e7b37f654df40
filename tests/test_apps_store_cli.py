"""The apps `python -m fastdimse storescu|storescp` without a peer: flags, arguments, output
and the errors reported when no association can be made.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from apps_store_support import (
    DEFAULT_SYNTAXES,
    EXPLICIT_LE,
    distinct_class_files,
    pynetdicom_default_classes,
    storescu,
)
from helpers import (
    LOCALHOST,
    UNRESOLVABLE_HOST,
    free_port,
    run,
    run_app,
)

# ---------------------------------------------------------------------------------------------
# Arguments and output without a peer


def test_main_lists_the_store_apps() -> None:
    proc = run([sys.executable, "-m", "fastdimse", "--help"])
    assert proc.returncode == 0
    assert "storescu" in proc.stdout and "storescp" in proc.stdout


@pytest.mark.parametrize(
    ("app", "args"),
    [
        ("storescu", ["127.0.0.1", "11112", "x.dcm", "--version"]),
        ("storescp", ["11112", "--version"]),
        ("storescu", ["--version"]),
        ("storescp", ["--version"]),
    ],
)
def test_flag_version(app: str, args: list[str]) -> None:
    from fastdimse._core import __version__

    proc = run_app(app, *args)
    assert (proc.returncode, proc.stdout) == (0, f"{app}.py v{__version__}\n")


@pytest.mark.parametrize("app", ["storescu", "storescp"])
def test_help_lists_pynetdicoms_options(app: str) -> None:
    proc = run_app(app, "--help")
    assert proc.returncode == 0
    common = [
        "--version",
        "-q, --quiet",
        "-v, --verbose",
        "-d, --debug",
        "-ll [l], --log-level",
        "-ta [s]econds, --acse-timeout",
        "-td [s]econds, --dimse-timeout",
        "-tn [s]econds, --network-timeout",
        "-pdu [n]umber of bytes, --max-pdu",
        "Parameters:",
        "General Options:",
        "Network Options:",
    ]
    own = {
        "storescu": [
            "usage: storescu [options] addr port path",
            "-r, --recurse",
            "-aet [a]etitle, --calling-aet",
            "-aec [a]etitle, --called-aet",
            "-xe, --request-little",
            "-xb, --request-big",
            "-xi, --request-implicit",
            "-cx, --required-contexts",
            "Input Options:",
            "Transfer Syntax Options:",
        ],
        "storescp": [
            "usage: storescp [options] port",
            "-aet [a]etitle, --ae-title",
            "-ba [a]ddress, --bind-address",
            "-x=, --prefer-uncompr",
            "-xe, --prefer-little",
            "-xb, --prefer-big",
            "-xi, --implicit",
            "-od [d]irectory, --output-directory",
            "--ignore",
            "--fsync",
            "--no-echo",
            "Output Options:",
        ],
    }[app]
    for text in common + own:
        assert text in proc.stdout, text


@pytest.mark.parametrize(
    ("app", "args"),
    [
        ("storescu", ["127.0.0.1", "11112"]),  # no path
        ("storescu", ["127.0.0.1", "notaport", "x.dcm"]),
        ("storescu", ["-q", "-v", "127.0.0.1", "11112", "x.dcm"]),
        ("storescu", ["-xe", "-xi", "127.0.0.1", "11112", "x.dcm"]),
        ("storescu", ["-ll", "loud", "127.0.0.1", "11112", "x.dcm"]),
        ("storescp", []),
        ("storescp", ["-v", "-d", "11112"]),
        ("storescp", ["-xe", "-xb", "11112"]),
        ("storescp", ["-od", "11112"]),  # -od takes the port: no port left
    ],
)
def test_bad_arguments_exit_2(app: str, args: list[str]) -> None:
    proc = run_app(app, *args)
    assert proc.returncode == 2
    assert f"usage: {app} [options]" in proc.stderr


def test_storescu_no_such_path() -> None:
    # Not as pynetdicom's, which exits with 0: when no path given exists, it says so and fails.
    proc = run_app(
        "storescu", "-d", LOCALHOST, str(free_port()), "no-such-file.dcm", "no-such-folder"
    )
    assert proc.returncode == 1
    assert "E: Cannot access path: no-such-file.dcm" in proc.stderr
    assert "E: Cannot access path: no-such-folder" in proc.stderr
    assert proc.stderr.splitlines()[-1] == "E: No file to send: none of the paths given exists"
    assert "Requesting Association" not in proc.stderr
    proc = run_app("storescu", "-q", LOCALHOST, str(free_port()), "no-such-file.dcm")
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", "")


def test_storescu_missing_path_beside_a_folder_without_dicom_files(tmp_path: Path) -> None:
    # As pynetdicom's: a path that exists but holds no DICOM file is nothing to send, not an
    # error; the missing one is reported.
    (tmp_path / "notes.txt").write_text("not DICOM\n")
    proc = run_app("storescu", "-v", LOCALHOST, str(free_port()), "no-such-file.dcm", str(tmp_path))
    assert proc.returncode == 0
    assert "E: Cannot access path: no-such-file.dcm" in proc.stderr
    assert "W: No suitable DICOM files found" in proc.stderr


def test_storescu_no_dicom_file_quiet(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not DICOM\n")
    proc = run_app("storescu", "-q", LOCALHOST, str(free_port()), str(tmp_path))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_storescu_no_peer(study: list[Path]) -> None:
    proc = storescu(free_port(), str(study[0]))
    assert proc.returncode == 1
    assert "Association request failed: unable to connect to remote" in proc.stderr
    assert "TCP Initialisation Error" in proc.stderr
    proc = storescu(free_port(), "-q", str(study[0]))
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", "")


def test_storescu_unresolvable_host(study: list[Path]) -> None:
    """One error line in the apps' format, no traceback, status 1."""
    proc = run_app("storescu", UNRESOLVABLE_HOST, "104", str(study[0]))
    assert proc.returncode == 1
    assert proc.stdout == ""
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"E: Cannot resolve the peer's address '{UNRESOLVABLE_HOST}': "), line
    proc = run_app("storescu", "-q", UNRESOLVABLE_HOST, "104", str(study[0]))
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", "")


def test_storescu_acse_timeout(study: list[Path]) -> None:
    # A peer that accepts the connection and never answers the A-ASSOCIATE-RQ.
    with socket.socket() as listener:
        listener.bind((LOCALHOST, 0))
        listener.listen()
        proc = storescu(listener.getsockname()[1], "-ta", "0.5", str(study[0]))
    assert proc.returncode == 1
    assert "ACSE timeout reached while waiting for response" in proc.stderr


def test_storescu_required_contexts_over_128(tmp_path: Path) -> None:
    distinct_class_files(tmp_path / "many", 129)
    # Nothing listens there: the error must come before any connection attempt.
    proc = storescu(free_port(), "-cx", str(tmp_path / "many"))
    assert proc.returncode == 1
    assert "129 presentation contexts" in proc.stderr
    assert "Association request failed" not in proc.stderr


def test_plan_contexts_limits(tmp_path: Path) -> None:
    from fastdimse.apps.storescu import (
        TooManyContexts,
        parse_args,
        plan_contexts,
        scan_file,
    )

    files = [scan_file(p) for p in distinct_class_files(tmp_path / "many", 65)]
    defaults = sorted(pynetdicom_default_classes())
    # 65 exact + 65 fallback contexts would be 130: the fallbacks go, the exact ones stay.
    contexts = plan_contexts(files, parse_args(["h", "1", "f"]), defaults)
    assert len(contexts) == len(defaults) == 120  # pynetdicom's count, filled from its list
    assert contexts[:65] == [(f.sop_class, [EXPLICIT_LE]) for f in files]
    contexts = plan_contexts(files[:60], parse_args(["h", "1", "f"]), defaults)
    assert contexts[:120] == [(f.sop_class, [EXPLICIT_LE]) for f in files[:60]] + [
        (f.sop_class, DEFAULT_SYNTAXES) for f in files[:60]
    ]
    assert len(contexts) == 120
    # -cx: one context per class and syntax, repeats counted once; no fill.
    required = parse_args(["-cx", "h", "1", "f"])
    assert plan_contexts(files * 2, required, defaults) == [
        (f.sop_class, [EXPLICIT_LE]) for f in files
    ]
    more = [scan_file(p) for p in distinct_class_files(tmp_path / "more", 129)]
    with pytest.raises(TooManyContexts, match="129 presentation contexts"):
        plan_contexts(more, required, defaults)
