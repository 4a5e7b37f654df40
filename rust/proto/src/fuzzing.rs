//! Entry points shared by the cargo-fuzz targets (`rust/proto/fuzz`) and the
//! corpus replay test, so that what is fuzzed is exactly what is replayed.
//! Each takes arbitrary bytes, must never panic on them, and asserts the
//! invariants a fuzzer should check.

use std::io::{self, Cursor, Read, Seek, SeekFrom};

use crate::dimse::{decode_command_set, encode_command_set, Element};
use crate::limits::{DecodeOptions, LocalMaxPdu};
use crate::pdu::{decode_pdu, pdu_type};
use crate::receiver::{DataSet, Event, Receiver, ReceiverConfig};
use crate::scan::{self, DataSetErrorKind, ScanError, ScanResult};

/// One whole PDU through `decode_pdu`.
pub fn pdu(data: &[u8]) {
    let _ = decode_pdu(data, &DecodeOptions::default());
}

/// A command set through `decode_command_set`; whatever decodes re-encodes
/// and decodes to the same value, and lacks no essential element.
pub fn command_set(data: &[u8]) {
    let options = DecodeOptions::default();
    if let Ok(command) = decode_command_set(data, &options) {
        if let Some(field) = command.command() {
            let essential: Vec<u32> = field.essential().iter().map(Element::tag).collect();
            let missing = command.missing_elements();
            assert!(
                !missing.iter().any(|tag| essential.contains(tag)),
                "decoded without an essential element: {missing:?}"
            );
        }
        let mut encoded = Vec::new();
        let encoded_ok = encode_command_set(&command, &mut encoded).is_ok();
        assert!(encoded_ok, "a decoded command set must re-encode");
        assert_eq!(decode_command_set(&encoded, &options).ok(), Some(command));
    }
}

/// A byte stream through the receiver. The first two bytes choose the local
/// maximum PDU and the read size, so the fuzzer explores chunking too.
pub fn framer(data: &[u8]) {
    let [max_selector, chunk_selector, stream @ ..] = data else {
        return;
    };
    let local_max = match max_selector % 4 {
        0 => 0,
        1 => 16,
        2 => 4096,
        _ => 16382,
    };
    let chunk = usize::from(*chunk_selector).max(1);
    run_receiver(
        stream,
        local_max,
        chunk,
        ReceiverConfig::default().max_memory_data_set,
    );
}

/// PDVs through the reassembler: `data` is read as a list of
/// (context id, control header, length, bytes) records, wrapped in
/// well-formed P-DATA-TF PDUs, so the fuzzer spends its time on the message
/// rules rather than on framing. Data sets over 1 KiB pass the memory cap.
pub fn reassemble(data: &[u8]) {
    let mut stream = Vec::new();
    let mut rest = data;
    while let [context_id, control, len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let (value, tail) = tail.split_at(len);
        let pdv_len = (len + 2) as u32;
        stream.push(pdu_type::P_DATA_TF);
        stream.push(0);
        stream.extend_from_slice(&(pdv_len + 4).to_be_bytes());
        stream.extend_from_slice(&pdv_len.to_be_bytes());
        stream.push(*context_id);
        stream.push(*control);
        stream.extend_from_slice(value);
        rest = tail;
    }
    run_receiver(&stream, 0, 1 << 16, FUZZ_MEMORY_CAP);
}

/// A decoded PDU re-encodes, and the result decodes to the same value.
pub fn roundtrip(data: &[u8]) {
    let options = DecodeOptions::default();
    if let Ok(pdu) = decode_pdu(data, &options) {
        let encoded = pdu.to_bytes();
        assert!(encoded.is_ok(), "a decoded PDU must re-encode: {pdu:?}");
        if let Ok(encoded) = encoded {
            assert_eq!(decode_pdu(&encoded, &options).ok(), Some(pdu));
        }
    }
}

/// A data set through the scanner, from the buffer and from a reader that
/// returns a few bytes per read: both must agree. The first byte picks the
/// transfer syntax (or a Part 10 file) and the read size.
pub fn scan(data: &[u8]) {
    let [selector, rest @ ..] = data else {
        return;
    };
    let syntax = match selector % 5 {
        0 => None,
        1 => Some(scan::IMPLICIT_VR_LITTLE_ENDIAN),
        2 => Some("1.2.840.10008.1.2.1"),
        3 => Some(scan::EXPLICIT_VR_BIG_ENDIAN),
        _ => Some(scan::DEFLATED_TRANSFER_SYNTAXES[0]),
    };
    let read_size = usize::from(selector / 5).max(1);
    let from_bytes = scan::scan_bytes(rest, syntax);
    let from_reader = scan::scan_reader(Dribble::new(rest, read_size), 0, syntax);
    assert_same_scan(&from_bytes, &from_reader);
}

/// The same result, or the same error at the same offset; where the
/// inflater finds a corrupt stream depends on how its input is read, so
/// an inflate error on either side only has to be an error on both.
pub fn assert_same_scan(
    one: &Result<ScanResult, ScanError>,
    other: &Result<ScanResult, ScanError>,
) {
    let inflate = |result: &Result<ScanResult, ScanError>| matches!(result, Err(ScanError::DataSet(err)) if matches!(err.kind, DataSetErrorKind::Inflate(_)));
    match (one, other) {
        (Ok(one), Ok(other)) => assert_eq!(one, other),
        (Err(_), Err(_)) if inflate(one) || inflate(other) => {}
        (Err(ScanError::DataSet(one)), Err(ScanError::DataSet(other))) => assert_eq!(one, other),
        _ => panic!("the scans disagree: {one:?} and {other:?}"),
    }
}

/// A reader over a buffer that returns at most `read_size` bytes per read.
pub struct Dribble<'a> {
    inner: Cursor<&'a [u8]>,
    read_size: usize,
}

impl<'a> Dribble<'a> {
    pub fn new(data: &'a [u8], read_size: usize) -> Self {
        Dribble {
            inner: Cursor::new(data),
            read_size: read_size.max(1),
        }
    }
}

impl Read for Dribble<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.read_size);
        self.inner.read(buf.get_mut(..n).unwrap_or_default())
    }
}

impl Seek for Dribble<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.inner.seek(to)
    }
}

/// A memory cap that PDVs of at most 255 bytes reach within a few records.
const FUZZ_MEMORY_CAP: u64 = 1024;

/// Feeds `stream` in reads of `chunk` bytes; a data set kept in memory is
/// within `memory_cap`, and one reported too large passed it.
fn run_receiver(stream: &[u8], local_max: u32, chunk: usize, memory_cap: u64) {
    let config = ReceiverConfig {
        local_max_pdu: LocalMaxPdu(local_max),
        max_memory_data_set: memory_cap,
        observe_pdus: true,
        report_pdata: true,
        ..ReceiverConfig::default()
    };
    let mut receiver = Receiver::new(config);
    for piece in stream.chunks(chunk) {
        if receiver.feed(piece).is_err() {
            return;
        }
        while let Some(event) = receiver.next_event() {
            if let Event::Message(message) = event {
                match message.data_set {
                    Some(DataSet::Memory(bytes)) => assert!(bytes.len() as u64 <= memory_cap),
                    Some(DataSet::TooLarge { limit, length }) => {
                        assert!(limit == memory_cap && length > limit);
                    }
                    _ => {}
                }
            }
        }
    }
    let _ = receiver.finish();
}
