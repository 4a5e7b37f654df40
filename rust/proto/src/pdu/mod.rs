//! The seven PDUs of PS3.8 9.3 and their items (PS3.8 Annex D, PS3.7 Annex D).
//!
//! `decode_pdu` takes one whole PDU (header included) and `Pdu::encode`
//! appends one. P-DATA-TF decodes here too (for the per-PDU view and for
//! tests), but the stream framer never holds a large P-DATA-TF whole: it
//! hands PDV bytes to the reassembler as they arrive.

mod associate;
mod item;
mod pdata;
mod simple;
mod user_info;

pub use pdata::{MessageControlHeader, PDataTf, Pdv};
pub use user_info::{
    AsyncOpsWindow, RoleSelection, SopClassCommonExtended, SopClassExtended, UserIdentityAc,
    UserIdentityRq, UserInformation, UserItem,
};

use crate::error::{DecodeError, EncodeError};
use crate::limits::{DecodeOptions, PDU_HEADER_LEN};

/// PDU type codes (PS3.8 Table 9-11 and its siblings).
pub mod pdu_type {
    pub const ASSOCIATE_RQ: u8 = 0x01;
    pub const ASSOCIATE_AC: u8 = 0x02;
    pub const ASSOCIATE_RJ: u8 = 0x03;
    pub const P_DATA_TF: u8 = 0x04;
    pub const RELEASE_RQ: u8 = 0x05;
    pub const RELEASE_RP: u8 = 0x06;
    pub const ABORT: u8 = 0x07;
}

/// Item type codes of PS3.8 Annex D and PS3.7 Annex D.
pub mod item_type {
    pub const APPLICATION_CONTEXT: u8 = 0x10;
    pub const PRESENTATION_CONTEXT_RQ: u8 = 0x20;
    pub const PRESENTATION_CONTEXT_AC: u8 = 0x21;
    pub const ABSTRACT_SYNTAX: u8 = 0x30;
    pub const TRANSFER_SYNTAX: u8 = 0x40;
    pub const USER_INFORMATION: u8 = 0x50;
    pub const MAXIMUM_LENGTH: u8 = 0x51;
    pub const IMPLEMENTATION_CLASS_UID: u8 = 0x52;
    pub const ASYNC_OPS_WINDOW: u8 = 0x53;
    pub const ROLE_SELECTION: u8 = 0x54;
    pub const IMPLEMENTATION_VERSION_NAME: u8 = 0x55;
    pub const SOP_CLASS_EXTENDED: u8 = 0x56;
    pub const SOP_CLASS_COMMON_EXTENDED: u8 = 0x57;
    pub const USER_IDENTITY_RQ: u8 = 0x58;
    pub const USER_IDENTITY_AC: u8 = 0x59;
}

/// The DICOM application context name (PS3.7 Annex A).
pub const DICOM_APPLICATION_CONTEXT: &str = "1.2.840.10008.3.1.1.1";

/// Any of the seven PDUs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pdu {
    AssociateRq(AssociateRq),
    AssociateAc(AssociateAc),
    AssociateRj(AssociateRj),
    PDataTf(PDataTf),
    ReleaseRq,
    ReleaseRp,
    Abort(Abort),
}

/// A-ASSOCIATE-RQ (PS3.8 9.3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociateRq {
    /// Bit 0 set means version 1; other bits are kept as received.
    pub protocol_version: u16,
    pub called_ae_title: String,
    pub calling_ae_title: String,
    pub application_context: String,
    pub presentation_contexts: Vec<PresentationContextRq>,
    pub user_information: UserInformation,
}

/// A-ASSOCIATE-AC (PS3.8 9.3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociateAc {
    pub protocol_version: u16,
    /// Reserved fields that PS3.8 asks to be sent with the RQ's values and
    /// not tested on receipt: kept as raw bytes, never validated.
    pub called_ae_title: [u8; 16],
    pub calling_ae_title: [u8; 16],
    pub application_context: String,
    pub presentation_contexts: Vec<PresentationContextAc>,
    pub user_information: UserInformation,
}

/// Presentation context item, RQ form (PS3.8 9.3.2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentationContextRq {
    /// Odd, 1 to 255.
    pub id: u8,
    pub abstract_syntax: String,
    /// At least one.
    pub transfer_syntaxes: Vec<String>,
}

/// Presentation context item, AC form (PS3.8 9.3.3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentationContextAc {
    pub id: u8,
    /// 0 acceptance, 1 user rejection, 2 no reason, 3 abstract syntax not
    /// supported, 4 transfer syntaxes not supported.
    pub result: u8,
    /// Significant only on acceptance; some peers omit it otherwise.
    pub transfer_syntax: Option<String>,
}

/// Presentation context results (PS3.8 Table 9-18).
pub mod context_result {
    pub const ACCEPTANCE: u8 = 0;
    pub const USER_REJECTION: u8 = 1;
    pub const NO_REASON: u8 = 2;
    pub const ABSTRACT_SYNTAX_NOT_SUPPORTED: u8 = 3;
    pub const TRANSFER_SYNTAXES_NOT_SUPPORTED: u8 = 4;
}

/// A-ASSOCIATE-RJ (PS3.8 9.3.4); see `error::reject` for the values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssociateRj {
    pub result: u8,
    pub source: u8,
    pub reason: u8,
}

/// A-ABORT (PS3.8 9.3.8); see `error` for the values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Abort {
    pub source: u8,
    pub reason: u8,
}

/// Decodes one whole PDU, header included. Trailing bytes after the PDU's
/// own length are an error; so is a length that does not match `bytes`.
pub fn decode_pdu(bytes: &[u8], options: &DecodeOptions) -> Result<Pdu, DecodeError> {
    simple::decode(bytes, options)
}

/// Decodes the body of a PDU whose header the caller has read (the framer).
/// `pdu_type` is the header's type byte; error offsets count from the PDU's
/// first byte.
pub fn decode_pdu_body(
    pdu_type: u8,
    body: &[u8],
    options: &DecodeOptions,
) -> Result<Pdu, DecodeError> {
    simple::decode_body(pdu_type, body, options)
}

/// Splits a byte stream at PDU boundaries read from the headers: the
/// complete PDUs (header included) and the incomplete rest. Nothing is
/// decoded; a test and per-PDU tooling helper, not the streaming framer.
pub fn split_pdus(stream: &[u8]) -> (Vec<&[u8]>, &[u8]) {
    let mut pdus = Vec::new();
    let mut rest = stream;
    while let Some(len) = complete_pdu_len(rest) {
        let (pdu, tail) = rest.split_at(len);
        pdus.push(pdu);
        rest = tail;
    }
    (pdus, rest)
}

/// The length of the PDU at the start of `bytes`, header included, if all
/// of it is there.
fn complete_pdu_len(bytes: &[u8]) -> Option<usize> {
    let header = bytes.get(..PDU_HEADER_LEN)?;
    let body_len = u32::from_be_bytes([header[2], header[3], header[4], header[5]]);
    let total = usize::try_from(body_len)
        .ok()?
        .checked_add(PDU_HEADER_LEN)?;
    (total <= bytes.len()).then_some(total)
}

impl AssociateRq {
    /// Appends this PDU, header included, without building a `Pdu`.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        simple::encode_with_header(pdu_type::ASSOCIATE_RQ, out, |out| {
            associate::encode_rq(self, out)
        })
    }
}

impl AssociateAc {
    /// Appends this PDU, header included, without building a `Pdu`.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        simple::encode_with_header(pdu_type::ASSOCIATE_AC, out, |out| {
            associate::encode_ac(self, out)
        })
    }
}

impl PDataTf {
    /// Appends this PDU, header included, without building a `Pdu`.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        simple::encode_with_header(pdu_type::P_DATA_TF, out, |out| pdata::encode(self, out))
    }
}

impl Pdu {
    /// Appends this PDU, header included, to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        simple::encode(self, out)
    }

    /// This PDU as a new buffer.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        self.encode(&mut out)?;
        Ok(out)
    }

    /// The PDU type code.
    pub fn pdu_type(&self) -> u8 {
        match self {
            Pdu::AssociateRq(_) => pdu_type::ASSOCIATE_RQ,
            Pdu::AssociateAc(_) => pdu_type::ASSOCIATE_AC,
            Pdu::AssociateRj(_) => pdu_type::ASSOCIATE_RJ,
            Pdu::PDataTf(_) => pdu_type::P_DATA_TF,
            Pdu::ReleaseRq => pdu_type::RELEASE_RQ,
            Pdu::ReleaseRp => pdu_type::RELEASE_RP,
            Pdu::Abort(_) => pdu_type::ABORT,
        }
    }
}
