"""The store apps with each other, with DCMTK's storescu and storescp, and with the
subprocesses `python -m pynetdicom storescu|storescp`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from benches.synthetic import write_study

from apps_store_support import (
    MIXED,
    RT_IMAGE,
    TRAILING_PADDING,
    PndStoreScp,
    assert_same_instance,
    by_instance,
    dataset_uid,
    instance_uid,
    meta_syntax,
    storescu,
)
from helpers import (
    APP_TIMEOUT,
    LOCALHOST,
    Server,
    app_cmd,
    data_set_bytes,
    dcmtk,
    dcmtk_env,
    pynetdicom_app,
    run,
)

# ---------------------------------------------------------------------------------------------
# Our two apps with each other, with DCMTK and with pynetdicom's apps


def test_storescu_to_our_storescp(
    servers: Callable[..., Server], mixed: Path, study: list[Path], tmp_path: Path
) -> None:
    (mixed / RT_IMAGE).unlink()
    out = tmp_path / "out"
    scp = servers("ours", "-v", "--fsync", "-od", str(out))
    proc = storescu(scp.port, "-v", str(mixed), str(study[0].parent))
    assert proc.returncode == 0, proc.stderr
    paths = sorted(mixed.iterdir()) + study
    total = len(paths)
    assert f"Instances sent: {total} of {total}" in proc.stderr
    assert "Failures:       0" in proc.stderr
    stored = by_instance(out)
    for path in paths:
        # Streamed both ways: the files hold the bytes that were sent.
        assert_same_instance(path, stored[instance_uid(path)], raw=True, padded=True)
    scp.stop()
    assert scp.output().count("I: Received Store Request") == total


def test_storescp_concurrent_associations_with_fsync(
    servers: Callable[..., Server], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    scp = servers("ours", "--fsync", "-od", str(out))
    studies = [
        write_study(tmp_path / f"study{seed}", 8, rows=32, columns=32, seed=seed)
        for seed in (11, 12, 13)
    ]
    procs = [
        subprocess.Popen(
            app_cmd("storescu", LOCALHOST, str(scp.port), str(paths[0].parent)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for paths in studies
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=APP_TIMEOUT)
        assert proc.returncode == 0, err
        assert "Instances sent: 8 of 8" in err and "Failures:       0" in err
    stored = by_instance(out)
    assert len(stored) == 24
    for path in (p for paths in studies for p in paths):
        assert_same_instance(path, stored[instance_uid(path)], raw=True)


def test_storescu_to_dcmtk_storescp(
    servers: Callable[..., Server], mixed: Path, study: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    # +xa: accept every transfer syntax DCMTK knows; +B: write the data sets as received.
    scp = servers("dcmtk", "+xa", "+B", "-od", str(out))
    proc = storescu(scp.port, "-aec", "STORESCP", str(mixed), str(study[0].parent))
    assert proc.returncode == 0, proc.stderr
    paths = sorted(mixed.iterdir()) + study
    assert f"Instances sent: {len(paths)} of {len(paths)}" in proc.stderr
    assert "Failures:       0" in proc.stderr
    stored = by_instance(out)
    for path in paths:
        assert_same_instance(path, stored[instance_uid(path)], raw=True, padded=True)


def test_storescu_odd_length_deflated_to_dcmtk_storescp(
    servers: Callable[..., Server], mixed: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    # DCMTK refuses an odd-length fragment ("DIMSE: Odd Fragment Length"): the odd deflated
    # data set (4303 bytes) must go with its trailing NULL.
    scp = servers("dcmtk", "+xa", "+B", "-od", str(out))
    path = mixed / "SCImageStorage_Deflated.dcm"
    assert len(data_set_bytes(path)) % 2 == 1
    proc = storescu(scp.port, "-v", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "Received Store Response (Status: 0x0000" in proc.stderr
    assert_same_instance(path, by_instance(out)[instance_uid(path)], raw=True, padded=True)


def test_storescu_to_pynetdicom_storescp(
    servers: Callable[..., Server], study: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    scp = servers("pynetdicom", "-od", str(out))
    proc = storescu(scp.port, "-v", str(study[0].parent))
    assert proc.returncode == 0, proc.stderr
    assert f"Instances sent: {len(study)} of {len(study)}" in proc.stderr
    for path in study:
        # pynetdicom's storescp decodes and re-encodes: equal element by element.
        assert_same_instance(path, out / f"CT.{instance_uid(path)}")


def test_dcmtk_storescu_to_storescp(
    servers: Callable[..., Server], mixed: Path, study: list[Path], tmp_path: Path
) -> None:
    # DCMTK's storescu proposes uncompressed syntaxes only (it converts the deflated file);
    # the JPEG 2000 file goes below.
    (mixed / "MRImageStorage_JPG2000_Lossless.dcm").unlink()
    out = tmp_path / "out"
    scp = servers("ours", "-v", "-od", str(out))
    paths = sorted(mixed.iterdir()) + study[:4]
    theirs = run(
        [dcmtk("storescu"), "-v", "-aec", "STORESCP", LOCALHOST, str(scp.port), *map(str, paths)],
        env=dcmtk_env(),
    )
    assert theirs.returncode == 0, theirs.stdout + theirs.stderr
    assert (theirs.stdout + theirs.stderr).count("Received Store Response (Success)") == len(paths)
    stored = by_instance(out)
    for path in paths:
        # DCMTK names the data set's instance in its requests.
        stored_path = stored[dataset_uid(path)]
        assert_same_instance(path, stored_path, named_by_meta=False, skip=(TRAILING_PADDING,))
    scp.stop()
    assert scp.output().count("I: Received Store Request") == len(paths)


@pytest.fixture
def dcmtk_compressed(study: list[Path], tmp_path: Path) -> dict[str, Path]:
    """Compressed copies of study slices made by DCMTK: JPEG lossless and RLE."""
    made: dict[str, Path] = {}
    for tool, name in (("dcmcjpeg", "jpeg.dcm"), ("dcmcrle", "rle.dcm")):
        target = tmp_path / name
        done = run([dcmtk(tool), str(study[len(made)]), str(target)], env=dcmtk_env())
        assert done.returncode == 0, done.stdout + done.stderr
        made[name] = target
    return made


@pytest.mark.parametrize(("flag", "name"), [("-xs", "jpeg.dcm"), ("-xr", "rle.dcm")])
def test_dcmtk_storescu_compressed_to_storescp(
    servers: Callable[..., Server],
    dcmtk_compressed: dict[str, Path],
    tmp_path: Path,
    flag: str,
    name: str,
) -> None:
    # Files DCMTK compressed itself (pydicom's JPEG 2000 file has its encapsulated pixel
    # data as OW, which DCMTK's storescu corrects to OB on the way).
    path = dcmtk_compressed[name]
    out = tmp_path / "out"
    scp = servers("ours", "-od", str(out))
    theirs = run(
        [dcmtk("storescu"), "-v", flag, "-aec", "STORESCP", LOCALHOST, str(scp.port), str(path)],
        env=dcmtk_env(),
    )
    assert theirs.returncode == 0, theirs.stdout + theirs.stderr
    assert "Received Store Response (Success)" in theirs.stdout + theirs.stderr
    stored = by_instance(out)[dataset_uid(path)]
    assert meta_syntax(stored) == meta_syntax(path)
    assert_same_instance(path, stored, raw=True)


def test_pynetdicom_storescu_to_storescp(
    servers: Callable[..., Server], mixed: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    scp = servers("ours", "-od", str(out))
    pynetdicom_storescu = pynetdicom_app("storescu")
    proc = run([*pynetdicom_storescu, "-v", "-cx", LOCALHOST, str(scp.port), str(mixed)])
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("Received Store Response (Status: 0x0000 - Success)") == len(MIXED)
    stored = by_instance(out)
    for name in MIXED:
        # pynetdicom's storescu reads each file and names its data set's instance.
        path = mixed / name
        assert_same_instance(path, stored[dataset_uid(path)], named_by_meta=False)


@pytest.mark.slow
def test_storescu_500_files_one_association(
    servers: Callable[..., Server], pnd_scp: PndStoreScp, tmp_path: Path
) -> None:
    paths = write_study(tmp_path / "big", 500)
    port = pnd_scp.start()
    proc = storescu(port, str(tmp_path / "big"))
    assert proc.returncode == 0, proc.stderr
    assoc = pnd_scp.wait_ended()
    assert pnd_scp.released == [assoc]
    assert len(pnd_scp.received) == len(paths)
    assert "Instances sent: 500 of 500" in proc.stderr
