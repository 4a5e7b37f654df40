//! Writing to a connected stream socket that Python owns, on the core's own
//! duplicate of its descriptor, with the GIL released: sendmsg, retried
//! until all is sent. A non-blocking socket (Python's
//! `settimeout` makes it one) is waited for with poll, at most `timeout` for
//! each wait; a signal interrupting a call runs Python's handlers, as
//! Python's own socket calls do (PEP 475).

use std::fs::File;
use std::io::{self, IoSlice};
use std::time::{Duration, Instant};

use fastdimse_proto::EncodeError;
use pyo3::exceptions::PyTimeoutError;
use pyo3::prelude::*;
use rustix::event::PollFlags;
use rustix::io::Errno;
use rustix::net::{sendmsg, SendAncillaryBuffer, SendFlags};

use crate::{errors, fd};

/// Why a send stopped. Bytes may have gone on the wire before it did.
pub enum SendError {
    /// A system call failed (OSError with its errno).
    Io(io::Error),
    /// The socket took no byte for `timeout` (TimeoutError).
    TimedOut,
    /// A signal handler raised (e.g. KeyboardInterrupt).
    Signal(PyErr),
    /// The data set could not be read or framed.
    Encode(EncodeError),
}

impl From<EncodeError> for SendError {
    fn from(err: EncodeError) -> Self {
        SendError::Encode(err)
    }
}

impl SendError {
    pub fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            SendError::Io(err) => errors::io_error(err),
            SendError::TimedOut => PyTimeoutError::new_err("timed out"),
            SendError::Signal(err) => err,
            SendError::Encode(err) => errors::encode_error(py, &err),
        }
    }
}

/// Most iovecs one sendmsg takes (IOV_MAX on Linux).
const MAX_IOVECS: usize = 1024;

/// A duplicate of a socket's descriptor and the longest wait for it.
pub struct Socket {
    file: File,
    /// None: wait as long as it takes.
    timeout: Option<Duration>,
    /// Bytes sent so far.
    sent: u64,
}

impl Socket {
    pub fn new(file: File, timeout: Option<Duration>) -> Self {
        Socket {
            file,
            timeout,
            sent: 0,
        }
    }

    /// Bytes sent so far.
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// Sends all of `bufs` in as few sendmsg calls as IOV_MAX allows.
    pub fn send_vectored(&mut self, mut bufs: &mut [IoSlice<'_>]) -> Result<(), SendError> {
        // Empty slices carry nothing; skip those at the front.
        IoSlice::advance_slices(&mut bufs, 0);
        while !bufs.is_empty() {
            let batch = bufs.get(..MAX_IOVECS).unwrap_or(bufs);
            let sent = sendmsg(
                &self.file,
                batch,
                &mut SendAncillaryBuffer::default(),
                SendFlags::NOSIGNAL,
            );
            if let Some(n) = self.outcome(sent)? {
                IoSlice::advance_slices(&mut bufs, n);
            }
        }
        Ok(())
    }

    /// The count a send call returned, or None after waiting when it should
    /// be retried (the socket was full, or a signal came).
    fn outcome(&mut self, sent: Result<usize, Errno>) -> Result<Option<usize>, SendError> {
        match sent {
            Ok(n) => {
                self.sent = self.sent.saturating_add(n as u64);
                Ok(Some(n))
            }
            Err(Errno::AGAIN) => self.wait_writable().map(|()| None),
            Err(Errno::INTR) => check_signals().map(|()| None),
            Err(err) => Err(SendError::Io(err.into())),
        }
    }

    /// Waits until the socket takes more bytes (or has an error, which the
    /// next send reports), at most `timeout`.
    fn wait_writable(&self) -> Result<(), SendError> {
        let deadline = self.timeout.map(|t| Instant::now() + t);
        loop {
            match fd::wait_for(&self.file, PollFlags::OUT, deadline) {
                Ok(true) => return Ok(()),
                Ok(false) => return Err(SendError::TimedOut),
                Err(Errno::INTR) => check_signals()?,
                Err(err) => return Err(SendError::Io(err.into())),
            }
        }
    }
}

/// Runs Python's signal handlers after a call was interrupted (called with
/// the GIL released; takes it for the check only).
fn check_signals() -> Result<(), SendError> {
    Python::attach(|py| py.check_signals()).map_err(SendError::Signal)
}
