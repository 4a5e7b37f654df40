//! Bytes across the boundary: borrowing Python inputs, and `DataSetBuffer`,
//! which hands a received data set to Python without copying it.

use std::ffi::c_int;

use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyBufferError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyMemoryView};

/// Inputs of this size or more are worked on with the GIL released.
pub const DETACH_THRESHOLD: usize = 64 * 1024;

/// Bytes handed in by Python: `bytes` is borrowed (immutable, kept alive by
/// the caller's reference); anything else exporting a byte buffer
/// (bytearray, memoryview...) is copied, because its contents could change
/// under us, in another thread, while the core reads them.
pub enum InputBytes<'a> {
    Borrowed(&'a [u8]),
    Copied(Vec<u8>),
}

impl<'a> InputBytes<'a> {
    pub fn from_py(obj: &'a Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(bytes) = obj.cast::<PyBytes>() {
            return Ok(InputBytes::Borrowed(bytes.as_bytes()));
        }
        let buffer = PyBuffer::<u8>::get(obj)?;
        Ok(InputBytes::Copied(buffer.to_vec(obj.py())?))
    }

    pub fn as_slice(&self) -> &[u8] {
        match self {
            InputBytes::Borrowed(bytes) => bytes,
            InputBytes::Copied(bytes) => bytes,
        }
    }
}

/// A received data set: its bytes, moved (not copied) out of the core and
/// exported read-only through the buffer protocol.
#[pyclass(module = "fastdimse._core", frozen)]
pub struct DataSetBuffer {
    /// Never mutated nor moved after construction: `__getbuffer__` relies on it.
    data: Vec<u8>,
}

impl DataSetBuffer {
    pub fn from_vec(data: Vec<u8>) -> Self {
        DataSetBuffer { data }
    }
}

#[pymethods]
impl DataSetBuffer {
    /// A copy of `data` (for tests and callers building messages by hand).
    #[new]
    fn new(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(DataSetBuffer::from_vec(
            InputBytes::from_py(data)?.as_slice().to_vec(),
        ))
    }

    fn __len__(&self) -> usize {
        self.data.len()
    }

    /// Equal to `bytes` and to another DataSetBuffer with the same contents.
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = other.py();
        let equal = if let Ok(bytes) = other.cast::<PyBytes>() {
            bytes.as_bytes() == self.data.as_slice()
        } else if let Ok(buffer) = other.cast::<DataSetBuffer>() {
            buffer.get().data == self.data
        } else {
            return Ok(py.NotImplemented());
        };
        Ok(equal.into_pyobject(py)?.to_owned().into_any().unbind())
    }

    fn __repr__(&self) -> String {
        format!("<DataSetBuffer of {} bytes>", self.data.len())
    }

    /// PEP 688's Python-level view (Python 3.12 derives it from the buffer
    /// slot; defined here so that 3.11 agrees with the type stub): a
    /// read-only memoryview. Writable requests raise BufferError.
    fn __buffer__<'py>(slf: &Bound<'py, Self>, flags: c_int) -> PyResult<Bound<'py, PyMemoryView>> {
        if flags & pyo3::ffi::PyBUF_WRITABLE != 0 {
            return Err(PyBufferError::new_err("DataSetBuffer is read-only"));
        }
        PyMemoryView::from(slf.as_any())
    }

    /// Releases a view returned by `__buffer__`.
    fn __release_buffer__(&self, view: &Bound<'_, PyMemoryView>) -> PyResult<()> {
        view.call_method0("release").map(drop)
    }

    /// Exports the bytes read-only.
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut pyo3::ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        let data = &slf.get().data;
        let len = isize::try_from(data.len())
            .map_err(|_| PyBufferError::new_err("data set too large to export"))?;
        // SAFETY: `view` is the valid Py_buffer the interpreter passes to
        // bf_getbuffer. The pointer stays valid for as long as any view
        // exists: `data` is a private field of a frozen class, never mutated
        // or moved after construction (no method takes `&mut self`), so its
        // heap allocation is fixed; and PyBuffer_FillInfo stores a new
        // reference to `slf` in view->obj, which keeps this object (and so
        // the Vec) alive until PyBuffer_Release. `readonly = 1` makes
        // FillInfo refuse PyBUF_WRITABLE requests with BufferError, so the
        // `*mut` cast never leads to a write.
        let status = unsafe {
            pyo3::ffi::PyBuffer_FillInfo(
                view,
                slf.as_ptr(),
                data.as_ptr().cast_mut().cast(),
                len,
                1,
                flags,
            )
        };
        if status == -1 {
            return Err(PyErr::fetch(slf.py()));
        }
        Ok(())
    }

    /// Nothing to free: the view borrows `data`, and the reference to this
    /// object held by the view is released by the interpreter.
    unsafe fn __releasebuffer__(&self, _view: *mut pyo3::ffi::Py_buffer) {}
}
