"""A stored instance file as the index's rows of it.

The data set's head (everything before the pixel data) is read as bytes and cut
into the rows (``records.records_from_spans``) when it is in Explicit VR Little
Endian, which covers the compressed transfer syntaxes too; in any other (Implicit
VR, Big Endian, Deflated) pydicom reads it. No value is decoded but the few the
index keeps in columns.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydicom import dcmread

from fastdimse._files.encoded import element_spans
from fastdimse._files.encoding import transfer_syntax_properties
from fastdimse._files.part10 import read_file_meta
from fastdimse.archive.levels import Level
from fastdimse.archive.records import PIXEL_DATA, LevelRecord, records_from_spans, records_of

__all__ = ["read_records"]

# The head read first; a data set whose elements before the pixel data are longer
# (large sequences, private blocks) is read by pydicom instead.
_HEAD = 256 * 1024


def read_records(path: str | os.PathLike[str]) -> tuple[dict[Level, LevelRecord], str]:
    """The rows of the instance in the DICOM file at ``path``, and its transfer syntax.

    Raises ``ValueError`` (not a DICOM file, or one that cannot be placed in the
    hierarchy), ``OSError`` and pydicom's errors for a file it cannot read."""
    meta = read_file_meta(path)
    syntax = meta.transfer_syntax_uid
    implicit, little, deflated = transfer_syntax_properties(syntax)
    if little and not implicit and not deflated:
        with Path(path).open("rb") as file:
            file.seek(meta.data_offset)
            head = file.read(_HEAD)
        complete = meta.data_offset + len(head) >= meta.file_size
        spans = element_spans(head, stop_before=PIXEL_DATA)
        if spans is not None and (complete or _stopped_at_pixel_data(head, spans)):
            return records_from_spans(spans), syntax
    dataset = dcmread(path, stop_before_pixels=True)
    return records_of(dataset), syntax


def _stopped_at_pixel_data(head: bytes, spans: dict[int, bytes]) -> bool:
    """Whether the walk of a partial head stopped at the pixel data (not at its end)."""
    walked = sum(len(span) for span in spans.values())
    return walked + 4 <= len(head)
