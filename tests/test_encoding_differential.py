"""The direct data set encoder (``_files.encoding.encode_directly``) against pydicom's
``write_dataset``: for any data set it takes, the bytes are pydicom's, byte for byte;
and it takes what identifiers are made of (it is the C-FIND SCP's hot path)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.sequence import Sequence

from fastdimse._files.encoding import decode_data_set, encode_data_set, encode_directly

EXPLICIT, IMPLICIT = "1.2.840.10008.1.2.1", "1.2.840.10008.1.2"


def pydicom_bytes(dataset: Dataset, *, implicit: bool) -> bytes:
    buffer = DicomBytesIO()
    buffer.is_implicit_VR = implicit
    buffer.is_little_endian = True
    write_dataset(buffer, dataset)
    return bytes(buffer.getvalue())


_ascii = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="\\"),
    max_size=24,
)
_uid = st.from_regex(r"\A[12](\.[1-9][0-9]{0,5}){1,6}\Z")
# (tag, VR, value strategy): private tags of every VR the direct encoder knows.
_ELEMENTS: list[tuple[int, str, Any]] = [
    (0x00091001, "LO", _ascii.map(str.strip)),
    (0x00091002, "SH", _ascii.map(lambda s: s.strip()[:16])),
    (0x00091003, "CS", st.lists(st.from_regex(r"\A[A-Z0-9_ ]{0,16}\Z"), max_size=3)),
    (0x00091004, "UI", _uid),
    (0x00091005, "DA", st.from_regex(r"\A(19|20)[0-9]{2}(0[1-9]|1[0-2])[0-2][0-9]\Z")),
    (0x00091006, "PN", st.from_regex(r"\A[A-Za-z]{0,10}(\^[A-Za-z]{0,10}){0,2}\Z")),
    (0x00091007, "IS", st.integers(-(2**31), 2**31 - 1)),
    (0x00091008, "DS", st.from_regex(r"\A-?[0-9]{1,6}(\.[0-9]{1,4})?\Z")),
    (0x00091009, "US", st.lists(st.integers(0, 0xFFFF), min_size=1, max_size=4)),
    (0x0009100A, "SL", st.integers(-(2**31), 2**31 - 1)),
    (0x0009100B, "FD", st.floats(allow_nan=False)),
    (0x0009100C, "OB", st.binary(max_size=33)),
    (0x0009100D, "LT", _ascii),
    (0x0009100E, "UL", st.integers(0, 2**32 - 1)),
    (0x0009100F, "AE", st.from_regex(r"\A[A-Z0-9]{0,16}\Z")),
]


@st.composite
def datasets(draw: Any, depth: int = 0) -> Dataset:
    ds = Dataset()
    for tag, vr, values in draw(st.lists(st.sampled_from(_ELEMENTS), unique=True, max_size=8)):
        value = draw(st.one_of(st.none(), values))
        ds.add_new(tag, vr, value)
    if depth < 2 and draw(st.booleans()):
        items = draw(st.lists(datasets(depth + 1), max_size=3))  # type: ignore[call-arg]
        ds.add_new(0x00091010, "SQ", Sequence(items))
    return ds


@settings(max_examples=300, deadline=None)
@given(dataset=datasets(), implicit=st.booleans())
def test_direct_bytes_are_pydicoms(dataset: Dataset, implicit: bool) -> None:
    direct = encode_directly(dataset, implicit=implicit)
    if direct is not None:
        assert direct == pydicom_bytes(dataset, implicit=implicit)


def identifier() -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "IMAGE"
    ds.PatientName = "Doe^Jane"
    ds.PatientID = "ID-1"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.9.7433.1"
    ds.StudyDate = "20261203"
    ds.ModalitiesInStudy = ["CT", "MR"]
    ds.NumberOfStudyRelatedInstances = 12
    ds.InstanceNumber = None
    ds.SOPInstanceUID = ""
    item = Dataset()
    item.CodeValue = "A1"
    ds.ProcedureCodeSequence = [item]
    return ds


@pytest.mark.parametrize("implicit", [True, False])
def test_identifiers_take_the_direct_path(implicit: bool) -> None:
    direct = encode_directly(identifier(), implicit=implicit)
    assert direct is not None
    assert direct == pydicom_bytes(identifier(), implicit=implicit)


def test_what_it_leaves_to_pydicom_still_encodes() -> None:
    latin = identifier()
    latin.SpecificCharacterSet = "ISO_IR 100"
    latin.PatientName = "Müller^Jürgen"
    assert encode_directly(latin, implicit=False) is None
    encoded = encode_data_set(latin, EXPLICIT)
    assert encoded == pydicom_bytes(latin, implicit=False)
    assert decode_data_set(encoded, EXPLICIT).PatientName == "Müller^Jürgen"
    # Elements read from bytes and never looked at stay raw: pydicom writes them.
    raw = decode_data_set(encode_data_set(identifier(), IMPLICIT), IMPLICIT)
    assert encode_directly(raw, implicit=True) is None
    assert encode_data_set(raw, IMPLICIT) == pydicom_bytes(identifier(), implicit=True)


def pydicom_read(raw: bytes, *, implicit: bool) -> Dataset:
    from io import BytesIO

    from pydicom.filereader import read_dataset

    ds = read_dataset(BytesIO(raw), implicit, True)
    ds.set_original_encoding(implicit, True)
    return ds


def as_read(ds: Dataset) -> list[tuple[Any, ...]]:
    """Every element as pydicom gives it once converted, items included."""
    out: list[tuple[Any, ...]] = []
    for element in ds:
        if element.VR == "SQ":
            out.append((element.tag, "SQ", [as_read(item) for item in element.value]))
        else:
            out.append((element.tag, element.VR, element.value))
    return out


@settings(max_examples=300, deadline=None)
@given(dataset=datasets(), implicit=st.booleans())
def test_decoded_as_pydicom_reads_it(dataset: Dataset, implicit: bool) -> None:
    raw = pydicom_bytes(dataset, implicit=implicit)
    syntax = IMPLICIT if implicit else EXPLICIT
    ours, theirs = decode_data_set(raw, syntax), pydicom_read(raw, implicit=implicit)
    assert ours.original_encoding == theirs.original_encoding
    assert ours.original_character_set == theirs.original_character_set
    assert as_read(ours) == as_read(theirs)


def test_character_set_and_undefined_lengths_decode_as_pydicom() -> None:
    latin = identifier()
    latin.SpecificCharacterSet = "ISO_IR 100"
    latin.PatientName = "Müller^Jürgen"
    raw = pydicom_bytes(latin, implicit=False)
    decoded = decode_data_set(raw, EXPLICIT)
    assert decoded.PatientName == "Müller^Jürgen"
    theirs = pydicom_read(raw, implicit=False)
    assert decoded.original_character_set == theirs.original_character_set
    # A sequence of undefined length (as DCMTK sends them) is read by pydicom.
    item = b"\x08\x00\x00\x01SH\x02\x00A1"  # (0008,0100) Code Value
    undefined = (
        b"\x08\x00\x32\x10SQ\x00\x00\xff\xff\xff\xff"  # (0008,1032) undefined length
        + b"\xfe\xff\x00\xe0"
        + len(item).to_bytes(4, "little")
        + item
        + b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    )
    assert decode_data_set(undefined, EXPLICIT).ProcedureCodeSequence[0].CodeValue == "A1"
