//! The structural scan of an encoded data set, over a buffer or a file
//! descriptor Python owns (`fastdimse._files.scan` wraps both).

use std::os::fd::RawFd;

use fastdimse_proto::scan::{self, ScanResult};
use pyo3::prelude::*;

use crate::buffers::{InputBytes, DETACH_THRESHOLD};
use crate::errors::OrRaise;
use crate::fd::{self, PositionedFile};

/// (transfer syntax, SOP Class UID, SOP Instance UID, data set offset,
/// data set length, elements): the fields of Python's `ScanResult`.
type ScanTuple = (String, Option<String>, Option<String>, u64, u64, u64);

fn into_tuple(result: ScanResult) -> ScanTuple {
    (
        result.transfer_syntax,
        result.sop_class_uid,
        result.sop_instance_uid,
        result.data_set_offset,
        result.data_set_length,
        result.elements,
    )
}

/// Scans the file open on `fd` from `offset` to its end: a DICOM file
/// without `transfer_syntax`, else a bare data set in it. Read with pread
/// on a duplicate of `fd` (its position does not move), the GIL released.
#[pyfunction]
#[pyo3(signature = (fd, offset = 0, transfer_syntax = None))]
pub fn scan_data_set_file(
    py: Python<'_>,
    fd: RawFd,
    offset: u64,
    transfer_syntax: Option<&str>,
) -> PyResult<ScanTuple> {
    let file = fd::dup(fd)?;
    let result =
        py.detach(|| scan::scan_reader(PositionedFile::new(file), offset, transfer_syntax));
    result.or_raise(py).map(into_tuple)
}

/// Scans a buffer, as `scan_data_set_file` does a file (a large one with
/// the GIL released; a bytearray or memoryview is copied first, see
/// `InputBytes`).
#[pyfunction]
#[pyo3(signature = (data, transfer_syntax = None))]
pub fn scan_data_set_bytes(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    transfer_syntax: Option<&str>,
) -> PyResult<ScanTuple> {
    let input = InputBytes::from_py(data)?;
    let bytes = input.as_slice();
    let result = if bytes.len() >= DETACH_THRESHOLD {
        py.detach(|| scan::scan_bytes(bytes, transfer_syntax))
    } else {
        scan::scan_bytes(bytes, transfer_syntax)
    };
    result.or_raise(py).map(into_tuple)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(scan_data_set_file, m)?)?;
    m.add_function(wrap_pyfunction!(scan_data_set_bytes, m)?)
}
