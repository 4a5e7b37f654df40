//! A-ASSOCIATE-RQ and A-ASSOCIATE-AC (PS3.8 9.3.2, 9.3.3) and their
//! application context and presentation context items.

use super::item::{read_item, write_item, Item};
use super::item_type::*;
use super::user_info::{decode_user_information, encode_user_information};
use super::{
    AssociateAc, AssociateRq, PresentationContextAc, PresentationContextRq, UserInformation,
};
use crate::codec::Reader;
use crate::error::{reject, Answer, DecodeError, EncodeError, EncodeErrorReason, ErrorKind};
use crate::limits::{DecodeOptions, AE_TITLE_LEN};
use crate::text::{check_uid_for_encoding, decode_ae_title, encode_ae_title, read_uid};

/// Protocol version (2), reserved (2), called and calling AE titles (16
/// each), reserved (32): what precedes the variable items.
pub(super) const FIXED_PART_LEN: usize = 68;

/// Decodes an A-ASSOCIATE-RQ body (the reader's offsets count from the PDU).
pub(super) fn decode_rq(
    mut r: Reader<'_>,
    options: &DecodeOptions,
) -> Result<AssociateRq, DecodeError> {
    let protocol_version = r.u16_be("A-ASSOCIATE-RQ/Protocol-version")?;
    r.bytes(2, "A-ASSOCIATE-RQ/Reserved")?;
    let called_ae_title = read_rq_ae_title(
        &mut r,
        "A-ASSOCIATE-RQ/Called-AE-title",
        reject::USER_CALLED_AE_NOT_RECOGNIZED,
    )?;
    let calling_ae_title = read_rq_ae_title(
        &mut r,
        "A-ASSOCIATE-RQ/Calling-AE-title",
        reject::USER_CALLING_AE_NOT_RECOGNIZED,
    )?;
    r.bytes(32, "A-ASSOCIATE-RQ/Reserved")?;

    let mut seen_ids = [false; 256];
    let items = decode_variable_items(&mut r, options, PRESENTATION_CONTEXT_RQ, |item| {
        // The ID follows the 4-byte item header.
        let id_offset = item.offset + 4;
        let context = decode_context_rq(item, options)?;
        let seen = &mut seen_ids[usize::from(context.id)];
        if std::mem::replace(seen, true) {
            return Err(DecodeError::new(
                ErrorKind::Duplicate,
                "Presentation-context-item(RQ)/Presentation-context-ID",
                id_offset,
            ));
        }
        Ok(context)
    })?;
    Ok(AssociateRq {
        protocol_version,
        called_ae_title,
        calling_ae_title,
        application_context: items.application_context,
        presentation_contexts: items.presentation_contexts,
        user_information: items.user_information,
    })
}

/// Decodes an A-ASSOCIATE-AC body. The AE title fields are kept raw.
pub(super) fn decode_ac(
    mut r: Reader<'_>,
    options: &DecodeOptions,
) -> Result<AssociateAc, DecodeError> {
    let protocol_version = r.u16_be("A-ASSOCIATE-AC/Protocol-version")?;
    r.bytes(2, "A-ASSOCIATE-AC/Reserved")?;
    let called_ae_title = r.array::<AE_TITLE_LEN>("A-ASSOCIATE-AC/Reserved(Called-AE-title)")?;
    let calling_ae_title = r.array::<AE_TITLE_LEN>("A-ASSOCIATE-AC/Reserved(Calling-AE-title)")?;
    r.bytes(32, "A-ASSOCIATE-AC/Reserved")?;
    let items = decode_variable_items(&mut r, options, PRESENTATION_CONTEXT_AC, |item| {
        decode_context_ac(item, options)
    })?;
    Ok(AssociateAc {
        protocol_version,
        called_ae_title,
        calling_ae_title,
        application_context: items.application_context,
        presentation_contexts: items.presentation_contexts,
        user_information: items.user_information,
    })
}

/// Appends an A-ASSOCIATE-RQ body.
pub(super) fn encode_rq(rq: &AssociateRq, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let called = encode_ae_title(&rq.called_ae_title, "A-ASSOCIATE-RQ/Called-AE-title")?;
    let calling = encode_ae_title(&rq.calling_ae_title, "A-ASSOCIATE-RQ/Calling-AE-title")?;
    encode_fixed_part(rq.protocol_version, &called, &calling, out);
    encode_application_context(&rq.application_context, out)?;
    // The decoder refuses a repeated ID (it names two contexts at once), so
    // the encoder does too: what we send, we would accept.
    let mut seen_ids = [false; 256];
    for context in &rq.presentation_contexts {
        if std::mem::replace(&mut seen_ids[usize::from(context.id)], true) {
            return Err(EncodeError::new(
                "Presentation-context-item(RQ)/Presentation-context-ID",
                EncodeErrorReason::InvalidValue,
            ));
        }
        encode_context_rq(context, out)?;
    }
    encode_user_information(&rq.user_information, out)
}

/// Appends an A-ASSOCIATE-AC body.
pub(super) fn encode_ac(ac: &AssociateAc, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    encode_fixed_part(
        ac.protocol_version,
        &ac.called_ae_title,
        &ac.calling_ae_title,
        out,
    );
    encode_application_context(&ac.application_context, out)?;
    for context in &ac.presentation_contexts {
        encode_context_ac(context, out)?;
    }
    encode_user_information(&ac.user_information, out)
}

/// The items after the fixed part, sorted by kind.
struct VariableItems<P> {
    application_context: String,
    presentation_contexts: Vec<P>,
    user_information: UserInformation,
}

/// Reads items to the end of the PDU: one application context, any number
/// of presentation contexts of type `context_type`, one user information.
/// Order is not enforced; anything else is an unknown item.
fn decode_variable_items<P>(
    r: &mut Reader<'_>,
    options: &DecodeOptions,
    context_type: u8,
    mut decode_context: impl FnMut(Item<'_>) -> Result<P, DecodeError>,
) -> Result<VariableItems<P>, DecodeError> {
    let start = r.offset();
    let mut application_context = None;
    let mut presentation_contexts = Vec::new();
    let mut user_information = None;
    while !r.is_empty() {
        let item = read_item(r)?;
        match item.item_type {
            APPLICATION_CONTEXT => {
                let offset = item.offset;
                let name = decode_application_context(item, options)?;
                set_once(
                    &mut application_context,
                    name,
                    "Application-context-item",
                    offset,
                )?;
            }
            USER_INFORMATION => {
                let offset = item.offset;
                let info = decode_user_information(item.body, options)?;
                set_once(&mut user_information, info, "User-information-item", offset)?;
            }
            t if t == context_type => presentation_contexts.push(decode_context(item)?),
            other => return Err(unknown_item(other, item.offset)),
        }
    }
    let missing = |field| DecodeError::new(ErrorKind::Missing, field, start);
    Ok(VariableItems {
        application_context: application_context
            .ok_or_else(|| missing("Application-context-item"))?,
        presentation_contexts,
        user_information: user_information.ok_or_else(|| missing("User-information-item"))?,
    })
}

fn decode_application_context(
    mut item: Item<'_>,
    options: &DecodeOptions,
) -> Result<String, DecodeError> {
    let len = item.body.remaining();
    read_uid(
        &mut item.body,
        len,
        "Application-context-item/Application-context-name",
        options,
    )
}

/// Presentation context item, RQ form: ID, 3 reserved bytes, one abstract
/// syntax sub-item, one or more transfer syntax sub-items.
fn decode_context_rq(
    item: Item<'_>,
    options: &DecodeOptions,
) -> Result<PresentationContextRq, DecodeError> {
    let mut body = item.body;
    let id = read_context_id(
        &mut body,
        "Presentation-context-item(RQ)/Presentation-context-ID",
    )?;
    body.bytes(3, "Presentation-context-item(RQ)/Reserved")?;
    let mut abstract_syntax = None;
    let mut transfer_syntaxes = Vec::new();
    while !body.is_empty() {
        let sub = read_item(&mut body)?;
        let offset = sub.offset;
        match sub.item_type {
            ABSTRACT_SYNTAX => {
                let uid = read_syntax(
                    sub,
                    "Abstract-syntax-sub-item/Abstract-syntax-name",
                    options,
                )?;
                set_once(
                    &mut abstract_syntax,
                    uid,
                    "Abstract-syntax-sub-item",
                    offset,
                )?;
            }
            TRANSFER_SYNTAX => transfer_syntaxes.push(read_syntax(
                sub,
                "Transfer-syntax-sub-item/Transfer-syntax-name",
                options,
            )?),
            other => return Err(unknown_item(other, offset)),
        }
    }
    let abstract_syntax = abstract_syntax.ok_or_else(|| {
        DecodeError::new(ErrorKind::Missing, "Abstract-syntax-sub-item", item.offset)
    })?;
    if transfer_syntaxes.is_empty() {
        return Err(DecodeError::new(
            ErrorKind::Missing,
            "Transfer-syntax-sub-item",
            item.offset,
        ));
    }
    Ok(PresentationContextRq {
        id,
        abstract_syntax,
        transfer_syntaxes,
    })
}

/// Presentation context item, AC form: ID, reserved, result/reason,
/// reserved, and one transfer syntax sub-item (which some peers omit when
/// the context is not accepted).
fn decode_context_ac(
    item: Item<'_>,
    options: &DecodeOptions,
) -> Result<PresentationContextAc, DecodeError> {
    let mut body = item.body;
    let id = read_context_id(
        &mut body,
        "Presentation-context-item(AC)/Presentation-context-ID",
    )?;
    body.u8("Presentation-context-item(AC)/Reserved")?;
    let result = body.u8("Presentation-context-item(AC)/Result-reason")?;
    body.u8("Presentation-context-item(AC)/Reserved")?;
    let mut transfer_syntax = None;
    while !body.is_empty() {
        let sub = read_item(&mut body)?;
        let offset = sub.offset;
        match sub.item_type {
            TRANSFER_SYNTAX => {
                let uid = read_syntax(
                    sub,
                    "Transfer-syntax-sub-item/Transfer-syntax-name",
                    options,
                );
                // PS3.8 Table 9-18: unless the context is accepted, the
                // transfer syntax "shall not be tested when received": one
                // that does not decode is dropped, not fatal.
                let uid = match uid {
                    Ok(uid) => uid,
                    Err(_) if result != super::context_result::ACCEPTANCE => continue,
                    Err(err) => return Err(err),
                };
                set_once(
                    &mut transfer_syntax,
                    uid,
                    "Transfer-syntax-sub-item",
                    offset,
                )?;
            }
            other => return Err(unknown_item(other, offset)),
        }
    }
    if transfer_syntax.is_none() && result == super::context_result::ACCEPTANCE {
        return Err(DecodeError::new(
            ErrorKind::Missing,
            "Transfer-syntax-sub-item",
            item.offset,
        ));
    }
    Ok(PresentationContextAc {
        id,
        result,
        transfer_syntax,
    })
}

/// A presentation context ID: odd, 1 to 255 (PS3.8 9.3.2.2 and 9.3.3.2),
/// in both forms, as the encoder insists.
fn read_context_id(body: &mut Reader<'_>, field: &'static str) -> Result<u8, DecodeError> {
    let offset = body.offset();
    let id = body.u8(field)?;
    if id % 2 == 0 {
        return Err(DecodeError::new(ErrorKind::InvalidValue, field, offset));
    }
    Ok(id)
}

/// An abstract or transfer syntax sub-item: its whole body is the UID.
fn read_syntax(
    mut sub: Item<'_>,
    field: &'static str,
    options: &DecodeOptions,
) -> Result<String, DecodeError> {
    let len = sub.body.remaining();
    read_uid(&mut sub.body, len, field, options)
}

fn encode_fixed_part(
    protocol_version: u16,
    called: &[u8; AE_TITLE_LEN],
    calling: &[u8; AE_TITLE_LEN],
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(&protocol_version.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(called);
    out.extend_from_slice(calling);
    out.extend_from_slice(&[0; 32]);
}

fn encode_application_context(name: &str, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    write_uid_item(
        out,
        APPLICATION_CONTEXT,
        name,
        "Application-context-item/Application-context-name",
    )
}

impl PresentationContextRq {
    /// Appends this item on its own (for the binding's per-item `encode()`).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        encode_context_rq(self, out)
    }
}

impl PresentationContextAc {
    /// Appends this item on its own (for the binding's per-item `encode()`).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        encode_context_ac(self, out)
    }
}

fn encode_context_rq(
    context: &PresentationContextRq,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    check_context_id(
        context.id,
        "Presentation-context-item(RQ)/Presentation-context-ID",
    )?;
    write_item(out, PRESENTATION_CONTEXT_RQ, 0, |out| {
        out.extend_from_slice(&[context.id, 0, 0, 0]);
        write_uid_item(
            out,
            ABSTRACT_SYNTAX,
            &context.abstract_syntax,
            "Abstract-syntax-sub-item/Abstract-syntax-name",
        )?;
        context.transfer_syntaxes.iter().try_for_each(|uid| {
            write_uid_item(
                out,
                TRANSFER_SYNTAX,
                uid,
                "Transfer-syntax-sub-item/Transfer-syntax-name",
            )
        })
    })
}

fn encode_context_ac(
    context: &PresentationContextAc,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    check_context_id(
        context.id,
        "Presentation-context-item(AC)/Presentation-context-ID",
    )?;
    write_item(out, PRESENTATION_CONTEXT_AC, 0, |out| {
        out.extend_from_slice(&[context.id, 0, context.result, 0]);
        match &context.transfer_syntax {
            Some(uid) => write_uid_item(
                out,
                TRANSFER_SYNTAX,
                uid,
                "Transfer-syntax-sub-item/Transfer-syntax-name",
            ),
            None => Ok(()),
        }
    })
}

/// An item whose whole body is a UID, written without padding (as DCMTK).
fn write_uid_item(
    out: &mut Vec<u8>,
    item_type: u8,
    uid: &str,
    field: &'static str,
) -> Result<(), EncodeError> {
    check_uid_for_encoding(uid, field)?;
    write_item(out, item_type, 0, |out| {
        out.extend_from_slice(uid.as_bytes());
        Ok(())
    })
}

/// Presentation context IDs are odd (PS3.8 9.3.2.2).
fn check_context_id(id: u8, field: &'static str) -> Result<(), EncodeError> {
    if id % 2 == 0 {
        return Err(EncodeError::new(field, EncodeErrorReason::InvalidValue));
    }
    Ok(())
}

/// An AE title of the RQ; invalid text is answered with A-ASSOCIATE-RJ
/// (called or calling AE title not recognized), as PS3.8 9.3.2 intends.
fn read_rq_ae_title(
    r: &mut Reader<'_>,
    field: &'static str,
    reject_reason: u8,
) -> Result<String, DecodeError> {
    let offset = r.offset();
    let raw = r.bytes(AE_TITLE_LEN, field)?;
    decode_ae_title(raw, field, offset).map_err(|err| {
        err.with_answer(Answer::Reject {
            result: reject::RESULT_PERMANENT,
            source: reject::SOURCE_SERVICE_USER,
            reason: reject_reason,
        })
    })
}

fn set_once<T>(
    slot: &mut Option<T>,
    value: T,
    field: &'static str,
    offset: u64,
) -> Result<(), DecodeError> {
    if slot.is_some() {
        return Err(DecodeError::new(ErrorKind::Duplicate, field, offset));
    }
    *slot = Some(value);
    Ok(())
}

fn unknown_item(item_type: u8, offset: u64) -> DecodeError {
    DecodeError::new(ErrorKind::UnknownItemType(item_type), "Item-type", offset)
}
