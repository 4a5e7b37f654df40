#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Byte-exact command sets of the C-services, one per Command Field, written from PS3.7 E.1
//! (command dictionary: tags and VRs) and the message tables of chapter 9 (Tables 9.3-1 to
//! 9.3-10). Implicit VR Little Endian: group u16 LE, element u16 LE, length u32 LE, value.
//! Each vector is decoded, compared with the expected `CommandSet`, and re-encoded to the
//! same bytes.

mod common;

use common::dimse::*;
use fastdimse_proto::dimse::{CommandField, CommandSet, NO_DATA_SET};

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
