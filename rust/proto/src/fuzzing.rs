//! Entry points shared by the cargo-fuzz targets (`rust/proto/fuzz`) and the
//! corpus replay test, so that what is fuzzed is exactly what is replayed.
//! Each takes arbitrary bytes, must never panic on them, and asserts the
//! invariants a fuzzer should check.

use crate::dimse::{decode_command_set, encode_command_set};
use crate::limits::{DecodeOptions, LocalMaxPdu};
use crate::pdu::{decode_pdu, pdu_type};
use crate::receiver::{Receiver, ReceiverConfig};

/// One whole PDU through `decode_pdu`.
pub fn pdu(data: &[u8]) {
    let _ = decode_pdu(data, &DecodeOptions::default());
}

/// A command set through `decode_command_set`; whatever decodes re-encodes
/// and decodes to the same value.
pub fn command_set(data: &[u8]) {
    let options = DecodeOptions::default();
    if let Ok(command) = decode_command_set(data, &options) {
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
    run_receiver(stream, local_max, chunk);
}

/// PDVs through the reassembler: `data` is read as a list of
/// (context id, control header, length, bytes) records, wrapped in
/// well-formed P-DATA-TF PDUs, so the fuzzer spends its time on the message
/// rules rather than on framing.
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
    run_receiver(&stream, 0, 1 << 16);
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

fn run_receiver(stream: &[u8], local_max: u32, chunk: usize) {
    let config = ReceiverConfig {
        local_max_pdu: LocalMaxPdu(local_max),
        observe_pdus: true,
        report_pdata: true,
        ..ReceiverConfig::default()
    };
    let mut receiver = Receiver::new(config);
    for piece in stream.chunks(chunk) {
        if receiver.feed(piece).is_err() {
            return;
        }
        while receiver.next_event().is_some() {}
    }
    let _ = receiver.finish();
}
