"""FileStore and the structural data set scan, on real files and real events.

The events are the engine's documented input to a C-STORE handler: a real
``fastdimse.events.Event`` holding a real ``C_STORE`` request whose
``_dataset_path`` names a complete DICOM file (the spool file, written here
by pydicom as the engine writes it) or whose ``DataSet`` holds the encoded
data set, and a context carrying the transfer syntax. Disk full and
read-only are real kernel errors (a small tmpfs, a read-only bind mount).
"""

from __future__ import annotations

import contextlib
import os
import random
import resource
import signal
import subprocess
import tempfile
import threading
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from benches.synthetic import ct_dataset, write_instance
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGBaseline8Bit,
    generate_uid,
)

from fastdimse import evt
from fastdimse._files.scan import DataSetError, scan_bytes, scan_file
from fastdimse._files.store import MAX_NAME_BYTES, FileStore, StoreError, sanitise_name
from fastdimse.dimse_primitives import C_STORE
from fastdimse.events import Event
from helpers import assert_stored_data_set

UNCOMPRESSED = [
    ImplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    DeflatedExplicitVRLittleEndian,
]
NOT_DEFLATED = UNCOMPRESSED[:3]


class Context(NamedTuple):
    context_id: int
    abstract_syntax: str
    transfer_syntax: str


# Data sets and events


def instance(*, sequences: bool = True, undefined: bool = False, seed: int = 0) -> Dataset:
    """A small CT with nested sequences (defined or undefined lengths)."""
    pixels = random.Random(seed).randbytes(32 * 32 * 2)
    uids = [generate_uid(entropy_srcs=[str(seed), part]) for part in ("st", "se", "in")]
    ds = ct_dataset(
        pixels, rows=32, columns=32, study_uid=uids[0], series_uid=uids[1], instance_uid=uids[2]
    )
    ds["PixelData"].VR = "OW"  # resolved now: elements_of encodes it alone
    if sequences:
        inner = Dataset()
        inner.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        inner.ReferencedSOPInstanceUID = "1.2.3.4.5"
        code = Dataset()
        code.CodeValue = "XYZ"
        code.CodingSchemeDesignator = "99TEST"
        code.CodeMeaning = "nested"
        code.ReferencedSOPSequence = Sequence([inner, Dataset()])
        ds.ProcedureCodeSequence = Sequence([code])
        ds.ReferencedStudySequence = Sequence([])
        if undefined:
            for seq in (ds.ProcedureCodeSequence, code.ReferencedSOPSequence):
                seq.is_undefined_length = True
                for item in seq:
                    item.is_undefined_length_sequence_item = True
    return ds


def write_file(ds: Dataset, path: Path, transfer_syntax: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_instance(ds, path, transfer_syntax)


def encode(ds: Dataset, transfer_syntax: str) -> bytes:
    """The bare data set as it travels in a P-DATA (deflated if asked)."""
    uid = UID(transfer_syntax)
    buffer = DicomBytesIO()
    buffer.is_little_endian = uid.is_little_endian
    buffer.is_implicit_VR = uid.is_implicit_VR
    write_dataset(buffer, ds)
    raw = buffer.getvalue()
    if uid.is_deflated:
        deflater = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        raw = deflater.compress(raw) + deflater.flush()
    return raw


def request_for(ds: Dataset, **overrides: Any) -> C_STORE:
    req = C_STORE()
    req.MessageID = 7
    req.AffectedSOPClassUID = overrides.get("sop_class") or ds.SOPClassUID
    req.AffectedSOPInstanceUID = overrides.get("sop_instance") or ds.SOPInstanceUID
    req.Priority = 2
    return req


def spool_event(spool: Path | tuple[Path, int], ds: Dataset, ts: str, **overrides: Any) -> Event:
    """The event for a data set the engine spooled to `spool`."""
    req = request_for(ds, **overrides)
    req.DataSet = BytesIO()
    req._dataset_path = spool
    return Event(None, evt.EVT_C_STORE, {"request": req, "context": Context(1, ds.SOPClassUID, ts)})


def memory_event(raw: bytes, ds: Dataset, ts: str, **overrides: Any) -> Event:
    """The event for a data set received in memory."""
    req = request_for(ds, **overrides)
    req.DataSet = BytesIO(raw)
    return Event(None, evt.EVT_C_STORE, {"request": req, "context": Context(1, ds.SOPClassUID, ts)})


def spool_into(directory: Path, ds: Dataset, ts: str = ExplicitVRLittleEndian) -> Path:
    """A spool file as the engine writes it: a whole DICOM file under a
    temporary name in the spool directory."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".spool-", dir=directory)
    os.close(fd)
    return write_file(ds, Path(name), ts)


def engine_cleanup(event: Event) -> None:
    """What the engine does after the handler: delete the spool if still there."""
    path = event.request._dataset_path
    path = path[0] if isinstance(path, tuple) else path
    if path is not None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def listing(directory: Path) -> list[str]:
    return sorted(os.listdir(directory))


def assert_stored(path: Path, ds: Dataset, raw: bytes, ts: str) -> None:
    """`path` holds `raw` (`ds` encoded in `ts`) byte for byte behind file meta naming them."""
    uids = {"sop_class_uid": ds.SOPClassUID, "sop_instance_uid": ds.SOPInstanceUID}
    assert_stored_data_set(path, raw, **uids, syntax=ts)


# Real kernel errors


def _mount(*args: str) -> bool:
    done = subprocess.run(["mount", *args], capture_output=True, check=False)
    return done.returncode == 0


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


@contextlib.contextmanager
def full_disk(directory: Path, size: str = "256k") -> Iterator[Path]:
    """`directory` on a tiny tmpfs (ENOSPC past `size`); where mounting is
    not allowed, the process's file size limit instead (EFBIG past it)."""
    directory.mkdir(parents=True, exist_ok=True)
    if _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)):
        try:
            yield directory
        finally:
            _umount(directory)
        return
    previous_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    previous = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, previous[1]))
    try:
        yield directory
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, previous)
        signal.signal(signal.SIGXFSZ, previous_handler)


@contextlib.contextmanager
def read_only(directory: Path) -> Iterator[Path]:
    """`directory` made read-only by a bind mount (EROFS); where mounting is
    not allowed, the immutable attribute (EPERM)."""
    directory.mkdir(parents=True, exist_ok=True)
    if _mount("--bind", str(directory), str(directory)):
        try:
            if not _mount("-o", "remount,bind,ro", str(directory)):
                pytest.fail("bind mount made but not remounted read-only")
            yield directory
        finally:
            _umount(directory)
        return
    done = subprocess.run(["chattr", "+i", str(directory)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"cannot make {directory} read-only: no mount, no chattr ({done.stderr!r})")
    try:
        yield directory
    finally:
        subprocess.run(["chattr", "-i", str(directory)], check=False)


# The scan: every uncompressed transfer syntax, with sequences


@pytest.mark.parametrize("undefined", [False, True], ids=["defined", "undefined"])
@pytest.mark.parametrize("ts", UNCOMPRESSED, ids=lambda ts: UID(ts).name)
def test_scan_reads_pydicom_files(tmp_path: Path, ts: str, undefined: bool) -> None:
    ds = instance(undefined=undefined)
    path = write_file(ds, tmp_path / "a.dcm", ts)
    result = scan_file(path)
    assert result.transfer_syntax == ts
    assert result.sop_class_uid == ds.SOPClassUID
    assert result.sop_instance_uid == ds.SOPInstanceUID
    # every element at every level, as pydicom counts them
    assert result.elements == len(list(dcmread(path).iterall()))
    raw = path.read_bytes()
    assert scan_bytes(raw) == result
    if not UID(ts).is_deflated:
        assert result.data_set_offset + result.data_set_length == len(raw)
    # the bare data set in that transfer syntax, from bytes and from an offset
    bare = encode(ds, ts)
    assert scan_bytes(bare, ts).sop_instance_uid == ds.SOPInstanceUID
    (tmp_path / "b.bin").write_bytes(b"junk" + bare)
    assert scan_file(tmp_path / "b.bin", 4, ts).elements == result.elements


def test_scan_encapsulated_pixel_data(tmp_path: Path) -> None:
    ds = instance()
    ds.PixelData = encapsulate([b"\xff\xd8frame-one\xff\xd9", b"\xff\xd8frame-two\xff\xd9"])
    ds["PixelData"].VR = "OB"
    ds.NumberOfFrames = 2
    path = write_file(ds, tmp_path / "jpeg.dcm", JPEGBaseline8Bit)
    raw = path.read_bytes()
    assert scan_file(path).sop_instance_uid == ds.SOPInstanceUID
    # without its sequence delimiter the pixel data never ends
    with pytest.raises(DataSetError, match="truncated"):
        scan_bytes(raw[:-8])
    # a fragment claiming more than the file holds
    last_item = raw.rindex(b"\xfe\xff\x00\xe0")
    bad = raw[: last_item + 4] + (10**6).to_bytes(4, "little") + raw[last_item + 8 :]
    with pytest.raises(DataSetError, match="fragment of 1000000 bytes") as caught:
        scan_bytes(bad)
    assert caught.value.offset == last_item


def test_scan_un_of_undefined_length_is_an_implicit_sequence() -> None:
    """PS3.5 6.2.2: UN of undefined length holds implicit VR LE items, even
    in a big endian data set."""
    implicit_item = b"\x10\x00\x20\x00" + (4).to_bytes(4, "little") + b"ID01"
    item = b"\xfe\xff\x00\xe0" + len(implicit_item).to_bytes(4, "little") + implicit_item
    seq_end = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    un = b"\x09\x00\x10\x10UN\x00\x00\xff\xff\xff\xff" + item + seq_end
    assert scan_bytes(un, ExplicitVRLittleEndian).elements == 2
    big_un = b"\x00\x09\x10\x10UN\x00\x00\xff\xff\xff\xff" + item + seq_end
    assert scan_bytes(big_un, ExplicitVRBigEndian).elements == 2
    with pytest.raises(DataSetError, match="expected an item"):
        scan_bytes(un[:-8] + b"\x10\x00\x20\x00\x00\x00\x00\x00", ExplicitVRLittleEndian)


def elements_of(ds: Dataset, ts: str) -> list[bytes]:
    """Each top-level element of `ds` encoded alone (pydicom's encoding)."""
    parts = []
    for element in ds:
        one = Dataset()
        one.add(element)
        parts.append(encode(one, ts if not UID(ts).is_deflated else ExplicitVRLittleEndian))
    return parts


@pytest.mark.parametrize("ts", NOT_DEFLATED, ids=lambda ts: UID(ts).name)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_scan_rejects_every_cut_inside_an_element(ts: str, data: st.DataObject) -> None:
    ds = instance(undefined=data.draw(st.booleans()))
    parts = elements_of(ds, ts)
    whole = b"".join(parts)
    assert whole == encode(ds, ts)
    boundaries = {0}
    for part in parts:
        boundaries.add(max(boundaries) + len(part))
    cut = data.draw(st.integers(0, len(whole)))
    if cut in boundaries:
        scan_bytes(whole[:cut], ts)  # whole elements: a valid, shorter data set
    else:
        with pytest.raises(DataSetError):
            scan_bytes(whole[:cut], ts)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_scan_rejects_every_cut_of_a_deflated_data_set(data: st.DataObject) -> None:
    whole = encode(instance(undefined=data.draw(st.booleans())), DeflatedExplicitVRLittleEndian)
    cut = data.draw(st.integers(0, len(whole) - 1))
    with pytest.raises(DataSetError):
        scan_bytes(whole[:cut], DeflatedExplicitVRLittleEndian)


@pytest.mark.parametrize("ts", UNCOMPRESSED, ids=lambda ts: UID(ts).name)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_scan_of_garbled_data_fails_only_with_data_set_error(ts: str, data: st.DataObject) -> None:
    whole = bytearray(encode(instance(undefined=data.draw(st.booleans())), ts))
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(whole) - 1))
        whole[at] = data.draw(st.integers(0, 255))
    try:
        scan_bytes(bytes(whole), ts)
    except DataSetError as exc:
        assert 0 <= exc.offset
        assert f"at offset {exc.offset}" in str(exc)


def test_scan_reports_out_of_order_tags_with_their_offset() -> None:
    ds = instance(sequences=False)
    parts = elements_of(ds, ExplicitVRLittleEndian)
    swapped = [*parts[:3], parts[4], parts[3], *parts[5:]]
    with pytest.raises(DataSetError, match="does not follow") as caught:
        scan_bytes(b"".join(swapped), ExplicitVRLittleEndian)
    assert caught.value.offset == sum(len(p) for p in swapped[:4])


def test_scan_reports_a_length_past_the_end() -> None:
    # (0010,0010) PN claiming 0x4000 bytes of a 6-byte remainder
    raw = b"\x10\x00\x10\x00PN\x00\x40" + b"DOE^J "
    with pytest.raises(DataSetError, match="runs past its end") as caught:
        scan_bytes(raw, ExplicitVRLittleEndian)
    assert caught.value.offset == 0
    # inside a defined-length item: the item's end is the limit, not the file's
    inner = b"\x10\x00\x20\x00LO\x10\x00" + b"X" * 16
    item = b"\xfe\xff\x00\xe0" + (10).to_bytes(4, "little") + inner
    seq = b"\x08\x00\x15\x11SQ\x00\x00" + len(item).to_bytes(4, "little") + item
    with pytest.raises(DataSetError):
        scan_bytes(seq, ExplicitVRLittleEndian)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xfe\xff\x0d\xe0\x00\x00\x00\x00", "unexpected"),  # item delimiter at top level
        (b"\xfe\xff\xdd\xe0\x00\x00\x00\x00", "unexpected"),  # sequence delimiter at top level
        (b"\x10\x00\x10\x00ZZ\x04\x00ABCD", "unknown VR"),
        (b"\x08\x00\x15\x11SQ\x00\x00\xff\xff\xff\xff", "truncated"),  # never delimited
        (
            b"\x08\x00\x15\x11SQ\x00\x00\xff\xff\xff\xff\xfe\xff\x00\xe0\xff\xff\xff\xff",
            "truncated",
        ),
        (b"\x08\x00\x15\x11SQ\x00\x00\x08\x00\x00\x00\xfe\xff\xdd\xe0\x00\x00\x00\x00", "item"),
        (b"\xe0\x7f\x10\x00OB\x00\x00\xff\xff\xff\xff\xfe\xff\x00\xe0\xff\xff\xff\xff", "fragment"),
    ],
)
def test_scan_rejects_broken_structure(raw: bytes, message: str) -> None:
    with pytest.raises(DataSetError, match=message):
        scan_bytes(raw, ExplicitVRLittleEndian)


def test_scan_part10_errors(tmp_path: Path) -> None:
    with pytest.raises(DataSetError, match="DICM"):
        scan_bytes(b"\0" * 200)
    no_ts = b"\0" * 128 + b"DICM" + b"\x02\x00\x01\x00OB\x00\x00\x02\x00\x00\x00\x00\x01"
    with pytest.raises(DataSetError, match="Transfer Syntax"):
        scan_bytes(no_ts)
    path = write_file(instance(), tmp_path / "d.dcm", DeflatedExplicitVRLittleEndian)
    raw = path.read_bytes()
    with pytest.raises(DataSetError):
        scan_bytes(raw[:-40])
    with pytest.raises(DataSetError, match="inflate"):
        scan_bytes(raw[:400] + b"\xff" * 64 + raw[464:])


def test_scan_of_a_1gb_file_reads_almost_nothing(tmp_path: Path) -> None:
    """A (sparse) 1 GB file scans in constant memory: the value is sought over."""
    ds = instance(sequences=False)
    del ds.PixelData
    path = write_file(ds, tmp_path / "big.dcm", ExplicitVRLittleEndian)
    size = 1 << 30
    with open(path, "ab") as f:
        f.write(b"\xe0\x7f\x10\x00OW\x00\x00" + size.to_bytes(4, "little"))
        f.truncate(f.tell() + size)
    tracemalloc.start()
    try:
        result = scan_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.sop_instance_uid == ds.SOPInstanceUID
    assert result.data_set_offset + result.data_set_length == path.stat().st_size
    assert peak < 4 * 1024 * 1024
    # one byte short: the length no longer fits, found without reading the value
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size - 1)
    with pytest.raises(DataSetError, match="runs past its end"):
        scan_file(path)


def test_scan_of_a_large_deflated_data_set_inflates_in_bounded_chunks() -> None:
    value = 256 * 1024 * 1024
    deflater = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    head = b"\x08\x00\x18\x00UI\x06\x001.2.3\x00" + b"\xe0\x7f\x10\x00OB\x00\x00"
    parts = [deflater.compress(head + value.to_bytes(4, "little"))]
    zeros = bytes(1 << 20)
    parts.extend(deflater.compress(zeros) for _ in range(value >> 20))
    parts.append(deflater.flush())
    compressed = b"".join(parts)
    tracemalloc.start()
    try:
        result = scan_bytes(compressed, DeflatedExplicitVRLittleEndian)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.sop_instance_uid == "1.2.3"
    assert result.data_set_length == len(head) + 4 + value
    assert peak - len(compressed) < 8 * 1024 * 1024


# FileStore


def test_spool_in_the_directory_is_renamed_not_copied(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "out")
    assert store.spool_directory == tmp_path / "out"
    ds = instance()
    spool = spool_into(store.spool_directory, ds)
    inode, content = spool.stat().st_ino, spool.read_bytes()
    event = spool_event(spool, ds, ExplicitVRLittleEndian)
    assert store(event) == 0x0000
    engine_cleanup(event)
    final = store.directory / f"{ds.SOPInstanceUID}.dcm"
    assert listing(store.directory) == [final.name]
    assert final.stat().st_ino == inode
    assert final.read_bytes() == content


@pytest.mark.parametrize("ts", UNCOMPRESSED, ids=lambda ts: UID(ts).name)
def test_spool_elsewhere_is_copied_then_renamed(tmp_path: Path, ts: str) -> None:
    store = FileStore(tmp_path / "out")
    ds = instance()
    spool = spool_into(tmp_path / "spool", ds, ts)
    event = spool_event(spool, ds, ts)
    path = store.store(event)
    assert path == store.directory / f"{ds.SOPInstanceUID}.dcm"
    assert path.read_bytes() == spool.read_bytes()
    assert listing(store.directory) == [path.name]
    assert dcmread(path).SOPInstanceUID == ds.SOPInstanceUID


@pytest.mark.parametrize("ts", UNCOMPRESSED, ids=lambda ts: UID(ts).name)
def test_data_set_in_memory_is_written_whole(tmp_path: Path, ts: str) -> None:
    store = FileStore(tmp_path, fsync=True)
    ds = instance(undefined=True)
    event = memory_event(encode(ds, ts), ds, ts)
    path = store.store(event)
    assert path.read_bytes() == event.encoded_dataset()
    assert listing(tmp_path) == [path.name]
    read = dcmread(path)
    assert read.file_meta.TransferSyntaxUID == ts
    assert read.ProcedureCodeSequence[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID == (
        "1.2.3.4.5"
    )


def test_bare_data_set_at_an_offset_gets_file_meta(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "out")
    ds = instance()
    bare = encode(ds, ImplicitVRLittleEndian)
    spool = tmp_path / "bare.bin"
    spool.write_bytes(b"x" * 100 + bare)
    path = store.store(spool_event((spool, 100), ds, ImplicitVRLittleEndian))
    assert path.read_bytes().endswith(bare)
    assert dcmread(path).file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID


def test_existing_file_is_replaced_atomically(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    ds = instance()
    first = store.store(
        memory_event(encode(ds, ImplicitVRLittleEndian), ds, ImplicitVRLittleEndian)
    )
    event = memory_event(encode(ds, ExplicitVRLittleEndian), ds, ExplicitVRLittleEndian)
    second = store.store(event)
    assert first == second
    assert dcmread(second).file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert listing(tmp_path) == [second.name]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "_.._etc_passwd"),
        ("a/b", "a_b"),
        ("a\\b", "a_b"),
        ("a\0b.dcm", "a_b.dcm"),
        ("line\nbreak\x7f", "line_break_"),
        ("", "_"),
        (".", "_"),
        ("..", "_"),
        (".hidden", "hidden"),
        ("  spaced. ", "spaced"),
        ("1.2.840.113619.2.55.3.dcm", "1.2.840.113619.2.55.3.dcm"),
        ("Müller^Jürgen.dcm", "Müller^Jürgen.dcm"),
        ("bidi\u202eexe.dcm", "bidi_exe.dcm"),
        ("\ud800lone", "_lone"),
    ],
)
def test_sanitise_name(name: str, expected: str) -> None:
    assert sanitise_name(name) == expected


def test_sanitise_long_names_stay_distinct_and_bounded() -> None:
    first, second = "9" * 300 + "1.dcm", "9" * 300 + "2.dcm"
    a, b = sanitise_name(first), sanitise_name(second)
    assert a != b
    assert len(a.encode()) <= MAX_NAME_BYTES
    assert a.endswith(".dcm")
    wide = sanitise_name("é" * 300)
    assert len(wide.encode()) <= MAX_NAME_BYTES
    wide.encode()  # not cut inside a character


@pytest.mark.parametrize("name", ["../../etc/passwd", "a/b", "x\0y", "", "n" * 1000 + ".dcm"])
def test_hostile_names_land_inside_the_directory(tmp_path: Path, name: str) -> None:
    out = tmp_path / "out"
    store = FileStore(out, name=lambda event: name)
    ds = instance()
    raw = encode(ds, ExplicitVRLittleEndian)
    path = store.store(memory_event(raw, ds, ExplicitVRLittleEndian))
    assert path.parent == out
    assert listing(out) == [path.name]
    assert listing(tmp_path) == ["out"]
    assert_stored(path, ds, raw, ExplicitVRLittleEndian)


def test_hostile_instance_uid_as_default_name(tmp_path: Path) -> None:
    """The default name is the request's UID: still sanitised (a peer chooses it)."""
    store = FileStore(tmp_path / "out", validate=False)
    ds = instance()
    spool = spool_into(store.directory, ds)
    content = spool.read_bytes()
    event = spool_event(spool, ds, ExplicitVRLittleEndian)
    event.request._affected_sop_instance_uid = "../../../evil"  # past the primitive's check
    path = store.store(event)
    assert path == tmp_path / "out" / "_.._.._evil.dcm"
    assert listing(tmp_path) == ["out"]
    assert path.read_bytes() == content  # the spool, renamed whole


def corrupt(raw: bytes) -> bytes:
    """A data set whose last element claims more than remains."""
    return raw[:-4]


@pytest.mark.parametrize("where", ["directory", "elsewhere", "memory"])
def test_unparsable_data_set_is_refused_and_leaves_nothing(tmp_path: Path, where: str) -> None:
    store = FileStore(tmp_path / "out")
    ds = instance()
    if where == "memory":
        event = memory_event(
            corrupt(encode(ds, ExplicitVRLittleEndian)), ds, ExplicitVRLittleEndian
        )
    else:
        spool = spool_into(store.directory if where == "directory" else tmp_path / "spool", ds)
        spool.write_bytes(corrupt(spool.read_bytes()))
        event = spool_event(spool, ds, ExplicitVRLittleEndian)
    assert store(event) == 0xC210
    engine_cleanup(event)
    assert listing(store.directory) == []


def test_validate_false_stores_what_arrived(tmp_path: Path) -> None:
    store = FileStore(tmp_path, validate=False)
    ds = instance()
    raw = corrupt(encode(ds, ExplicitVRLittleEndian))
    assert store(memory_event(raw, ds, ExplicitVRLittleEndian)) == 0x0000
    assert listing(tmp_path) == [f"{ds.SOPInstanceUID}.dcm"]
    assert_stored(tmp_path / f"{ds.SOPInstanceUID}.dcm", ds, raw, ExplicitVRLittleEndian)


@pytest.mark.parametrize(
    ("override", "status"),
    [
        ({"sop_instance": "1.2.3.999"}, 0xA900),
        ({"sop_class": "1.2.840.10008.5.1.4.1.1.4"}, 0xA900),
    ],
)
def test_data_set_not_matching_the_request_is_refused(
    tmp_path: Path, override: dict[str, str], status: int
) -> None:
    store = FileStore(tmp_path / "out")
    ds = instance()
    spool = spool_into(store.directory, ds)
    event = spool_event(spool, ds, ExplicitVRLittleEndian, **override)
    assert store(event) == status
    engine_cleanup(event)
    assert listing(store.directory) == []


def test_data_set_without_sop_instance_uid_cannot_be_understood(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    ds = instance()
    uid = ds.SOPInstanceUID
    del ds.SOPInstanceUID
    event = memory_event(
        encode(ds, ExplicitVRLittleEndian), ds, ExplicitVRLittleEndian, sop_instance=uid
    )
    with pytest.raises(StoreError) as caught:
        store.store(event)
    assert caught.value.status == 0xC210
    assert listing(tmp_path) == []


def test_name_callable_error_propagates_and_leaves_nothing(tmp_path: Path) -> None:
    def broken(event: Event) -> str:
        raise RuntimeError("naming failed")

    store = FileStore(tmp_path / "out", name=broken)
    ds = instance()
    spool = spool_into(store.directory, ds)
    event = spool_event(spool, ds, ExplicitVRLittleEndian)
    with pytest.raises(RuntimeError, match="naming failed"):
        store(event)
    engine_cleanup(event)
    assert listing(store.directory) == []


@pytest.mark.parametrize("where", ["elsewhere", "memory"])
def test_disk_full_is_out_of_resources_and_leaves_nothing(
    tmp_path: Path, where: str, caplog: pytest.LogCaptureFixture
) -> None:
    big = ct_dataset(random.Random(5).randbytes(512 * 512 * 2))  # 0.5 MB, twice the room
    if where == "memory":
        event = memory_event(encode(big, ExplicitVRLittleEndian), big, ExplicitVRLittleEndian)
    else:
        event = spool_event(spool_into(tmp_path / "spool", big), big, ExplicitVRLittleEndian)
    with full_disk(tmp_path / "full") as directory:
        store = FileStore(directory, fsync=True)
        with caplog.at_level("ERROR", logger="fastdimse.storage"):
            assert store(event) == 0xA700
        assert listing(directory) == []
        assert "0xA700" in caplog.text
        # what fits is still stored
        small = instance()
        raw = encode(small, ExplicitVRLittleEndian)
        assert store(memory_event(raw, small, ExplicitVRLittleEndian)) == 0x0000
        assert listing(directory) == [f"{small.SOPInstanceUID}.dcm"]
        assert_stored(directory / f"{small.SOPInstanceUID}.dcm", small, raw, ExplicitVRLittleEndian)


def test_read_only_directory_is_out_of_resources(tmp_path: Path) -> None:
    ds = instance()
    out = tmp_path / "out"
    store = FileStore(out)
    spool = spool_into(out, ds)  # spooled, then the directory turns read-only
    with read_only(out):
        event = spool_event(spool, ds, ExplicitVRLittleEndian)
        assert store(event) == 0xA700
        event = memory_event(encode(ds, ExplicitVRLittleEndian), ds, ExplicitVRLittleEndian)
        assert store(event) == 0xA700
        assert listing(out) == [spool.name]  # the engine's spool, which it deletes


def test_fsync_mode_syncs_file_and_directory(tmp_path: Path) -> None:
    lazy = FileStore(tmp_path / "lazy")
    ds = instance()
    lazy.store(spool_event(spool_into(lazy.directory, ds), ds, ExplicitVRLittleEndian))
    assert lazy.stats.file_syncs == lazy.stats.directory_syncs == 0

    store = FileStore(tmp_path / "durable", fsync=True)
    for seed, where in enumerate(["directory", "elsewhere", "memory"]):
        ds = instance(seed=seed)
        if where == "memory":
            event = memory_event(encode(ds, ExplicitVRLittleEndian), ds, ExplicitVRLittleEndian)
        else:
            spool = store.directory if where == "directory" else tmp_path / "spool"
            event = spool_event(spool_into(spool, ds), ds, ExplicitVRLittleEndian)
        before = store.stats
        store.store(event)
        after = store.stats
        assert after.file_syncs == before.file_syncs + 1
        assert after.commits == before.commits + 1
        assert after.directory_syncs == before.directory_syncs + 1  # alone: its own sync
    # another store of the same directory shares its committer
    assert FileStore(tmp_path / "durable" / ".." / "durable").stats == store.stats


def run_threads(count: int, target: Callable[[int], None]) -> None:
    errors: list[BaseException] = []

    def guarded(index: int) -> None:
        try:
            target(index)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []


def test_concurrent_durable_stores_from_8_threads(tmp_path: Path) -> None:
    store = FileStore(tmp_path, fsync=True)
    per_thread = 10
    datasets = [[instance(seed=t * 100 + i) for i in range(per_thread)] for t in range(8)]
    spools = [[spool_into(tmp_path, ds) for ds in row] for row in datasets]
    contents = {
        ds.SOPInstanceUID: spool.read_bytes()
        for row, srow in zip(datasets, spools, strict=True)
        for ds, spool in zip(row, srow, strict=True)
    }
    before = store.stats

    def work(index: int) -> None:
        for ds, spool in zip(datasets[index], spools[index], strict=True):
            event = spool_event(spool, ds, ExplicitVRLittleEndian)
            assert store(event) == 0x0000
            engine_cleanup(event)

    run_threads(8, work)
    after = store.stats
    stored = 8 * per_thread
    assert listing(tmp_path) == sorted(f"{uid}.dcm" for uid in contents)
    for uid, content in contents.items():
        assert (tmp_path / f"{uid}.dcm").read_bytes() == content
    assert after.commits - before.commits == stored
    assert after.file_syncs - before.file_syncs == stored
    assert 1 <= after.directory_syncs - before.directory_syncs <= stored


def test_group_commit_one_directory_sync_releases_a_whole_batch(tmp_path: Path) -> None:
    """8 stores whose renames are all done before a sync starts share one
    directory fsync. The committer's lock is held (as a sync in progress
    would) until every store has renamed and queued, then let go."""
    store = FileStore(tmp_path, fsync=True)
    datasets = [instance(seed=i) for i in range(8)]
    spools = [spool_into(tmp_path, ds) for ds in datasets]
    before = store.stats
    committer = store._committer
    results: list[int] = []
    with committer._state:
        threads = [
            threading.Thread(
                target=lambda ds=ds, spool=spool: results.append(
                    store(spool_event(spool, ds, ExplicitVRLittleEndian))
                )
            )
            for ds, spool in zip(datasets, spools, strict=True)
        ]
        for thread in threads:
            thread.start()
        deadline = threading.Event()
        for _ in range(3000):  # up to 15 s, polling
            if store.stats.commits - before.commits == 8:
                break
            deadline.wait(0.005)
        assert store.stats.commits - before.commits == 8
        assert results == []  # none acknowledged before its sync
    for thread in threads:
        thread.join(30)
    assert results == [0x0000] * 8
    after = store.stats
    assert after.directory_syncs - before.directory_syncs == 1
    assert after.file_syncs - before.file_syncs == 8
    assert listing(tmp_path) == sorted(f"{ds.SOPInstanceUID}.dcm" for ds in datasets)
