"""An instance's data set as the four rows the index keeps of it.

Each level's row gets its columns (the stored form of ``levels.COLUMNS``) and
its attributes, encoded (Explicit VR Little Endian), from which responses are
built and non-column keys matched. Bulk data never enters the index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian

from fastdimse._files.encoding import decode_data_set, encode_data_set, new_dataset
from fastdimse.archive.levels import COLUMNS, Level, level_of
from fastdimse.archive.matching import fold, stored_form

__all__ = ["LevelRecord", "decode_attributes", "patient_key", "records_of"]

# Not indexed at the image level: values of these VRs are bulk or binary data,
# and text longer than this is not what anyone queries for.
_BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})
_MAX_TEXT = 1024
_CHARSET = 0x00080005


@dataclass(frozen=True)
class LevelRecord:
    """One level's row: its columns (name -> stored form) and encoded attributes."""

    columns: dict[str, str | None]
    attributes: bytes


def records_of(dataset: Dataset) -> dict[Level, LevelRecord]:
    """The rows of the four levels for an instance (its file meta ignored).

    Raises ``ValueError`` when the instance lacks a Study, Series or SOP
    Instance UID: it cannot be placed in the hierarchy."""
    for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
        if not str(dataset.get(keyword, "") or "").strip():
            raise ValueError(f"the instance has no {keyword}: it cannot be indexed")
    split: dict[Level, Dataset] = {level: new_dataset() for level in Level}
    charset = dataset.get(_CHARSET)
    for element in dataset:
        tag = int(element.tag)
        if tag >> 16 == 0x0002 or tag == _CHARSET:
            continue
        level = level_of(element.keyword) if element.keyword else Level.IMAGE
        if level is Level.IMAGE and _is_bulk(element):
            continue
        split[level].add(element)
    records = {}
    for level, part in split.items():
        if charset is not None:
            part.add(charset)
        columns = _columns(level, part)
        encoded = encode_data_set(part, ExplicitVRLittleEndian)
        records[level] = LevelRecord(columns, encoded)
    return records


def patient_key(patient_id: str | None, issuer: str | None) -> str:
    """Who a patient is: the Patient ID within its issuer (PS3.4 C.6.1.1.2)."""
    return f"{patient_id or ''}\\{issuer or ''}"


def decode_attributes(encoded: bytes) -> Dataset:
    """A row's attributes as a Dataset."""
    return decode_data_set(encoded, ExplicitVRLittleEndian)


def _columns(level: Level, part: Dataset) -> dict[str, str | None]:
    columns: dict[str, str | None] = {}
    for spec in COLUMNS[level]:
        element = part[spec.keyword] if spec.keyword in part else None
        value = stored_form(spec.vr, element.value) if element is not None else None
        columns[spec.name] = value
        if spec.folded:
            columns[spec.folded_name] = fold(value) if value is not None else None
    return columns


def _is_bulk(element: Any) -> bool:
    if element.VR in _BINARY_VRS:
        return True
    if element.VR == "SQ":
        return False
    value = element.value
    return isinstance(value, str | bytes) and len(value) > _MAX_TEXT
