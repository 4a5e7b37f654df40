//! Where the scanned bytes come from: a slice (read in place), a file (read
//! in bounded chunks, values sought over) or an inflater (a deflated data
//! set, inflated in bounded chunks as the walk needs them). Memory stays
//! flat whatever the size.

use std::io::{self, ErrorKind, Read, Seek, SeekFrom};

use flate2::{Decompress, FlushDecompress, Status};

use super::error::{DataSetError, DataSetErrorKind, ScanError};
use super::CHUNK;

/// Bytes with a position: `pos` is the offset of the next byte (in the
/// file or buffer, or in the inflated stream).
pub(crate) trait ByteSource {
    fn pos(&self) -> u64;
    /// The total, when known (not for an inflated stream).
    fn size(&self) -> Option<u64>;
    /// Up to `n` bytes without consuming them (fewer only at the end).
    fn peek(&mut self, n: usize) -> Result<&[u8], ScanError>;
    /// Exactly `n` bytes, else a `Truncated` error.
    fn read(&mut self, n: usize) -> Result<&[u8], ScanError>;
    /// Skips up to `n` bytes; how many (fewer only at the end).
    fn skip(&mut self, n: u64) -> Result<u64, ScanError>;
    fn at_end(&mut self) -> Result<bool, ScanError>;
}

fn truncated(wanted: usize, left: usize, at: u64) -> ScanError {
    let kind = DataSetErrorKind::Truncated {
        wanted: wanted as u64,
        left: left as u64,
    };
    DataSetError::new(kind, at).into()
}

/// A buffer read in place.
pub(crate) struct SliceSource<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> SliceSource<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        SliceSource { data, pos: 0 }
    }

    /// The bytes from `from` on (the compressed stream of a deflated data set).
    pub(crate) fn rest_from(&self, from: u64) -> &'a [u8] {
        let from = usize::try_from(from).unwrap_or(usize::MAX);
        self.data.get(from..).unwrap_or_default()
    }

    fn remaining(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }
}

impl ByteSource for SliceSource<'_> {
    fn pos(&self) -> u64 {
        self.pos as u64
    }

    fn size(&self) -> Option<u64> {
        Some(self.data.len() as u64)
    }

    fn peek(&mut self, n: usize) -> Result<&[u8], ScanError> {
        let rest = self.remaining();
        Ok(rest.get(..n).unwrap_or(rest))
    }

    fn read(&mut self, n: usize) -> Result<&[u8], ScanError> {
        let rest = self.remaining();
        match rest.get(..n) {
            Some(bytes) => {
                self.pos += n;
                Ok(bytes)
            }
            None => Err(truncated(n, rest.len(), self.pos as u64)),
        }
    }

    fn skip(&mut self, n: u64) -> Result<u64, ScanError> {
        let left = self.remaining().len();
        let skipped = usize::try_from(n).map_or(left, |n| n.min(left));
        self.pos += skipped;
        Ok(skipped as u64)
    }

    fn at_end(&mut self) -> Result<bool, ScanError> {
        Ok(self.pos >= self.data.len())
    }
}

/// What a `BufferedSource` reads from.
pub(crate) trait Fill {
    /// Writes up to `out.len()` new bytes into `out`; how many (0 at the end).
    fn fill(&mut self, out: &mut [u8]) -> Result<usize, FillError>;
    /// Passes over up to `n` bytes; how many. `scratch` may be overwritten.
    fn discard(&mut self, n: u64, scratch: &mut [u8]) -> Result<u64, FillError>;
}

/// A failed fill: an I/O error, or a deflate stream that does not inflate
/// (whose offset the source knows, not the fill).
pub(crate) enum FillError {
    Io(io::Error),
    Inflate(String),
}

impl From<io::Error> for FillError {
    fn from(err: io::Error) -> Self {
        FillError::Io(err)
    }
}

/// The first read: most data sets' elements before the pixel data fit in
/// it, and a smaller copy from the page cache is most of a small scan's cost.
const FIRST_READ: usize = CHUNK / 4;

/// Bytes from a `Fill`, buffered: `buffer[start..end]` is unread. The
/// buffer is zeroed once; it grows to `CHUNK` after the first read, and
/// beyond only for a value that needs it (at most `MAX_META_VALUE`).
pub(crate) struct BufferedSource<F> {
    fill: F,
    buffer: Vec<u8>,
    start: usize,
    end: usize,
    pos: u64,
    size: Option<u64>,
}

impl<F: Fill> BufferedSource<F> {
    pub(crate) fn new(fill: F, pos: u64, size: Option<u64>) -> Self {
        BufferedSource {
            fill,
            buffer: Vec::new(),
            start: 0,
            end: 0,
            pos,
            size,
        }
    }

    pub(crate) fn into_fill(self) -> F {
        self.fill
    }

    pub(crate) fn fill_ref(&self) -> &F {
        &self.fill
    }

    fn failed(&self, err: FillError) -> ScanError {
        match err {
            FillError::Io(err) => ScanError::Io(err),
            FillError::Inflate(reason) => {
                DataSetError::new(DataSetErrorKind::Inflate(reason), self.pos).into()
            }
        }
    }

    /// Buffers up to `n` unread bytes; how many are buffered (fewer than
    /// `n` only at the end).
    fn ensure(&mut self, n: usize) -> Result<usize, ScanError> {
        let have = self.end - self.start;
        if have >= n {
            return Ok(n);
        }
        self.buffer.copy_within(self.start..self.end, 0);
        self.start = 0;
        self.end = have;
        let size = if self.buffer.is_empty() {
            FIRST_READ
        } else {
            CHUNK
        };
        if self.buffer.len() < size.max(n) {
            self.buffer.resize(size.max(n), 0);
        }
        while self.end < n {
            let free = self.buffer.get_mut(self.end..).unwrap_or_default();
            let room = free.len();
            match self.fill.fill(free) {
                Ok(0) => break,
                // A reader claiming more than it was given is not believed.
                Ok(read) => self.end += read.min(room),
                Err(err) => return Err(self.failed(err)),
            }
        }
        Ok(self.end.min(n))
    }
}

impl<F: Fill> ByteSource for BufferedSource<F> {
    fn pos(&self) -> u64 {
        self.pos
    }

    fn size(&self) -> Option<u64> {
        self.size
    }

    fn peek(&mut self, n: usize) -> Result<&[u8], ScanError> {
        let have = self.ensure(n)?;
        Ok(self
            .buffer
            .get(self.start..self.start + have)
            .unwrap_or_default())
    }

    fn read(&mut self, n: usize) -> Result<&[u8], ScanError> {
        let have = self.ensure(n)?;
        if have < n {
            return Err(truncated(n, have, self.pos));
        }
        let start = self.start;
        self.start += n;
        self.pos += n as u64;
        Ok(self.buffer.get(start..self.start).unwrap_or_default())
    }

    fn skip(&mut self, n: u64) -> Result<u64, ScanError> {
        let have = self.end - self.start;
        if let Ok(small) = usize::try_from(n) {
            if small <= have {
                self.start += small;
                self.pos += n;
                return Ok(n);
            }
        }
        self.start = 0;
        self.end = 0;
        if self.buffer.is_empty() {
            self.buffer.resize(FIRST_READ, 0); // scratch for an inflater's discard
        }
        let rest = n - have as u64;
        let discarded = match self.fill.discard(rest, &mut self.buffer) {
            Ok(discarded) => discarded,
            Err(err) => return Err(self.failed(err)),
        };
        let skipped = have as u64 + discarded;
        self.pos += skipped;
        Ok(skipped)
    }

    fn at_end(&mut self) -> Result<bool, ScanError> {
        Ok(self.ensure(1)? == 0)
    }
}

/// A file (or any reader with seek) up to a known size: values are
/// sought over, not read.
pub(crate) struct FileFill<R> {
    reader: R,
    raw_pos: u64,
    size: u64,
}

impl<R: Read + Seek> FileFill<R> {
    /// `reader` is positioned at `pos`.
    pub(crate) fn new(reader: R, pos: u64, size: u64) -> Self {
        FileFill {
            reader,
            raw_pos: pos,
            size,
        }
    }

    pub(crate) fn into_reader(self) -> R {
        self.reader
    }

    fn left(&self) -> u64 {
        self.size.saturating_sub(self.raw_pos)
    }
}

impl<R: Read + Seek> Fill for FileFill<R> {
    fn fill(&mut self, out: &mut [u8]) -> Result<usize, FillError> {
        let want = usize::try_from(self.left()).map_or(out.len(), |left| left.min(out.len()));
        let Some(out) = out.get_mut(..want).filter(|out| !out.is_empty()) else {
            return Ok(0);
        };
        loop {
            match self.reader.read(out) {
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                Err(err) => return Err(err.into()),
                Ok(read) => {
                    self.raw_pos += read as u64;
                    return Ok(read);
                }
            }
        }
    }

    fn discard(&mut self, n: u64, _scratch: &mut [u8]) -> Result<u64, FillError> {
        let n = n.min(self.left());
        self.raw_pos += n;
        self.reader.seek(SeekFrom::Start(self.raw_pos))?;
        Ok(n)
    }
}

/// A raw deflate stream (PS3.5 A.5), inflated as read: input in chunks of
/// `CHUNK`, output as much as the buffer given holds.
pub(crate) struct Inflater<R> {
    reader: R,
    input: Vec<u8>,
    /// The unconsumed part of `input`.
    start: usize,
    end: usize,
    inflater: Decompress,
    finished: bool,
}

impl<R: Read> Inflater<R> {
    pub(crate) fn new(reader: R) -> Self {
        Inflater {
            reader,
            input: Vec::new(),
            start: 0,
            end: 0,
            inflater: Decompress::new(false),
            finished: false,
        }
    }

    /// True once the stream's last block has been inflated.
    pub(crate) fn finished(&self) -> bool {
        self.finished
    }

    /// More input; false at its end.
    fn read_input(&mut self) -> Result<bool, FillError> {
        self.input.resize(CHUNK, 0);
        let read = loop {
            match self.reader.read(&mut self.input) {
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                other => break other?,
            }
        };
        self.start = 0;
        self.end = read;
        Ok(read > 0)
    }
}

impl<R: Read> Fill for Inflater<R> {
    fn fill(&mut self, out: &mut [u8]) -> Result<usize, FillError> {
        self.inflate_into(out)
    }

    fn discard(&mut self, n: u64, scratch: &mut [u8]) -> Result<u64, FillError> {
        let mut discarded = 0;
        while discarded < n {
            let room = scratch.len();
            let want = usize::try_from(n - discarded).map_or(room, |left| left.min(room));
            let got = self.inflate_into(scratch.get_mut(..want).unwrap_or_default())?;
            if got == 0 {
                break;
            }
            discarded += got as u64;
        }
        Ok(discarded)
    }
}

impl<R: Read> Inflater<R> {
    /// Inflates into `out`; how many bytes (0 at the end of the stream, or
    /// of the input when the stream is truncated).
    fn inflate_into(&mut self, out: &mut [u8]) -> Result<usize, FillError> {
        if out.is_empty() {
            return Ok(0);
        }
        while !self.finished {
            let input_ended = self.start == self.end && !self.read_input()?;
            let pending = self.input.get(self.start..self.end).unwrap_or_default();
            let (in_before, out_before) = (self.inflater.total_in(), self.inflater.total_out());
            let status = self
                .inflater
                .decompress(pending, out, FlushDecompress::None)
                .map_err(|err| FillError::Inflate(err.to_string()))?;
            // Both are bounded by the slices just passed in.
            let consumed = (self.inflater.total_in() - in_before) as usize;
            let produced = (self.inflater.total_out() - out_before) as usize;
            self.start += consumed;
            self.finished = status == Status::StreamEnd;
            if produced > 0 || input_ended {
                return Ok(produced);
            }
            if consumed == 0 && !self.finished {
                // Input left, room for output, and no progress: never by
                // the format, but a loop must not depend on that.
                return Err(FillError::Inflate("the inflater made no progress".into()));
            }
        }
        Ok(0)
    }
}
