#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The streaming receiver: event order, chunking independence, and PDUs observed and
//! P-DATA-TF headers reported.

mod common;

use common::receiver::*;
use fastdimse_proto::pdu::Pdu;
use fastdimse_proto::receiver::{Receiver, ReceiverConfig};
use fastdimse_proto::ErrorKind;

// ------------------------------------------------------------------- tests

#[test]
fn every_chunk_size_gives_the_same_events() {
    let (stream, expected) = mixed_stream();
    for chunk in CHUNKS {
        let (events, error) = feed_chunked(config(16382), &stream, chunk);
        assert_eq!(error, None, "chunk {chunk}");
        assert_eq!(events, expected, "chunk {chunk}");
    }
}

#[test]
fn observe_and_report_give_the_same_events_at_every_chunk_size() {
    let (stream, _) = mixed_stream();
    let cfg = ReceiverConfig {
        observe_pdus: true,
        report_pdata: true,
        ..config(16382)
    };
    let (reference, error) = feed_chunked(cfg, &stream, usize::MAX);
    assert_eq!(error, None);
    for chunk in CHUNKS {
        assert_eq!(
            feed_chunked(cfg, &stream, chunk).0,
            reference,
            "chunk {chunk}"
        );
    }
    // Each PDU's RawPdu holds exactly its bytes, in stream order.
    let raws: Vec<u8> = reference
        .iter()
        .filter_map(|e| match e {
            Ev::Raw(bytes) => Some(bytes.clone()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .concat();
    assert_eq!(raws, stream);
}

#[test]
fn raw_pdu_comes_before_the_events_its_pdu_completes() {
    let echo = c_echo_rq(7);
    let pdu_a = pdata(&[(1, CMD_LAST, &echo)]);
    let stream = [pdu_a.clone(), RELEASE_RQ.to_vec()].concat();
    let cfg = ReceiverConfig {
        observe_pdus: true,
        report_pdata: true,
        ..config(16382)
    };
    for chunk in CHUNKS {
        let (events, error) = feed_chunked(cfg, &stream, chunk);
        assert_eq!(error, None);
        assert_eq!(
            events,
            vec![
                Ev::PData(pdu_a.len() as u32 - 6),
                Ev::Raw(pdu_a.clone()),
                Ev::Message(1, command(&echo), None),
                Ev::Raw(RELEASE_RQ.to_vec()),
                Ev::Pdu(Pdu::ReleaseRq),
            ],
            "chunk {chunk}"
        );
    }
}

#[test]
fn report_pdata_gives_each_header_length_as_it_is_read() {
    let mut receiver = Receiver::new(ReceiverConfig {
        report_pdata: true,
        ..config(16382)
    });
    let pdu = pdata(&[(1, CMD, &c_echo_rq(1)[..10])]);
    // The header alone is enough for the event.
    assert_eq!(feed_all(&mut receiver, &pdu[..6]), vec![Ev::PData(16)]);
    assert_eq!(feed_all(&mut receiver, &pdu[6..]), vec![]);
    assert!(receiver.message_pending());
    assert!(!receiver.partial_pdu_pending());
}

#[test]
fn a_pdu_after_a_pdata_in_the_same_read_comes_after_the_message() {
    let echo = c_echo_rq(9);
    let stream = [pdata(&[(1, CMD_LAST, &echo)]), RELEASE_RQ.to_vec()].concat();
    let mut receiver = Receiver::new(config(16382));
    assert_eq!(
        feed_all(&mut receiver, &stream),
        vec![
            Ev::Message(1, command(&echo), None),
            Ev::Pdu(Pdu::ReleaseRq)
        ]
    );
}

#[test]
fn messages_before_an_error_in_the_same_pdu_are_still_delivered_when_observing() {
    let echo = c_echo_rq(1);
    let stream = pdata(&[(1, CMD_LAST, &echo), (1, DATA_LAST, b"ab")]);
    let mut receiver = Receiver::new(ReceiverConfig {
        observe_pdus: true,
        ..config(16382)
    });
    let err = receiver.feed(&stream).unwrap_err();
    assert_eq!(err.kind, ErrorKind::MessageSequence);
    assert_eq!(
        drain(&mut receiver),
        vec![Ev::Message(1, command(&echo), None)]
    );
}

#[test]
fn report_pdata_can_be_turned_on_and_off_between_pdus() {
    let mut receiver = Receiver::new(config(16382));
    let pdu = pdata(&[(1, CMD, &c_echo_rq(1)[..10])]);
    assert_eq!(feed_all(&mut receiver, &pdu), vec![]);
    receiver.set_report_pdata(true);
    assert_eq!(feed_all(&mut receiver, &pdu), vec![Ev::PData(16)]);
    receiver.set_report_pdata(false);
    assert_eq!(feed_all(&mut receiver, &pdu), vec![]);
}
