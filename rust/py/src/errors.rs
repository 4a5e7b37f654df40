//! The one error bridge: proto errors become the Python exceptions defined
//! in `fastdimse.errors` here and nowhere else.

use std::io;

use fastdimse_proto::error::EncodeErrorReason;
use fastdimse_proto::scan::ScanError;
use fastdimse_proto::{Answer, DecodeError, EncodeError, ErrorKind};
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyModule;

/// Converts a core result into a Python one, raising the matching exception.
pub trait OrRaise<T> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> OrRaise<T> for Result<T, DecodeError> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|err| decode_error(py, &err))
    }
}

impl<T> OrRaise<T> for Result<T, EncodeError> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|err| encode_error(py, &err))
    }
}

impl<T> OrRaise<T> for Result<T, ScanError> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|err| scan_error(py, err))
    }
}

/// DataSetError for a malformed data set; OSError for a failed read.
pub fn scan_error(py: Python<'_>, err: ScanError) -> PyErr {
    match err {
        ScanError::DataSet(err) => raise(py, "DataSetError", |_| {
            Ok((err.kind.to_string(), err.offset, err.kind.name()))
        }),
        ScanError::Io(err) => io_error(err),
    }
}

/// DecodeError, LimitExceededError or TruncatedError by kind.
pub fn decode_error(py: Python<'_>, err: &DecodeError) -> PyErr {
    let class = match err.kind {
        ErrorKind::LimitExceeded { .. } => "LimitExceededError",
        ErrorKind::Truncated { .. } => "TruncatedError",
        _ => "DecodeError",
    };
    raise(py, class, |py| {
        Ok((
            err.to_string(),
            err.kind.name(),
            err.field,
            err.offset,
            answer(py, err.answer)?,
            err.kind.to_string(),
        ))
    })
}

/// EncodeError; a failed read of the data set to send becomes OSError.
pub fn encode_error(py: Python<'_>, err: &EncodeError) -> PyErr {
    let (kind, reason) = match &err.reason {
        EncodeErrorReason::TooLong { length, limit } => (
            "TooLong",
            format!("length {length} exceeds the limit of {limit}"),
        ),
        EncodeErrorReason::InvalidText => (
            "InvalidText",
            "characters outside the allowed repertoire".to_owned(),
        ),
        EncodeErrorReason::InvalidValue => ("InvalidValue", "invalid value".to_owned()),
        EncodeErrorReason::Source(io_kind) => {
            return PyOSError::new_err((errno(py, *io_kind), err.to_string()));
        }
    };
    raise(py, "EncodeError", |_| {
        Ok((err.to_string(), err.field, reason, kind))
    })
}

/// An OS error with its errno (OSError's constructor picks the subclass,
/// e.g. FileNotFoundError), for the binding's own system calls.
pub fn io_error(err: io::Error) -> PyErr {
    match err.raw_os_error() {
        Some(code) => PyOSError::new_err((code, err.to_string())),
        None => PyErr::from(err),
    }
}

/// The Python form of a default protocol answer.
pub fn answer(py: Python<'_>, answer: Answer) -> PyResult<Bound<'_, PyAny>> {
    match answer {
        Answer::Abort { source, reason } => class(py, "AbortAnswer")?.call1((source, reason)),
        Answer::Reject {
            result,
            source,
            reason,
        } => class(py, "RejectAnswer")?.call1((result, source, reason)),
        Answer::Status(status) => class(py, "StatusAnswer")?.call1((status,)),
    }
}

/// The errno of an io error kind, as Python's `errno` module names it, or
/// None when the kind has no errno equivalent.
pub fn errno(py: Python<'_>, kind: io::ErrorKind) -> Option<Py<PyAny>> {
    let name = errno_name(kind)?;
    let module = py.import("errno").ok()?;
    module.getattr(name).ok().map(Bound::unbind)
}

fn errno_name(kind: io::ErrorKind) -> Option<&'static str> {
    use io::ErrorKind as K;
    Some(match kind {
        K::NotFound => "ENOENT",
        K::PermissionDenied => "EACCES",
        K::BrokenPipe => "EPIPE",
        K::Interrupted => "EINTR",
        K::InvalidInput => "EINVAL",
        K::WouldBlock => "EAGAIN",
        K::TimedOut => "ETIMEDOUT",
        K::OutOfMemory => "ENOMEM",
        K::StorageFull => "ENOSPC",
        K::QuotaExceeded => "EDQUOT",
        K::FileTooLarge => "EFBIG",
        K::ReadOnlyFilesystem => "EROFS",
        K::IsADirectory => "EISDIR",
        K::NotSeekable => "ESPIPE",
        K::Unsupported => "EOPNOTSUPP",
        K::WriteZero | K::UnexpectedEof | K::Other => "EIO",
        _ => return None,
    })
}

/// The `DataSetWriteError` (an OSError with the errno of `kind`) a message
/// carries when its data set could not be written: a value, not raised.
pub fn data_set_write_error(py: Python<'_>, kind: io::ErrorKind) -> PyResult<Py<PyAny>> {
    let message = format!("writing the data set failed: {}", io::Error::from(kind));
    Ok(class(py, "DataSetWriteError")?
        .call1((errno(py, kind), message))?
        .unbind())
}

/// The `DataSetTooLargeError` a message carries when its data set, received
/// in memory, passed `limit` bytes (`length` were received): a value, not raised.
pub fn data_set_too_large_error(py: Python<'_>, limit: u64, length: u64) -> PyResult<Py<PyAny>> {
    let message = format!(
        "the data set of {length} bytes is larger than the limit of {limit} bytes in memory"
    );
    Ok(class(py, "DataSetTooLargeError")?
        .call1((message, limit, length))?
        .unbind())
}

/// Instantiates `fastdimse.errors.<name>` with the arguments `make` builds;
/// a failure to do so is raised in its place.
fn raise<'py, A, F>(py: Python<'py>, name: &str, make: F) -> PyErr
where
    A: pyo3::call::PyCallArgs<'py>,
    F: FnOnce(Python<'py>) -> PyResult<A>,
{
    let built = class(py, name).and_then(|cls| cls.call1(make(py)?));
    match built {
        Ok(exception) => PyErr::from_value(exception),
        Err(failure) => failure,
    }
}

fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    errors_module(py)?.getattr(name)
}

/// `fastdimse.errors`, imported once.
fn errors_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    MODULE
        .get_or_try_init(py, || Ok(py.import("fastdimse.errors")?.unbind()))
        .map(|module| module.bind(py))
}
