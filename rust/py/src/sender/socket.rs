//! Writing to a connected stream socket that Python owns, on the core's own
//! duplicate of its descriptor, with the GIL released: sendmsg, retried
//! until all is sent. A non-blocking socket (Python's
//! `settimeout` makes it one) is waited for with poll, at most `timeout` for
//! each wait; a signal interrupting a call runs Python's handlers, as
//! Python's own socket calls do (PEP 475).

use std::fs::File;
use std::io::{self, IoSlice};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use fastdimse_proto::EncodeError;
use pyo3::exceptions::PyTimeoutError;
use pyo3::prelude::*;

use crate::errors;

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
            let batch = bufs.len().min(MAX_IOVECS);
            // SAFETY: msghdr is a plain C struct for which all zeroes is a
            // valid value (no name, no control data, no flags).
            let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
            // IoSlice is guaranteed ABI-compatible with iovec on Unix, so the
            // first `batch` slices are `batch` valid iovecs; sendmsg only reads
            // them and the buffers they point to, all live for the call.
            msg.msg_iov = bufs.as_mut_ptr().cast();
            msg.msg_iovlen = batch as _;
            // SAFETY: `msg` points only at the live iovecs above (see there);
            // the descriptor is our own duplicate, open while `self` lives.
            let ret = unsafe { libc::sendmsg(self.file.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) };
            if let Some(n) = self.outcome(ret)? {
                IoSlice::advance_slices(&mut bufs, n);
            }
        }
        Ok(())
    }

    /// The count a send call returned, or None after waiting when it should
    /// be retried (the socket was full, or a signal came).
    fn outcome(&mut self, ret: isize) -> Result<Option<usize>, SendError> {
        if let Ok(n) = usize::try_from(ret) {
            self.sent = self.sent.saturating_add(n as u64);
            return Ok(Some(n));
        }
        let err = io::Error::last_os_error();
        match err.kind() {
            io::ErrorKind::WouldBlock => self.wait_writable()?,
            io::ErrorKind::Interrupted => check_signals()?,
            _ => return Err(SendError::Io(err)),
        }
        Ok(None)
    }

    /// Waits until the socket takes more bytes (or has an error, which the
    /// next send reports), at most `timeout`.
    fn wait_writable(&self) -> Result<(), SendError> {
        let deadline = self.timeout.map(|t| Instant::now() + t);
        loop {
            let wait_ms = match deadline {
                None => -1,
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    // Rounded up, so that a wait never ends just before the deadline.
                    let ms = left.as_micros().div_ceil(1000);
                    libc::c_int::try_from(ms).unwrap_or(libc::c_int::MAX)
                }
            };
            let mut pollfd = libc::pollfd {
                fd: self.file.as_raw_fd(),
                events: libc::POLLOUT,
                revents: 0,
            };
            // SAFETY: `pollfd` is one live, initialised pollfd, and we pass a
            // count of 1; poll writes only its `revents`.
            let ret = unsafe { libc::poll(&mut pollfd, 1, wait_ms) };
            match ret {
                0 => return Err(SendError::TimedOut),
                1.. => return Ok(()),
                _ => {
                    let err = io::Error::last_os_error();
                    if err.kind() != io::ErrorKind::Interrupted {
                        return Err(SendError::Io(err));
                    }
                    check_signals()?;
                }
            }
        }
    }
}

/// Runs Python's signal handlers after a call was interrupted (called with
/// the GIL released; takes it for the check only).
fn check_signals() -> Result<(), SendError> {
    Python::attach(|py| py.check_signals()).map_err(SendError::Signal)
}
