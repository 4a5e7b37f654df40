"""Our storescp against pynetdicom 3.0.4 in this process, which sends to it."""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from apps_store_support import (
    CT_IMAGE_STORAGE,
    EXPLICIT_BE,
    EXPLICIT_LE,
    IMPLICIT_LE,
    MIXED,
    PN_FILES,
    RT_IMAGE,
    VERIFICATION,
    assert_same_instance,
    dataset_uid,
    distinct_class_files,
    instance_uid,
    lenient_uids,
    meta_class,
    meta_syntax,
    send_with_pynetdicom,
)
from helpers import (
    LOCALHOST,
    Server,
    free_port,
    run_app,
)

# ---------------------------------------------------------------------------------------------
# storescp <- pynetdicom 3.0.4 (in process)


def test_storescp_default(servers: Callable[..., Server], pnd_scu: Any, tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    scp = servers("ours", cwd=cwd)
    path = PN_FILES / "CTImageStorage.dcm"
    pnd_scu.add_requested_context(VERIFICATION)
    pnd_scu.add_requested_context(CT_IMAGE_STORAGE, EXPLICIT_LE)  # the file's, streamed
    assoc = pnd_scu.associate(LOCALHOST, scp.port)
    assert assoc.is_established
    assert assoc.acceptor.maximum_length == 16382
    assert {str(cx.abstract_syntax) for cx in assoc.accepted_contexts} == {
        VERIFICATION,
        CT_IMAGE_STORAGE,
    }
    assert assoc.send_c_echo().Status == 0x0000
    assert assoc.send_c_store(path).Status == 0x0000
    assoc.release()
    # No -od: stored in the current directory, named as pynetdicom's storescp names it.
    stored = cwd / f"CT.{instance_uid(path)}"
    assert sorted(cwd.iterdir()) == [stored]
    assert_same_instance(path, stored)
    assert scp.output() == ""


@lenient_uids
def test_storescp_output_directory(
    servers: Callable[..., Server], pnd_scu: Any, mixed: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "deeper"  # created when missing
    scp = servers("ours", "-od", str(out))
    paths = [mixed / name for name in MIXED if name != RT_IMAGE]
    assert send_with_pynetdicom(pnd_scu, scp.port, paths) == [0] * len(paths)
    prefixes = {
        "CTImageStorage.dcm": "CT",
        "MRImageStorage_ExplicitVRBigEndian.dcm": "MR",
        "MRImageStorage_JPG2000_Lossless.dcm": "MR",
        "SCImageStorage_Deflated.dcm": "SC",
    }
    names = {f"{prefixes[p.name]}.{instance_uid(p)}" for p in paths}
    assert {p.name for p in out.iterdir()} == names
    for path in paths:
        stored = out / f"{prefixes[path.name]}.{instance_uid(path)}"
        assert meta_syntax(stored) == meta_syntax(path)
        # pynetdicom streamed the file's data set: the stored bytes are the same.
        assert_same_instance(path, stored, raw=True)


def test_storescp_unknown_class_prefix_and_fsync(
    servers: Callable[..., Server], pnd_scu: Any, tmp_path: Path
) -> None:
    # A class without a pynetdicom prefix is stored as "UN.<uid>"; --fsync stores the same.
    from fastdimse.apps.storescp import MODALITY_PREFIXES

    path = next(
        p
        for p in distinct_class_files(tmp_path / "some", 5)
        if meta_class(p) not in MODALITY_PREFIXES
    )
    out = tmp_path / "out"
    scp = servers("ours", "--fsync", "-od", str(out))
    assert send_with_pynetdicom(pnd_scu, scp.port, [path]) == [0]
    stored = out / f"UN.{instance_uid(path)}"
    assert sorted(out.iterdir()) == [stored]
    assert_same_instance(path, stored, raw=True)


@lenient_uids
def test_storescp_refuses_a_data_set_that_is_not_the_requested_instance(
    servers: Callable[..., Server], pnd_scu: Any, tmp_path: Path
) -> None:
    # Streamed from its file, pynetdicom's RT image is requested as the instance its meta
    # group names, and its data set is another: refused with 0xA900 and nothing stored
    # (pynetdicom's storescp decodes the data set and stores it under the data set's UID).
    path = PN_FILES / RT_IMAGE
    assert instance_uid(path) != dataset_uid(path)
    out = tmp_path / "out"
    scp = servers("ours", "-od", str(out))
    assert send_with_pynetdicom(pnd_scu, scp.port, [path]) == [0xA900]
    assert list(out.iterdir()) == []
    scp.stop()
    assert f"E: Could not store RI.{instance_uid(path)} (0xA900)" in scp.output()


def test_storescp_ignore(
    servers: Callable[..., Server], pnd_scu: Any, study: list[Path], tmp_path: Path
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    out = tmp_path / "out"
    scp = servers("ours", "--ignore", cwd=cwd)
    assert send_with_pynetdicom(pnd_scu, scp.port, study[:3]) == [0, 0, 0]
    assert list(cwd.iterdir()) == []
    scp2 = servers("ours", "--ignore", "-od", str(out), cwd=cwd)
    assert send_with_pynetdicom(pnd_scu, scp2.port, study[:3]) == [0, 0, 0]
    assert not out.exists() or list(out.iterdir()) == []
    assert list(cwd.iterdir()) == []


def test_storescp_overwrites_with_a_warning(
    servers: Callable[..., Server], pnd_scu: Any, study: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    scp = servers("ours", "-v", "-od", str(out))
    assert send_with_pynetdicom(pnd_scu, scp.port, [study[0], study[0]]) == [0, 0]
    assert [p.name for p in out.iterdir()] == [f"CT.{instance_uid(study[0])}"]
    scp.stop()
    log = scp.output()
    assert log.count(f"I: Storing DICOM file: CT.{instance_uid(study[0])}") == 2
    assert log.count("W: DICOM file already exists, overwriting") == 1
    for text in ("I: Accepting Association", "I: Received Store Request", "Association Released"):
        assert text in log, text


def test_storescp_out_of_resources(
    servers: Callable[..., Server], pnd_scu: Any, study: list[Path], tmp_path: Path
) -> None:
    # The output directory becomes a file under the running server: 0xA700 (nothing can be
    # written there), and it keeps serving.
    out = tmp_path / "out"
    scp = servers("ours", "-od", str(out))
    # Once an association is answered the server has its handler (and has made `out`).
    pnd_scu.add_requested_context(VERIFICATION)
    echo = pnd_scu.associate(LOCALHOST, scp.port)
    assert echo.is_established
    echo.release()
    out.rmdir()
    out.write_bytes(b"")
    assert send_with_pynetdicom(pnd_scu, scp.port, study[:2]) == [0xA700, 0xA700]
    assert out.read_bytes() == b""
    out.unlink()
    out.mkdir()
    assert send_with_pynetdicom(pnd_scu, scp.port, study[:1]) == [0]
    assert [p.name for p in out.iterdir()] == [f"CT.{instance_uid(study[0])}"]


def test_storescp_output_directory_not_creatable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a directory\n")
    proc = run_app("storescp", "-ba", LOCALHOST, "-od", str(blocker / "out"), str(free_port()))
    assert proc.returncode == 1
    assert "Unable to create the output directory" in proc.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], IMPLICIT_LE),  # the library's order: implicit VR little endian first
        (["-x="], EXPLICIT_LE),
        (["--prefer-uncompr"], EXPLICIT_LE),
        (["-xe"], EXPLICIT_LE),
        (["--prefer-little"], EXPLICIT_LE),
        (["-xb"], EXPLICIT_BE),
        (["--prefer-big"], EXPLICIT_BE),
        (["-xi"], IMPLICIT_LE),
        (["--implicit"], IMPLICIT_LE),
    ],
)
def test_storescp_transfer_syntax_preference(
    servers: Callable[..., Server], pnd_scu: Any, args: list[str], expected: str
) -> None:
    scp = servers("ours", "--ignore", *args)
    pnd_scu.add_requested_context(VERIFICATION, [IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE])
    pnd_scu.add_requested_context(CT_IMAGE_STORAGE, [IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE])
    assoc = pnd_scu.associate(LOCALHOST, scp.port)
    assert assoc.is_established
    assoc.release()
    assert [str(cx.transfer_syntax[0]) for cx in assoc.accepted_contexts] == [expected] * 2


def test_storescp_no_echo_and_max_pdu(servers: Callable[..., Server], pnd_scu: Any) -> None:
    # pynetdicom's A-ASSOCIATE-AC repeats the called AE title, whatever -aet says: like
    # pynetdicom's storescp, ours shows no -aet to its peers.
    scp = servers("ours", "--no-echo", "-aet", "MYSCP", "--max-pdu", "123456")
    pnd_scu.add_requested_context(VERIFICATION)
    pnd_scu.add_requested_context(CT_IMAGE_STORAGE)
    assoc = pnd_scu.associate(LOCALHOST, scp.port)
    assert assoc.is_established
    assoc.release()
    assert [str(cx.abstract_syntax) for cx in assoc.accepted_contexts] == [CT_IMAGE_STORAGE]
    assert [str(cx.abstract_syntax) for cx in assoc.rejected_contexts] == [VERIFICATION]
    assert assoc.acceptor.maximum_length == 123456


@pytest.mark.parametrize(
    ("args", "present", "absent"),
    [
        (["-q"], [], ["I: ", "D: ", "E: "]),
        ([], [], ["I: ", "D: "]),
        (["-v"], ["I: Accepting Association", "I: Received Store Request"], ["D: "]),
        (["-d"], ["Accept Parameters", "D: storescp.py v"], []),
    ],
)
def test_storescp_log_levels(
    servers: Callable[..., Server],
    pnd_scu: Any,
    study: list[Path],
    tmp_path: Path,
    args: list[str],
    present: list[str],
    absent: list[str],
) -> None:
    scp = servers("ours", *args, "-od", str(tmp_path / "out"))
    assert send_with_pynetdicom(pnd_scu, scp.port, study[:1]) == [0]
    scp.stop(signal.SIGINT)
    log = scp.output()
    for text in present:
        assert text in log, text
    for text in absent:
        assert text not in log, text
    if args == ["-q"]:
        assert log == ""


def test_storescp_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind((LOCALHOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run_app("storescp", "-ba", LOCALHOST, str(port))
    assert proc.returncode == 1
    assert f"Unable to listen on {LOCALHOST}:{port}" in proc.stderr


def test_storescp_sigint_exits_cleanly(servers: Callable[..., Server], pnd_scu: Any) -> None:
    scp = servers("ours", "--ignore")
    pnd_scu.add_requested_context(VERIFICATION)
    assoc = pnd_scu.associate(LOCALHOST, scp.port)
    assert assoc.is_established
    assoc.release()
    assert scp.stop(signal.SIGINT) == 0
    assert "Traceback" not in scp.output()
