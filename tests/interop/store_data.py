"""Test data for the storage interop tests, and the check that a stored file is the sent one.

One synthetic CT per transfer syntax the issue names: the uncompressed ones are
written by pydicom, the others are made from them by DCMTK's own converters
(``dcmconv``, ``dcmcjpeg``, ``dcmcrle``), so the encoded bytes come from a third
party, not from the code under test. Each variant has its own SOP Instance UID
so that one receiver (e.g. Orthanc) can hold all of them at once.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benches.synthetic import ct_dataset, large_instance, write_instance
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.tag import BaseTag
from pydicom.uid import generate_uid

from helpers import run_dcmtk

from .conftest import DEFLATED, EXPLICIT, IMPLICIT, JPEG_BASELINE

# Process 14, selection value 1: the "default JPEG lossless" DCMTK proposes with -xs.
JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"
RLE_LOSSLESS = "1.2.840.10008.1.2.5"

PIXEL_DATA = BaseTag(0x7FE00010)
ROWS = COLUMNS = 512
LARGE_MEGABYTES = 50


@dataclass(frozen=True)
class Variant:
    """One encoding of the test CT: its transfer syntax and how DCMTK's storescu proposes it."""

    name: str
    transfer_syntax: str
    # storescu's proposal option for this syntax (each also proposes the uncompressed ones).
    storescu_option: str
    # DCMTK converter run on the Explicit VR LE source, None when pydicom writes it directly.
    converter: tuple[str, ...] | None
    eight_bit: bool = False


VARIANTS: tuple[Variant, ...] = (
    Variant("implicit", IMPLICIT, "-xi", None),
    Variant("explicit", EXPLICIT, "-xe", None),
    Variant("deflated", DEFLATED, "-xd", ("dcmconv", "+td")),
    # Baseline JPEG is 8 bits a sample: this variant is an 8-bit image.
    Variant("jpeg-baseline", JPEG_BASELINE, "-xy", ("dcmcjpeg", "+eb"), eight_bit=True),
    Variant("jpeg-lossless", JPEG_LOSSLESS_SV1, "-xs", ("dcmcjpeg", "+e1")),
    Variant("rle", RLE_LOSSLESS, "-xr", ("dcmcrle",)),
)
VARIANT_NAMES = tuple(variant.name for variant in VARIANTS)
TRANSFER_SYNTAXES = tuple(variant.transfer_syntax for variant in VARIANTS)
BY_NAME = {variant.name: variant for variant in VARIANTS}


def make_variants(directory: Path) -> dict[str, Path]:
    """Write every variant into ``directory``; returns name -> file."""
    directory.mkdir(parents=True, exist_ok=True)
    made = {}
    for index, variant in enumerate(VARIANTS):
        target = directory / f"{variant.name}.dcm"
        ds = _ct(index, variant)
        if variant.converter is None:
            write_instance(ds, target, variant.transfer_syntax)
        else:
            _convert(ds, variant.converter, target)
        if variant.transfer_syntax == DEFLATED and _odd_data_set(target):
            # PS3.5 A.5: an odd deflated stream takes one trailing NULL byte; dcmconv
            # leaves it out. The odd file has a test of its own (make_odd_deflated).
            with target.open("ab") as file:
                file.write(b"\x00")
        written = transfer_syntax_of(target)
        if written != variant.transfer_syntax:
            raise RuntimeError(f"{variant.name} came out as {written}")
        made[variant.name] = target
    return made


def make_odd_deflated(directory: Path) -> Path:
    """A deflated CT whose deflated data set has an odd length, unpadded, as dcmconv writes it.

    Whether the stream comes out odd depends on the content, so a comment of a
    few lengths is tried (one in two streams is odd: 16 tries always do it).
    """
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "deflated-odd.dcm"
    variant = Variant("deflated-odd", DEFLATED, "-xd", ("dcmconv", "+td"))
    for attempt in range(16):
        ds = _ct(len(VARIANTS), variant)
        ds.ImageComments = "odd" + "-" * (2 * attempt)
        _convert(ds, ("dcmconv", "+td"), target)
        if _odd_data_set(target):
            return target
    raise RuntimeError("dcmconv +td gave only even-length streams")


def make_large(directory: Path, megabytes: int = LARGE_MEGABYTES) -> Path:
    """One multi-frame CT of ``megabytes`` MB (Explicit VR LE) in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    return large_instance(directory / f"large-{megabytes}MB.dcm", megabytes)


def _ct(index: int, variant: Variant) -> Dataset:
    """The test CT of ``variant``: the same bytes every run (every UID derived from its name)."""
    noise = random.Random(f"store-{variant.name}")
    uid = _uids(variant.name)
    ds = ct_dataset(
        noise.randbytes(ROWS * COLUMNS * 2),
        rows=ROWS,
        columns=COLUMNS,
        study_uid=uid("study"),
        series_uid=uid("series"),
        # Distinct instances, so that one archive (Orthanc) holds all of them.
        instance_uid=uid("instance"),
        instance_number=index + 1,
    )
    ds.SeriesDescription = f"fastdimse interop {variant.name}"
    if variant.eight_bit:
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
        ds.PixelData = noise.randbytes(ROWS * COLUMNS)
    return ds


def _uids(name: str) -> Callable[[str], str]:
    return lambda what: str(generate_uid(entropy_srcs=["fastdimse interop", name, what]))


def _convert(ds: Dataset, converter: tuple[str, ...], target: Path) -> None:
    """``ds`` converted by a DCMTK tool (from Explicit VR LE) into ``target``."""
    source = target.with_suffix(".source.dcm")
    write_instance(ds, source, EXPLICIT)
    tool, *options = converter
    result = run_dcmtk(tool, *options, str(source), str(target))
    if result.returncode != 0:
        raise RuntimeError(f"{tool} failed for {target.name}:\n{result.stdout}")
    source.unlink()


def _odd_data_set(path: Path) -> bool:
    # Preamble, "DICM" and the file meta (even-length elements) are even: the
    # file's parity is its data set's.
    return path.stat().st_size % 2 == 1


def transfer_syntax_of(path: Path) -> str:
    return str(dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID)


def sop_instance_uid_of(path: Path) -> str:
    return str(dcmread(path, stop_before_pixels=True).SOPInstanceUID)


def differences(received: Path, sent: Path, *, same_transfer_syntax: bool = True) -> list[str]:
    """How ``received`` differs from ``sent`` (empty: the same instance).

    Every element outside group 0002 must be present in both with the same VR
    and value (sequences item by item), and Pixel Data must be the same bytes,
    encapsulated fragments included. With ``same_transfer_syntax`` the file
    meta's Transfer Syntax UID must match as well (nothing re-encoded it).
    """
    ours, theirs = dcmread(received), dcmread(sent)
    found = []
    if same_transfer_syntax:
        got, want = ours.file_meta.TransferSyntaxUID, theirs.file_meta.TransferSyntaxUID
        if got != want:
            found.append(f"transfer syntax {got} != {want}")
    found.extend(_dataset_differences(ours, theirs, ""))
    return found


def assert_same_instance(received: Path, sent: Path, *, same_transfer_syntax: bool = True) -> None:
    found = differences(received, sent, same_transfer_syntax=same_transfer_syntax)
    if found:
        shown = "\n  ".join(found[:20])
        raise AssertionError(f"{received} differs from {sent}:\n  {shown}")


def _dataset_differences(ours: Dataset, theirs: Dataset, where: str) -> list[str]:
    found = []
    mine = _tags(ours.keys())
    other = _tags(theirs.keys())
    for tag in sorted(set(mine) ^ set(other)):
        side = "received" if tag in mine else "sent"
        found.append(f"{where}{tag} only in the {side} file")
    for tag in sorted(set(mine) & set(other)):
        a, b = ours[tag], theirs[tag]
        if a.VR != b.VR:
            found.append(f"{where}{tag} VR {a.VR} != {b.VR}")
        elif a.VR == "SQ":
            if len(a.value) != len(b.value):
                found.append(f"{where}{tag} {len(a.value)} items != {len(b.value)}")
                continue
            for number, (item_a, item_b) in enumerate(zip(a.value, b.value, strict=True)):
                found.extend(_dataset_differences(item_a, item_b, f"{where}{tag}[{number}]."))
        elif tag == PIXEL_DATA:
            if bytes(a.value) != bytes(b.value):
                found.append(f"{where}Pixel Data differs ({len(a.value)} vs {len(b.value)} bytes)")
        elif a.value != b.value:
            found.append(f"{where}{tag} {a.value!r:.60} != {b.value!r:.60}")
    return found


def _tags(tags: Iterable[BaseTag]) -> list[BaseTag]:
    return [tag for tag in tags if tag.group != 0x0002]


class EncodedWriter:
    """An EVT_C_STORE handler for either library: writes each data set as received (Part 10).

    ``event.encoded_dataset()`` is the data set exactly as it came off the wire
    behind the file meta built for it, so the file shows what the peer sent.
    """

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.received: list[tuple[Path, str]] = []

    def __call__(self, event: Any) -> int:
        uid = str(event.request.AffectedSOPInstanceUID)
        path = self.directory / f"{uid}.dcm"
        path.write_bytes(event.encoded_dataset())
        self.received.append((path, str(event.context.transfer_syntax)))
        return 0x0000

    def only(self) -> tuple[Path, str]:
        """The one file received and the transfer syntax of its context."""
        if len(self.received) != 1:
            raise AssertionError(f"expected one data set, received {len(self.received)}")
        return self.received[0]


def support_storage(ae: Any, contexts: Iterable[Any]) -> Any:
    """``ae`` (either library) supporting the storage classes of ``contexts``, six syntaxes."""
    for context in contexts:
        ae.add_supported_context(context.abstract_syntax, TRANSFER_SYNTAXES)
    return ae


def assert_success(status: Any) -> None:
    """``status`` (a C-STORE response's status Dataset) is Success."""
    assert "Status" in status, "no C-STORE response (the peer aborted, or a timeout)"
    assert status.Status == 0x0000, f"status 0x{status.Status:04X}"


def deflated_with_parity(source: Path, odd: bool) -> Dataset:
    """``source`` read by pydicom, with a comment sized so that its deflated encoding has an
    odd (or even) length: pydicom's encoding, zlib's default level, raw deflate."""
    for attempt in range(16):
        ds = dcmread(source)
        ds.ImageComments = "parity" + "-" * (2 * attempt)
        if (len(_deflate(ds)) % 2 == 1) == odd:
            return ds
    raise RuntimeError("no comment length gave the parity asked for")


def _deflate(ds: Dataset) -> bytes:
    buffer = DicomBytesIO()
    buffer.is_implicit_VR, buffer.is_little_endian = False, True
    write_dataset(buffer, ds)
    deflater = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
    return deflater.compress(buffer.getvalue()) + deflater.flush()
