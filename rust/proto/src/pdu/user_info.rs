//! The user information item and its sub-items (PS3.8 D.1, PS3.7 D.3.3).
//!
//! Sub-items are kept in the order received, unknown ones as raw items, so
//! that a PDU re-encodes to the same bytes and nothing a peer sent is lost.

use super::item::{
    read_item, read_u16_len_body, read_u16_len_bytes, write_item, write_u16_len_bytes,
};
use super::item_type::*;
use crate::codec::Reader;
use crate::error::{DecodeError, EncodeError};
use crate::limits::DecodeOptions;
use crate::text::{
    check_printable_for_encoding, check_uid_for_encoding, decode_printable, decode_uid, read_uid,
};

/// User information item (type 0x50): its sub-items in wire order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserInformation {
    pub items: Vec<UserItem>,
}

/// One user information sub-item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserItem {
    /// 0x51: maximum length of a P-DATA-TF body the sender accepts (0: no limit).
    MaximumLength(u32),
    /// 0x52
    ImplementationClassUid(String),
    /// 0x53
    AsyncOpsWindow(AsyncOpsWindow),
    /// 0x54
    RoleSelection(RoleSelection),
    /// 0x55: 1 to 16 characters.
    ImplementationVersionName(String),
    /// 0x56
    SopClassExtended(SopClassExtended),
    /// 0x57 (RQ only)
    SopClassCommonExtended(SopClassCommonExtended),
    /// 0x58 (RQ only)
    UserIdentityRq(UserIdentityRq),
    /// 0x59 (AC only)
    UserIdentityAc(UserIdentityAc),
    /// Any other sub-item type, kept as received.
    Unknown { item_type: u8, data: Vec<u8> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsyncOpsWindow {
    pub max_operations_invoked: u16,
    pub max_operations_performed: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSelection {
    pub sop_class_uid: String,
    /// 0 or 1 as received (other values kept, the policy decides).
    pub scu_role: u8,
    pub scp_role: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SopClassExtended {
    pub sop_class_uid: String,
    pub service_class_application_information: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SopClassCommonExtended {
    /// Sub-item version (0 in the current standard).
    pub version: u8,
    pub sop_class_uid: String,
    pub service_class_uid: String,
    pub related_general_sop_classes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserIdentityRq {
    /// 1 username, 2 username and passcode, 3 Kerberos, 4 SAML, 5 JWT.
    pub identity_type: u8,
    pub positive_response_requested: bool,
    pub primary_field: Vec<u8>,
    /// Only meaningful for type 2; empty otherwise.
    pub secondary_field: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserIdentityAc {
    pub server_response: Vec<u8>,
}

impl UserInformation {
    /// The first maximum length sub-item, if any.
    pub fn maximum_length(&self) -> Option<u32> {
        self.items.iter().find_map(|item| match item {
            UserItem::MaximumLength(len) => Some(*len),
            _ => None,
        })
    }

    /// The implementation class UID, if any.
    pub fn implementation_class_uid(&self) -> Option<&str> {
        self.items.iter().find_map(|item| match item {
            UserItem::ImplementationClassUid(uid) => Some(uid.as_str()),
            _ => None,
        })
    }
}

/// Decodes the body of a user information item (type 0x50).
pub(super) fn decode_user_information(
    mut body: Reader<'_>,
    options: &DecodeOptions,
) -> Result<UserInformation, DecodeError> {
    let mut items = Vec::new();
    while !body.is_empty() {
        let item = read_item(&mut body)?;
        items.push(decode_user_item(
            item.item_type,
            item.second_byte,
            item.body,
            options,
        )?);
    }
    Ok(UserInformation { items })
}

/// Appends a user information item (type 0x50) with its sub-items.
pub(super) fn encode_user_information(
    info: &UserInformation,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    write_item(out, USER_INFORMATION, 0, |out| {
        info.items
            .iter()
            .try_for_each(|item| encode_user_item(item, out))
    })
}

fn decode_user_item(
    item_type: u8,
    second_byte: u8,
    mut body: Reader<'_>,
    options: &DecodeOptions,
) -> Result<UserItem, DecodeError> {
    let item = match item_type {
        MAXIMUM_LENGTH => UserItem::MaximumLength(body.u32_be("Maximum-length-received")?),
        IMPLEMENTATION_CLASS_UID => {
            let len = body.remaining();
            UserItem::ImplementationClassUid(read_uid(
                &mut body,
                len,
                "Implementation-class-uid",
                options,
            )?)
        }
        ASYNC_OPS_WINDOW => UserItem::AsyncOpsWindow(AsyncOpsWindow {
            max_operations_invoked: body.u16_be("Maximum-number-operations-invoked")?,
            max_operations_performed: body.u16_be("Maximum-number-operations-performed")?,
        }),
        ROLE_SELECTION => UserItem::RoleSelection(RoleSelection {
            sop_class_uid: read_u16_len_uid(&mut body, "SOP-class-uid", options)?,
            scu_role: body.u8("SCU-role")?,
            scp_role: body.u8("SCP-role")?,
        }),
        IMPLEMENTATION_VERSION_NAME => {
            let offset = body.offset();
            UserItem::ImplementationVersionName(decode_printable(
                body.rest(),
                "Implementation-version-name",
                offset,
            )?)
        }
        SOP_CLASS_EXTENDED => UserItem::SopClassExtended(SopClassExtended {
            sop_class_uid: read_u16_len_uid(&mut body, "SOP-class-uid", options)?,
            service_class_application_information: body.rest().to_vec(),
        }),
        SOP_CLASS_COMMON_EXTENDED => UserItem::SopClassCommonExtended(decode_common_extended(
            second_byte,
            &mut body,
            options,
        )?),
        USER_IDENTITY_RQ => UserItem::UserIdentityRq(UserIdentityRq {
            identity_type: body.u8("User-Identity-Type")?,
            positive_response_requested: body.u8("Positive-response-requested")? != 0,
            primary_field: read_u16_len_bytes(&mut body, "Primary-field-length")?.to_vec(),
            secondary_field: read_u16_len_bytes(&mut body, "Secondary-field-length")?.to_vec(),
        }),
        USER_IDENTITY_AC => UserItem::UserIdentityAc(UserIdentityAc {
            server_response: read_u16_len_bytes(&mut body, "Server-response-length")?.to_vec(),
        }),
        _ => UserItem::Unknown {
            item_type,
            data: body.rest().to_vec(),
        },
    };
    body.finish(super::item::item_length_field(item_type))?;
    Ok(item)
}

fn decode_common_extended(
    version: u8,
    body: &mut Reader<'_>,
    options: &DecodeOptions,
) -> Result<SopClassCommonExtended, DecodeError> {
    let sop_class_uid = read_u16_len_uid(body, "SOP-class-uid", options)?;
    let service_class_uid = read_u16_len_uid(body, "Service-class-uid", options)?;
    let mut related = read_u16_len_body(body, "Related-general-sop-class-identification-length")?;
    let mut related_general_sop_classes = Vec::new();
    while !related.is_empty() {
        related_general_sop_classes.push(read_u16_len_uid(
            &mut related,
            "Related-general-sop-class-uid",
            options,
        )?);
    }
    Ok(SopClassCommonExtended {
        version,
        sop_class_uid,
        service_class_uid,
        related_general_sop_classes,
    })
}

/// A 16-bit length followed by a UID of that length.
fn read_u16_len_uid(
    r: &mut Reader<'_>,
    field: &'static str,
    options: &DecodeOptions,
) -> Result<String, DecodeError> {
    let offset = r.offset();
    let raw = read_u16_len_bytes(r, field)?;
    decode_uid(raw, field, offset + 2, options)
}

impl UserItem {
    /// Appends this sub-item on its own (for the binding's per-item `encode()`).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        encode_user_item(self, out)
    }
}

fn encode_user_item(item: &UserItem, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    match item {
        UserItem::MaximumLength(len) => write_item(out, MAXIMUM_LENGTH, 0, |out| {
            out.extend_from_slice(&len.to_be_bytes());
            Ok(())
        }),
        UserItem::ImplementationClassUid(uid) => {
            write_item(out, IMPLEMENTATION_CLASS_UID, 0, |out| {
                check_uid_for_encoding(uid, "Implementation-class-uid")?;
                out.extend_from_slice(uid.as_bytes());
                Ok(())
            })
        }
        UserItem::AsyncOpsWindow(w) => write_item(out, ASYNC_OPS_WINDOW, 0, |out| {
            out.extend_from_slice(&w.max_operations_invoked.to_be_bytes());
            out.extend_from_slice(&w.max_operations_performed.to_be_bytes());
            Ok(())
        }),
        UserItem::RoleSelection(role) => write_item(out, ROLE_SELECTION, 0, |out| {
            write_u16_len_uid(out, &role.sop_class_uid, "SOP-class-uid")?;
            out.push(role.scu_role);
            out.push(role.scp_role);
            Ok(())
        }),
        UserItem::ImplementationVersionName(name) => {
            write_item(out, IMPLEMENTATION_VERSION_NAME, 0, |out| {
                check_version_name(name)?;
                out.extend_from_slice(name.as_bytes());
                Ok(())
            })
        }
        UserItem::SopClassExtended(ext) => write_item(out, SOP_CLASS_EXTENDED, 0, |out| {
            write_u16_len_uid(out, &ext.sop_class_uid, "SOP-class-uid")?;
            out.extend_from_slice(&ext.service_class_application_information);
            Ok(())
        }),
        UserItem::SopClassCommonExtended(ext) => {
            write_item(out, SOP_CLASS_COMMON_EXTENDED, ext.version, |out| {
                encode_common_extended(ext, out)
            })
        }
        UserItem::UserIdentityRq(id) => write_item(out, USER_IDENTITY_RQ, 0, |out| {
            out.push(id.identity_type);
            out.push(u8::from(id.positive_response_requested));
            write_u16_len_bytes(out, &id.primary_field, "Primary-field-length")?;
            write_u16_len_bytes(out, &id.secondary_field, "Secondary-field-length")
        }),
        UserItem::UserIdentityAc(id) => write_item(out, USER_IDENTITY_AC, 0, |out| {
            write_u16_len_bytes(out, &id.server_response, "Server-response-length")
        }),
        UserItem::Unknown { item_type, data } => write_item(out, *item_type, 0, |out| {
            out.extend_from_slice(data);
            Ok(())
        }),
    }
}

fn encode_common_extended(
    ext: &SopClassCommonExtended,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    write_u16_len_uid(out, &ext.sop_class_uid, "SOP-class-uid")?;
    write_u16_len_uid(out, &ext.service_class_uid, "Service-class-uid")?;
    let at = crate::codec::begin_u16_len(out);
    for uid in &ext.related_general_sop_classes {
        write_u16_len_uid(out, uid, "Related-general-sop-class-uid")?;
    }
    crate::codec::end_u16_len(out, at, "Related-general-sop-class-identification-length")
}

fn write_u16_len_uid(out: &mut Vec<u8>, uid: &str, field: &'static str) -> Result<(), EncodeError> {
    check_uid_for_encoding(uid, field)?;
    write_u16_len_bytes(out, uid.as_bytes(), field)
}

/// Printable ASCII, as decoding accepts. The 1 to 16 character rule of
/// PS3.7 D.3.3.2.3 binds what we send and is checked by the Python policy
/// (as pynetdicom does), so that whatever decodes here also re-encodes.
fn check_version_name(name: &str) -> Result<(), EncodeError> {
    check_printable_for_encoding(name, "Implementation-version-name")
}
