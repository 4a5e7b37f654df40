//! What the PDU layout tests (tests/pdu_layouts_*.rs) share: decoding, the layout check, and
//! an A-ASSOCIATE-RQ written by hand from PS3.8 Table 9-11 with its items.

use fastdimse_proto::pdu::{
    decode_pdu, AssociateRq, Pdu, PresentationContextRq, UserInformation, UserItem,
};
use fastdimse_proto::{DecodeError, DecodeOptions};

pub fn decode(bytes: &[u8]) -> Result<Pdu, DecodeError> {
    decode_pdu(bytes, &DecodeOptions::default())
}

/// Decodes, compares with `expected`, and re-encodes to the same bytes.
pub fn check_layout(bytes: &[u8], expected: &Pdu) {
    let decoded = decode(bytes).unwrap();
    assert_eq!(&decoded, expected);
    assert_eq!(expected.to_bytes().unwrap(), bytes);
}

pub fn decode_err(bytes: &[u8]) -> DecodeError {
    decode(bytes).unwrap_err()
}

// ---------------------------------------------------------------------------
// A-ASSOCIATE-RQ, PS3.8 Table 9-11, with items of Tables 9-12 to 9-16 and
// user information sub-items of Tables D.1-1, D.1-2, D.3-1 and D.3-2.
//
// Offsets: header 0..6, fixed part 6..74, application context item 74..99,
// presentation context item 99..172 (ID at 103; abstract syntax sub-item at
// 107, its length at 109; transfer syntaxes at 128 and 149), user
// information item 172..205 (maximum length sub-item at 176, value at 180).
// ---------------------------------------------------------------------------

pub const APP_CONTEXT_ITEM: &[u8] = b"\x10\x00\x00\x15\
1.2.840.10008.3.1.1.1";

/// Presentation context item (Table 9-13): length 0x45 = 4 + 21 + 21 + 23.
pub const PC_RQ_ITEM: &[u8] = b"\x20\x00\x00\x45\
\x01\x00\x00\x00\
\x30\x00\x00\x111.2.840.10008.1.1\
\x40\x00\x00\x111.2.840.10008.1.2\
\x40\x00\x00\x131.2.840.10008.1.2.1";

/// User information item (Table 9-16): length 0x1D = 8 + 11 + 10.
pub const USER_INFO_RQ_ITEM: &[u8] = b"\x50\x00\x00\x1D\
\x51\x00\x00\x04\x00\x00\x40\x00\
\x52\x00\x00\x071.2.3.4\
\x55\x00\x00\x06FD_010";

/// PDU header (type 1, length 0xC7 = 199) and fixed part of Table 9-11.
pub const RQ_HEAD: &[u8] = b"\x01\x00\x00\x00\x00\xC7\
\x00\x01\x00\x00\
CALLED          \
CALLING         \
\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";

pub fn rq_bytes() -> Vec<u8> {
    [RQ_HEAD, APP_CONTEXT_ITEM, PC_RQ_ITEM, USER_INFO_RQ_ITEM].concat()
}

pub fn rq_value(user_items: Vec<UserItem>) -> AssociateRq {
    AssociateRq {
        protocol_version: 1,
        called_ae_title: "CALLED".into(),
        calling_ae_title: "CALLING".into(),
        application_context: "1.2.840.10008.3.1.1.1".into(),
        presentation_contexts: vec![PresentationContextRq {
            id: 1,
            abstract_syntax: "1.2.840.10008.1.1".into(),
            transfer_syntaxes: vec!["1.2.840.10008.1.2".into(), "1.2.840.10008.1.2.1".into()],
        }],
        user_information: UserInformation { items: user_items },
    }
}

pub fn basic_user_items() -> Vec<UserItem> {
    vec![
        UserItem::MaximumLength(0x4000),
        UserItem::ImplementationClassUid("1.2.3.4".into()),
        UserItem::ImplementationVersionName("FD_010".into()),
    ]
}

/// An RQ whose user information item holds `sub_items` (its body, written
/// by hand by the caller); only the two enclosing lengths are computed.
pub fn rq_with_user_info(sub_items: &[u8]) -> Vec<u8> {
    let mut user_info = vec![0x50, 0x00];
    user_info.extend_from_slice(&(sub_items.len() as u16).to_be_bytes());
    user_info.extend_from_slice(sub_items);
    let mut pdu = [RQ_HEAD, APP_CONTEXT_ITEM, PC_RQ_ITEM, &user_info].concat();
    let body_len = (pdu.len() - 6) as u32;
    pdu[2..6].copy_from_slice(&body_len.to_be_bytes());
    pdu
}
