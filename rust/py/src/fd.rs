//! File descriptors Python owns: the core works on its own duplicate, so
//! Python's descriptor is never closed, and positioned I/O leaves its file
//! position alone.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::fd::{AsFd, BorrowedFd, RawFd};
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::io::Errno;

use crate::errors;

/// A `File` on a duplicate of `fd` (OSError if `fd` is not open).
pub fn dup(fd: RawFd) -> PyResult<File> {
    if fd < 0 {
        return Err(PyValueError::new_err("negative file descriptor"));
    }
    // SAFETY: `borrow_raw` requires `fd` to stay open while borrowed. It is
    // borrowed only for the `dup` call below, during which the caller (who
    // passed it to us and holds it open) cannot close it on this thread.
    // If `fd` is not open at all, `dup` fails with EBADF, which becomes an
    // OSError; nothing reads or writes through the borrowed descriptor.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    let owned = borrowed.try_clone_to_owned().map_err(errors::io_error)?;
    Ok(File::from(owned))
}

/// A timeout argument in seconds (ValueError if negative or not finite).
pub fn seconds(value: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| PyValueError::new_err(format!("invalid timeout: {value}")))
}

/// Waits until `socket` is ready for `flags` (or in error: the next call on
/// it says which): Ok(true), or Ok(false) once `deadline` has passed (None:
/// no limit). An interrupted wait is `Err(Errno::INTR)`, for the caller to
/// decide whether signals matter.
pub fn wait_for(
    socket: impl AsFd,
    flags: PollFlags,
    deadline: Option<Instant>,
) -> Result<bool, Errno> {
    let wait = match deadline {
        None => None,
        Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => Some(Timespec {
                tv_sec: i64::try_from(left.as_secs()).unwrap_or(i64::MAX),
                tv_nsec: i64::from(left.subsec_nanos()),
            }),
            _ => return Ok(false),
        },
    };
    let mut fds = [PollFd::new(&socket, flags)];
    poll(&mut fds, wait.as_ref()).map(|ready| ready > 0)
}

/// `length` bytes of a file from `offset`, read with pread: the file
/// position (shared with Python's descriptor) is not moved.
pub struct PositionedReader {
    file: File,
    offset: u64,
    remaining: u64,
}

impl PositionedReader {
    pub fn new(file: File, offset: u64, length: u64) -> Self {
        PositionedReader {
            file,
            offset,
            remaining: length,
        }
    }
}

impl Read for PositionedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let wanted = usize::try_from(self.remaining).map_or(buf.len(), |r| r.min(buf.len()));
        let Some(target) = buf.get_mut(..wanted) else {
            return Ok(0);
        };
        let read = self.file.read_at(target, self.offset)?;
        self.offset = self.offset.saturating_add(read as u64);
        self.remaining = self.remaining.saturating_sub(read as u64);
        Ok(read)
    }
}

/// A file read with pread from a position of its own: seeking moves only
/// that position, never the one Python's descriptor shares.
pub struct PositionedFile {
    file: File,
    pos: u64,
}

impl PositionedFile {
    pub fn new(file: File) -> Self {
        PositionedFile { file, pos: 0 }
    }
}

impl Read for PositionedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.file.read_at(buf, self.pos)?;
        self.pos = self.pos.saturating_add(read as u64);
        Ok(read)
    }
}

impl Seek for PositionedFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let (base, delta) = match to {
            SeekFrom::Start(pos) => (pos, 0),
            SeekFrom::End(delta) => (self.file.metadata()?.len(), delta),
            SeekFrom::Current(delta) => (self.pos, delta),
        };
        self.pos = base.checked_add_signed(delta).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek to a negative or overflowing position",
            )
        })?;
        Ok(self.pos)
    }
}
