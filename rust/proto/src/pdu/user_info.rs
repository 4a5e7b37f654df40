//! The user information item and its sub-items (PS3.8 D.1, PS3.7 D.3.3).
//!
//! Sub-items are kept in the order received, unknown ones as raw items, so
//! that a PDU re-encodes to the same bytes and nothing a peer sent is lost.

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
