#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The streaming receiver: data sets announced and sent to the writer given in resume, bytes
//! fed while paused, and data sets kept in memory.

mod common;

use std::sync::Arc;

use common::receiver::*;
use fastdimse_proto::pdu::Pdu;
use fastdimse_proto::receiver::{Destination, Receiver, ReceiverConfig};
use fastdimse_proto::ErrorKind;

#[test]
fn announced_data_set_goes_to_the_writer_given_in_resume() {
    let data = data_set_bytes(10_000);
    let stream = [store_stream(1, 5, &data, 4000), RELEASE_RQ.to_vec()].concat();
    let cfg = ReceiverConfig {
        announce_data_sets: true,
        ..config(16382)
    };
    for chunk in CHUNKS {
        let mut receiver = Receiver::new(cfg);
        let writer = SharedWriter::default();
        let mut events = Vec::new();
        for piece in stream.chunks(chunk.min(stream.len())) {
            receiver.feed(piece).unwrap();
            for event in drain(&mut receiver) {
                if let Ev::Start(context_id, ref cmd) = event {
                    assert_eq!((context_id, cmd), (1, &command(&c_store_rq(5))));
                    assert!(receiver.is_paused());
                    receiver
                        .resume(Destination::Writer(Box::new(writer.clone())))
                        .unwrap();
                }
                events.push(event);
            }
            // resume may have completed more.
            events.extend(drain(&mut receiver));
        }
        receiver.finish().unwrap();
        let store = command(&c_store_rq(5));
        assert_eq!(
            events,
            vec![
                Ev::Start(1, store.clone()),
                Ev::Written(1, store, 10_000),
                Ev::Pdu(Pdu::ReleaseRq)
            ],
            "chunk {chunk}"
        );
        assert_eq!(*writer.bytes.lock().unwrap(), data);
        assert_eq!(*writer.flushes.lock().unwrap(), 1);
        // The writer was dropped: only our clone holds the buffer.
        assert_eq!(Arc::strong_count(&writer.bytes), 1);
    }
}

#[test]
fn bytes_fed_while_paused_wait_for_resume() {
    let data = data_set_bytes(100);
    let stream = [
        store_stream(3, 1, &data, 64),
        pdata(&[(3, CMD_LAST, &c_echo_rq(2))]),
    ]
    .concat();
    let mut receiver = Receiver::new(ReceiverConfig {
        announce_data_sets: true,
        ..config(16382)
    });
    let events = feed_all(&mut receiver, &stream);
    assert_eq!(events, vec![Ev::Start(3, command(&c_store_rq(1)))]);
    assert!(receiver.is_paused());
    // The bytes held are whole PDUs: nothing partial.
    assert!(!receiver.partial_pdu_pending());
    assert!(receiver.message_pending());
    // More bytes while paused are only kept, partial PDUs included.
    receiver.feed(&RELEASE_RQ[..3]).unwrap();
    assert!(receiver.partial_pdu_pending());
    receiver.feed(&RELEASE_RQ[3..]).unwrap();
    assert!(receiver.next_event().is_none());
    receiver.resume(Destination::Memory).unwrap();
    assert_eq!(
        drain(&mut receiver),
        vec![
            Ev::Message(3, command(&c_store_rq(1)), Some(data)),
            Ev::Message(3, command(&c_echo_rq(2)), None),
            Ev::Pdu(Pdu::ReleaseRq),
        ]
    );
    assert!(!receiver.partial_pdu_pending());
    receiver.finish().unwrap();
}

#[test]
fn resume_without_data_set_start_fails_without_poisoning() {
    let mut receiver = Receiver::new(config(16382));
    let err = receiver.resume(Destination::Memory).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidValue);
    receiver.feed(&RELEASE_RQ).unwrap();
    assert_eq!(drain(&mut receiver), vec![Ev::Pdu(Pdu::ReleaseRq)]);
}

#[test]
fn data_set_in_the_same_pdu_as_its_command_pauses_mid_pdu() {
    let data = data_set_bytes(20);
    let store = c_store_rq(1);
    let stream = pdata(&[(1, CMD_LAST, &store), (1, DATA_LAST, &data)]);
    let mut receiver = Receiver::new(ReceiverConfig {
        announce_data_sets: true,
        observe_pdus: true,
        ..config(16382)
    });
    // DataSetStart cannot wait for the PDU's end: the caller must resume first.
    assert_eq!(
        feed_all(&mut receiver, &stream),
        vec![Ev::Start(1, command(&store))]
    );
    receiver.resume(Destination::Memory).unwrap();
    assert_eq!(
        drain(&mut receiver),
        vec![
            Ev::Raw(stream.clone()),
            Ev::Message(1, command(&store), Some(data))
        ]
    );
}

#[test]
fn data_set_goes_to_memory_without_announce() {
    let data = data_set_bytes(50_000);
    let stream = store_stream(7, 3, &data, 16376);
    for chunk in CHUNKS {
        let (events, error) = feed_chunked(config(16382), &stream, chunk);
        assert_eq!(error, None);
        assert_eq!(
            events,
            vec![Ev::Message(7, command(&c_store_rq(3)), Some(data.clone()))]
        );
    }
}

#[test]
fn empty_last_data_fragment_ends_the_data_set() {
    let store = c_store_rq(1);
    let stream = [
        pdata(&[(1, CMD_LAST, &store)]),
        pdata(&[(1, DATA, b"ab")]),
        pdata(&[(1, DATA_LAST, b"")]),
    ]
    .concat();
    let mut receiver = Receiver::new(config(16382));
    assert_eq!(
        feed_all(&mut receiver, &stream),
        vec![Ev::Message(1, command(&store), Some(b"ab".to_vec()))]
    );
}
