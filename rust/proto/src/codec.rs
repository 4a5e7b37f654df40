//! A bounds-checked cursor over a byte slice, and the writing helpers.
//!
//! Every read checks the remaining length first, so a length field can never
//! make us read past the end or allocate what it merely claims: `sub(len)`
//! fails before anything is created, and `finish()` rejects trailing bytes.

use crate::error::{DecodeError, EncodeError, EncodeErrorReason, ErrorKind};

/// A cursor over a complete buffer (a PDU, an item, a command set).
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf[0]` from the start of the outermost buffer, for errors.
    base: u64,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader {
            buf,
            pos: 0,
            base: 0,
        }
    }

    /// A reader whose error offsets count from `base`.
    pub fn with_base(buf: &'a [u8], base: u64) -> Self {
        Reader { buf, pos: 0, base }
    }

    /// Offset of the next byte from the start of the outermost buffer.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(field)?[0])
    }

    pub fn u16_be(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    pub fn u32_be(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    pub fn u16_le(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array(field)?))
    }

    pub fn u32_le(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let bytes = self.bytes(N, field)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// The next `len` bytes, borrowed.
    pub fn bytes(&mut self, len: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        if len > self.remaining() {
            return Err(DecodeError::new(
                ErrorKind::LengthOverflow {
                    claimed: len as u64,
                    available: self.remaining() as u64,
                },
                field,
                self.offset(),
            ));
        }
        let start = self.pos;
        self.pos += len;
        Ok(&self.buf[start..self.pos])
    }

    /// A reader over the next `len` bytes (an item's body), checked first.
    pub fn sub(&mut self, len: usize, field: &'static str) -> Result<Reader<'a>, DecodeError> {
        let base = self.offset();
        let bytes = self.bytes(len, field)?;
        Ok(Reader::with_base(bytes, base))
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        let start = self.pos;
        self.pos = self.buf.len();
        &self.buf[start..]
    }

    /// Fails if bytes are left over: an item's body must be used exactly.
    pub fn finish(&self, field: &'static str) -> Result<(), DecodeError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::new(
                ErrorKind::TrailingBytes {
                    count: self.remaining() as u64,
                },
                field,
                self.offset(),
            ))
        }
    }
}

/// Appends a 16-bit big-endian length placeholder; returns where to patch it.
pub fn begin_u16_len(out: &mut Vec<u8>) -> usize {
    let at = out.len();
    out.extend_from_slice(&[0, 0]);
    at
}

/// Patches the placeholder at `at` with the number of bytes written since.
pub fn end_u16_len(out: &mut [u8], at: usize, field: &'static str) -> Result<(), EncodeError> {
    let len = out.len() - at - 2;
    let value = u16::try_from(len).map_err(|_| {
        EncodeError::new(
            field,
            EncodeErrorReason::TooLong {
                length: len as u64,
                limit: u64::from(u16::MAX),
            },
        )
    })?;
    out[at..at + 2].copy_from_slice(&value.to_be_bytes());
    Ok(())
}

/// Appends a 32-bit big-endian length placeholder; returns where to patch it.
pub fn begin_u32_len(out: &mut Vec<u8>) -> usize {
    let at = out.len();
    out.extend_from_slice(&[0, 0, 0, 0]);
    at
}

/// Patches the placeholder at `at` with the number of bytes written since.
pub fn end_u32_len(out: &mut [u8], at: usize, field: &'static str) -> Result<(), EncodeError> {
    let len = out.len() - at - 4;
    let value = u32::try_from(len).map_err(|_| {
        EncodeError::new(
            field,
            EncodeErrorReason::TooLong {
                length: len as u64,
                limit: u64::from(u32::MAX),
            },
        )
    })?;
    out[at..at + 4].copy_from_slice(&value.to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_fails_before_reading_past_the_end() {
        let mut r = Reader::with_base(&[1, 2, 3], 10);
        r.u8("a").unwrap();
        let err = r.sub(5, "item").unwrap_err();
        assert_eq!(
            err.kind,
            ErrorKind::LengthOverflow {
                claimed: 5,
                available: 2
            }
        );
        assert_eq!(err.offset, 11);
        assert_eq!(err.field, "item");
    }

    #[test]
    fn finish_rejects_trailing_bytes() {
        let mut r = Reader::new(&[0, 1, 2]);
        r.u16_be("x").unwrap();
        assert_eq!(
            r.finish("item").unwrap_err().kind,
            ErrorKind::TrailingBytes { count: 1 }
        );
    }

    #[test]
    fn lengths_are_patched_in_place() {
        let mut out = vec![0xAA];
        let at = begin_u16_len(&mut out);
        out.extend_from_slice(b"abc");
        end_u16_len(&mut out, at, "x").unwrap();
        assert_eq!(out, [0xAA, 0, 3, b'a', b'b', b'c']);
    }
}
