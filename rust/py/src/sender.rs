//! The sending side: `fragment_message` (one message, one buffer) and
//! `FileDataSetSender` (a data set read from a file in bounded pieces).

mod socket;

use std::io::{IoSlice, Read};
use std::os::fd::RawFd;
use std::sync::{Mutex, MutexGuard};

use fastdimse_proto::error::EncodeErrorReason;
use fastdimse_proto::fragment::{self, DataSetStream, FragmentParts};
use fastdimse_proto::{EncodeError, PeerMaxPdu};
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
    /// Whether a `send_to` failed part way: what is on the wire is not a
    /// whole stream, and nothing more may follow it.
    broken: bool,
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
            state: Mutex::new(SenderState {
                stream,
                source,
                broken: false,
            }),
            chunk_size,
        })
    }

    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// The next run of PDUs; reads the file with the GIL released.
    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let mut state = self.lock(py)?;
        if state.stream.is_done() {
            return Ok(None);
        }
        let SenderState { stream, source, .. } = &mut *state;
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

    /// Sends the rest of the stream (what iterating would still yield) to
    /// the connected stream socket `fd`, with the GIL released; returns the
    /// number of bytes sent. The core sends on its own duplicate of `fd`:
    /// per chunk, one pread of its data and one sendmsg of its PDUs (headers
    /// and data as iovecs).
    /// A non-blocking socket (as `settimeout` makes it) is waited for at
    /// most `timeout` seconds each time it is full (None: no limit), then
    /// TimeoutError; a blocking socket blocks. A failed send raises OSError
    /// (e.g. BrokenPipeError when the peer has closed); after any error an
    /// unknown part of the stream has been sent, and the sender raises
    /// RuntimeError if used again.
    #[pyo3(signature = (fd, timeout = None))]
    fn send_to(&self, py: Python<'_>, fd: RawFd, timeout: Option<f64>) -> PyResult<u64> {
        let timeout = timeout.map(fd::seconds).transpose()?;
        let mut sock = socket::Socket::new(fd::dup(fd)?, timeout);
        let mut state = self.lock(py)?;
        let SenderState {
            stream,
            source,
            broken,
        } = &mut *state;
        let chunk_size = self.chunk_size;
        let result = py.detach(|| send_chunks(stream, source, &mut sock, chunk_size));
        if result.is_err() {
            *broken = true;
        }
        drop(state);
        result.map_err(|err| err.into_py(py))?;
        Ok(sock.sent())
    }
}

impl FileDataSetSender {
    /// The state, unless a call panicked with it or a send failed part way.
    fn lock(&self, py: Python<'_>) -> PyResult<MutexGuard<'_, SenderState>> {
        let state = self.state.lock_py_attached(py).map_err(|_| {
            PyRuntimeError::new_err("FileDataSetSender is unusable: a previous call panicked")
        })?;
        if state.broken {
            return Err(PyRuntimeError::new_err(
                "FileDataSetSender is unusable: a previous send_to failed part way",
            ));
        }
        Ok(state)
    }
}

/// `send_to`'s body: per chunk, one read of its data (pread, into a buffer
/// reused for every chunk) and one sendmsg of its PDUs, each PDU's header,
/// data and pad byte as iovecs (the command set's PDUs, on a first call,
/// ahead of the first chunk's).
fn send_chunks(
    stream: &mut DataSetStream,
    source: &mut PositionedReader,
    sock: &mut socket::Socket,
    chunk_size: usize,
) -> Result<(), socket::SendError> {
    const PAD: [u8; 1] = [0];
    let command = stream.take_command_pdus()?.unwrap_or_default();
    let mut command = command.as_slice();
    let mut parts: Vec<FragmentParts> = Vec::new();
    let mut buf = Vec::new();
    while !stream.is_done() {
        parts.clear();
        let taken = stream.next_fragment_parts(chunk_size, &mut parts)?;
        let taken = usize::try_from(taken).map_err(|_| too_long(taken))?;
        if buf.len() < taken {
            buf.resize(taken, 0);
        }
        let data = buf.get_mut(..taken).unwrap_or_default();
        source.read_exact(data).map_err(read_error)?;
        let mut data = &*data;
        let mut iov = Vec::with_capacity(1 + 3 * parts.len());
        iov.push(IoSlice::new(std::mem::take(&mut command)));
        for part in &parts {
            let (now, rest) = data.split_at(part.data_len.min(data.len()));
            iov.push(IoSlice::new(&part.header));
            iov.push(IoSlice::new(now));
            if part.pad {
                iov.push(IoSlice::new(&PAD));
            }
            data = rest;
        }
        sock.send_vectored(&mut iov)?;
    }
    Ok(())
}

fn read_error(err: std::io::Error) -> socket::SendError {
    socket::SendError::Encode(EncodeError::new(
        "data set source",
        EncodeErrorReason::Source(err.kind()),
    ))
}

fn too_long(length: u64) -> socket::SendError {
    socket::SendError::Encode(EncodeError::new(
        "P-DATA-TF",
        EncodeErrorReason::TooLong {
            length,
            limit: usize::MAX as u64,
        },
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<FileDataSetSender>()?;
    m.add_function(wrap_pyfunction!(fragment_message, m)?)?;
    Ok(())
}
