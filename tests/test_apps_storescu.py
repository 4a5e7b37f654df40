"""Our storescu against pynetdicom 3.0.4 in this process: what it negotiates and sends.

pynetdicom's AE records what storescu negotiated and sent. What was stored is compared with
what was sent element by element outside group 0002 and, where the sender streams the file
and the transfer syntax is unchanged, byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from benches.synthetic import write_study
from pydicom.dataset import FileMetaDataset
from pydicom.uid import UID

from apps_store_support import (
    CT_IMAGE_STORAGE,
    DEFAULT_SYNTAXES,
    EXPLICIT_BE,
    EXPLICIT_LE,
    IMPLICIT_LE,
    MIXED,
    PN_FILES,
    PndStoreScp,
    Received,
    assert_same_instance,
    instance_uid,
    lenient_uids,
    meta_class,
    meta_syntax,
    on_the_wire,
    proposed,
    pynetdicom_default_classes,
    storescu,
)
from helpers import (
    LOCALHOST,
    app_cmd,
    data_set_bytes,
    run_on_terminal,
)

# ---------------------------------------------------------------------------------------------
# storescu -> pynetdicom 3.0.4 (in process): what it negotiates and sends


def test_storescu_default_single_file(pnd_scp: PndStoreScp) -> None:
    port = pnd_scp.start()
    path = PN_FILES / "CTImageStorage.dcm"
    proc = storescu(port, str(path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == proc.stderr == ""  # errors only; no summary for one file
    assoc = pnd_scp.wait_ended()
    assert pnd_scp.released == [assoc]
    requestor = assoc.requestor
    assert requestor.ae_title == "STORESCU"
    assert requestor.primitive.called_ae_title == "ANY-SCP"
    assert requestor.maximum_length == 16382
    assert requestor.extended_negotiation == []
    assert requestor.user_identity is None
    contexts = proposed(assoc)
    # As many contexts as pynetdicom's 120 defaults: one more for the file's own syntax,
    # so the last default class is left out.
    assert len(contexts) == 120
    classes = {sop for sop, _ in contexts}
    assert classes < pynetdicom_default_classes() and len(classes) == 119
    assert [ts for sop, ts in contexts if sop == CT_IMAGE_STORAGE] == [
        [EXPLICIT_LE],
        DEFAULT_SYNTAXES,
    ]
    assert all(ts == DEFAULT_SYNTAXES for sop, ts in contexts if sop != CT_IMAGE_STORAGE)
    (item,) = pnd_scp.received
    assert (item.sop_class, item.syntax) == (CT_IMAGE_STORAGE, EXPLICIT_LE)
    assert item.sop_instance == instance_uid(path)
    assert item.data == data_set_bytes(path)  # streamed as it is on disk


@pytest.mark.parametrize(
    ("args", "check"),
    [
        (["-aet", "MYSCU"], lambda rq: rq.ae_title == "MYSCU"),
        (["--calling-aet", "MYSCU"], lambda rq: rq.ae_title == "MYSCU"),
        (["-aec", "YOURSCP"], lambda rq: rq.primitive.called_ae_title == "YOURSCP"),
        (["--called-aet", "YOURSCP"], lambda rq: rq.primitive.called_ae_title == "YOURSCP"),
        (["--max-pdu", "123456"], lambda rq: rq.maximum_length == 123456),
        (["-pdu", "0"], lambda rq: rq.maximum_length == 0),
    ],
)
def test_storescu_flags_reach_the_peer(
    pnd_scp: PndStoreScp, study: list[Path], args: list[str], check: Callable[[Any], bool]
) -> None:
    port = pnd_scp.start()
    proc = storescu(port, *args, str(study[0]))
    assert proc.returncode == 0, proc.stderr
    assert check(pnd_scp.wait_ended().requestor)
    assert len(pnd_scp.received) == 1


@pytest.mark.parametrize(
    ("flag", "syntax", "name"),
    [
        ("-xe", EXPLICIT_LE, "CTImageStorage.dcm"),
        ("--request-little", EXPLICIT_LE, "CTImageStorage.dcm"),
        ("-xi", IMPLICIT_LE, "CTImageStorage.dcm"),  # converted from explicit VR
        ("--request-implicit", IMPLICIT_LE, "CTImageStorage.dcm"),
        ("-xb", EXPLICIT_BE, "MRImageStorage_ExplicitVRBigEndian.dcm"),
        ("--request-big", EXPLICIT_BE, "MRImageStorage_ExplicitVRBigEndian.dcm"),
    ],
)
def test_storescu_transfer_syntax_flags(
    pnd_scp: PndStoreScp, tmp_path: Path, flag: str, syntax: str, name: str
) -> None:
    port = pnd_scp.start()
    path = PN_FILES / name
    proc = storescu(port, flag, str(path))
    assert proc.returncode == 0, proc.stderr
    contexts = proposed(pnd_scp.wait_ended())
    assert len(contexts) == 120
    assert all(ts == [syntax] for _, ts in contexts)
    (item,) = pnd_scp.received
    assert item.syntax == syntax
    received = tmp_path / "received.dcm"
    write_received(item, received)
    assert_same_instance(path, received)


def write_received(item: Received, path: Path) -> None:
    """What a peer received, as a DICOM file (pydicom writes the meta group)."""
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_file_meta_info

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(item.sop_class)
    meta.MediaStorageSOPInstanceUID = UID(item.sop_instance)
    meta.TransferSyntaxUID = UID(item.syntax)
    encoded = DicomBytesIO()
    write_file_meta_info(encoded, meta, enforce_standard=True)
    path.write_bytes(b"\x00" * 128 + b"DICM" + encoded.getvalue() + item.data)


@lenient_uids
def test_storescu_mixed_syntaxes_one_association(
    pnd_scp: PndStoreScp, mixed: Path, tmp_path: Path
) -> None:
    port = pnd_scp.start()
    proc = storescu(port, str(mixed))
    assert proc.returncode == 0, proc.stderr
    assoc = pnd_scp.wait_ended()
    assert pnd_scp.released == [assoc]
    assert {id(item.assoc) for item in pnd_scp.received} == {id(assoc)}
    contexts = proposed(assoc)
    for name in MIXED:
        path = mixed / name
        sop = meta_class(path)
        assert (sop, [meta_syntax(path)]) in contexts
        assert (sop, DEFAULT_SYNTAXES) in contexts
    # Every file went in its own transfer syntax, as it is on disk.
    received = {item.sop_instance: item for item in pnd_scp.received}
    assert len(received) == len(MIXED)
    for name in MIXED:
        item = received[instance_uid(mixed / name)]
        assert item.syntax == meta_syntax(mixed / name)
        assert item.data == on_the_wire(mixed / name)
    assert "Instances sent: 5 of 5" in proc.stderr
    assert "Failures:       0" in proc.stderr


@lenient_uids
def test_storescu_required_contexts(pnd_scp: PndStoreScp, mixed: Path) -> None:
    port = pnd_scp.start()
    proc = storescu(port, "-cx", str(mixed))
    assert proc.returncode == 0, proc.stderr
    wanted = []
    for name in sorted(MIXED):
        path = mixed / name
        cx = (meta_class(path), [meta_syntax(path)])
        if cx not in wanted:
            wanted.append(cx)
    assert proposed(pnd_scp.wait_ended()) == wanted
    assert len(pnd_scp.received) == len(MIXED)


def test_storescu_meta_without_sop_class(pnd_scp: PndStoreScp, tmp_path: Path) -> None:
    # The meta group lacks the SOP class: read from the data set, sent as a data set.
    path = PN_FILES / "CTImageStorage_bad_meta.dcm"
    port = pnd_scp.start()
    proc = storescu(port, "-cx", str(path))
    assert proc.returncode == 0, proc.stderr
    assert proposed(pnd_scp.wait_ended()) == [(CT_IMAGE_STORAGE, [EXPLICIT_LE])]
    (item,) = pnd_scp.received
    received = tmp_path / "received.dcm"
    write_received(item, received)
    assert_same_instance(path, received)


def test_storescu_directory_and_recurse(pnd_scp: PndStoreScp, tmp_path: Path) -> None:
    top = write_study(tmp_path / "top", 3, rows=16, columns=16, seed=2)
    nested = write_study(tmp_path / "top" / "series2", 2, rows=16, columns=16, seed=3)
    port = pnd_scp.start()
    proc = storescu(port, str(tmp_path / "top"))
    assert proc.returncode == 0, proc.stderr
    pnd_scp.wait_ended()
    assert sorted(i.sop_instance for i in pnd_scp.received) == sorted(map(instance_uid, top))

    pnd_scp.received.clear()
    pnd_scp.released.clear()
    proc = storescu(port, "-r", str(tmp_path / "top"))
    assert proc.returncode == 0, proc.stderr
    pnd_scp.wait_ended()
    assert sorted(i.sop_instance for i in pnd_scp.received) == sorted(
        map(instance_uid, top + nested)
    )
    assert "Instances sent: 5 of 5" in proc.stderr


def test_storescu_skips_files_that_are_not_dicom(pnd_scp: PndStoreScp, study: list[Path]) -> None:
    junk = study[0].parent / "README.txt"
    junk.write_text("not a DICOM file\n")
    port = pnd_scp.start()
    proc = storescu(port, str(study[0].parent))
    assert proc.returncode == 0, proc.stderr
    assert f"E: Bad DICOM file: {junk}" in proc.stderr
    assert "Skipped:        1" in proc.stderr
    assert f"Instances sent: {len(study)} of {len(study)}" in proc.stderr
    pnd_scp.wait_ended()
    assert len(pnd_scp.received) == len(study)


def test_storescu_summary_groups_statuses(pnd_scp: PndStoreScp, study: list[Path]) -> None:
    answers = {2: 0xA700, 5: 0xA700, 7: 0xC000, 9: 0xB007}
    port = pnd_scp.start(status=lambda n: answers.get(n, 0x0000))
    proc = storescu(port, str(study[0].parent))
    assert proc.returncode == 0, proc.stderr  # as pynetdicom's: statuses do not change it
    lines = proc.stderr.splitlines()
    for line in (
        "Instances sent: 12 of 12",
        "Stored:         9",
        "Warnings:       1",
        "  0xB007: 1",
        "Failures:       3",
        "  0xA700: 2",
        "  0xC000: 1",
    ):
        assert line in lines, line
    total = sum(p.stat().st_size for p in study)
    assert f"Bytes sent:     {total} ({total / 1e6:.1f} MB)" in lines
    assert any(line.startswith("Elapsed:") and line.endswith(" s") for line in lines)
    assert any("instances/s, " in line and line.endswith("MB/s") for line in lines)
    assert "\r" not in proc.stderr  # no bar without a terminal


def test_storescu_file_without_accepted_context(pnd_scp: PndStoreScp, mixed: Path) -> None:
    # -xe offers explicit VR little endian only: the JPEG 2000 file cannot go.
    port = pnd_scp.start()
    j2k = mixed / "MRImageStorage_JPG2000_Lossless.dcm"
    ct = mixed / "CTImageStorage.dcm"
    proc = storescu(port, "-xe", str(j2k), str(ct))
    assert proc.returncode == 0, proc.stderr
    assert f"E: Store failed: {j2k}" in proc.stderr
    assert "Instances sent: 1 of 2" in proc.stderr
    assert "  not sent, no accepted presentation context or not encodable: 1" in proc.stderr
    pnd_scp.wait_ended()
    assert [i.sop_instance for i in pnd_scp.received] == [instance_uid(ct)]


def test_storescu_dimse_timeout(pnd_scp: PndStoreScp, study: list[Path]) -> None:
    port = pnd_scp.start(store_blocks=True)
    proc = storescu(port, "-td", "0.5", "-d", *map(str, study[:3]))
    pnd_scp.unblock.set()
    # Like pynetdicom's storescu: the association was established, so the status is 0.
    assert proc.returncode == 0
    assert "DIMSE timeout reached while waiting for message" in proc.stderr
    assert "  no response: 1" in proc.stderr
    assert "  not sent, association ended: 2" in proc.stderr
    assert pnd_scp.wait_ended() in pnd_scp.aborted


def test_storescu_verbose(pnd_scp: PndStoreScp, study: list[Path]) -> None:
    port = pnd_scp.start()
    proc = storescu(port, "-v", str(study[0]))
    assert proc.returncode == 0
    lines = proc.stderr.splitlines()
    for text in (
        "I: Requesting Association",
        "I: Association Accepted",
        f"I: Sending file: {study[0]}",
        "I: Sending Store Request",
        "I: Received Store Response",
        "I: Releasing Association",
    ):
        assert any(line.startswith(text) for line in lines), text
    assert "Accept Parameters" not in proc.stderr
    proc = storescu(port, "-d", str(study[0]))
    assert "Accept Parameters" in proc.stderr
    assert "D: storescu.py v" in proc.stderr


def test_storescu_quiet_prints_nothing(pnd_scp: PndStoreScp, study: list[Path]) -> None:
    port = pnd_scp.start(status=lambda n: 0xA700)
    proc = storescu(port, "-q", str(study[0].parent))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    pnd_scp.wait_ended()
    assert len(pnd_scp.received) == len(study)


def test_storescu_progress_bar_on_a_terminal(pnd_scp: PndStoreScp, study: list[Path]) -> None:
    from fastdimse.apps.storescu import BAR_WIDTH

    port = pnd_scp.start()
    status, out = run_on_terminal(
        app_cmd("storescu", "-v", LOCALHOST, str(port), str(study[0].parent))
    )
    assert status == 0
    assert f"\r[{'#' * BAR_WIDTH}] 12/12 100% " in out
    assert "Instances sent: 12 of 12" in out
    # Log records erase the bar first: each starts a line or follows the erasure.
    starts = [m.start() for m in re.finditer("I: Sending file", out)]
    assert len(starts) == 12
    for start in starts:
        assert out[start - 1] == "\n" or out[start - 4 : start] == "\r\x1b[K", repr(out[:start])
