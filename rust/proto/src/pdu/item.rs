//! The item header every item and sub-item shares (PS3.8 Annex D): type (1),
//! reserved (1, the version in a 0x57 sub-item), item length (2, big endian).

use crate::codec::{begin_u16_len, end_u16_len, Reader};
use crate::error::{DecodeError, EncodeError};

/// One item read from its parent: header fields and a reader over its body.
pub(super) struct Item<'a> {
    pub item_type: u8,
    /// The reserved byte (or the sub-item version of 0x57), as received.
    pub second_byte: u8,
    /// Offset of the item-type byte, for errors about the item as a whole.
    pub offset: u64,
    pub body: Reader<'a>,
}

/// Reads the next item's header and takes its body. A length that runs past
/// the parent is reported at the item-length field.
pub(super) fn read_item<'a>(r: &mut Reader<'a>) -> Result<Item<'a>, DecodeError> {
    let offset = r.offset();
    let item_type = r.u8("Item-type")?;
    let second_byte = r.u8("Item-reserved")?;
    let field = item_length_field(item_type);
    let body = read_u16_len_body(r, field)?;
    Ok(Item {
        item_type,
        second_byte,
        offset,
        body,
    })
}

/// A 16-bit length followed by that many bytes, as a reader; an overflow is
/// reported at the length field.
pub(super) fn read_u16_len_body<'a>(
    r: &mut Reader<'a>,
    field: &'static str,
) -> Result<Reader<'a>, DecodeError> {
    let len_offset = r.offset();
    let len = usize::from(r.u16_be(field)?);
    r.sub(len, field).map_err(|mut err| {
        err.offset = len_offset;
        err
    })
}

/// A 16-bit length followed by that many bytes, borrowed.
pub(super) fn read_u16_len_bytes<'a>(
    r: &mut Reader<'a>,
    field: &'static str,
) -> Result<&'a [u8], DecodeError> {
    Ok(read_u16_len_body(r, field)?.rest())
}

/// Appends an item: header, then whatever `body` writes, with the length
/// patched afterwards (an error if it exceeds 65535).
pub(super) fn write_item(
    out: &mut Vec<u8>,
    item_type: u8,
    second_byte: u8,
    body: impl FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    out.push(item_type);
    out.push(second_byte);
    let at = begin_u16_len(out);
    body(out)?;
    end_u16_len(out, at, item_length_field(item_type))
}

/// Appends a 16-bit length and the bytes it counts.
pub(super) fn write_u16_len_bytes(
    out: &mut Vec<u8>,
    bytes: &[u8],
    field: &'static str,
) -> Result<(), EncodeError> {
    let at = begin_u16_len(out);
    out.extend_from_slice(bytes);
    end_u16_len(out, at, field)
}

/// The name of an item's length field, in the standard's words.
pub(super) fn item_length_field(item_type: u8) -> &'static str {
    use super::item_type::*;
    match item_type {
        APPLICATION_CONTEXT => "Application-context-item/Item-length",
        PRESENTATION_CONTEXT_RQ => "Presentation-context-item(RQ)/Item-length",
        PRESENTATION_CONTEXT_AC => "Presentation-context-item(AC)/Item-length",
        ABSTRACT_SYNTAX => "Abstract-syntax-sub-item/Item-length",
        TRANSFER_SYNTAX => "Transfer-syntax-sub-item/Item-length",
        USER_INFORMATION => "User-information-item/Item-length",
        MAXIMUM_LENGTH => "Maximum-length-sub-item/Item-length",
        IMPLEMENTATION_CLASS_UID => "Implementation-class-UID-sub-item/Item-length",
        ASYNC_OPS_WINDOW => "Asynchronous-operations-window-sub-item/Item-length",
        ROLE_SELECTION => "SCP/SCU-role-selection-sub-item/Item-length",
        IMPLEMENTATION_VERSION_NAME => "Implementation-version-name-sub-item/Item-length",
        SOP_CLASS_EXTENDED => "SOP-class-extended-negotiation-sub-item/Item-length",
        SOP_CLASS_COMMON_EXTENDED => {
            "SOP-class-common-extended-negotiation-sub-item/Sub-item-length"
        }
        USER_IDENTITY_RQ => "User-identity-sub-item(RQ)/Item-length",
        USER_IDENTITY_AC => "User-identity-sub-item(AC)/Item-length",
        _ => "Item-length",
    }
}
