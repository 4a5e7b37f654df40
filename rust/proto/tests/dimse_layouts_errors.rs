#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Command sets that do not decode, or do not encode: kind, field and offset.

mod common;

use common::dimse::*;
use fastdimse_proto::dimse::{encode_command_set, CommandSet};
use fastdimse_proto::error::{Answer, EncodeErrorReason};
use fastdimse_proto::ErrorKind;

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
