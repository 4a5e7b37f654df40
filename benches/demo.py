"""What fastdimse's protocol core does, and how fast, next to pynetdicom's codec.

Run: ``python benches/demo.py`` (about 20 seconds).

It encodes and decodes realistic A-ASSOCIATE-RQ/AC PDUs and a whole C-STORE
message carrying a synthetic 512x512 16-bit CT image (built with pydicom,
about 0.5 MB), with fastdimse and with pynetdicom 3.0.4's own codec, checks
that both agree on every value, and prints operations per second, MB/s and
the ratio side by side.
"""

from __future__ import annotations

import array
import io
import sys

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

import fastdimse._core as core
import run_codec_bench as cases

REPEATS, MIN_TIME = 5, 0.1
MAX_PDU = 16382  # pynetdicom's default maximum PDU length
READ_SIZE = 64 * 1024  # what a socket read typically returns


def synthetic_ct() -> bytes:
    """A 512x512 16-bit CT image, encoded Implicit VR Little Endian by pydicom."""
    ds = Dataset()
    ds.SOPClassUID = cases.CT_IMAGE_STORAGE
    ds.SOPInstanceUID = cases.SOP_INSTANCE_UID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = "Demo^Patient"
    ds.PatientID = "FD-0001"
    ds.Modality = "CT"
    ds.StudyDate = "20250101"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = 512
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
    ds.PixelRepresentation = 0
    ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
    ds.PixelSpacing = [0.7, 0.7]
    ds.SliceThickness = 1.25
    # A smooth phantom-like pattern: a disc of "soft tissue" in "air".
    pixels = array.array(
        "H",
        (
            1064 + ((x * 7 + y * 3) % 64) if (x - 256) ** 2 + (y - 256) ** 2 < 200**2 else 0
            for y in range(512)
            for x in range(512)
        ),
    )
    ds.PixelData = pixels.tobytes()
    ds["PixelData"].VR = "OW"
    encoded = cases.pynd_encode_dataset(ds, True, True)
    assert encoded is not None
    return encoded


def measure(ours: object, theirs: object) -> tuple[float, float]:
    return (
        cases.median_seconds(ours, REPEATS, MIN_TIME),  # type: ignore[arg-type]
        cases.median_seconds(theirs, REPEATS, MIN_TIME),  # type: ignore[arg-type]
    )


def main() -> int:
    rows: list[tuple[str, int, float, float]] = []

    for label, ours_value in (
        ("A-ASSOCIATE-RQ decode (128 contexts)", cases.ours_associate_rq()),
        ("A-ASSOCIATE-AC decode (128 contexts)", cases.ours_associate_ac()),
    ):
        encoded = ours_value.encode()
        theirs = cases.pynd_from_bytes(encoded)
        assert theirs.encode() == encoded
        assert cases.touch_ours_associate(core.decode_pdu(encoded)) == cases.touch_pynd_associate(
            theirs
        )
        rows.append(
            (
                label,
                len(encoded),
                *measure(
                    lambda e=encoded: cases.touch_ours_associate(core.decode_pdu(e)),
                    lambda e=encoded: cases.touch_pynd_associate(cases.pynd_from_bytes(e)),
                ),
            )
        )
        rows.append(
            (
                label.replace("decode", "encode"),
                len(encoded),
                *measure(ours_value.encode, theirs.encode),
            )
        )

    command, dataset = cases.ours_c_store_rq(), cases.pynd_c_store_rq()
    command_bytes = command.encode()
    assert cases.pynd_encode_dataset(dataset, True, True) == command_bytes
    rows.append(
        (
            "C-STORE-RQ command set decode",
            len(command_bytes),
            *measure(
                lambda: cases.touch_ours_command(core.decode_command_set(command_bytes)),
                lambda: cases.touch_pynd_command(
                    cases.pynd_decode_dataset(io.BytesIO(command_bytes), True, True)
                ),
            ),
        )
    )
    rows.append(
        (
            "C-STORE-RQ command set encode",
            len(command_bytes),
            *measure(command.encode, lambda: cases.pynd_encode_dataset(dataset, True, True)),
        )
    )

    image = synthetic_ct()
    stream = cases.ours_fragment(MAX_PDU, command_bytes, image)
    their_pdus = cases.pynd_fragment(MAX_PDU, dataset, image)
    expected = (0x0001 + 7, len(image))
    assert cases.ours_reassemble(stream, MAX_PDU, READ_SIZE) == expected
    assert cases.pynd_reassemble(their_pdus) == expected
    # Each side receives what the other sent.
    assert cases.ours_reassemble(b"".join(their_pdus), MAX_PDU, READ_SIZE) == expected
    assert cases.pynd_reassemble(cases.split_pdus(stream)) == expected
    rows.append(
        (
            f"C-STORE send: fragment CT image (max PDU {MAX_PDU})",
            len(image),
            *measure(
                lambda: cases.ours_fragment(MAX_PDU, command_bytes, image),
                lambda: cases.pynd_fragment(MAX_PDU, dataset, image),
            ),
        )
    )
    rows.append(
        (
            f"C-STORE receive: reassemble CT image ({READ_SIZE // 1024} KiB reads)",
            len(image),
            *measure(
                lambda: cases.ours_reassemble(stream, MAX_PDU, READ_SIZE),
                lambda: cases.pynd_reassemble(their_pdus),
            ),
        )
    )

    print_table(rows, len(image))
    return 0


def print_table(rows: list[tuple[str, int, float, float]], image_size: int) -> None:
    print("fastdimse protocol core vs pynetdicom 3.0.4's codec (same process, same bytes)")
    print(
        f"CT image: 512x512x16 bit, {image_size / 1e6:.2f} MB encoded; "
        f"medians of {REPEATS} repetitions\n"
    )
    width = max(len(row[0]) for row in rows)
    header = (
        f"{'operation':<{width}}  {'size':>8}  {'fastdimse':>18}  {'pynetdicom':>18}  {'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    for label, size, ours, theirs in rows:
        print(
            f"{label:<{width}}  {_size(size):>8}  {_rate(size, ours):>18}  "
            f"{_rate(size, theirs):>18}  {theirs / ours:>6.1f}x"
        )
    print("\nratio = pynetdicom time / fastdimse time; both sides decoded every field.")


def _size(size: int) -> str:
    return f"{size / 1e6:.2f} MB" if size >= 100_000 else f"{size} B"


def _rate(size: int, seconds: float) -> str:
    return f"{1 / seconds:>8,.0f}/s {size / seconds / 1e6:>6,.0f} MB/s"


if __name__ == "__main__":
    sys.exit(main())
