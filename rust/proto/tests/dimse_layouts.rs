#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Byte-exact command sets, one per Command Field, written from PS3.7
//! E.1 (command dictionary: tags and VRs) and the message tables of
//! chapters 9 (C-services, Tables 9.3-1 to 9.3-10) and 10 (N-services,
//! Tables 10.3-1 to 10.3-12). Implicit VR Little Endian: group u16 LE,
//! element u16 LE, length u32 LE, value. Each vector is decoded, compared
//! with the expected `CommandSet`, and re-encoded to the same bytes. Then
//! the command sets DCMTK 3.6.7 actually sent (captures), and error cases.

use fastdimse_proto::dimse::{
    decode_command_set, encode_command_set, CommandField, CommandSet, NO_DATA_SET,
};
use fastdimse_proto::error::{Answer, EncodeErrorReason};
use fastdimse_proto::{DecodeError, DecodeOptions, ErrorKind};

const VERIFICATION: &str = "1.2.840.10008.1.1";
const CT_IMAGE_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.2";
const STUDY_ROOT_FIND: &str = "1.2.840.10008.5.1.4.1.2.2.1";
const STUDY_ROOT_MOVE: &str = "1.2.840.10008.5.1.4.1.2.2.2";
const STUDY_ROOT_GET: &str = "1.2.840.10008.5.1.4.1.2.2.3";
const STORAGE_COMMITMENT: &str = "1.2.840.10008.1.20.1";
const STORAGE_COMMITMENT_INSTANCE: &str = "1.2.840.10008.1.20.1.1";
const MPPS: &str = "1.2.840.10008.3.1.2.3.3";
const PRINTER: &str = "1.2.840.10008.5.1.1.16";
const PRINTER_INSTANCE: &str = "1.2.840.10008.5.1.1.17";
const FILM_SESSION: &str = "1.2.840.10008.5.1.1.1";
const INSTANCE: &str = "1.2.3.4.5.6";

/// Hex text (whitespace ignored) to bytes.
fn hex(parts: &[&str]) -> Vec<u8> {
    let digits: String = parts.concat().split_whitespace().collect();
    assert_eq!(digits.len() % 2, 0);
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap())
        .collect()
}

fn decode(bytes: &[u8]) -> Result<CommandSet, DecodeError> {
    decode_command_set(bytes, &DecodeOptions::default())
}

fn encode(command: &CommandSet) -> Vec<u8> {
    let mut out = Vec::new();
    encode_command_set(command, &mut out).unwrap();
    out
}

fn some(text: &str) -> Option<String> {
    Some(text.to_owned())
}

fn request(field: CommandField, message_id: u16, data_set_type: u16) -> CommandSet {
    CommandSet {
        command_field: field as u16,
        message_id: Some(message_id),
        command_data_set_type: data_set_type,
        ..CommandSet::default()
    }
}

fn response(
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
fn assert_layout(parts: &[&str], field: CommandField, expected: &CommandSet) {
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

#[test]
fn c_store_rq() {
    let expected = CommandSet {
        affected_sop_class_uid: some(CT_IMAGE_STORAGE),
        priority: Some(0),
        affected_sop_instance_uid: some(INSTANCE),
        move_originator_application_entity_title: some("MOVESCU"),
        move_originator_message_id: Some(3),
        ..request(CommandField::CStoreRq, 7, 0x0000)
    };
    assert_layout(
        &[
            "00000000 04000000 78000000", // (0000,0000) Command Group Length: UL 120
            "00000200 1a000000 312e322e3834302e31303030382e352e312e342e312e312e3200", // (0000,0002) Affected SOP Class UID: UI "1.2.840.10008.5.1.4.1.1.2" + NUL
            "00000001 02000000 0100", // (0000,0100) Command Field: US 0x0001
            "00001001 02000000 0700", // (0000,0110) Message ID: US 0x0007
            "00000007 02000000 0000", // (0000,0700) Priority: US 0x0000
            "00000008 02000000 0000", // (0000,0800) Command Data Set Type: US 0x0000
            "00000010 0c000000 312e322e332e342e352e3600", // (0000,1000) Affected SOP Instance UID: UI "1.2.3.4.5.6" + NUL
            "00003010 08000000 4d4f564553435520", // (0000,1030) Move Originator AE Title: AE "MOVESCU" + space
            "00003110 02000000 0300", // (0000,1031) Move Originator Message ID: US 0x0003
        ],
        CommandField::CStoreRq,
        &expected,
    );
}

#[test]
fn c_store_rsp() {
    let expected = CommandSet {
        affected_sop_class_uid: some(CT_IMAGE_STORAGE),
        offending_element: Some(vec![0x0010_0010]),
        error_comment: some("Coerced"),
        affected_sop_instance_uid: some(INSTANCE),
        ..response(CommandField::CStoreRsp, 7, NO_DATA_SET, 0xB000)
    };
    assert_layout(
        &[
            "00000000 04000000 7a000000", // (0000,0000) Command Group Length: UL 122
            "00000200 1a000000 312e322e3834302e31303030382e352e312e342e312e312e3200", // (0000,0002) Affected SOP Class UID: UI "1.2.840.10008.5.1.4.1.1.2" + NUL
            "00000001 02000000 0180", // (0000,0100) Command Field: US 0x8001
            "00002001 02000000 0700", // (0000,0120) Message ID Being Responded To: US 0x0007
            "00000008 02000000 0101", // (0000,0800) Command Data Set Type: US 0x0101
            "00000009 02000000 00b0", // (0000,0900) Status: US 0xB000
            "00000109 04000000 10001000", // (0000,0901) Offending Element: AT (0010,0010)
            "00000209 08000000 436f657263656420", // (0000,0902) Error Comment: LO "Coerced" + space
            "00000010 0c000000 312e322e332e342e352e3600", // (0000,1000) Affected SOP Instance UID: UI "1.2.3.4.5.6" + NUL
        ],
        CommandField::CStoreRsp,
        &expected,
    );
}

#[test]
fn c_get_rq() {
    let expected = CommandSet {
        affected_sop_class_uid: some(STUDY_ROOT_GET),
        priority: Some(2),
        ..request(CommandField::CGetRq, 9, 0x0001)
    };
    assert_layout(
        &[
            "00000000 04000000 4c000000", // (0000,0000) Command Group Length: UL 76
            "00000200 1c000000 312e322e3834302e31303030382e352e312e342e312e322e322e3300", // (0000,0002) Affected SOP Class UID: UI "1.2.840.10008.5.1.4.1.2.2.3" + NUL
            "00000001 02000000 1000", // (0000,0100) Command Field: US 0x0010
            "00001001 02000000 0900", // (0000,0110) Message ID: US 0x0009
            "00000007 02000000 0200", // (0000,0700) Priority: US 0x0002
            "00000008 02000000 0100", // (0000,0800) Command Data Set Type: US 0x0001
        ],
        CommandField::CGetRq,
        &expected,
    );
}

#[test]
fn c_get_rsp() {
    let expected = CommandSet {
        affected_sop_class_uid: some(STUDY_ROOT_GET),
        number_of_remaining_suboperations: Some(5),
        number_of_completed_suboperations: Some(2),
        number_of_failed_suboperations: Some(0),
        number_of_warning_suboperations: Some(1),
        ..response(CommandField::CGetRsp, 9, NO_DATA_SET, 0xFF00)
    };
    assert_layout(
        &[
            "00000000 04000000 74000000", // (0000,0000) Command Group Length: UL 116
            "00000200 1c000000 312e322e3834302e31303030382e352e312e342e312e322e322e3300", // (0000,0002) Affected SOP Class UID: UI "1.2.840.10008.5.1.4.1.2.2.3" + NUL
            "00000001 02000000 1080", // (0000,0100) Command Field: US 0x8010
            "00002001 02000000 0900", // (0000,0120) Message ID Being Responded To: US 0x0009
            "00000008 02000000 0101", // (0000,0800) Command Data Set Type: US 0x0101
            "00000009 02000000 00ff", // (0000,0900) Status: US 0xFF00
            "00002010 02000000 0500", // (0000,1020) Number of Remaining Sub-operations: US 0x0005
            "00002110 02000000 0200", // (0000,1021) Number of Completed Sub-operations: US 0x0002
            "00002210 02000000 0000", // (0000,1022) Number of Failed Sub-operations: US 0x0000
            "00002310 02000000 0100", // (0000,1023) Number of Warning Sub-operations: US 0x0001
        ],
        CommandField::CGetRsp,
        &expected,
    );
}

#[test]
fn c_find_rq() {
    let expected = CommandSet {
        affected_sop_class_uid: some(STUDY_ROOT_FIND),
        priority: Some(0),
        ..request(CommandField::CFindRq, 1, 0x0001)
    };
    assert_layout(
        &[
            "00000000 04000000 4c000000", // (0000,0000) Command Group Length: UL 76
            "00000200 1c000000 312e322e3834302e31303030382e352e312e342e312e322e322e3100", // (0000,0002) Affected SOP Class UID: UI "1.2.840.10008.5.1.4.1.2.2.1" + NUL
            "00000001 02000000 2000", // (0000,0100) Command Field: US 0x0020
            "00001001 02000000 0100", // (0000,0110) Message ID: US 0x0001
            "00000007 02000000 0000", // (0000,0700) Priority: US 0x0000
            "00000008 02000000 0100", // (0000,0800) Command Data Set Type: US 0x0001
        ],
        CommandField::CFindRq,
        &expected,
    );
}

#[test]
fn c_find_rsp() {
    let expected = CommandSet {
        affected_sop_class_uid: some(STUDY_ROOT_FIND),
        ..response(CommandField::CFindRsp, 1, 0x0001, 0xFF00)
    };
    assert_layout(
        &[
            "00000000 04000000 4c000000", // (0000,0000) Command Group Length: UL 76
            "00000200 1c000000 312e322e3834302e31303030382e352e312e342e312e322e322e3100", // (0000,0002) Affected SOP Class UID: UI "1.2.840.10008.5.1.4.1.2.2.1" + NUL
            "00000001 02000000 2080", // (0000,0100) Command Field: US 0x8020
            "00002001 02000000 0100", // (0000,0120) Message ID Being Responded To: US 0x0001
            "00000008 02000000 0100", // (0000,0800) Command Data Set Type: US 0x0001
            "00000009 02000000 00ff", // (0000,0900) Status: US 0xFF00
        ],
        CommandField::CFindRsp,
        &expected,
    );
}

#[test]
fn c_move_rq() {
    let expected = CommandSet {
        affected_sop_class_uid: some(STUDY_ROOT_MOVE),
        move_destination: some("ANY-SCP"),
        priority: Some(1),
        ..request(CommandField::CMoveRq, 4, 0x0001)
    };
    assert_layout(
        &[
            "00000000 04000000 5c000000", // (0000,0000) Command Group Length: UL 92
            "00000200 1c000000 312e322e3834302e31303030382e352e312e342e312e322e322e3200", // (0000,0002) Affected SOP Class UID: UI "1.2.840.10008.5.1.4.1.2.2.2" + NUL
            "00000001 02000000 2100", // (0000,0100) Command Field: US 0x0021
            "00001001 02000000 0400", // (0000,0110) Message ID: US 0x0004
            "00000006 08000000 414e592d53435020", // (0000,0600) Move Destination: AE "ANY-SCP" + space
            "00000007 02000000 0100",             // (0000,0700) Priority: US 0x0001
            "00000008 02000000 0100",             // (0000,0800) Command Data Set Type: US 0x0001
        ],
        CommandField::CMoveRq,
        &expected,
    );
}

#[test]
fn c_move_rsp() {
    let expected = CommandSet {
        affected_sop_class_uid: some(STUDY_ROOT_MOVE),
        number_of_completed_suboperations: Some(10),
        number_of_failed_suboperations: Some(0),
        number_of_warning_suboperations: Some(0),
        ..response(CommandField::CMoveRsp, 4, NO_DATA_SET, 0x0000)
    };
    assert_layout(
        &[
            "00000000 04000000 6a000000", // (0000,0000) Command Group Length: UL 106
            "00000200 1c000000 312e322e3834302e31303030382e352e312e342e312e322e322e3200", // (0000,0002) Affected SOP Class UID: UI "1.2.840.10008.5.1.4.1.2.2.2" + NUL
            "00000001 02000000 2180", // (0000,0100) Command Field: US 0x8021
            "00002001 02000000 0400", // (0000,0120) Message ID Being Responded To: US 0x0004
            "00000008 02000000 0101", // (0000,0800) Command Data Set Type: US 0x0101
            "00000009 02000000 0000", // (0000,0900) Status: US 0x0000
            "00002110 02000000 0a00", // (0000,1021) Number of Completed Sub-operations: US 0x000A
            "00002210 02000000 0000", // (0000,1022) Number of Failed Sub-operations: US 0x0000
            "00002310 02000000 0000", // (0000,1023) Number of Warning Sub-operations: US 0x0000
        ],
        CommandField::CMoveRsp,
        &expected,
    );
}

fn echo_rq() -> CommandSet {
    CommandSet {
        affected_sop_class_uid: some(VERIFICATION),
        ..request(CommandField::CEchoRq, 1, NO_DATA_SET)
    }
}

fn echo_rsp() -> CommandSet {
    CommandSet {
        affected_sop_class_uid: some(VERIFICATION),
        ..response(CommandField::CEchoRsp, 1, NO_DATA_SET, 0x0000)
    }
}

#[test]
fn c_echo_rq() {
    assert_layout(
        &[
            "00000000 04000000 38000000", // (0000,0000) Command Group Length: UL 56
            "00000200 12000000 312e322e3834302e31303030382e312e3100", // (0000,0002) Affected SOP Class UID: UI "1.2.840.10008.1.1" + NUL
            "00000001 02000000 3000", // (0000,0100) Command Field: US 0x0030
            "00001001 02000000 0100", // (0000,0110) Message ID: US 0x0001
            "00000008 02000000 0101", // (0000,0800) Command Data Set Type: US 0x0101
        ],
        CommandField::CEchoRq,
        &echo_rq(),
    );
}

#[test]
fn c_echo_rsp() {
    assert_layout(
        &[
            "00000000 04000000 42000000", // (0000,0000) Command Group Length: UL 66
            "00000200 12000000 312e322e3834302e31303030382e312e3100", // (0000,0002) Affected SOP Class UID: UI "1.2.840.10008.1.1" + NUL
            "00000001 02000000 3080", // (0000,0100) Command Field: US 0x8030
            "00002001 02000000 0100", // (0000,0120) Message ID Being Responded To: US 0x0001
            "00000008 02000000 0101", // (0000,0800) Command Data Set Type: US 0x0101
            "00000009 02000000 0000", // (0000,0900) Status: US 0x0000
        ],
        CommandField::CEchoRsp,
        &echo_rsp(),
    );
}

#[test]
fn n_event_report_rq() {
    let expected = CommandSet {
        affected_sop_class_uid: some(STORAGE_COMMITMENT),
        affected_sop_instance_uid: some(STORAGE_COMMITMENT_INSTANCE),
        event_type_id: Some(1),
        ..request(CommandField::NEventReportRq, 11, 0x0001)
    };
    assert_layout(
        &[
            "00000000 04000000 62000000", // (0000,0000) Command Group Length: UL 98
            "00000200 14000000 312e322e3834302e31303030382e312e32302e31", // (0000,0002) Affected SOP Class UID: UI "1.2.840.10008.1.20.1"
            "00000001 02000000 0001", // (0000,0100) Command Field: US 0x0100
            "00001001 02000000 0b00", // (0000,0110) Message ID: US 0x000B
            "00000008 02000000 0100", // (0000,0800) Command Data Set Type: US 0x0001
            "00000010 16000000 312e322e3834302e31303030382e312e32302e312e31", // (0000,1000) Affected SOP Instance UID: UI "1.2.840.10008.1.20.1.1"
            "00000210 02000000 0100", // (0000,1002) Event Type ID: US 0x0001
        ],
        CommandField::NEventReportRq,
        &expected,
    );
}

#[test]
fn n_event_report_rsp() {
    let expected = CommandSet {
        affected_sop_class_uid: some(STORAGE_COMMITMENT),
        affected_sop_instance_uid: some(STORAGE_COMMITMENT_INSTANCE),
        event_type_id: Some(1),
        ..response(CommandField::NEventReportRsp, 11, NO_DATA_SET, 0x0000)
    };
    assert_layout(
        &[
            "00000000 04000000 6c000000", // (0000,0000) Command Group Length: UL 108
            "00000200 14000000 312e322e3834302e31303030382e312e32302e31", // (0000,0002) Affected SOP Class UID: UI "1.2.840.10008.1.20.1"
            "00000001 02000000 0081", // (0000,0100) Command Field: US 0x8100
            "00002001 02000000 0b00", // (0000,0120) Message ID Being Responded To: US 0x000B
            "00000008 02000000 0101", // (0000,0800) Command Data Set Type: US 0x0101
            "00000009 02000000 0000", // (0000,0900) Status: US 0x0000
            "00000010 16000000 312e322e3834302e31303030382e312e32302e312e31", // (0000,1000) Affected SOP Instance UID: UI "1.2.840.10008.1.20.1.1"
            "00000210 02000000 0100", // (0000,1002) Event Type ID: US 0x0001
        ],
        CommandField::NEventReportRsp,
        &expected,
    );
}

#[test]
fn n_get_rq() {
    let expected = CommandSet {
        requested_sop_class_uid: some(PRINTER),
        requested_sop_instance_uid: some(PRINTER_INSTANCE),
        attribute_identifier_list: Some(vec![0x2110_0010, 0x2110_0030]),
        ..request(CommandField::NGetRq, 12, NO_DATA_SET)
    };
    assert_layout(
        &[
            "00000000 04000000 6a000000", // (0000,0000) Command Group Length: UL 106
            "00000300 16000000 312e322e3834302e31303030382e352e312e312e3136", // (0000,0003) Requested SOP Class UID: UI "1.2.840.10008.5.1.1.16"
            "00000001 02000000 1001", // (0000,0100) Command Field: US 0x0110
            "00001001 02000000 0c00", // (0000,0110) Message ID: US 0x000C
            "00000008 02000000 0101", // (0000,0800) Command Data Set Type: US 0x0101
            "00000110 16000000 312e322e3834302e31303030382e352e312e312e3137", // (0000,1001) Requested SOP Instance UID: UI "1.2.840.10008.5.1.1.17"
            "00000510 08000000 1021100010213000", // (0000,1005) Attribute Identifier List: AT (2110,0010) (2110,0030)
        ],
        CommandField::NGetRq,
        &expected,
    );
}

#[test]
fn n_get_rsp() {
    let expected = CommandSet {
        affected_sop_class_uid: some(PRINTER),
        affected_sop_instance_uid: some(PRINTER_INSTANCE),
        ..response(CommandField::NGetRsp, 12, 0x0001, 0x0000)
    };
    assert_layout(
        &[
            "00000000 04000000 64000000", // (0000,0000) Command Group Length: UL 100
            "00000200 16000000 312e322e3834302e31303030382e352e312e312e3136", // (0000,0002) Affected SOP Class UID: UI "1.2.840.10008.5.1.1.16"
            "00000001 02000000 1081", // (0000,0100) Command Field: US 0x8110
            "00002001 02000000 0c00", // (0000,0120) Message ID Being Responded To: US 0x000C
            "00000008 02000000 0100", // (0000,0800) Command Data Set Type: US 0x0001
            "00000009 02000000 0000", // (0000,0900) Status: US 0x0000
            "00000010 16000000 312e322e3834302e31303030382e352e312e312e3137", // (0000,1000) Affected SOP Instance UID: UI "1.2.840.10008.5.1.1.17"
        ],
        CommandField::NGetRsp,
        &expected,
    );
}

#[test]
fn n_set_rq() {
    let expected = CommandSet {
        requested_sop_class_uid: some(MPPS),
        requested_sop_instance_uid: some(INSTANCE),
        ..request(CommandField::NSetRq, 13, 0x0001)
    };
    assert_layout(
        &[
            "00000000 04000000 52000000", // (0000,0000) Command Group Length: UL 82
            "00000300 18000000 312e322e3834302e31303030382e332e312e322e332e3300", // (0000,0003) Requested SOP Class UID: UI "1.2.840.10008.3.1.2.3.3" + NUL
            "00000001 02000000 2001", // (0000,0100) Command Field: US 0x0120
            "00001001 02000000 0d00", // (0000,0110) Message ID: US 0x000D
            "00000008 02000000 0100", // (0000,0800) Command Data Set Type: US 0x0001
            "00000110 0c000000 312e322e332e342e352e3600", // (0000,1001) Requested SOP Instance UID: UI "1.2.3.4.5.6" + NUL
        ],
        CommandField::NSetRq,
        &expected,
    );
}

#[test]
fn n_set_rsp() {
    // PS3.4 Table F.7.2-2: the MPPS "may no longer be updated" failure.
    let expected = CommandSet {
        affected_sop_class_uid: some(MPPS),
        error_comment: some("Performed Procedure Step Object may no longer be updated"),
        error_id: Some(0xA710),
        affected_sop_instance_uid: some(INSTANCE),
        ..response(CommandField::NSetRsp, 13, NO_DATA_SET, 0x0110)
    };
    assert_layout(&[
        "00000000 04000000 a6000000", // (0000,0000) Command Group Length: UL 166
        "00000200 18000000 312e322e3834302e31303030382e332e312e322e332e3300", // (0000,0002) Affected SOP Class UID: UI "1.2.840.10008.3.1.2.3.3" + NUL
        "00000001 02000000 2081", // (0000,0100) Command Field: US 0x8120
        "00002001 02000000 0d00", // (0000,0120) Message ID Being Responded To: US 0x000D
        "00000008 02000000 0101", // (0000,0800) Command Data Set Type: US 0x0101
        "00000009 02000000 1001", // (0000,0900) Status: US 0x0110
        "00000209 38000000 506572666f726d65642050726f6365647572652053746570204f626a656374206d6179206e6f206c6f6e6765722062652075706461746564", // (0000,0902) Error Comment: LO "Performed Procedure Step Object may no longer be updated"
        "00000309 02000000 10a7", // (0000,0903) Error ID: US 0xA710
        "00000010 0c000000 312e322e332e342e352e3600", // (0000,1000) Affected SOP Instance UID: UI "1.2.3.4.5.6" + NUL
    ], CommandField::NSetRsp, &expected);
}

#[test]
fn n_action_rq() {
    let expected = CommandSet {
        requested_sop_class_uid: some(STORAGE_COMMITMENT),
        requested_sop_instance_uid: some(STORAGE_COMMITMENT_INSTANCE),
        action_type_id: Some(1),
        ..request(CommandField::NActionRq, 14, 0x0001)
    };
    assert_layout(
        &[
            "00000000 04000000 62000000", // (0000,0000) Command Group Length: UL 98
            "00000300 14000000 312e322e3834302e31303030382e312e32302e31", // (0000,0003) Requested SOP Class UID: UI "1.2.840.10008.1.20.1"
            "00000001 02000000 3001", // (0000,0100) Command Field: US 0x0130
            "00001001 02000000 0e00", // (0000,0110) Message ID: US 0x000E
            "00000008 02000000 0100", // (0000,0800) Command Data Set Type: US 0x0001
            "00000110 16000000 312e322e3834302e31303030382e312e32302e312e31", // (0000,1001) Requested SOP Instance UID: UI "1.2.840.10008.1.20.1.1"
            "00000810 02000000 0100", // (0000,1008) Action Type ID: US 0x0001
        ],
        CommandField::NActionRq,
        &expected,
    );
}

#[test]
fn n_action_rsp() {
    let expected = CommandSet {
        affected_sop_class_uid: some(STORAGE_COMMITMENT),
        affected_sop_instance_uid: some(STORAGE_COMMITMENT_INSTANCE),
        action_type_id: Some(1),
        ..response(CommandField::NActionRsp, 14, NO_DATA_SET, 0x0000)
    };
    assert_layout(
        &[
            "00000000 04000000 6c000000", // (0000,0000) Command Group Length: UL 108
            "00000200 14000000 312e322e3834302e31303030382e312e32302e31", // (0000,0002) Affected SOP Class UID: UI "1.2.840.10008.1.20.1"
            "00000001 02000000 3081", // (0000,0100) Command Field: US 0x8130
            "00002001 02000000 0e00", // (0000,0120) Message ID Being Responded To: US 0x000E
            "00000008 02000000 0101", // (0000,0800) Command Data Set Type: US 0x0101
            "00000009 02000000 0000", // (0000,0900) Status: US 0x0000
            "00000010 16000000 312e322e3834302e31303030382e312e32302e312e31", // (0000,1000) Affected SOP Instance UID: UI "1.2.840.10008.1.20.1.1"
            "00000810 02000000 0100", // (0000,1008) Action Type ID: US 0x0001
        ],
        CommandField::NActionRsp,
        &expected,
    );
}

#[test]
fn n_create_rq() {
    let expected = CommandSet {
        affected_sop_class_uid: some(MPPS),
        affected_sop_instance_uid: some(INSTANCE),
        ..request(CommandField::NCreateRq, 15, 0x0001)
    };
    assert_layout(
        &[
            "00000000 04000000 52000000", // (0000,0000) Command Group Length: UL 82
            "00000200 18000000 312e322e3834302e31303030382e332e312e322e332e3300", // (0000,0002) Affected SOP Class UID: UI "1.2.840.10008.3.1.2.3.3" + NUL
            "00000001 02000000 4001", // (0000,0100) Command Field: US 0x0140
            "00001001 02000000 0f00", // (0000,0110) Message ID: US 0x000F
            "00000008 02000000 0100", // (0000,0800) Command Data Set Type: US 0x0001
            "00000010 0c000000 312e322e332e342e352e3600", // (0000,1000) Affected SOP Instance UID: UI "1.2.3.4.5.6" + NUL
        ],
        CommandField::NCreateRq,
        &expected,
    );
}

#[test]
fn n_create_rsp() {
    // Status 0x0106 "Invalid attribute value", naming the attribute.
    let expected = CommandSet {
        affected_sop_class_uid: some(MPPS),
        affected_sop_instance_uid: some(INSTANCE),
        attribute_identifier_list: Some(vec![0x0040_0252]),
        ..response(CommandField::NCreateRsp, 15, NO_DATA_SET, 0x0106)
    };
    assert_layout(
        &[
            "00000000 04000000 68000000", // (0000,0000) Command Group Length: UL 104
            "00000200 18000000 312e322e3834302e31303030382e332e312e322e332e3300", // (0000,0002) Affected SOP Class UID: UI "1.2.840.10008.3.1.2.3.3" + NUL
            "00000001 02000000 4081", // (0000,0100) Command Field: US 0x8140
            "00002001 02000000 0f00", // (0000,0120) Message ID Being Responded To: US 0x000F
            "00000008 02000000 0101", // (0000,0800) Command Data Set Type: US 0x0101
            "00000009 02000000 0601", // (0000,0900) Status: US 0x0106
            "00000010 0c000000 312e322e332e342e352e3600", // (0000,1000) Affected SOP Instance UID: UI "1.2.3.4.5.6" + NUL
            "00000510 04000000 40005202", // (0000,1005) Attribute Identifier List: AT (0040,0252)
        ],
        CommandField::NCreateRsp,
        &expected,
    );
}

#[test]
fn n_delete_rq() {
    let expected = CommandSet {
        requested_sop_class_uid: some(FILM_SESSION),
        requested_sop_instance_uid: some("1.2.3.4"),
        ..request(CommandField::NDeleteRq, 16, NO_DATA_SET)
    };
    assert_layout(
        &[
            "00000000 04000000 4c000000", // (0000,0000) Command Group Length: UL 76
            "00000300 16000000 312e322e3834302e31303030382e352e312e312e3100", // (0000,0003) Requested SOP Class UID: UI "1.2.840.10008.5.1.1.1" + NUL
            "00000001 02000000 5001", // (0000,0100) Command Field: US 0x0150
            "00001001 02000000 1000", // (0000,0110) Message ID: US 0x0010
            "00000008 02000000 0101", // (0000,0800) Command Data Set Type: US 0x0101
            "00000110 08000000 312e322e332e3400", // (0000,1001) Requested SOP Instance UID: UI "1.2.3.4" + NUL
        ],
        CommandField::NDeleteRq,
        &expected,
    );
}

#[test]
fn n_delete_rsp() {
    let expected = CommandSet {
        affected_sop_class_uid: some(FILM_SESSION),
        affected_sop_instance_uid: some("1.2.3.4"),
        ..response(CommandField::NDeleteRsp, 16, NO_DATA_SET, 0x0000)
    };
    assert_layout(
        &[
            "00000000 04000000 56000000", // (0000,0000) Command Group Length: UL 86
            "00000200 16000000 312e322e3834302e31303030382e352e312e312e3100", // (0000,0002) Affected SOP Class UID: UI "1.2.840.10008.5.1.1.1" + NUL
            "00000001 02000000 5081", // (0000,0100) Command Field: US 0x8150
            "00002001 02000000 1000", // (0000,0120) Message ID Being Responded To: US 0x0010
            "00000008 02000000 0101", // (0000,0800) Command Data Set Type: US 0x0101
            "00000009 02000000 0000", // (0000,0900) Status: US 0x0000
            "00000010 08000000 312e322e332e3400", // (0000,1000) Affected SOP Instance UID: UI "1.2.3.4" + NUL
        ],
        CommandField::NDeleteRsp,
        &expected,
    );
}

#[test]
fn c_cancel_rq() {
    // PS3.7 Table 9.3-3 etc.: no Message ID, only the one being cancelled.
    let expected = CommandSet {
        command_field: CommandField::CCancelRq as u16,
        message_id_being_responded_to: Some(4),
        command_data_set_type: NO_DATA_SET,
        ..CommandSet::default()
    };
    assert_layout(
        &[
            "00000000 04000000 1e000000", // (0000,0000) Command Group Length: UL 30
            "00000001 02000000 ff0f",     // (0000,0100) Command Field: US 0x0FFF
            "00002001 02000000 0400",     // (0000,0120) Message ID Being Responded To: US 0x0004
            "00000008 02000000 0101",     // (0000,0800) Command Data Set Type: US 0x0101
        ],
        CommandField::CCancelRq,
        &expected,
    );
}

#[test]
fn retired_elements_are_kept_raw_and_reported() {
    let bytes = hex(&[
        "00000000 04000000 42000000", // (0000,0000) Command Group Length: UL 66
        "00000200 12000000 312e322e3834302e31303030382e312e3100", // (0000,0002) Affected SOP Class UID: UI "1.2.840.10008.1.1" + NUL
        "00000001 02000000 3000", // (0000,0100) Command Field: US 0x0030
        "00001001 02000000 0100", // (0000,0110) Message ID: US 0x0001
        "00000008 02000000 0101", // (0000,0800) Command Data Set Type: US 0x0101
        "00000040 02000000 6869", // (0000,4000) (retired) Command Comments: LT "hi"
    ]);
    let decoded = decode(&bytes).unwrap();
    let expected = CommandSet {
        unknown: vec![(0x0000_4000, b"hi".to_vec())],
        ..echo_rq()
    };
    assert_eq!(decoded, expected);
    assert_eq!(decoded.unexpected_elements(), vec![0x0000_4000]);
    assert_eq!(encode(&decoded), bytes);
}

#[test]
fn unknown_elements_are_encoded_among_known_ones_in_tag_order() {
    let command = CommandSet {
        unknown: vec![(0x0000_4000, b"hi".to_vec()), (0x0000_0001, vec![0; 4])],
        ..echo_rq()
    };
    let bytes = encode(&command);
    // (0000,0001) Length to End (retired) goes between (0000,0000) and (0000,0002).
    assert_eq!(&bytes[12..24], &hex(&["00000100 04000000 00000000"])[..]);
    assert_eq!(
        &bytes[bytes.len() - 10..],
        &hex(&["00000040 02000000 6869"])[..]
    );
    let decoded = decode(&bytes).unwrap();
    assert_eq!(
        decoded.unknown,
        vec![(0x0000_0001, vec![0; 4]), (0x0000_4000, b"hi".to_vec())]
    );
}

#[test]
fn elements_a_command_does_not_use_are_reported_not_refused() {
    let command = CommandSet {
        priority: Some(0),
        move_destination: some("X"),
        ..echo_rq()
    };
    let decoded = decode(&encode(&command)).unwrap();
    assert_eq!(decoded, command);
    assert_eq!(
        decoded.unexpected_elements(),
        vec![0x0000_0600, 0x0000_0700]
    );
}

// ------------------------------------------------------- DCMTK's own bytes

/// The C-ECHO-RQ DCMTK 3.6.7 echoscu sent (captures/echo-release.requestor.bin,
/// the PDV of its P-DATA-TF after the 6-byte PDV header).
const DCMTK_ECHO_RQ: [u8; 68] = [
    0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
    0x12, 0x00, 0x00, 0x00, 0x31, 0x2e, 0x32, 0x2e, 0x38, 0x34, 0x30, 0x2e, 0x31, 0x30, 0x30, 0x30,
    0x38, 0x2e, 0x31, 0x2e, 0x31, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x30, 0x00,
    0x00, 0x00, 0x10, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0x02, 0x00,
    0x00, 0x00, 0x01, 0x01,
];

/// The C-ECHO-RSP DCMTK 3.6.7 storescp answered (captures/echo-release.acceptor.bin).
const DCMTK_ECHO_RSP: [u8; 78] = [
    0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x42, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
    0x12, 0x00, 0x00, 0x00, 0x31, 0x2e, 0x32, 0x2e, 0x38, 0x34, 0x30, 0x2e, 0x31, 0x30, 0x30, 0x30,
    0x38, 0x2e, 0x31, 0x2e, 0x31, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x30, 0x80,
    0x00, 0x00, 0x20, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0x02, 0x00,
    0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
];

#[test]
fn dcmtk_echo_rq_decodes_and_re_encodes_identically() {
    let decoded = decode(&DCMTK_ECHO_RQ).unwrap();
    assert_eq!(decoded, echo_rq());
    assert_eq!(encode(&decoded), DCMTK_ECHO_RQ);
}

#[test]
fn dcmtk_echo_rsp_decodes_and_re_encodes_identically() {
    let decoded = decode(&DCMTK_ECHO_RSP).unwrap();
    assert_eq!(decoded, echo_rsp());
    assert_eq!(encode(&decoded), DCMTK_ECHO_RSP);
}

/// The C-STORE-RQ DCMTK 3.6.7 storescu sent (captures/store-ct-pdu16k.requestor.bin,
/// the first PDV, a whole command).
const DCMTK_STORE_RQ: [u8; 158] = [
    0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x92, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
    0x1a, 0x00, 0x00, 0x00, 0x31, 0x2e, 0x32, 0x2e, 0x38, 0x34, 0x30, 0x2e, 0x31, 0x30, 0x30, 0x30,
    0x38, 0x2e, 0x35, 0x2e, 0x31, 0x2e, 0x34, 0x2e, 0x31, 0x2e, 0x31, 0x2e, 0x32, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x01, 0x02, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x07, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08,
    0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x10, 0x40, 0x00, 0x00, 0x00, 0x31, 0x2e,
    0x32, 0x2e, 0x38, 0x32, 0x36, 0x2e, 0x30, 0x2e, 0x31, 0x2e, 0x33, 0x36, 0x38, 0x30, 0x30, 0x34,
    0x33, 0x2e, 0x38, 0x2e, 0x34, 0x39, 0x38, 0x2e, 0x35, 0x34, 0x32, 0x37, 0x35, 0x33, 0x30, 0x30,
    0x36, 0x35, 0x36, 0x36, 0x35, 0x35, 0x33, 0x31, 0x36, 0x39, 0x38, 0x31, 0x39, 0x33, 0x32, 0x31,
    0x39, 0x37, 0x33, 0x36, 0x31, 0x37, 0x32, 0x36, 0x32, 0x35, 0x32, 0x32, 0x37, 0x32,
];

/// The C-STORE-RSP DCMTK 3.6.7 storescp answered (captures/store-ct-pdu16k.acceptor.bin).
const DCMTK_STORE_RSP: [u8; 158] = [
    0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x92, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
    0x1a, 0x00, 0x00, 0x00, 0x31, 0x2e, 0x32, 0x2e, 0x38, 0x34, 0x30, 0x2e, 0x31, 0x30, 0x30, 0x30,
    0x38, 0x2e, 0x35, 0x2e, 0x31, 0x2e, 0x34, 0x2e, 0x31, 0x2e, 0x31, 0x2e, 0x32, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x20, 0x01, 0x02, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x09,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x40, 0x00, 0x00, 0x00, 0x31, 0x2e,
    0x32, 0x2e, 0x38, 0x32, 0x36, 0x2e, 0x30, 0x2e, 0x31, 0x2e, 0x33, 0x36, 0x38, 0x30, 0x30, 0x34,
    0x33, 0x2e, 0x38, 0x2e, 0x34, 0x39, 0x38, 0x2e, 0x35, 0x34, 0x32, 0x37, 0x35, 0x33, 0x30, 0x30,
    0x36, 0x35, 0x36, 0x36, 0x35, 0x35, 0x33, 0x31, 0x36, 0x39, 0x38, 0x31, 0x39, 0x33, 0x32, 0x31,
    0x39, 0x37, 0x33, 0x36, 0x31, 0x37, 0x32, 0x36, 0x32, 0x35, 0x32, 0x32, 0x37, 0x32,
];

const DCMTK_STORED_INSTANCE: &str =
    "1.2.826.0.1.3680043.8.498.54275300656655316981932197361726252272";

#[test]
fn dcmtk_store_rq_decodes_and_re_encodes_identically() {
    let decoded = decode(&DCMTK_STORE_RQ).unwrap();
    let expected = CommandSet {
        affected_sop_class_uid: some(CT_IMAGE_STORAGE),
        priority: Some(0),
        affected_sop_instance_uid: some(DCMTK_STORED_INSTANCE),
        ..request(CommandField::CStoreRq, 1, 0x0001)
    };
    assert_eq!(decoded, expected);
    assert_eq!(encode(&decoded), DCMTK_STORE_RQ);
}

#[test]
fn dcmtk_store_rsp_decodes_and_re_encodes_identically() {
    let decoded = decode(&DCMTK_STORE_RSP).unwrap();
    let expected = CommandSet {
        affected_sop_class_uid: some(CT_IMAGE_STORAGE),
        affected_sop_instance_uid: some(DCMTK_STORED_INSTANCE),
        ..response(CommandField::CStoreRsp, 1, NO_DATA_SET, 0x0000)
    };
    assert_eq!(decoded, expected);
    assert_eq!(decoded.unexpected_elements(), Vec::<u32>::new());
    assert_eq!(encode(&decoded), DCMTK_STORE_RSP);
}

// ------------------------------------------------------------ error cases

/// The C-ECHO-RQ layout above with one element replaced; offsets of its
/// elements: (0000,0000) 0, (0000,0002) 12, (0000,0100) 38,
/// (0000,0110) 48, (0000,0800) 58.
fn echo_with(group_length: &str, message_id: &str) -> Vec<u8> {
    hex(&[
        "00000000 04000000",
        group_length,
        "00000200 12000000 312e322e3834302e31303030382e312e3100",
        "00000001 02000000 3000",
        message_id,
        "00000008 02000000 0101",
    ])
}

fn assert_error(bytes: &[u8], kind: ErrorKind, field: &str, offset: u64) {
    let err = decode(bytes).unwrap_err();
    assert_eq!((err.kind, err.field, err.offset), (kind, field, offset));
}

#[test]
fn odd_value_length_is_invalid() {
    // Message ID with length 3 (and the group length counting that byte).
    let bytes = echo_with("39000000", "00001001 03000000 010000");
    assert_error(
        &bytes,
        ErrorKind::InvalidValue,
        "(0000,0110) Message ID",
        48,
    );
}

#[test]
fn length_past_the_end_overflows() {
    // The Command Data Set Type claims 4 bytes; 2 are there.
    let bytes = hex(&[
        "00000000 04000000 38000000",
        "00000200 12000000 312e322e3834302e31303030382e312e3100",
        "00000001 02000000 3000",
        "00001001 02000000 0100",
        "00000008 04000000 0101",
    ]);
    assert_error(
        &bytes,
        ErrorKind::LengthOverflow {
            claimed: 4,
            available: 2,
        },
        "(0000,0800) Command Data Set Type",
        58,
    );
}

#[test]
fn wrong_us_size_is_invalid() {
    let bytes = echo_with("3a000000", "00001001 04000000 01000000");
    assert_error(
        &bytes,
        ErrorKind::InvalidValue,
        "(0000,0110) Message ID",
        48,
    );
}

#[test]
fn missing_group_length() {
    let bytes = hex(&[
        "00000200 12000000 312e322e3834302e31303030382e312e3100",
        "00000001 02000000 3000",
        "00001001 02000000 0100",
        "00000008 02000000 0101",
    ]);
    assert_error(
        &bytes,
        ErrorKind::Missing,
        "(0000,0000) Command Group Length",
        0,
    );
    assert_error(
        &[],
        ErrorKind::Missing,
        "(0000,0000) Command Group Length",
        0,
    );
}

#[test]
fn wrong_group_length() {
    let bytes = echo_with("36000000", "00001001 02000000 0100");
    assert_error(
        &bytes,
        ErrorKind::InvalidValue,
        "(0000,0000) Command Group Length",
        0,
    );
}

#[test]
fn unknown_command_field_answers_unrecognized_operation() {
    let bytes = hex(&[
        "00000000 04000000 38000000",
        "00000200 12000000 312e322e3834302e31303030382e312e3100",
        "00000001 02000000 3412",
        "00001001 02000000 0100",
        "00000008 02000000 0101",
    ]);
    let err = decode(&bytes).unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnknownCommandField(0x1234));
    assert_eq!(err.field, "(0000,0100) Command Field");
    assert_eq!(err.offset, 38);
    assert_eq!(err.answer, Answer::Status(0x0211));
}

#[test]
fn c_store_rq_without_affected_sop_instance_uid_is_missing_it() {
    let bytes = hex(&[
        "00000000 04000000 4a000000",
        "00000200 1a000000 312e322e3834302e31303030382e352e312e342e312e312e3200",
        "00000001 02000000 0100",
        "00001001 02000000 0700",
        "00000007 02000000 0000",
        "00000008 02000000 0000",
    ]);
    assert_error(
        &bytes,
        ErrorKind::Missing,
        "(0000,1000) Affected SOP Instance UID",
        0,
    );
}

#[test]
fn duplicated_and_unordered_elements() {
    // Message ID twice: a duplicate, reported at the second one.
    let duplicate = hex(&[
        "00000000 04000000 42000000",
        "00000200 12000000 312e322e3834302e31303030382e312e3100",
        "00000001 02000000 3000",
        "00001001 02000000 0100",
        "00001001 02000000 0200",
        "00000008 02000000 0101",
    ]);
    assert_error(
        &duplicate,
        ErrorKind::Duplicate,
        "(0000,0110) Message ID",
        58,
    );
    // Message ID before Command Field: out of order.
    let unordered = hex(&[
        "00000000 04000000 38000000",
        "00000200 12000000 312e322e3834302e31303030382e312e3100",
        "00001001 02000000 0100",
        "00000001 02000000 3000",
        "00000008 02000000 0101",
    ]);
    assert_error(
        &unordered,
        ErrorKind::InvalidValue,
        "(0000,0100) Command Field",
        48,
    );
}

#[test]
fn element_outside_group_0000_is_invalid() {
    let bytes = hex(&["00000000 04000000 0a000000", "08001600 02000000 3100"]);
    assert_error(
        &bytes,
        ErrorKind::InvalidValue,
        "Command Set element outside group 0000",
        12,
    );
}

#[test]
fn error_comment_must_be_printable_ascii() {
    let bytes = hex(&[
        "00000000 04000000 4c000000",
        "00000200 12000000 312e322e3834302e31303030382e312e3100",
        "00000001 02000000 3080",
        "00002001 02000000 0100",
        "00000008 02000000 0101",
        "00000009 02000000 1001",
        "00000209 02000000 c3a9",
    ]);
    assert_error(
        &bytes,
        ErrorKind::InvalidText,
        "(0000,0902) Error Comment",
        78,
    );
}

#[test]
fn encoding_rejects_what_cannot_go_on_the_wire() {
    let reason = |command: CommandSet| {
        encode_command_set(&command, &mut Vec::new())
            .unwrap_err()
            .reason
    };
    let too_long = reason(CommandSet {
        error_comment: Some("x".repeat(65)),
        ..echo_rsp()
    });
    assert_eq!(
        too_long,
        EncodeErrorReason::TooLong {
            length: 65,
            limit: 64
        }
    );
    let non_ascii = reason(CommandSet {
        move_destination: some("ÉCHO"),
        ..echo_rq()
    });
    assert_eq!(non_ascii, EncodeErrorReason::InvalidText);
    let known_tag = reason(CommandSet {
        unknown: vec![(0x0000_0110, vec![1, 0])],
        ..echo_rq()
    });
    assert_eq!(known_tag, EncodeErrorReason::InvalidValue);
    let other_group = reason(CommandSet {
        unknown: vec![(0x0008_0016, vec![0x31, 0])],
        ..echo_rq()
    });
    assert_eq!(other_group, EncodeErrorReason::InvalidValue);
    let mut out = vec![0xAA];
    assert!(encode_command_set(
        &CommandSet {
            affected_sop_class_uid: Some("1".repeat(65)),
            ..echo_rq()
        },
        &mut out
    )
    .is_err());
    assert_eq!(out, [0xAA], "a failed encode leaves the buffer as it was");
}
