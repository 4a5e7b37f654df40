#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Byte-exact command sets of the N-services and C-CANCEL-RQ, one per Command Field, written
//! from PS3.7 E.1 and the message tables of chapter 10 (Tables 10.3-1 to 10.3-12), decoded,
//! compared and re-encoded; then elements a command's table does not list (retired, unknown,
//! unused).

mod common;

use common::dimse::*;
use fastdimse_proto::dimse::{CommandField, CommandSet, NO_DATA_SET};

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
