#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The streaming receiver: truncation, poisoning after an error, and failed writers.

mod common;

use std::io::{self, Write};

use common::receiver::*;
use fastdimse_proto::receiver::{Destination, Event, Receiver, ReceiverConfig};
use fastdimse_proto::ErrorKind;

// ------------------------------------------------ truncation and poisoning

#[test]
fn finish_inside_a_pdu_is_a_truncation() {
    let echo = pdata(&[(1, CMD_LAST, &c_echo_rq(1))]);
    let half = echo.len() / 2;
    let mut receiver = Receiver::new(config(16382));
    receiver.feed(&echo[..half]).unwrap();
    assert!(receiver.partial_pdu_pending());
    let err = receiver.finish().unwrap_err();
    assert_eq!(
        err.kind,
        ErrorKind::Truncated {
            missing: (echo.len() - half) as u64
        }
    );
    assert!(err.is_truncation());
    // A partial header.
    let mut receiver = Receiver::new(config(16382));
    receiver.feed(&echo[..4]).unwrap();
    assert!(receiver.partial_pdu_pending());
    assert_eq!(
        receiver.finish().unwrap_err().kind,
        ErrorKind::Truncated { missing: 2 }
    );
}

#[test]
fn finish_between_pdus_is_fine_even_inside_a_message() {
    let store = c_store_rq(1);
    let mut receiver = Receiver::new(config(16382));
    receiver.feed(&pdata(&[(1, CMD_LAST, &store)])).unwrap();
    assert!(!receiver.partial_pdu_pending());
    assert!(receiver.message_pending());
    receiver.finish().unwrap();
}

#[test]
fn an_error_poisons_the_receiver() {
    let mut receiver = Receiver::new(config(16382));
    let err = receiver.feed(&[0x09, 0, 0, 0, 0, 4]).unwrap_err();
    assert_eq!(receiver.feed(&RELEASE_RQ).unwrap_err(), err);
    assert_eq!(receiver.finish().unwrap_err(), err);
    assert_eq!(receiver.resume(Destination::Memory).unwrap_err(), err);
    assert!(receiver.next_event().is_none());
}

/// A writer that fails.
struct BrokenWriter;

impl Write for BrokenWriter {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A writer that takes `capacity` bytes and then reports the disk full.
struct FullAfter {
    capacity: usize,
}

impl Write for FullAfter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.capacity == 0 {
            return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
        }
        let taken = data.len().min(self.capacity);
        self.capacity -= taken;
        Ok(taken)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failed_writer_is_reported_on_the_message_and_the_stream_goes_on() {
    for (writer, name) in [
        (Box::new(BrokenWriter) as Box<dyn Write + Send>, "at once"),
        (Box::new(FullAfter { capacity: 3000 }), "midway"),
    ] {
        // 10 000 bytes over several PDUs, then a C-ECHO that must still arrive.
        let mut stream = store_stream(1, 1, &data_set_bytes(10_000), 4096);
        stream.extend(pdata(&[(1, CMD_LAST, &c_echo_rq(2))]));
        let mut receiver = Receiver::new(ReceiverConfig {
            announce_data_sets: true,
            ..config(16382)
        });
        receiver.feed(&stream).unwrap();
        assert!(matches!(
            receiver.next_event(),
            Some(Event::DataSetStart { .. })
        ));
        receiver.resume(Destination::Writer(writer)).unwrap();
        let events: Vec<Ev> = std::iter::from_fn(|| receiver.next_event())
            .map(summarize)
            .collect();
        assert!(
            matches!(
                events.as_slice(),
                [
                    Ev::Unwritten(1, io::ErrorKind::StorageFull, 10_000),
                    Ev::Message(1, _, None)
                ]
            ),
            "{name}: {events:?}"
        );
    }
}

#[test]
fn receiver_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<Receiver>();
    assert_send::<Event>();
}
