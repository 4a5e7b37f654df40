#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The cap on data sets received into memory (`ReceiverConfig::max_memory_data_set`): under
//! and at the limit a data set is kept; over it the message completes with
//! `DataSet::TooLarge` and the stream stays in step, whether the data set was announced and
//! sent to memory by `resume` or received without announcing. Data sets sent to a writer
//! are not capped. (What the receiver holds meanwhile is measured in no_alloc_on_claims.rs,
//! which has a counting allocator.)

mod common;

use common::receiver::*;
use fastdimse_proto::limits::DEFAULT_MAX_MEMORY_DATA_SET;
use fastdimse_proto::pdu::Pdu;
use fastdimse_proto::receiver::{Destination, Receiver, ReceiverConfig};

const MIB: usize = 1024 * 1024;

fn capped(limit: u64, announce: bool) -> ReceiverConfig {
    ReceiverConfig {
        max_memory_data_set: limit,
        announce_data_sets: announce,
        ..config(16382)
    }
}

/// Feeds `stream` in `chunk`-byte reads, sending each announced data set to memory.
fn receive(config: ReceiverConfig, stream: &[u8], chunk: usize) -> Vec<Ev> {
    let mut receiver = Receiver::new(config);
    let mut events = Vec::new();
    for piece in stream.chunks(chunk) {
        receiver.feed(piece).unwrap();
        loop {
            let batch = drain(&mut receiver);
            if batch.is_empty() {
                break;
            }
            for event in batch {
                if matches!(event, Ev::Start(..)) {
                    receiver.resume(Destination::Memory).unwrap();
                } else {
                    events.push(event);
                }
            }
        }
    }
    receiver.finish().unwrap();
    assert!(!receiver.message_pending());
    events
}

#[test]
fn the_default_cap_is_one_mib() {
    assert_eq!(DEFAULT_MAX_MEMORY_DATA_SET, 1024 * 1024);
    assert_eq!(
        ReceiverConfig::default().max_memory_data_set,
        DEFAULT_MAX_MEMORY_DATA_SET
    );
}

#[test]
fn under_and_at_the_cap_the_data_set_is_kept_and_over_it_dropped() {
    let find = c_find_rq(1);
    let echo = c_echo_rq(2);
    for announce in [false, true] {
        for length in [MIB - 1, MIB, MIB + 1] {
            let data = data_set_bytes(length);
            let stream = [
                message_stream(1, &find, &data, 16376, 1),
                pdata(&[(1, CMD_LAST, &echo)]),
            ]
            .concat();
            for chunk in [4093, 65536, usize::MAX] {
                let config = capped(DEFAULT_MAX_MEMORY_DATA_SET, announce);
                let events = receive(config, &stream, chunk.min(stream.len()));
                let expected = if length > MIB {
                    Ev::TooLarge(1, MIB as u64, length as u64)
                } else {
                    Ev::Message(1, command(&find), Some(data.clone()))
                };
                assert_eq!(
                    events,
                    vec![expected, Ev::Message(1, command(&echo), None)],
                    "announce {announce}, length {length}, chunk {chunk}"
                );
            }
        }
    }
}

#[test]
fn over_the_cap_across_many_pdvs_and_pdus_the_stream_stays_in_step() {
    // 2 MiB in 1000-byte PDVs, four to a PDU (about 500 PDUs), then a C-ECHO, a C-FIND
    // under the cap on another context, and A-RELEASE-RQ, all of which must come out.
    let big = data_set_bytes(2 * MIB);
    let small = data_set_bytes(3000);
    let stream = [
        message_stream(1, &c_find_rq(1), &big, 1000, 4),
        pdata(&[(1, CMD_LAST, &c_echo_rq(2))]),
        message_stream(3, &c_find_rq(3), &small, 700, 3),
        RELEASE_RQ.to_vec(),
    ]
    .concat();
    for announce in [false, true] {
        for chunk in [1, 999, 16382, usize::MAX] {
            let events = receive(
                capped(MIB as u64, announce),
                &stream,
                chunk.min(stream.len()),
            );
            assert_eq!(
                events,
                vec![
                    Ev::TooLarge(1, MIB as u64, 2 * MIB as u64),
                    Ev::Message(1, command(&c_echo_rq(2)), None),
                    Ev::Message(3, command(&c_find_rq(3)), Some(small.clone())),
                    Ev::Pdu(Pdu::ReleaseRq),
                ],
                "announce {announce}, chunk {chunk}"
            );
        }
    }
}

#[test]
fn nothing_comes_out_before_the_last_fragment_of_a_data_set_over_the_cap() {
    let data = data_set_bytes(10_000);
    let stream = message_stream(1, &c_find_rq(1), &data, 1000, 1);
    let (head, last) = stream.split_at(stream.len() - 1);
    let mut receiver = Receiver::new(capped(4096, false));
    receiver.feed(head).unwrap();
    assert_eq!(drain(&mut receiver), vec![]);
    assert!(receiver.message_pending());
    receiver.feed(last).unwrap();
    assert_eq!(drain(&mut receiver), vec![Ev::TooLarge(1, 4096, 10_000)]);
    assert!(!receiver.message_pending());
}

#[test]
fn a_response_over_the_cap_is_reported_like_a_request() {
    let rsp = c_find_rsp_pending(7);
    let stream = [
        message_stream(5, &rsp, &data_set_bytes(5000), 2000, 2),
        message_stream(5, &rsp, &data_set_bytes(100), 2000, 2),
    ]
    .concat();
    assert_eq!(
        receive(capped(4096, true), &stream, 1000),
        vec![
            Ev::TooLarge(5, 4096, 5000),
            Ev::Message(5, command(&rsp), Some(data_set_bytes(100))),
        ]
    );
}

#[test]
fn a_cap_of_zero_keeps_only_empty_data_sets() {
    let find = c_find_rq(1);
    let stream = [
        pdata(&[(1, CMD_LAST, &find), (1, DATA_LAST, b"")]),
        message_stream(1, &find, b"ab", 2, 1),
    ]
    .concat();
    assert_eq!(
        receive(capped(0, false), &stream, stream.len()),
        vec![
            Ev::Message(1, command(&find), Some(Vec::new())),
            Ev::TooLarge(1, 0, 2),
        ]
    );
}

#[test]
fn a_data_set_sent_to_a_writer_is_not_capped() {
    let data = data_set_bytes(20_000);
    let stream = store_stream(1, 1, &data, 4000);
    let mut receiver = Receiver::new(capped(1000, true));
    let writer = SharedWriter::default();
    assert!(matches!(
        feed_all(&mut receiver, &stream).as_slice(),
        [Ev::Start(1, _)]
    ));
    receiver
        .resume(Destination::Writer(Box::new(writer.clone())))
        .unwrap();
    assert_eq!(
        drain(&mut receiver),
        vec![Ev::Written(1, command(&c_store_rq(1)), 20_000)]
    );
    assert_eq!(*writer.bytes.lock().unwrap(), data);
}
