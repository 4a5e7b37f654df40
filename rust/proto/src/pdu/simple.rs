//! PDU dispatch (header, length, type) and the fixed-size PDUs:
//! A-ASSOCIATE-RJ, A-RELEASE-RQ/RP and A-ABORT (PS3.8 9.3.4, 9.3.6-9.3.8).

use super::{associate, pdata, pdu_type, Abort, AssociateRj, Pdu};
use crate::codec::{begin_u32_len, end_u32_len, Reader};
use crate::error::{DecodeError, EncodeError, ErrorKind};
use crate::limits::{DecodeOptions, FIXED_PDU_BODY_LEN, PDU_HEADER_LEN};

const LENGTH_FIELD: &str = "PDU-length";
/// Offset of the PDU-length field in the header.
const LENGTH_OFFSET: u64 = 2;

pub(super) fn decode(bytes: &[u8], options: &DecodeOptions) -> Result<Pdu, DecodeError> {
    let mut r = Reader::new(bytes);
    let pdu_type = r.u8("PDU-type")?;
    r.u8("Reserved")?;
    let length = r.u32_be(LENGTH_FIELD)?;
    check_known_type(pdu_type)?;
    let available = r.remaining();
    // A length beyond usize cannot fit the buffer either.
    let claimed = usize::try_from(length).unwrap_or(usize::MAX);
    if claimed > available {
        return Err(DecodeError::new(
            ErrorKind::LengthOverflow {
                claimed: u64::from(length),
                available: available as u64,
            },
            LENGTH_FIELD,
            LENGTH_OFFSET,
        ));
    }
    let body = r.bytes(claimed, LENGTH_FIELD)?;
    r.finish("PDU")?;
    decode_body(pdu_type, body, options)
}

pub(super) fn decode_body(
    pdu_type: u8,
    body: &[u8],
    options: &DecodeOptions,
) -> Result<Pdu, DecodeError> {
    check_known_type(pdu_type)?;
    let r = Reader::with_base(body, PDU_HEADER_LEN as u64);
    match pdu_type {
        pdu_type::ASSOCIATE_RQ => {
            check_min_len(body, associate::FIXED_PART_LEN)?;
            Ok(Pdu::AssociateRq(associate::decode_rq(r, options)?))
        }
        pdu_type::ASSOCIATE_AC => {
            check_min_len(body, associate::FIXED_PART_LEN)?;
            Ok(Pdu::AssociateAc(associate::decode_ac(r, options)?))
        }
        pdu_type::ASSOCIATE_RJ => {
            decode_fixed(r, "A-ASSOCIATE-RJ", |[_, result, source, reason]| {
                Pdu::AssociateRj(AssociateRj {
                    result,
                    source,
                    reason,
                })
            })
        }
        pdu_type::P_DATA_TF => Ok(Pdu::PDataTf(pdata::decode(r)?)),
        pdu_type::RELEASE_RQ => decode_fixed(r, "A-RELEASE-RQ", |_| Pdu::ReleaseRq),
        pdu_type::RELEASE_RP => decode_fixed(r, "A-RELEASE-RP", |_| Pdu::ReleaseRp),
        _ => decode_fixed(r, "A-ABORT", |[_, _, source, reason]| {
            Pdu::Abort(Abort { source, reason })
        }),
    }
}

pub(super) fn encode(pdu: &Pdu, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    match pdu {
        Pdu::AssociateRq(rq) => rq.encode(out),
        Pdu::AssociateAc(ac) => ac.encode(out),
        Pdu::PDataTf(p) => p.encode(out),
        Pdu::AssociateRj(rj) => encode_fixed(
            pdu_type::ASSOCIATE_RJ,
            [0, rj.result, rj.source, rj.reason],
            out,
        ),
        Pdu::ReleaseRq => encode_fixed(pdu_type::RELEASE_RQ, [0; 4], out),
        Pdu::ReleaseRp => encode_fixed(pdu_type::RELEASE_RP, [0; 4], out),
        Pdu::Abort(abort) => encode_fixed(pdu_type::ABORT, [0, 0, abort.source, abort.reason], out),
    }
}

/// Appends the 6-byte header, then the body `write_body` appends, then
/// patches the PDU-length.
pub(super) fn encode_with_header(
    pdu_type: u8,
    out: &mut Vec<u8>,
    write_body: impl FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    out.push(pdu_type);
    out.push(0);
    let at = begin_u32_len(out);
    write_body(out)?;
    end_u32_len(out, at, LENGTH_FIELD)
}

fn encode_fixed(pdu_type: u8, body: [u8; 4], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    encode_with_header(pdu_type, out, |out| {
        out.extend_from_slice(&body);
        Ok(())
    })
}

fn check_known_type(pdu_type: u8) -> Result<(), DecodeError> {
    if (pdu_type::ASSOCIATE_RQ..=pdu_type::ABORT).contains(&pdu_type) {
        Ok(())
    } else {
        Err(DecodeError::new(
            ErrorKind::UnknownPduType(pdu_type),
            "PDU-type",
            0,
        ))
    }
}

/// A body shorter than its fixed part is reported at the PDU-length field.
fn check_min_len(body: &[u8], minimum: usize) -> Result<(), DecodeError> {
    if body.len() < minimum {
        return Err(DecodeError::new(
            ErrorKind::LengthTooShort {
                claimed: body.len() as u64,
                minimum: minimum as u64,
            },
            LENGTH_FIELD,
            LENGTH_OFFSET,
        ));
    }
    Ok(())
}

/// The 4-byte bodies; reserved bytes are not checked (PS3.8 9.3.1).
fn decode_fixed(
    mut r: Reader<'_>,
    field: &'static str,
    build: impl FnOnce([u8; 4]) -> Pdu,
) -> Result<Pdu, DecodeError> {
    const LEN: usize = FIXED_PDU_BODY_LEN as usize;
    if r.remaining() < LEN {
        return Err(DecodeError::new(
            ErrorKind::LengthTooShort {
                claimed: r.remaining() as u64,
                minimum: u64::from(FIXED_PDU_BODY_LEN),
            },
            LENGTH_FIELD,
            LENGTH_OFFSET,
        ));
    }
    let body = r.array::<LEN>(field)?;
    r.finish(field)?;
    Ok(build(body))
}
