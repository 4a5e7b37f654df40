//! What the command set layout tests (tests/dimse_layouts_*.rs) share: the SOP class UIDs,
//! hex text to bytes, decoding and encoding, the expected request and response, and the layout
//! check (decoded, compared and re-encoded to the same bytes).

use fastdimse_proto::dimse::{
    decode_command_set, encode_command_set, CommandField, CommandSet, NO_DATA_SET,
};
use fastdimse_proto::{DecodeError, DecodeOptions};

pub const VERIFICATION: &str = "1.2.840.10008.1.1";
pub const CT_IMAGE_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.2";
pub const STUDY_ROOT_FIND: &str = "1.2.840.10008.5.1.4.1.2.2.1";
pub const STUDY_ROOT_MOVE: &str = "1.2.840.10008.5.1.4.1.2.2.2";
pub const STUDY_ROOT_GET: &str = "1.2.840.10008.5.1.4.1.2.2.3";
pub const STORAGE_COMMITMENT: &str = "1.2.840.10008.1.20.1";
pub const STORAGE_COMMITMENT_INSTANCE: &str = "1.2.840.10008.1.20.1.1";
pub const MPPS: &str = "1.2.840.10008.3.1.2.3.3";
pub const PRINTER: &str = "1.2.840.10008.5.1.1.16";
pub const PRINTER_INSTANCE: &str = "1.2.840.10008.5.1.1.17";
pub const FILM_SESSION: &str = "1.2.840.10008.5.1.1.1";
pub const INSTANCE: &str = "1.2.3.4.5.6";

/// Hex text (whitespace ignored) to bytes.
pub fn hex(parts: &[&str]) -> Vec<u8> {
    let digits: String = parts.concat().split_whitespace().collect();
    assert_eq!(digits.len() % 2, 0);
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap())
        .collect()
}

pub fn decode(bytes: &[u8]) -> Result<CommandSet, DecodeError> {
    decode_command_set(bytes, &DecodeOptions::default())
}

pub fn encode(command: &CommandSet) -> Vec<u8> {
    let mut out = Vec::new();
    encode_command_set(command, &mut out).unwrap();
    out
}

pub fn some(text: &str) -> Option<String> {
    Some(text.to_owned())
}

pub fn request(field: CommandField, message_id: u16, data_set_type: u16) -> CommandSet {
    CommandSet {
        command_field: field as u16,
        message_id: Some(message_id),
        command_data_set_type: data_set_type,
        ..CommandSet::default()
    }
}

pub fn response(
    field: CommandField,
    responding_to: u16,
    data_set_type: u16,
    status: u16,
) -> CommandSet {
    CommandSet {
        command_field: field as u16,
        message_id_being_responded_to: Some(responding_to),
        command_data_set_type: data_set_type,
        status: Some(status),
        ..CommandSet::default()
    }
}

/// Decodes to `expected`, uses only elements the command's table lists,
/// and re-encodes to the very same bytes.
pub fn assert_layout(parts: &[&str], field: CommandField, expected: &CommandSet) {
    let bytes = hex(parts);
    let decoded = decode(&bytes).unwrap();
    assert_eq!(&decoded, expected, "{}", field.name());
    assert_eq!(decoded.command(), Some(field));
    assert_eq!(
        decoded.unexpected_elements(),
        Vec::<u32>::new(),
        "{}",
        field.name()
    );
    assert_eq!(encode(expected), bytes, "{}", field.name());
}

pub fn echo_rq() -> CommandSet {
    CommandSet {
        affected_sop_class_uid: some(VERIFICATION),
        ..request(CommandField::CEchoRq, 1, NO_DATA_SET)
    }
}

pub fn echo_rsp() -> CommandSet {
    CommandSet {
        affected_sop_class_uid: some(VERIFICATION),
        ..response(CommandField::CEchoRsp, 1, NO_DATA_SET, 0x0000)
    }
}
