"""Data sets kept encoded (``_files.encoded``): the element spans of any data set join
back to its bytes; the Implicit VR form made from the Explicit VR bytes is pydicom's
Implicit VR encoding, byte for byte; undefined lengths are walked, not guessed; and
raw elements taken from one data set into another are written as they are."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from pydicom.dataset import Dataset

from fastdimse._files.encoded import (
    EncodedDataSet,
    element_spans,
    encode_element,
    to_implicit_vr,
)
from fastdimse._files.encoding import decode_data_set, encode_data_set, new_dataset
from test_encoding_differential import EXPLICIT, IMPLICIT, datasets, pydicom_bytes


@settings(max_examples=200, deadline=None)
@given(dataset=datasets())
def test_spans_join_back_to_the_data_set(dataset: Dataset) -> None:
    raw = pydicom_bytes(dataset, implicit=False)
    spans = element_spans(raw)
    assert spans is not None
    assert list(spans) == sorted(int(tag) for tag in dataset.keys())
    assert b"".join(spans.values()) == raw


@settings(max_examples=200, deadline=None)
@given(dataset=datasets())
def test_implicit_form_is_pydicoms(dataset: Dataset) -> None:
    explicit = encode_data_set(dataset, EXPLICIT)
    assert to_implicit_vr(explicit) == pydicom_bytes(dataset, implicit=True)
    encoded = EncodedDataSet(explicit)
    assert encoded.encoded_in(EXPLICIT) == explicit
    assert encoded.encoded_in(IMPLICIT) == pydicom_bytes(dataset, implicit=True)


# (0008,1032) Procedure Code Sequence of undefined length, one item of undefined length
# holding (0008,0100) Code Value "A1"; then (0010,0010) Patient Name "X^Y".
_UNDEFINED = (
    b"\x08\x00\x32\x10SQ\x00\x00\xff\xff\xff\xff"
    + b"\xfe\xff\x00\xe0\xff\xff\xff\xff"
    + b"\x08\x00\x00\x01SH\x02\x00A1"
    + b"\xfe\xff\x0d\xe0\x00\x00\x00\x00"
    + b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
)
_NAME = b"\x10\x00\x10\x00PN\x04\x00X^Y "


def test_undefined_lengths_are_walked() -> None:
    spans = element_spans(_UNDEFINED + _NAME)
    assert spans == {0x00081032: _UNDEFINED, 0x00100010: _NAME}
    # Not converted here (the lengths would have to be worked out): decoded instead.
    assert to_implicit_vr(_UNDEFINED + _NAME) is None
    implicit = EncodedDataSet(_UNDEFINED + _NAME).encoded_in(IMPLICIT)
    assert decode_data_set(implicit, IMPLICIT).ProcedureCodeSequence[0].CodeValue == "A1"


@pytest.mark.parametrize(
    "broken",
    [
        _NAME[:-1],  # value cut short
        _NAME[:6],  # header cut short
        b"\x10\x00\x10\x00XX\x02\x00AB",  # no such VR
        _UNDEFINED[:-8],  # no sequence delimiter
        b"\x08\x00\x00\x01OB\x00\x00\xff\xff\xff\xff",  # undefined length outside a sequence
    ],
)
def test_malformed_bytes_have_no_spans(broken: bytes) -> None:
    assert element_spans(broken) is None


def test_encode_element_headers() -> None:
    assert encode_element(0x00100010, "PN", b"X^Y ") == _NAME
    assert encode_element(0x7FE00010, "OB", b"\x01\x02") == (
        b"\xe0\x7f\x10\x00OB\x00\x00\x02\x00\x00\x00\x01\x02"
    )


def test_raw_elements_are_written_as_they_are() -> None:
    source = Dataset()
    source.PatientName = "Doe^Jane"
    source.PatientID = "P1"
    decoded = decode_data_set(encode_data_set(source, EXPLICIT), EXPLICIT)
    # Raw (not yet converted) elements copied into a new data set.
    copy = new_dataset({tag: decoded.get_item(tag) for tag in decoded.keys()})
    for syntax in (EXPLICIT, IMPLICIT):
        assert encode_data_set(copy, syntax) == encode_data_set(source, syntax)
