//! PDU dispatch and the fixed-size PDUs. (Skeleton: helper A implements.)

use super::Pdu;
use crate::error::{DecodeError, EncodeError};
use crate::limits::DecodeOptions;

pub(super) fn decode(bytes: &[u8], options: &DecodeOptions) -> Result<Pdu, DecodeError> {
    let _ = (bytes, options);
    todo!("pdu decode")
}

pub(super) fn decode_body(
    pdu_type: u8,
    body: &[u8],
    options: &DecodeOptions,
) -> Result<Pdu, DecodeError> {
    let _ = (pdu_type, body, options);
    todo!("pdu decode body")
}

pub(super) fn encode(pdu: &Pdu, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let _ = (pdu, out);
    todo!("pdu encode")
}
