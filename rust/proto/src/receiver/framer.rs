//! PDU boundaries and limits, judged from the 6-byte header alone, before
//! any of the body arrives or anything is allocated for it.

use super::ReceiverConfig;
use crate::error::{DecodeError, ErrorKind};
use crate::limits::{FIXED_PDU_BODY_LEN, PDV_HEADER_LEN};
use crate::pdu::pdu_type;

/// Most memory reserved up front for a non-P-DATA PDU body; beyond this
/// the buffer grows only as bytes arrive.
pub(super) const MAX_BODY_RESERVE: usize = 64 * 1024;

/// A PDU header: type (1), reserved (1), length (4, big endian).
#[derive(Debug, Clone, Copy)]
pub(super) struct Header {
    pub pdu_type: u8,
    pub length: u32,
}

impl Header {
    pub(super) fn parse(bytes: &[u8; 6]) -> Self {
        let [pdu_type, _reserved, a, b, c, d] = *bytes;
        Header {
            pdu_type,
            length: u32::from_be_bytes([a, b, c, d]),
        }
    }
}

/// Checks the header against the PDU type's rules and our limits.
/// `start` is the stream offset of the PDU's first byte.
pub(super) fn check_header(
    header: Header,
    config: &ReceiverConfig,
    start: u64,
) -> Result<(), DecodeError> {
    let length_offset = start + 2;
    let claimed = u64::from(header.length);
    match header.pdu_type {
        pdu_type::P_DATA_TF => {
            if !config.local_max_pdu.accepts(header.length) {
                return Err(DecodeError::new(
                    ErrorKind::LimitExceeded {
                        limit: u64::from(config.local_max_pdu.0),
                        claimed,
                    },
                    "P-DATA-TF/PDU-length",
                    length_offset,
                ));
            }
            // PS3.8 9.3.5: one or more PDV items, each at least 6 bytes.
            if header.length < PDV_HEADER_LEN as u32 {
                return Err(DecodeError::new(
                    ErrorKind::LengthTooShort {
                        claimed,
                        minimum: PDV_HEADER_LEN as u64,
                    },
                    "P-DATA-TF/PDU-length",
                    length_offset,
                ));
            }
        }
        pdu_type::ASSOCIATE_RQ | pdu_type::ASSOCIATE_AC => {
            if header.length > config.max_associate_pdu {
                return Err(DecodeError::new(
                    ErrorKind::LimitExceeded {
                        limit: u64::from(config.max_associate_pdu),
                        claimed,
                    },
                    associate_length_field(header.pdu_type),
                    length_offset,
                ));
            }
        }
        pdu_type::ASSOCIATE_RJ | pdu_type::RELEASE_RQ | pdu_type::RELEASE_RP | pdu_type::ABORT => {
            check_fixed_length(header, length_offset)?;
        }
        other => {
            return Err(DecodeError::new(
                ErrorKind::UnknownPduType(other),
                "PDU-type",
                start,
            ))
        }
    }
    Ok(())
}

/// A-ASSOCIATE-RJ, A-RELEASE-RQ/RP and A-ABORT bodies are 4 bytes (PS3.8
/// Tables 9-21, 9-24, 9-25, 9-26).
fn check_fixed_length(header: Header, length_offset: u64) -> Result<(), DecodeError> {
    let claimed = u64::from(header.length);
    let field = fixed_length_field(header.pdu_type);
    let minimum = u64::from(FIXED_PDU_BODY_LEN);
    if claimed < minimum {
        return Err(DecodeError::new(
            ErrorKind::LengthTooShort { claimed, minimum },
            field,
            length_offset,
        ));
    }
    if claimed > minimum {
        return Err(DecodeError::new(
            ErrorKind::LimitExceeded {
                limit: minimum,
                claimed,
            },
            field,
            length_offset,
        ));
    }
    Ok(())
}

fn associate_length_field(pdu_type: u8) -> &'static str {
    if pdu_type == pdu_type::ASSOCIATE_RQ {
        "A-ASSOCIATE-RQ/PDU-length"
    } else {
        "A-ASSOCIATE-AC/PDU-length"
    }
}

fn fixed_length_field(pdu_type: u8) -> &'static str {
    match pdu_type {
        pdu_type::ASSOCIATE_RJ => "A-ASSOCIATE-RJ/PDU-length",
        pdu_type::RELEASE_RQ => "A-RELEASE-RQ/PDU-length",
        pdu_type::RELEASE_RP => "A-RELEASE-RP/PDU-length",
        _ => "A-ABORT/PDU-length",
    }
}

/// How many bytes are still missing to complete the PDU in progress and the
/// PDUs begun in `unprocessed` (bytes received but not yet processed):
/// `partial_header` holds the bytes of a header begun, `body_left` the bytes
/// left of the body in progress. Only headers are read, so it is cheap.
pub(super) fn missing_bytes(partial_header: &[u8], body_left: u64, unprocessed: &[u8]) -> u64 {
    let mut header = [0u8; 6];
    let mut header_len = partial_header.len().min(6);
    if let (Some(dst), Some(src)) = (
        header.get_mut(..header_len),
        partial_header.get(..header_len),
    ) {
        dst.copy_from_slice(src);
    }
    let mut body_left = body_left;
    let mut rest = unprocessed;
    loop {
        let skip = usize::try_from(body_left)
            .unwrap_or(usize::MAX)
            .min(rest.len());
        body_left -= skip as u64;
        rest = rest.get(skip..).unwrap_or_default();
        if body_left > 0 {
            return body_left;
        }
        let take = (6 - header_len).min(rest.len());
        if let (Some(dst), Some(src)) = (
            header.get_mut(header_len..header_len + take),
            rest.get(..take),
        ) {
            dst.copy_from_slice(src);
        }
        header_len += take;
        rest = rest.get(take..).unwrap_or_default();
        if header_len < 6 {
            return if header_len == 0 {
                0
            } else {
                (6 - header_len) as u64
            };
        }
        body_left = u64::from(Header::parse(&header).length);
        header_len = 0;
    }
}
