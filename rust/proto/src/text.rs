//! AE titles and UIDs: lenient on what real peers send, strict on the rest.
//!
//! Modalities pad with NULs or spaces; both are stripped on decode. Anything
//! outside printable ASCII is rejected, since no peer could mean it.

use crate::codec::Reader;
use crate::error::{DecodeError, EncodeError, EncodeErrorReason, ErrorKind};
use crate::limits::{DecodeOptions, AE_TITLE_LEN, MAX_UID_LEN};

/// Decodes an AE title, stripping space and NUL padding on both sides.
/// An all-padding title decodes as "" (policy may refuse it).
pub fn decode_ae_title(
    raw: &[u8],
    field: &'static str,
    offset: u64,
) -> Result<String, DecodeError> {
    decode_text(raw, AE_TITLE_LEN, is_ae_char, field, offset)
}

/// Encodes an AE title as 16 bytes, space padded.
pub fn encode_ae_title(
    title: &str,
    field: &'static str,
) -> Result<[u8; AE_TITLE_LEN], EncodeError> {
    check_text_for_encoding(title, AE_TITLE_LEN, is_ae_char, field)?;
    let bytes = title.as_bytes();
    let mut out = [b' '; AE_TITLE_LEN];
    out[..bytes.len()].copy_from_slice(bytes);
    Ok(out)
}

/// Decodes a UID, stripping trailing NUL and space padding (and leading
/// spaces). Only its length is checked unless conformance is enforced.
pub fn decode_uid(
    raw: &[u8],
    field: &'static str,
    offset: u64,
    options: &DecodeOptions,
) -> Result<String, DecodeError> {
    let uid = decode_text(raw, MAX_UID_LEN, is_printable, field, offset)?;
    if options.enforce_uid_conformance && !is_conformant_uid(uid.as_bytes()) {
        return Err(DecodeError::new(ErrorKind::NonConformantUid, field, offset));
    }
    Ok(uid)
}

/// Decodes free text of the default repertoire (an implementation version
/// name): padding stripped, printable ASCII required, any length.
pub fn decode_printable(
    raw: &[u8],
    field: &'static str,
    offset: u64,
) -> Result<String, DecodeError> {
    decode_text(raw, usize::MAX, is_printable, field, offset)
}

/// The encoding side of `decode_printable`: printable ASCII, any length.
pub fn check_printable_for_encoding(text: &str, field: &'static str) -> Result<(), EncodeError> {
    check_text_for_encoding(text, usize::MAX, is_printable, field)
}

/// Reads `len` bytes from `r` and decodes them as a UID.
pub fn read_uid(
    r: &mut Reader<'_>,
    len: usize,
    field: &'static str,
    options: &DecodeOptions,
) -> Result<String, DecodeError> {
    let offset = r.offset();
    let raw = r.bytes(len, field)?;
    decode_uid(raw, field, offset, options)
}

/// Checks a UID for encoding: at most 64 characters of printable ASCII.
pub fn check_uid_for_encoding(uid: &str, field: &'static str) -> Result<(), EncodeError> {
    check_text_for_encoding(uid, MAX_UID_LEN, is_printable, field)
}

/// PS3.5 9.1: digits and dots, no empty component, no leading zero in a
/// component of more than one digit, 1 to 64 characters.
pub fn is_conformant_uid(uid: &[u8]) -> bool {
    !uid.is_empty()
        && uid.len() <= MAX_UID_LEN
        && uid.split(|&b| b == b'.').all(|component| {
            !component.is_empty()
                && component.iter().all(u8::is_ascii_digit)
                && !(component.len() > 1 && component[0] == b'0')
        })
}

/// Strips padding, then checks the length limit and the repertoire.
fn decode_text(
    raw: &[u8],
    limit: usize,
    allowed: fn(u8) -> bool,
    field: &'static str,
    offset: u64,
) -> Result<String, DecodeError> {
    let trimmed = trim_padding(raw);
    if trimmed.len() > limit {
        return Err(DecodeError::new(
            ErrorKind::LimitExceeded {
                limit: limit as u64,
                claimed: trimmed.len() as u64,
            },
            field,
            offset,
        ));
    }
    if !trimmed.iter().all(|&b| allowed(b)) {
        return Err(DecodeError::new(ErrorKind::InvalidText, field, offset));
    }
    Ok(ascii_string(trimmed))
}

/// The encoding side of `decode_text`: the same limit and repertoire.
fn check_text_for_encoding(
    text: &str,
    limit: usize,
    allowed: fn(u8) -> bool,
    field: &'static str,
) -> Result<(), EncodeError> {
    if text.len() > limit {
        return Err(EncodeError::new(
            field,
            EncodeErrorReason::TooLong {
                length: text.len() as u64,
                limit: limit as u64,
            },
        ));
    }
    if !text.bytes().all(allowed) {
        return Err(EncodeError::new(field, EncodeErrorReason::InvalidText));
    }
    Ok(())
}

/// Printable ASCII: the default repertoire without control characters.
fn is_printable(b: u8) -> bool {
    (0x20..0x7F).contains(&b)
}

/// AE titles also exclude the backslash (PS3.5 6.2, VR AE).
fn is_ae_char(b: u8) -> bool {
    is_printable(b) && b != b'\\'
}

fn trim_padding(raw: &[u8]) -> &[u8] {
    let is_pad = |b: &u8| *b == 0 || *b == b' ';
    let start = raw.iter().position(|b| !is_pad(b)).unwrap_or(raw.len());
    let end = raw
        .iter()
        .rposition(|b| !is_pad(b))
        .map_or(start, |i| i + 1);
    &raw[start..end]
}

/// Bytes already checked to be ASCII.
fn ascii_string(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ae_titles_lose_nul_and_space_padding() {
        assert_eq!(
            decode_ae_title(b"  STORESCP\0\0\0  ", "f", 0).unwrap(),
            "STORESCP"
        );
        assert_eq!(decode_ae_title(&[0u8; 16], "f", 0).unwrap(), "");
    }

    #[test]
    fn ae_titles_reject_non_ascii_and_backslash() {
        let err = decode_ae_title("ÉCHO".as_bytes(), "f", 3).unwrap_err();
        assert_eq!((err.kind, err.offset), (ErrorKind::InvalidText, 3));
        assert!(decode_ae_title(b"A\\B", "f", 0).is_err());
    }

    #[test]
    fn ae_titles_encode_space_padded() {
        assert_eq!(
            &encode_ae_title("ANY-SCP", "f").unwrap(),
            b"ANY-SCP         "
        );
        assert!(encode_ae_title("SEVENTEEN_CHARS_X", "f").is_err());
    }

    #[test]
    fn uids_are_length_checked_and_conformance_is_optional() {
        let lenient = DecodeOptions::default();
        let strict = DecodeOptions {
            enforce_uid_conformance: true,
        };
        assert_eq!(
            decode_uid(b"1.2.840.10008.1.1\0", "f", 0, &lenient).unwrap(),
            "1.2.840.10008.1.1"
        );
        assert!(decode_uid(b"1.02.3", "f", 0, &lenient).is_ok());
        assert_eq!(
            decode_uid(b"1.02.3", "f", 0, &strict).unwrap_err().kind,
            ErrorKind::NonConformantUid
        );
        let long = [b'1'; 65];
        assert!(matches!(
            decode_uid(&long, "f", 0, &lenient).unwrap_err().kind,
            ErrorKind::LimitExceeded { .. }
        ));
    }

    #[test]
    fn conformant_uids() {
        assert!(is_conformant_uid(b"1.2.840.10008.1.2.1"));
        assert!(is_conformant_uid(b"0.0"));
        assert!(!is_conformant_uid(b""));
        assert!(!is_conformant_uid(b"1..2"));
        assert!(!is_conformant_uid(b"1.2."));
        assert!(!is_conformant_uid(b"1.a"));
    }
}
