"""fastdimse.status against pynetdicom 3.0.4's tables and rules."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset

from fastdimse import status
from helpers import require_module

pd_status = require_module("pynetdicom.status")


@pytest.mark.parametrize("name", [n for n in pd_status.__all__ if n.endswith("_STATUS")])
def test_tables_equal_pynetdicom(name: str) -> None:
    assert getattr(status, name) == getattr(pd_status, name)


def test_category_of_every_code_equals_pynetdicom() -> None:
    for code in range(0x10000):
        assert status.code_to_category(code) == pd_status.code_to_category(code)


def test_categories_and_errors() -> None:
    assert status.code_to_category(0x0000) == status.STATUS_SUCCESS == "Success"
    assert status.code_to_category(0xFF01) == "Pending"
    assert status.code_to_category(0xA801) == "Failure"
    assert status.code_to_category(0xB000) == "Warning"
    assert status.code_to_category(0xFE00) == "Cancel"
    assert status.code_to_category(0xDF01) == "Unknown"
    with pytest.raises(ValueError, match=r"'code' must be a positive integer\."):
        status.code_to_category(-1)
    with pytest.raises(ValueError):
        status.code_to_status(-1)


def test_code_to_status_and_enum() -> None:
    ds = status.code_to_status(0x0122)
    assert isinstance(ds, Dataset)
    assert ds.Status == 0x0122
    assert status.Status.SUCCESS == 0 and status.Status.MOVE_DESTINATION_UNKNOWN == 0xA801
    assert not hasattr(status.Status, "MY_OWN")
    status.Status.add("MY_OWN", 0xC123)
    try:
        assert status.Status.MY_OWN == 0xC123  # type: ignore[attr-defined]
    finally:
        delattr(status.Status, "MY_OWN")
