#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The streaming receiver: PDV reassembly and the message control rules (PS3.8 9.3.5,
//! Annex E), and the rules of PDV items.

mod common;

use common::receiver::*;
use fastdimse_proto::dimse::decode_command_set;
use fastdimse_proto::receiver::{Receiver, MAX_COMMAND_SET_LEN};
use fastdimse_proto::{DecodeOptions, ErrorKind};

// ------------------------------------------------ message control rules

/// Offset of the k-th PDV's message control header in a stream made of
/// single-PDV P-DATA-TFs: 6 (PDU header) + 4 (item length) + 1 (context ID).
const FIRST_CONTROL_OFFSET: u64 = 11;

#[test]
fn data_fragment_before_any_command_is_a_sequence_error() {
    let err = feed_err(config(16382), &pdata(&[(1, DATA_LAST, b"ab")]));
    assert_eq!(err.kind, ErrorKind::MessageSequence);
    assert_eq!(err.offset, FIRST_CONTROL_OFFSET);
    assert_eq!(err.field, "P-DATA-TF/PDV/Message-control-header");
}

#[test]
fn data_fragment_before_the_command_is_complete_is_a_sequence_error() {
    let store = c_store_rq(1);
    let first = pdata(&[(1, CMD, &store[..20])]);
    let stream = [first.clone(), pdata(&[(1, DATA_LAST, b"ab")])].concat();
    let err = feed_err(config(16382), &stream);
    assert_eq!(err.kind, ErrorKind::MessageSequence);
    assert_eq!(err.offset, first.len() as u64 + FIRST_CONTROL_OFFSET);
}

#[test]
fn command_fragment_after_the_last_one_is_a_sequence_error() {
    let store = c_store_rq(1);
    let first = pdata(&[(1, CMD_LAST, &store)]);
    let stream = [first.clone(), pdata(&[(1, CMD_LAST, &store)])].concat();
    let err = feed_err(config(16382), &stream);
    assert_eq!(err.kind, ErrorKind::MessageSequence);
    assert_eq!(err.offset, first.len() as u64 + FIRST_CONTROL_OFFSET);
}

#[test]
fn context_change_inside_a_message_is_a_sequence_error() {
    let store = c_store_rq(1);
    // Inside the command...
    let first = pdata(&[(1, CMD, &store[..20])]);
    let stream = [first.clone(), pdata(&[(3, CMD_LAST, &store[20..])])].concat();
    let err = feed_err(config(16382), &stream);
    assert_eq!(err.kind, ErrorKind::MessageSequence);
    assert_eq!(err.field, "P-DATA-TF/PDV/Presentation-context-ID");
    assert_eq!(err.offset, first.len() as u64 + 10);
    // ...and between command and data set.
    let first = pdata(&[(1, CMD_LAST, &store)]);
    let stream = [first.clone(), pdata(&[(3, DATA_LAST, b"ab")])].concat();
    let err = feed_err(config(16382), &stream);
    assert_eq!(err.kind, ErrorKind::MessageSequence);
    assert_eq!(err.offset, first.len() as u64 + 10);
}

#[test]
fn data_fragment_after_a_command_without_data_set_is_a_sequence_error() {
    let echo = c_echo_rq(1);
    let first = pdata(&[(1, CMD_LAST, &echo)]);
    let stream = [first.clone(), pdata(&[(1, DATA_LAST, b"ab")])].concat();
    let mut receiver = Receiver::new(config(16382));
    let err = receiver.feed(&stream).unwrap_err();
    assert_eq!(err.kind, ErrorKind::MessageSequence);
    assert_eq!(err.offset, first.len() as u64 + FIRST_CONTROL_OFFSET);
    // The C-ECHO completed before the error is still delivered.
    assert_eq!(
        drain(&mut receiver),
        vec![Ev::Message(1, command(&echo), None)]
    );
}

#[test]
fn control_header_bits_2_to_7_are_not_checked() {
    // PS3.8 E.2: "never checked by the receiver".
    let echo = c_echo_rq(1);
    let mut receiver = Receiver::new(config(16382));
    assert_eq!(
        feed_all(&mut receiver, &pdata(&[(1, 0xFC | CMD_LAST, &echo)])),
        vec![Ev::Message(1, command(&echo), None)]
    );
}

#[test]
fn command_decode_errors_count_from_the_command_set() {
    let mut store = c_store_rq(1);
    // Break the Command Group Length value (bytes 8..12).
    store[8] ^= 0x01;
    let expected = decode_command_set(&store, &DecodeOptions::default()).unwrap_err();
    let err = feed_err(config(16382), &pdata(&[(1, CMD_LAST, &store)]));
    assert_eq!(err, expected);
}

#[test]
fn command_set_larger_than_the_cap_is_refused() {
    let big = vec![0u8; MAX_COMMAND_SET_LEN + 2];
    let err = feed_err(config(0), &pdata(&[(1, CMD, &big)]));
    assert!(matches!(err.kind, ErrorKind::LimitExceeded { .. }), "{err}");
    assert_eq!(err.offset, 12);
}

// ---------------------------------------------------------- PDV item rules

#[test]
fn pdv_item_length_below_two_is_refused() {
    // P-DATA-TF of 6 bytes holding a PDV item claiming length 1.
    let stream = [0x04, 0, 0, 0, 0, 6, 0, 0, 0, 1, 1, 3];
    let err = feed_err(config(16382), &stream);
    assert_eq!(
        err.kind,
        ErrorKind::LengthTooShort {
            claimed: 1,
            minimum: 2
        }
    );
    assert_eq!(err.offset, 6);
}

#[test]
fn pdv_item_longer_than_its_pdu_is_refused_before_its_data() {
    // P-DATA-TF of 10 bytes whose PDV item claims 9 (only 6 fit).
    let stream = [0x04, 0, 0, 0, 0, 10, 0, 0, 0, 9, 1, 3];
    let err = feed_err(config(16382), &stream);
    assert_eq!(
        err.kind,
        ErrorKind::LengthOverflow {
            claimed: 9,
            available: 6
        }
    );
    assert_eq!(err.offset, 6);
}

#[test]
fn pdu_tail_too_short_for_a_pdv_header_is_refused() {
    let echo = c_echo_rq(1);
    let mut stream = pdata(&[(1, CMD_LAST, &echo)]);
    // Three stray bytes inside the PDU after the PDV.
    let len = u32::from_be_bytes(stream[2..6].try_into().unwrap()) + 3;
    stream[2..6].copy_from_slice(&len.to_be_bytes());
    let pdv_end = stream.len() as u64;
    stream.extend([0, 0, 0]);
    let err = feed_err(config(16382), &stream);
    assert_eq!(
        err.kind,
        ErrorKind::LengthOverflow {
            claimed: 6,
            available: 3
        }
    );
    assert_eq!(err.offset, pdv_end);
}
