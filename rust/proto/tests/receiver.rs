#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The streaming receiver: framing limits judged from headers, PDV
//! reassembly and the message control rules (PS3.8 9.3.5, Annex E), event
//! order, chunking independence, poisoning, truncation, and the DCMTK
//! captures replayed.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use fastdimse_proto::dimse::{decode_command_set, CommandSet};
use fastdimse_proto::pdu::{self, Pdu};
use fastdimse_proto::receiver::{
    DataSet, Destination, Event, Receiver, ReceiverConfig, MAX_COMMAND_SET_LEN,
};
use fastdimse_proto::{DecodeError, DecodeOptions, ErrorKind, LocalMaxPdu};

// ------------------------------------------------------------ byte builders

/// One Implicit VR Little Endian element of group 0000 (PS3.5 7.1.2).
fn element(elem: u16, value: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0];
    out.extend_from_slice(&elem.to_le_bytes());
    out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    out.extend_from_slice(value);
    out
}

/// A command set: (0000,0000) Command Group Length, then `elements`.
fn command_set(elements: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = elements.concat();
    let mut out = element(0x0000, &(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// C-ECHO-RQ (PS3.7 Table 9.3-12): no data set.
fn c_echo_rq(message_id: u16) -> Vec<u8> {
    command_set(&[
        element(0x0002, b"1.2.840.10008.1.1\0"),
        element(0x0100, &0x0030u16.to_le_bytes()),
        element(0x0110, &message_id.to_le_bytes()),
        element(0x0800, &0x0101u16.to_le_bytes()),
    ])
}

/// C-STORE-RQ (PS3.7 Table 9.3-1): a data set follows.
fn c_store_rq(message_id: u16) -> Vec<u8> {
    command_set(&[
        element(0x0002, b"1.2.840.10008.5.1.4.1.1.2\0"),
        element(0x0100, &0x0001u16.to_le_bytes()),
        element(0x0110, &message_id.to_le_bytes()),
        element(0x0700, &0u16.to_le_bytes()),
        element(0x0800, &0u16.to_le_bytes()),
        element(0x1000, b"1.2.3.4\0"),
    ])
}

const CMD: u8 = 0x01;
const CMD_LAST: u8 = 0x03;
const DATA: u8 = 0x00;
const DATA_LAST: u8 = 0x02;

/// A P-DATA-TF (PS3.8 Table 9-22) holding PDV items (Table 9-23):
/// (presentation context ID, message control header, fragment).
fn pdata(pdvs: &[(u8, u8, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (context_id, control, data) in pdvs {
        body.extend_from_slice(&(data.len() as u32 + 2).to_be_bytes());
        body.push(*context_id);
        body.push(*control);
        body.extend_from_slice(data);
    }
    let mut out = vec![0x04, 0x00];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

/// A-RELEASE-RQ (PS3.8 Table 9-24).
const RELEASE_RQ: [u8; 10] = [0x05, 0x00, 0, 0, 0, 4, 0, 0, 0, 0];

fn data_set_bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

fn command(bytes: &[u8]) -> CommandSet {
    decode_command_set(bytes, &DecodeOptions::default()).unwrap()
}

// --------------------------------------------------------- event summaries

/// Events in a comparable form.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Pdu(Pdu),
    PData(u32),
    Raw(Vec<u8>),
    Start(u8, CommandSet),
    Message(u8, CommandSet, Option<Vec<u8>>),
    Written(u8, CommandSet, u64),
    Unwritten(u8, io::ErrorKind, u64),
}

fn summarize(event: Event) -> Ev {
    match event {
        Event::Pdu(pdu) => Ev::Pdu(pdu),
        Event::PDataTf { length } => Ev::PData(length),
        Event::RawPdu(bytes) => Ev::Raw(bytes),
        Event::DataSetStart {
            context_id,
            command,
        } => Ev::Start(context_id, command),
        Event::Message(m) => match m.data_set {
            None => Ev::Message(m.context_id, m.command, None),
            Some(DataSet::Memory(bytes)) => Ev::Message(m.context_id, m.command, Some(bytes)),
            Some(DataSet::Written { length }) => Ev::Written(m.context_id, m.command, length),
            Some(DataSet::Unwritten { error, length }) => {
                Ev::Unwritten(m.context_id, error, length)
            }
        },
    }
}

fn drain(receiver: &mut Receiver) -> Vec<Ev> {
    std::iter::from_fn(|| receiver.next_event())
        .map(summarize)
        .collect()
}

/// Feeds `stream` in chunks of `chunk` bytes; returns the events and the
/// first error.
fn feed_chunked(
    config: ReceiverConfig,
    stream: &[u8],
    chunk: usize,
) -> (Vec<Ev>, Option<DecodeError>) {
    let mut receiver = Receiver::new(config);
    let mut events = Vec::new();
    for piece in stream.chunks(chunk.max(1)) {
        let result = receiver.feed(piece);
        events.extend(drain(&mut receiver));
        if let Err(err) = result {
            return (events, Some(err));
        }
    }
    (events, receiver.finish().err())
}

const CHUNKS: [usize; 9] = [1, 2, 3, 5, 7, 64, 4096, 65536, usize::MAX];

fn config(local_max: u32) -> ReceiverConfig {
    ReceiverConfig {
        local_max_pdu: LocalMaxPdu(local_max),
        ..ReceiverConfig::default()
    }
}

fn feed_all(receiver: &mut Receiver, stream: &[u8]) -> Vec<Ev> {
    receiver.feed(stream).unwrap();
    drain(receiver)
}

fn feed_err(config: ReceiverConfig, stream: &[u8]) -> DecodeError {
    let mut receiver = Receiver::new(config);
    receiver.feed(stream).unwrap_err()
}

// ----------------------------------------------------------------- streams

/// A C-ECHO in one PDU; a C-STORE whose command spans two PDUs and whose
/// data set spans three, with several PDVs in one PDU; two C-ECHOs in one
/// PDU; then A-RELEASE-RQ.
fn mixed_stream() -> (Vec<u8>, Vec<Ev>) {
    let echo = c_echo_rq(1);
    let store = c_store_rq(2);
    let data = data_set_bytes(3000);
    let (cmd_a, cmd_b) = store.split_at(30);
    let mut stream = pdata(&[(1, CMD_LAST, &echo)]);
    stream.extend(pdata(&[(3, CMD, cmd_a)]));
    stream.extend(pdata(&[(3, CMD_LAST, cmd_b), (3, DATA, &data[..1000])]));
    stream.extend(pdata(&[
        (3, DATA, &data[1000..1500]),
        (3, DATA, &data[1500..2000]),
    ]));
    stream.extend(pdata(&[(3, DATA_LAST, &data[2000..])]));
    stream.extend(pdata(&[
        (1, CMD_LAST, &c_echo_rq(3)),
        (5, CMD_LAST, &c_echo_rq(4)),
    ]));
    stream.extend(RELEASE_RQ);
    let expected = vec![
        Ev::Message(1, command(&echo), None),
        Ev::Message(3, command(&store), Some(data)),
        Ev::Message(1, command(&c_echo_rq(3)), None),
        Ev::Message(5, command(&c_echo_rq(4)), None),
        Ev::Pdu(Pdu::ReleaseRq),
    ];
    (stream, expected)
}

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

/// A `Write` into a shared buffer that counts flushes.
#[derive(Clone, Default)]
struct SharedWriter {
    bytes: Arc<Mutex<Vec<u8>>>,
    flushes: Arc<Mutex<usize>>,
}

impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        *self.flushes.lock().unwrap() += 1;
        Ok(())
    }
}

fn store_stream(context_id: u8, message_id: u16, data: &[u8], fragment: usize) -> Vec<u8> {
    let store = c_store_rq(message_id);
    let mut stream = pdata(&[(context_id, CMD_LAST, &store)]);
    let chunks: Vec<&[u8]> = data.chunks(fragment).collect();
    for (i, piece) in chunks.iter().enumerate() {
        let control = if i + 1 == chunks.len() {
            DATA_LAST
        } else {
            DATA
        };
        stream.extend(pdata(&[(context_id, control, piece)]));
    }
    stream
}

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

// --------------------------------------------------------- DCMTK captures

/// `shared/captures` above the crate (worktrees too), else /work/shared.
fn captures_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|dir| dir.join("shared").join("captures"))
        .chain(std::iter::once(PathBuf::from("/work/shared/captures")))
        .find(|dir| dir.join("README.md").is_file())
        .unwrap_or_else(|| panic!("no shared/captures above {}", manifest.display()))
}

fn read_capture(name: &str) -> Vec<u8> {
    let path = captures_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// A DCMTK storescu stream: A-ASSOCIATE-RQ, one C-STORE-RQ, A-RELEASE-RQ.
fn replay_store(name: &str, local_max: u32, chunk: usize) -> (CommandSet, Vec<u8>) {
    let (events, error) = feed_chunked(config(local_max), &read_capture(name), chunk);
    assert_eq!(error, None, "{name} chunk {chunk}");
    let kinds: Vec<String> = events
        .iter()
        .map(|e| format!("{:.60}", format!("{e:?}")))
        .collect();
    let [Ev::Pdu(Pdu::AssociateRq(_)), Ev::Message(_, command, Some(data)), Ev::Pdu(Pdu::ReleaseRq)] =
        <[Ev; 3]>::try_from(events).unwrap()
    else {
        panic!("{name}: unexpected events {kinds:?}");
    };
    (command, data)
}

/// The data set fragments of a capture, found by the whole-PDU decoder:
/// an oracle independent of the streaming receiver.
fn data_fragments_by_pdu_decoder(stream: &[u8]) -> Vec<u8> {
    let (pdus, rest) = pdu::split_pdus(stream);
    assert!(rest.is_empty());
    let mut data = Vec::new();
    for raw in pdus {
        if let Pdu::PDataTf(pdata) = pdu::decode_pdu(raw, &DecodeOptions::default()).unwrap() {
            for pdv in pdata.pdvs.iter().filter(|p| !p.control.is_command()) {
                data.extend_from_slice(&pdv.data);
            }
        }
    }
    data
}

/// The two captures carry two different synthetic CT instances (their SOP
/// Instance UIDs and pixels differ), so each is checked against the PDU
/// decoder's view of it and against its own command set.
#[test]
fn dcmtk_store_captures_reassemble_at_every_chunk_size() {
    for (name, local_max) in [
        ("store-ct-pdu16k.requestor.bin", 16384),
        ("store-ct-pdu4k.requestor.bin", 4096),
    ] {
        let expected = data_fragments_by_pdu_decoder(&read_capture(name));
        let (command, data) = replay_store(name, local_max, usize::MAX);
        assert_eq!(command.command_field, 0x0001);
        assert!(command.has_data_set());
        assert_eq!(
            command.affected_sop_class_uid.as_deref(),
            Some("1.2.840.10008.5.1.4.1.1.2")
        );
        assert_eq!(data.len(), 524_690, "{name}");
        assert_eq!(data, expected, "{name}");
        // (0008,0018) SOP Instance UID, Explicit VR LE, at offset 34: the
        // command's Affected SOP Instance UID.
        let uid = command.affected_sop_instance_uid.unwrap();
        assert_eq!(&data[34..40], &[0x08, 0x00, 0x18, 0x00, b'U', b'I']);
        assert_eq!(&data[42..42 + uid.len()], uid.as_bytes());
        for chunk in [1, 7, 4096, 65536] {
            assert_eq!(
                replay_store(name, local_max, chunk).1,
                data,
                "{name} {chunk}"
            );
        }
    }
}

#[test]
fn dcmtk_pdata_over_our_max_is_refused() {
    // storescu sent PDUs of up to 16378 bytes: more than a 4096 maximum.
    let (_, error) = feed_chunked(
        config(4096),
        &read_capture("store-ct-pdu16k.requestor.bin"),
        65536,
    );
    assert!(matches!(
        error.unwrap().kind,
        ErrorKind::LimitExceeded { limit: 4096, .. }
    ));
}

#[test]
fn dcmtk_capture_cut_mid_pdu_is_truncated() {
    let stream = read_capture("store-ct-scp-aborts-during.requestor.bin");
    for chunk in [1000, usize::MAX] {
        let (events, error) = feed_chunked(config(16384), &stream, chunk);
        assert!(matches!(events.first(), Some(Ev::Pdu(Pdu::AssociateRq(_)))));
        assert_eq!(events.len(), 1, "no message completes");
        let error = error.unwrap();
        assert!(error.is_truncation(), "{error}");
    }
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
