//! `Receiver`: the core's framer and reassembler for one association, and
//! the events it reports (`Message`, `DataSetStart`, `PDataTfHeader`,
//! `RawPdu`, and the decoded PDU classes).
//!
//! Python runs once per event, not per PDU or fragment: `feed` takes a whole
//! socket read and returns one list of the events it completed.

use std::io::BufWriter;
use std::os::fd::RawFd;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use fastdimse_proto::receiver::{self as core, DataSet, Destination, ReceiverConfig};
use fastdimse_proto::{DecodeError, DecodeOptions, LocalMaxPdu};
use pyo3::exceptions::{PyRuntimeError, PyTimeoutError};
use pyo3::prelude::*;
use pyo3::sync::MutexExt;
use pyo3::types::{PyBytes, PyList};

use crate::buffers::{DataSetBuffer, InputBytes, DETACH_THRESHOLD};
use crate::command::CommandSet;
use crate::errors::{self, OrRaise};
use crate::fd;
use crate::pdu;
use crate::repr::fields_repr;
use crate::socket_read::{self, Read, READ_SIZE};

/// Buffer between the core and a data set's file: few, large writes.
const FILE_WRITE_BUFFER: usize = 1024 * 1024;

// The Python signature spells the core's defaults out (so that they show
// in `inspect.signature`); these keep the two in step.
const _: () = assert!(LocalMaxPdu::DEFAULT.0 == 16382);
const _: () = assert!(fastdimse_proto::limits::DEFAULT_MAX_ASSOCIATE_PDU == 1048576);
const _: () = assert!(fastdimse_proto::limits::DEFAULT_MAX_MEMORY_DATA_SET == 1048576);

/// The receiving side of one association (see the module documentation).
#[pyclass(module = "fastdimse._core", frozen)]
pub struct Receiver {
    // A Mutex because the core holds a `dyn Write + Send` (not Sync) while a
    // data set goes to a file; it is taken once per call, and by
    // `receive_from` once per read, never while it waits for the socket.
    inner: Mutex<Inner>,
    /// `receive_from`'s buffer, allocated on first use.
    read_buffer: Mutex<Vec<u8>>,
}

struct Inner {
    core: core::Receiver,
    /// The decode error of bytes `receive_from` fed, for `take_events`.
    unreported: Option<DecodeError>,
}

/// How `receive_from` ended.
enum Received {
    Events,
    NoEvents,
    Closed,
    TimedOut,
    Failed(std::io::Error),
    Unusable,
}

#[pymethods]
impl Receiver {
    #[new]
    #[pyo3(signature = (local_max_pdu = 16382, *, max_associate_pdu = 1048576, max_memory_data_set = 1048576, enforce_uid_conformance = false, observe_pdus = false, report_pdata = false, announce_data_sets = false))]
    fn new(
        local_max_pdu: u32,
        max_associate_pdu: u32,
        max_memory_data_set: u64,
        enforce_uid_conformance: bool,
        observe_pdus: bool,
        report_pdata: bool,
        announce_data_sets: bool,
    ) -> Self {
        let config = ReceiverConfig {
            local_max_pdu: LocalMaxPdu(local_max_pdu),
            max_associate_pdu,
            max_memory_data_set,
            options: DecodeOptions {
                enforce_uid_conformance,
            },
            observe_pdus,
            report_pdata,
            announce_data_sets,
        };
        Receiver {
            inner: Mutex::new(Inner {
                core: core::Receiver::new(config),
                unreported: None,
            }),
            read_buffer: Mutex::new(Vec::new()),
        }
    }

    /// Consumes all of `data` and returns the events it completed, in
    /// stream order. On a decode error, raises it, with the events completed
    /// before it in its `events` attribute, and raises it again on every
    /// later call.
    fn feed<'py>(&self, data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        let py = data.py();
        let input = InputBytes::from_py(data)?;
        let bytes = input.as_slice();
        let mut guard = self.lock(py)?;
        let receiver = &mut guard.core;
        let outcome = if bytes.len() >= DETACH_THRESHOLD {
            py.detach(|| feed_and_drain(receiver, bytes))
        } else {
            feed_and_drain(receiver, bytes)
        };
        drop(guard);
        outcome_to_py(py, outcome)
    }

    /// After a `DataSetStart`: sends that data set to the file descriptor
    /// `fd` (which the core dup()s and writes through a buffer, never
    /// seeking, truncating, syncing or closing Python's descriptor) or to
    /// memory (None), and returns the events completed by the bytes fed
    /// while paused.
    #[pyo3(signature = (fd = None))]
    fn resume<'py>(&self, py: Python<'py>, fd: Option<RawFd>) -> PyResult<Bound<'py, PyList>> {
        let destination = match fd {
            None => Destination::Memory,
            Some(fd) => Destination::Writer(Box::new(BufWriter::with_capacity(
                FILE_WRITE_BUFFER,
                fd::dup(fd)?,
            ))),
        };
        let mut guard = self.lock(py)?;
        let receiver = &mut guard.core;
        let outcome = py.detach(|| {
            let result = receiver.resume(destination);
            (drain(receiver), result)
        });
        drop(guard);
        outcome_to_py(py, outcome)
    }

    /// For the threaded driver on plain TCP: reads the socket `fd` (through
    /// a duplicate) with the GIL released and feeds what arrives, until
    /// events are complete, or after one read without `until_event`.
    /// Returns True when events wait for `take_events` (or a decode error
    /// does), False after a read that completed none, None when the peer
    /// closed the stream. The first wait for bytes lasts at most `timeout`
    /// seconds (None: no limit), each later one `idle_timeout`; when one
    /// passes, raises TimeoutError. With an `idle_timeout` it also returns
    /// after half of it, so the caller can tell the peer is not quiet. An
    /// error of the socket raises OSError. The receiver is locked only while
    /// it is fed, never while the socket is waited for.
    #[pyo3(signature = (fd, timeout, *, until_event = true, idle_timeout = None))]
    fn receive_from(
        &self,
        py: Python<'_>,
        fd: RawFd,
        timeout: Option<f64>,
        until_event: bool,
        idle_timeout: Option<f64>,
    ) -> PyResult<Option<bool>> {
        let socket = fd::dup(fd)?;
        let timeout = timeout.map(fd::seconds).transpose()?;
        let idle_timeout = idle_timeout.map(fd::seconds).transpose()?;
        let received =
            py.detach(|| self.read_and_feed(&socket, timeout, until_event, idle_timeout));
        match received {
            Received::Events => Ok(Some(true)),
            Received::NoEvents => Ok(Some(false)),
            Received::Closed => Ok(None),
            Received::TimedOut => Err(PyTimeoutError::new_err("timed out")),
            Received::Failed(error) => Err(errors::io_error(error)),
            Received::Unusable => Err(unusable()),
        }
    }

    /// The events `receive_from` completed, in stream order. After a decode
    /// error, raises it with those events in its `events` attribute (as
    /// `feed` does).
    fn take_events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let mut guard = self.lock(py)?;
        let events = drain(&mut guard.core);
        let result = guard.unreported.take().map_or(Ok(()), Err);
        drop(guard);
        outcome_to_py(py, (events, result))
    }

    /// Whether each P-DATA-TF header is reported (`PDataTfHeader` events);
    /// changing it takes effect from the next PDU.
    #[getter]
    fn report_pdata(&self, py: Python<'_>) -> PyResult<bool> {
        Ok(self.lock(py)?.core.config().report_pdata)
    }

    #[setter]
    fn set_report_pdata(&self, py: Python<'_>, report: bool) -> PyResult<()> {
        self.lock(py)?.core.set_report_pdata(report);
        Ok(())
    }

    /// Whether part of a PDU has been received and not completed.
    #[getter]
    fn partial_pdu_pending(&self, py: Python<'_>) -> PyResult<bool> {
        Ok(self.lock(py)?.core.partial_pdu_pending())
    }

    /// Whether events completed by `receive_from` wait for `take_events`.
    #[getter]
    fn events_pending(&self, py: Python<'_>) -> PyResult<bool> {
        Ok(self.lock(py)?.core.has_events())
    }

    /// Whether a message has begun and its last fragment has not arrived.
    #[getter]
    fn message_pending(&self, py: Python<'_>) -> PyResult<bool> {
        Ok(self.lock(py)?.core.message_pending())
    }

    /// The peer closed the connection: raises TruncatedError if it did so
    /// inside a PDU.
    fn finish(&self, py: Python<'_>) -> PyResult<()> {
        let result = self.lock(py)?.core.finish();
        result.or_raise(py)
    }
}

impl Receiver {
    /// The core receiver; the lock is waited for with the thread detached,
    /// so a thread working on a large feed never deadlocks with us.
    fn lock(&self, py: Python<'_>) -> PyResult<MutexGuard<'_, Inner>> {
        self.inner.lock_py_attached(py).map_err(|_| unusable())
    }

    /// `receive_from`'s loop, run with the GIL released.
    fn read_and_feed(
        &self,
        socket: &std::fs::File,
        timeout: Option<Duration>,
        until_event: bool,
        idle_timeout: Option<Duration>,
    ) -> Received {
        let Ok(mut buffer) = self.read_buffer.lock() else {
            return Received::Unusable;
        };
        if buffer.len() < READ_SIZE {
            buffer.resize(READ_SIZE, 0);
        }
        let started = Instant::now();
        let report_by = idle_timeout.map(|idle| started + idle / 2);
        let mut wait = timeout;
        loop {
            let deadline = wait.map(|wait| Instant::now() + wait);
            let length = match socket_read::read(socket, &mut buffer, deadline) {
                Ok(Read::Bytes(length)) => length,
                Ok(Read::Closed) => return Received::Closed,
                Ok(Read::TimedOut) => return Received::TimedOut,
                Err(error) => return Received::Failed(error),
            };
            let Ok(mut inner) = self.inner.lock() else {
                return Received::Unusable;
            };
            if let Err(error) = inner.core.feed(buffer.get(..length).unwrap_or_default()) {
                inner.unreported = Some(error);
                return Received::Events;
            }
            if inner.core.has_events() {
                return Received::Events;
            }
            drop(inner);
            if !until_event || report_by.is_some_and(|by| Instant::now() >= by) {
                return Received::NoEvents;
            }
            wait = idle_timeout;
        }
    }
}

fn unusable() -> PyErr {
    PyRuntimeError::new_err("Receiver is unusable: a previous call panicked")
}

/// The events a call completed, and how it ended.
type Outcome = (Vec<core::Event>, Result<(), DecodeError>);

fn feed_and_drain(receiver: &mut core::Receiver, data: &[u8]) -> Outcome {
    let result = receiver.feed(data);
    (drain(receiver), result)
}

/// The list of events, or the error carrying them in `events`.
fn outcome_to_py(py: Python<'_>, (events, result): Outcome) -> PyResult<Bound<'_, PyList>> {
    let list = events_to_list(py, events)?;
    match result {
        Ok(()) => Ok(list),
        Err(err) => {
            let exception = errors::decode_error(py, &err);
            exception.value(py).setattr("events", list)?;
            Err(exception)
        }
    }
}

fn drain(receiver: &mut core::Receiver) -> Vec<core::Event> {
    std::iter::from_fn(|| receiver.next_event()).collect()
}

fn events_to_list(py: Python<'_>, events: Vec<core::Event>) -> PyResult<Bound<'_, PyList>> {
    let list = PyList::empty(py);
    for event in events {
        list.append(event_to_py(py, event)?)?;
    }
    Ok(list)
}

fn event_to_py(py: Python<'_>, event: core::Event) -> PyResult<Bound<'_, PyAny>> {
    Ok(match event {
        core::Event::Pdu(pdu) => pdu::to_py(py, pdu)?,
        core::Event::PDataTf { length } => Bound::new(py, PDataTfHeader { length })?.into_any(),
        core::Event::RawPdu(bytes) => Bound::new(
            py,
            RawPdu {
                data: PyBytes::new(py, &bytes).unbind(),
            },
        )?
        .into_any(),
        core::Event::DataSetStart {
            context_id,
            command,
        } => Bound::new(
            py,
            DataSetStart {
                context_id,
                command: Py::new(py, CommandSet(command))?,
            },
        )?
        .into_any(),
        core::Event::Message(message) => {
            Bound::new(py, Message::from_core(py, message)?)?.into_any()
        }
    })
}

/// A whole DIMSE message. A data set written to a file descriptor has
/// `data_set` None and `data_set_length` its byte count; one received in
/// memory has `data_set_length == len(data_set)`. When writing to the file
/// failed, `data_set_error` is the `DataSetWriteError` (an OSError with its
/// errno) and the bytes after the failure were received and dropped. When a
/// data set received in memory passed the receiver's `max_memory_data_set`,
/// `data_set` is None, `data_set_error` the `DataSetTooLargeError` and
/// `data_set_length` the bytes received (those past the limit were dropped).
#[pyclass(module = "fastdimse._core", frozen)]
pub struct Message {
    #[pyo3(get)]
    context_id: u8,
    #[pyo3(get)]
    command: Py<CommandSet>,
    #[pyo3(get)]
    data_set: Option<Py<DataSetBuffer>>,
    #[pyo3(get)]
    data_set_length: Option<u64>,
    #[pyo3(get)]
    data_set_error: Option<Py<PyAny>>,
}

impl Message {
    fn from_core(py: Python<'_>, message: core::Message) -> PyResult<Self> {
        let mut data_set_error = None;
        let (data_set, data_set_length) = match message.data_set {
            None => (None, None),
            Some(DataSet::Memory(bytes)) => {
                let length = bytes.len() as u64;
                let buffer = Py::new(py, DataSetBuffer::from_vec(bytes))?;
                (Some(buffer), Some(length))
            }
            Some(DataSet::Written { length }) => (None, Some(length)),
            Some(DataSet::Unwritten { error, length }) => {
                data_set_error = Some(errors::data_set_write_error(py, error)?);
                (None, Some(length))
            }
            Some(DataSet::TooLarge { limit, length }) => {
                data_set_error = Some(errors::data_set_too_large_error(py, limit, length)?);
                (None, Some(length))
            }
        };
        Ok(Message {
            context_id: message.context_id,
            command: Py::new(py, CommandSet(message.command))?,
            data_set,
            data_set_length,
            data_set_error,
        })
    }
}

#[pymethods]
impl Message {
    #[new]
    #[pyo3(signature = (context_id, command, data_set = None, data_set_length = None, data_set_error = None))]
    fn new(
        context_id: u8,
        command: Py<CommandSet>,
        data_set: Option<Py<DataSetBuffer>>,
        data_set_length: Option<u64>,
        data_set_error: Option<Py<PyAny>>,
    ) -> Self {
        Message {
            context_id,
            command,
            data_set,
            data_set_length,
            data_set_error,
        }
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(
            slf.as_any(),
            &[
                "context_id",
                "command",
                "data_set",
                "data_set_length",
                "data_set_error",
            ],
        )
    }
}

/// A command set announcing a data set has arrived (with
/// `announce_data_sets`): choose its destination with `Receiver.resume`.
#[pyclass(module = "fastdimse._core", frozen)]
pub struct DataSetStart {
    #[pyo3(get)]
    context_id: u8,
    #[pyo3(get)]
    command: Py<CommandSet>,
}

#[pymethods]
impl DataSetStart {
    #[new]
    fn new(context_id: u8, command: Py<CommandSet>) -> Self {
        DataSetStart {
            context_id,
            command,
        }
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), &["context_id", "command"])
    }
}

/// A P-DATA-TF header was read (with `report_pdata`).
#[pyclass(module = "fastdimse._core", frozen, eq)]
#[derive(PartialEq)]
pub struct PDataTfHeader {
    #[pyo3(get)]
    length: u32,
}

#[pymethods]
impl PDataTfHeader {
    #[new]
    fn new(length: u32) -> Self {
        PDataTfHeader { length }
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), &["length"])
    }
}

/// The complete bytes of a PDU (with `observe_pdus`), reported before the
/// events the PDU completes.
#[pyclass(module = "fastdimse._core", frozen)]
pub struct RawPdu {
    #[pyo3(get)]
    data: Py<PyBytes>,
}

#[pymethods]
impl RawPdu {
    #[new]
    fn new(data: Py<PyBytes>) -> Self {
        RawPdu { data }
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), &["data"])
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Receiver>()?;
    m.add_class::<Message>()?;
    m.add_class::<DataSetStart>()?;
    m.add_class::<PDataTfHeader>()?;
    m.add_class::<RawPdu>()?;
    m.add_class::<DataSetBuffer>()?;
    Ok(())
}
