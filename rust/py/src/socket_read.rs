//! Reading a TCP socket Python owns, for `Receiver.receive_from`: one
//! `recv` when bytes are waiting, `poll` until they come or a deadline
//! passes otherwise.
//!
//! The socket's flags are left alone: Python's `settimeout` makes the file
//! description non-blocking and its `sendall` relies on that, so the core
//! asks for a non-blocking read per call (`MSG_DONTWAIT`) instead of
//! changing the descriptor.

use std::io;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::io::Errno;
use rustix::net::{recv, RecvFlags};

/// One read's size: a 16 KiB PDU or a run of them arrives in one read, and
/// the buffer stays in cache. The TLS driver reads in the same size.
pub const READ_SIZE: usize = 256 * 1024;

/// What one read brought.
pub enum Read {
    /// This many bytes, at the start of the buffer.
    Bytes(usize),
    /// The peer closed the stream (or it was shut down under us).
    Closed,
    /// The deadline passed with nothing to read.
    TimedOut,
}

/// Reads what is waiting on `socket` into `buffer`, waiting until
/// `deadline` (None: for ever) for the first byte.
pub fn read(socket: impl AsFd, buffer: &mut [u8], deadline: Option<Instant>) -> io::Result<Read> {
    loop {
        match recv(&socket, &mut *buffer, RecvFlags::DONTWAIT) {
            Ok((0, _)) => return Ok(Read::Closed),
            Ok((n, _)) => return Ok(Read::Bytes(n)),
            Err(Errno::INTR) => continue,
            Err(Errno::AGAIN) => {}
            Err(error) => return Err(error.into()),
        }
        let wait = match deadline {
            None => None,
            Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Some(timespec(left)),
                _ => return Ok(Read::TimedOut),
            },
        };
        let mut fds = [PollFd::new(&socket, PollFlags::IN)];
        match poll(&mut fds, wait.as_ref()) {
            // Readable, hung up or in error: the next recv says which.
            Ok(_) | Err(Errno::INTR) => {}
            Err(error) => return Err(error.into()),
        }
    }
}

fn timespec(duration: Duration) -> Timespec {
    Timespec {
        tv_sec: i64::try_from(duration.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(duration.subsec_nanos()),
    }
}
