#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Command sets lacking mandatory elements: a request other than C-CANCEL that
//! lacks only service-specific ones is delivered with them named (the caller
//! answers a failure status); every other lack is a `Missing` error. The
//! receiver agrees with `decode_command_set` and takes the data set as usual.

mod common;

use common::dimse::{decode, encode, hex, request, response, some, CT_IMAGE_STORAGE};
use common::receiver::{
    config, data_set_bytes, drain, element, message_stream, Ev, CMD_LAST, RELEASE_RQ,
};
use fastdimse_proto::dimse::{CommandField, CommandSet, NO_DATA_SET};
use fastdimse_proto::pdu::Pdu;
use fastdimse_proto::receiver::{Destination, Receiver, ReceiverConfig};
use fastdimse_proto::ErrorKind;

/// PS3.7 Table 9.3-1 without (0000,1000) Affected SOP Instance UID; a data set follows.
fn store_without_instance() -> Vec<u8> {
    hex(&[
        "00000000 04000000 4a000000",
        "00000200 1a000000 312e322e3834302e31303030382e352e312e342e312e312e3200",
        "00000001 02000000 0100",
        "00001001 02000000 0700",
        "00000007 02000000 0000",
        "00000008 02000000 0000",
    ])
}

#[test]
fn c_store_rq_without_affected_sop_instance_uid_names_it() {
    let decoded = decode(&store_without_instance()).unwrap();
    let expected = CommandSet {
        affected_sop_class_uid: some(CT_IMAGE_STORAGE),
        priority: Some(0),
        ..request(CommandField::CStoreRq, 7, 0x0000)
    };
    assert_eq!(decoded, expected);
    assert_eq!(decoded.missing_elements(), vec![0x0000_1000]);
    assert_eq!(encode(&decoded), store_without_instance());
}

#[test]
fn every_service_specific_element_of_every_request_may_be_missing() {
    for field in CommandField::ALL {
        if field.is_response() || field == CommandField::CCancelRq {
            continue;
        }
        let bare = request(field, 3, NO_DATA_SET);
        let expected: Vec<u32> = field
            .mandatory()
            .difference(field.essential())
            .iter()
            .map(|element| element.tag())
            .collect();
        assert!(!expected.is_empty(), "{}", field.name());
        let decoded = decode(&encode(&bare)).unwrap();
        assert_eq!(decoded, bare, "{}", field.name());
        assert_eq!(decoded.missing_elements(), expected, "{}", field.name());
    }
}

#[test]
fn a_complete_command_set_misses_nothing() {
    let echo = CommandSet {
        affected_sop_class_uid: some("1.2.840.10008.1.1"),
        ..request(CommandField::CEchoRq, 1, NO_DATA_SET)
    };
    assert_eq!(
        decode(&encode(&echo)).unwrap().missing_elements(),
        Vec::<u32>::new()
    );
    let unknown = CommandSet {
        command_field: 0x4242,
        ..CommandSet::default()
    };
    assert_eq!(unknown.missing_elements(), Vec::<u32>::new());
}

#[test]
fn a_request_without_message_id_is_still_refused() {
    let mut bare = request(CommandField::NSetRq, 1, NO_DATA_SET);
    bare.message_id = None;
    let err = decode(&encode(&bare)).unwrap_err();
    assert_eq!(
        (err.kind, err.field, err.offset),
        (ErrorKind::Missing, "(0000,0110) Message ID", 0)
    );
}

#[test]
fn a_request_without_command_data_set_type_is_still_refused() {
    // C-ECHO-RQ without (0000,0800).
    let bytes = hex(&[
        "00000000 04000000 2e000000",
        "00000200 12000000 312e322e3834302e31303030382e312e3100",
        "00000001 02000000 3000",
        "00001001 02000000 0100",
    ]);
    let err = decode(&bytes).unwrap_err();
    assert_eq!(
        (err.kind, err.field),
        (ErrorKind::Missing, "(0000,0800) Command Data Set Type")
    );
}

#[test]
fn responses_and_c_cancel_lacking_anything_are_still_refused() {
    let mut no_status = response(CommandField::NSetRsp, 1, NO_DATA_SET, 0);
    no_status.status = None;
    let err = decode(&encode(&no_status)).unwrap_err();
    assert_eq!(
        (err.kind, err.field),
        (ErrorKind::Missing, "(0000,0900) Status")
    );
    let mut no_id = response(CommandField::CStoreRsp, 1, NO_DATA_SET, 0);
    no_id.message_id_being_responded_to = None;
    let err = decode(&encode(&no_id)).unwrap_err();
    assert_eq!(
        (err.kind, err.field),
        (
            ErrorKind::Missing,
            "(0000,0120) Message ID Being Responded To"
        )
    );
    let cancel = CommandSet {
        command_field: CommandField::CCancelRq as u16,
        command_data_set_type: NO_DATA_SET,
        ..CommandSet::default()
    };
    let err = decode(&encode(&cancel)).unwrap_err();
    assert_eq!(
        (err.kind, err.field),
        (
            ErrorKind::Missing,
            "(0000,0120) Message ID Being Responded To"
        )
    );
}

/// N-SET-RQ without Requested SOP Instance UID, a Modification List following.
fn n_set_without_instance(message_id: u16) -> Vec<u8> {
    common::receiver::command_set(&[
        element(0x0003, b"1.2.840.10008.5.1.1.1\0"),
        element(0x0100, &0x0120u16.to_le_bytes()),
        element(0x0110, &message_id.to_le_bytes()),
        element(0x0800, &0u16.to_le_bytes()),
    ])
}

/// That N-SET-RQ, then `data` in 1000-byte fragments (`per_pdu` to a P-DATA-TF),
/// then A-RELEASE-RQ: the command set and the stream.
fn n_set_stream(
    context_id: u8,
    message_id: u16,
    data: &[u8],
    per_pdu: usize,
) -> (Vec<u8>, Vec<u8>) {
    let command = n_set_without_instance(message_id);
    let messages = message_stream(context_id, &command, data, 1000, per_pdu);
    (command, [messages, RELEASE_RQ.to_vec()].concat())
}

#[test]
fn the_receiver_delivers_it_with_its_data_set_in_memory() {
    let data = data_set_bytes(5000);
    let (command, stream) = n_set_stream(1, 4, &data, 2);
    let mut receiver = Receiver::new(config(16382));
    receiver.feed(&stream).unwrap();
    let events = drain(&mut receiver);
    let decoded = decode(&command).unwrap();
    assert_eq!(decoded.missing_elements(), vec![0x0000_1001]);
    assert_eq!(
        events,
        vec![Ev::Message(1, decoded, Some(data)), Ev::Pdu(Pdu::ReleaseRq)]
    );
}

#[test]
fn the_receiver_announces_it_and_caps_its_data_set_like_any_other() {
    let data = data_set_bytes(3000);
    let (command, stream) = n_set_stream(3, 5, &data, 1);
    let cfg = ReceiverConfig {
        announce_data_sets: true,
        max_memory_data_set: 2000,
        ..config(16382)
    };
    let mut receiver = Receiver::new(cfg);
    receiver.feed(&stream).unwrap();
    let decoded = decode(&command).unwrap();
    assert_eq!(drain(&mut receiver), vec![Ev::Start(3, decoded)]);
    receiver.resume(Destination::Memory).unwrap();
    assert_eq!(
        drain(&mut receiver),
        vec![Ev::TooLarge(3, 2000, 3000), Ev::Pdu(Pdu::ReleaseRq)]
    );
}

#[test]
fn the_receiver_refuses_a_response_lacking_its_status() {
    let rsp = common::receiver::command_set(&[
        element(0x0100, &0x8120u16.to_le_bytes()),
        element(0x0120, &1u16.to_le_bytes()),
        element(0x0800, &NO_DATA_SET.to_le_bytes()),
    ]);
    let stream = common::receiver::pdata(&[(1, CMD_LAST, &rsp)]);
    let err = common::receiver::feed_err(config(16382), &stream);
    assert_eq!(err, decode(&rsp).unwrap_err());
    assert_eq!(err.kind, ErrorKind::Missing);
}
