#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The streaming receiver: framing limits judged from PDU headers alone, and PDU body errors
//! shifted to stream offsets.

mod common;

use common::receiver::*;
use fastdimse_proto::pdu::{self, Pdu};
use fastdimse_proto::receiver::{Destination, Event, Receiver, ReceiverConfig};
use fastdimse_proto::{DecodeOptions, ErrorKind};

// ------------------------------------------------- limits from the header

#[test]
fn pdata_over_local_max_is_refused_from_the_header_alone() {
    let header = [0x04, 0x00, 0, 0, 0x40, 0x01]; // 16385 > 16384
    let mut receiver = Receiver::new(config(16384));
    receiver.feed(b"").unwrap();
    let err = receiver.feed(&header).unwrap_err();
    assert_eq!(
        err.kind,
        ErrorKind::LimitExceeded {
            limit: 16384,
            claimed: 16385
        }
    );
    assert_eq!(err.field, "P-DATA-TF/PDU-length");
    assert_eq!(err.offset, 2);
}

#[test]
fn pdata_limit_errors_count_from_the_stream_start() {
    let stream = [RELEASE_RQ.to_vec(), vec![0x04, 0x00, 0, 0, 0x40, 0x01]].concat();
    let err = feed_err(config(16384), &stream);
    assert_eq!(err.offset, 12);
}

#[test]
fn local_max_zero_streams_a_huge_claimed_pdata() {
    let store = c_store_rq(1);
    let mut stream = vec![0x04, 0x00];
    stream.extend(0xFFFF_FFF0u32.to_be_bytes());
    // The command's PDV...
    stream.extend((store.len() as u32 + 2).to_be_bytes());
    stream.extend([1, CMD_LAST]);
    stream.extend(&store);
    // ...and a data PDV claiming the rest of the PDU.
    let data_claim = 0xFFFF_FFF0u32 - (store.len() as u32 + 6) - 6;
    stream.extend((data_claim + 2).to_be_bytes());
    stream.extend([1, DATA_LAST]);
    let data = data_set_bytes(100_000);
    stream.extend(&data);

    let mut receiver = Receiver::new(ReceiverConfig {
        announce_data_sets: true,
        ..config(0)
    });
    let writer = SharedWriter::default();
    for piece in stream.chunks(8192) {
        receiver.feed(piece).unwrap();
        if let Some(event) = receiver.next_event() {
            assert!(matches!(event, Event::DataSetStart { .. }));
            receiver
                .resume(Destination::Writer(Box::new(writer.clone())))
                .unwrap();
        }
    }
    // Every byte that arrived went through to the writer.
    assert_eq!(*writer.bytes.lock().unwrap(), data);
    assert!(receiver.partial_pdu_pending());
    assert!(receiver.message_pending());
    let err = receiver.finish().unwrap_err();
    assert_eq!(
        err.kind,
        ErrorKind::Truncated {
            missing: u64::from(data_claim) - data.len() as u64
        }
    );
}

#[test]
fn associate_rq_over_the_cap_is_refused_from_the_header_alone() {
    let cfg = ReceiverConfig {
        max_associate_pdu: 1 << 20,
        ..config(16382)
    };
    let mut header = vec![0x01, 0x00];
    header.extend(((1u32 << 20) + 1).to_be_bytes());
    let err = feed_err(cfg, &header);
    assert_eq!(
        err.kind,
        ErrorKind::LimitExceeded {
            limit: 1 << 20,
            claimed: (1 << 20) + 1
        }
    );
    assert_eq!(err.field, "A-ASSOCIATE-RQ/PDU-length");
    assert_eq!(err.offset, 2);
    // Same for AC.
    header[0] = 0x02;
    assert!(matches!(
        feed_err(cfg, &header).kind,
        ErrorKind::LimitExceeded { .. }
    ));
}

#[test]
fn fixed_size_pdus_with_another_length_are_refused_from_the_header() {
    for pdu_type in [0x03u8, 0x05, 0x06, 0x07] {
        let err = feed_err(config(16382), &[pdu_type, 0, 0, 0, 0, 5]);
        assert_eq!(
            err.kind,
            ErrorKind::LimitExceeded {
                limit: 4,
                claimed: 5
            },
            "type {pdu_type}"
        );
        assert_eq!(err.offset, 2);
        let err = feed_err(config(16382), &[pdu_type, 0, 0, 0, 0, 3]);
        assert_eq!(
            err.kind,
            ErrorKind::LengthTooShort {
                claimed: 3,
                minimum: 4
            }
        );
    }
}

#[test]
fn unknown_pdu_type_is_refused_at_once() {
    let stream = [RELEASE_RQ.to_vec(), vec![0x08, 0, 0, 0, 0, 4]].concat();
    let err = feed_err(config(16382), &stream);
    assert_eq!(err.kind, ErrorKind::UnknownPduType(0x08));
    assert_eq!(err.offset, 10);
    assert_eq!(err.field, "PDU-type");
}

#[test]
fn pdata_shorter_than_a_pdv_header_is_refused() {
    let err = feed_err(config(16382), &[0x04, 0, 0, 0, 0, 0]);
    assert_eq!(
        err.kind,
        ErrorKind::LengthTooShort {
            claimed: 0,
            minimum: 6
        }
    );
}

#[test]
fn pdu_body_errors_are_shifted_to_stream_offsets() {
    // An A-ABORT with a reserved/source layout decode_pdu_body rejects, or
    // accepts: either way the receiver reports what it reports, shifted.
    let body = [0u8, 0, 9, 9];
    let direct = pdu::decode_pdu_body(0x07, &body, &DecodeOptions::default());
    let stream = [RELEASE_RQ.as_slice(), &[0x07, 0, 0, 0, 0, 4], &body].concat();
    let mut receiver = Receiver::new(config(16382));
    match direct {
        Ok(pdu) => {
            assert_eq!(
                feed_all(&mut receiver, &stream),
                vec![Ev::Pdu(Pdu::ReleaseRq), Ev::Pdu(pdu)]
            );
        }
        Err(expected) => {
            let err = receiver.feed(&stream).unwrap_err();
            assert_eq!(err, expected.shifted(10));
        }
    }
    // A truncated A-ASSOCIATE-RQ body is always malformed.
    let body = [0u8, 1, 0, 0];
    let expected = pdu::decode_pdu_body(0x01, &body, &DecodeOptions::default()).unwrap_err();
    let stream = [RELEASE_RQ.as_slice(), &[0x01, 0, 0, 0, 0, 4], &body].concat();
    let err = feed_err(config(16382), &stream);
    assert_eq!(err, expected.shifted(10));
}
