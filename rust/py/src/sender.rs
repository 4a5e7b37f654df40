//! The sending side: `fragment_message` (one message, one buffer) and
//! `FileDataSetSender` (a data set read from a file in bounded pieces).

use std::os::fd::RawFd;
use std::sync::Mutex;

use fastdimse_proto::fragment::{self, DataSetStream};
use fastdimse_proto::PeerMaxPdu;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::MutexExt;
use pyo3::types::PyBytes;

use crate::buffers::{InputBytes, DETACH_THRESHOLD};
use crate::errors::OrRaise;
use crate::fd::{self, PositionedReader};

/// All P-DATA-TF PDUs of one message in one buffer, allocated once at its
/// exact size and written in place (one copy of the data set in total; the
/// GIL is released while a large data set is copied). A bytearray or
/// memoryview data set is copied first (see `InputBytes`).
#[pyfunction]
#[pyo3(signature = (peer_max_pdu, context_id, command, data_set = None))]
pub fn fragment_message<'py>(
    py: Python<'py>,
    peer_max_pdu: u32,
    context_id: u8,
    command: &Bound<'py, PyBytes>,
    data_set: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let peer_max = PeerMaxPdu(peer_max_pdu);
    let command = command.as_bytes();
    let data_set = data_set.map(InputBytes::from_py).transpose()?;
    let data_set = data_set.as_ref().map(InputBytes::as_slice);
    let len = fragment::fragmented_len(peer_max, command.len(), data_set.map(<[u8]>::len))
        .or_raise(py)?;
    let write =
        |out: &mut [u8]| fragment::fragment_into(out, peer_max, context_id, command, data_set);
    PyBytes::new_with(py, len, |out| {
        // The new bytes object is not visible to any other code yet, so
        // writing it with the GIL released is safe.
        let result = if len >= DETACH_THRESHOLD {
            py.detach(|| write(out))
        } else {
            write(out)
        };
        result.or_raise(py)
    })
}

/// An iterator of `bytes`, each a run of whole P-DATA-TF PDUs carrying
/// about `chunk_size` bytes of the data set (the first also carries the
/// command set), read from `fd` with pread so that Python's file position
/// does not move. The core works on its own duplicate of `fd`. With
/// `pad_odd_length`, an odd-length data set gets one trailing NULL byte.
#[pyclass(module = "fastdimse._core", frozen)]
pub struct FileDataSetSender {
    state: Mutex<SenderState>,
    chunk_size: usize,
}

struct SenderState {
    stream: DataSetStream,
    source: PositionedReader,
}

#[pymethods]
impl FileDataSetSender {
    #[new]
    #[pyo3(signature = (peer_max_pdu, context_id, command, fd, offset, length, chunk_size = 4194304, *, pad_odd_length = false))]
    // The Python constructor's parameters, one per argument.
    #[allow(clippy::too_many_arguments)]
    fn new(
        peer_max_pdu: u32,
        context_id: u8,
        command: &Bound<'_, PyBytes>,
        fd: RawFd,
        offset: u64,
        length: u64,
        chunk_size: usize,
        pad_odd_length: bool,
    ) -> PyResult<Self> {
        let py = command.py();
        if chunk_size == 0 {
            return Err(PyValueError::new_err("chunk_size must be positive"));
        }
        let stream = DataSetStream::new(
            PeerMaxPdu(peer_max_pdu),
            context_id,
            command.as_bytes(),
            length,
        )
        .or_raise(py)?;
        let stream = if pad_odd_length {
            stream.pad_odd_length()
        } else {
            stream
        };
        let source = PositionedReader::new(fd::dup(fd)?, offset, length);
        Ok(FileDataSetSender {
            state: Mutex::new(SenderState { stream, source }),
            chunk_size,
        })
    }

    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// The next run of PDUs; reads the file with the GIL released.
    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let mut state = self.state.lock_py_attached(py).map_err(|_| {
            PyRuntimeError::new_err("FileDataSetSender is unusable: a previous call panicked")
        })?;
        if state.stream.is_done() {
            return Ok(None);
        }
        let SenderState { stream, source } = &mut *state;
        let chunk_size = self.chunk_size;
        let len = stream.next_chunk_len(chunk_size).or_raise(py)?;
        // Read straight into the new bytes object (one copy of the file's data):
        // it is not visible to any other code yet, so filling it with the GIL
        // released is safe.
        let chunk = PyBytes::new_with(py, len, |out| {
            py.detach(|| stream.next_chunk_into(source, out, chunk_size))
                .or_raise(py)
                .map(|_| ())
        })?;
        drop(state);
        Ok(Some(chunk))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<FileDataSetSender>()?;
    m.add_function(wrap_pyfunction!(fragment_message, m)?)?;
    Ok(())
}
