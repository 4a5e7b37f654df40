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
use std::time::Instant;

use rustix::event::PollFlags;
use rustix::io::Errno;
use rustix::net::{recv, RecvFlags};

use crate::fd;

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
        match fd::wait_for(&socket, PollFlags::IN, deadline) {
            // Readable, hung up or in error: the next recv says which.
            Ok(true) | Err(Errno::INTR) => {}
            Ok(false) => return Ok(Read::TimedOut),
            Err(error) => return Err(error.into()),
        }
    }
}
