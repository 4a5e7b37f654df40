"""fastdimse: DICOM networking with a Rust protocol core and pynetdicom's API."""

from fastdimse._core import __version__

__all__ = ["__version__"]
