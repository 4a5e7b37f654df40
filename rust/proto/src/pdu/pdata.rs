//! P-DATA-TF (PS3.8 9.3.5) and its presentation data value items.

/// The message control header of a PDV (PS3.8 E.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageControlHeader(pub u8);

impl MessageControlHeader {
    /// Bit 0: the fragment is part of a command set (else a data set).
    pub const fn is_command(self) -> bool {
        self.0 & 0x01 != 0
    }
    /// Bit 1: the fragment is the last of its command set or data set.
    pub const fn is_last(self) -> bool {
        self.0 & 0x02 != 0
    }
    pub const fn new(is_command: bool, is_last: bool) -> Self {
        MessageControlHeader(is_command as u8 | (is_last as u8) << 1)
    }
}

/// One presentation data value item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdv {
    pub context_id: u8,
    pub control: MessageControlHeader,
    pub data: Vec<u8>,
}

/// A whole P-DATA-TF, for the per-PDU view and tests.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PDataTf {
    pub pdvs: Vec<Pdv>,
}

use crate::codec::{begin_u32_len, end_u32_len, Reader};
use crate::error::{DecodeError, EncodeError, ErrorKind};

/// The PDV item length counts the context ID and the control header too.
const PDV_MIN_LEN: u32 = 2;

/// Decodes a P-DATA-TF body: one or more PDV items (PS3.8 9.3.5).
pub(super) fn decode(mut r: Reader<'_>) -> Result<PDataTf, DecodeError> {
    let start = r.offset();
    let mut pdvs = Vec::new();
    while !r.is_empty() {
        pdvs.push(decode_pdv(&mut r)?);
    }
    if pdvs.is_empty() {
        return Err(DecodeError::new(
            ErrorKind::Missing,
            "P-DATA-TF/Presentation-data-value-item",
            start,
        ));
    }
    Ok(PDataTf { pdvs })
}

/// Appends a P-DATA-TF body.
pub(super) fn encode(pdata: &PDataTf, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    pdata.pdvs.iter().try_for_each(|pdv| pdv.encode(out))
}

impl Pdv {
    /// Appends this presentation data value item (for the binding's
    /// per-item `encode()`; P-DATA-TF encoding uses it too).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let at = begin_u32_len(out);
        out.push(self.context_id);
        out.push(self.control.0);
        out.extend_from_slice(&self.data);
        end_u32_len(out, at, "Presentation-data-value-item/Item-length")
    }
}

fn decode_pdv(r: &mut Reader<'_>) -> Result<Pdv, DecodeError> {
    const LEN_FIELD: &str = "Presentation-data-value-item/Item-length";
    let len_offset = r.offset();
    let len = r.u32_be(LEN_FIELD)?;
    if len < PDV_MIN_LEN {
        return Err(DecodeError::new(
            ErrorKind::LengthTooShort {
                claimed: u64::from(len),
                minimum: u64::from(PDV_MIN_LEN),
            },
            LEN_FIELD,
            len_offset,
        ));
    }
    // A length beyond usize cannot fit the buffer either: report it as such.
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    let mut body = r.sub(len, LEN_FIELD).map_err(|mut err| {
        err.offset = len_offset;
        err
    })?;
    let context_id = body.u8("Presentation-data-value-item/Presentation-context-ID")?;
    let control =
        MessageControlHeader(body.u8("Presentation-data-value-item/Message-control-header")?);
    Ok(Pdv {
        context_id,
        control,
        data: body.rest().to_vec(),
    })
}
