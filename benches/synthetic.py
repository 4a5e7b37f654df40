"""Synthetic DICOM instances for the storage tests, benchmarks and the demo.

One CT study of 512x512 16-bit slices (about 0.5 MB each, as the issue's
benchmark asks), or single instances of any size, written as DICOM files
(Part 10) in the transfer syntax asked for. Pixel values are pseudo-random
from a seed, so that a corrupted byte cannot hide in a run of zeros, and the
same seed gives the same bytes.

    python benches/synthetic.py OUT_DIR [--count 500] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
SECONDARY_CAPTURE_STORAGE = "1.2.840.10008.5.1.4.1.1.7"

__all__ = ["CT_IMAGE_STORAGE", "ct_dataset", "study_uid", "write_instance", "write_study"]


def write_study(
    directory: Path,
    count: int = 500,
    *,
    rows: int = 512,
    columns: int = 512,
    seed: int = 1,
    transfer_syntax: str = ExplicitVRLittleEndian,
) -> list[Path]:
    """``count`` CT slices of one series in ``directory`` (created if missing)."""
    directory.mkdir(parents=True, exist_ok=True)
    study, series = study_uid(seed), _uid(seed, "series")
    paths = []
    for index, pixels in enumerate(_pixel_blocks(rows * columns * 2, count, seed)):
        ds = ct_dataset(
            pixels,
            rows=rows,
            columns=columns,
            study_uid=study,
            series_uid=series,
            instance_uid=_uid(seed, f"instance-{index}"),
            instance_number=index + 1,
        )
        path = directory / f"CT{index + 1:05d}.dcm"
        write_instance(ds, path, transfer_syntax)
        paths.append(path)
    return paths


def study_uid(seed: int = 1) -> str:
    """The Study Instance UID of the study ``write_study`` writes with ``seed``."""
    return _uid(seed, "study")


def write_instance(ds: Dataset, path: Path, transfer_syntax: str = ExplicitVRLittleEndian) -> Path:
    """``ds`` as a DICOM file at ``path`` in ``transfer_syntax`` (uncompressed ones only)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = UID(transfer_syntax)
    ds.file_meta = meta
    ds.save_as(path, enforce_file_format=True)
    return path


def ct_dataset(
    pixels: bytes,
    *,
    rows: int = 512,
    columns: int = 512,
    study_uid: str | None = None,
    series_uid: str | None = None,
    instance_uid: str | None = None,
    instance_number: int = 1,
    frames: int = 1,
) -> Dataset:
    """A CT image with the attributes a PACS indexes, around ``pixels`` (16-bit, little endian)."""
    if len(pixels) != rows * columns * 2 * frames:
        raise ValueError("pixels must be rows * columns * 2 * frames bytes")
    ds = Dataset()
    ds.SOPClassUID = CT_IMAGE_STORAGE
    ds.SOPInstanceUID = instance_uid or generate_uid()
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = series_uid or generate_uid()
    ds.FrameOfReferenceUID = generate_uid(entropy_srcs=[ds.StudyInstanceUID, "frame"])
    ds.PatientName = "SYNTHETIC^GATEWAY"
    ds.PatientID = "FASTDIMSE-0001"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "O"
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = "20261125"
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = "120000"
    ds.AccessionNumber = "A0001"
    ds.StudyID = "1"
    ds.SeriesNumber = 1
    ds.InstanceNumber = instance_number
    ds.Modality = "CT"
    ds.Manufacturer = "fastdimse synthetic"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.ImagePositionPatient = [0.0, 0.0, float(instance_number)]
    ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    ds.SliceThickness = 1.0
    ds.PixelSpacing = [0.5, 0.5]
    ds.KVP = 120
    ds.RescaleIntercept = -1024
    ds.RescaleSlope = 1
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = rows, columns
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
    ds.PixelRepresentation = 0
    ds.PixelData = pixels
    return ds


def large_instance(path: Path, megabytes: int, *, seed: int = 1) -> Path:
    """One multi-frame CT of about ``megabytes`` MB (512x512 frames) at ``path``."""
    frame = 512 * 512 * 2
    frames = max(1, megabytes * 1024 * 1024 // frame)
    pixels = b"".join(_pixel_blocks(frame, frames, seed))
    ds = ct_dataset(pixels, frames=frames, instance_uid=_uid(seed, f"large-{megabytes}"))
    return write_instance(ds, path)


def _pixel_blocks(size: int, count: int, seed: int) -> Iterator[bytes]:
    """``count`` distinct blocks of ``size`` pseudo-random bytes (one random draw, rotated)."""
    base = random.Random(seed).randbytes(size)
    for index in range(count):
        shift = (index * 7919) % size
        yield base[shift:] + base[:shift]


def _uid(seed: int, name: str) -> str:
    return generate_uid(entropy_srcs=[str(seed), name])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    paths = write_study(args.directory, args.count, seed=args.seed)
    print(f"{len(paths)} instances in {args.directory}")


if __name__ == "__main__":
    main()
