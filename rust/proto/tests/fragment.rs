#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The fragmenter: byte layouts written by hand from PS3.8 Tables 9-22 and
//! 9-23 and Annex E, the peer's maximum respected, and round trips through
//! the receiver at any chunking.

use proptest::prelude::*;

use fastdimse_proto::dimse::decode_command_set;
use fastdimse_proto::error::EncodeErrorReason;
use fastdimse_proto::fragment::{
    fragment_into, fragmented_len, DataSetStream, FragmentParts, UNLIMITED_FRAGMENT_LEN,
};
use fastdimse_proto::pdu::{decode_pdu, split_pdus, Pdu};
use fastdimse_proto::receiver::{DataSet, Event, Receiver, ReceiverConfig};
use fastdimse_proto::{DecodeOptions, LocalMaxPdu, PeerMaxPdu};

/// One Implicit VR Little Endian element of group 0000 (PS3.5 7.1.2).
fn element(elem: u16, value: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0];
    out.extend_from_slice(&elem.to_le_bytes());
    out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    out.extend_from_slice(value);
    out
}

/// C-STORE-RQ (PS3.7 Table 9.3-1), Command Group Length first.
fn c_store_rq() -> Vec<u8> {
    let body = [
        element(0x0002, b"1.2.840.10008.5.1.4.1.1.2\0"),
        element(0x0100, &0x0001u16.to_le_bytes()),
        element(0x0110, &7u16.to_le_bytes()),
        element(0x0700, &0u16.to_le_bytes()),
        element(0x0800, &0u16.to_le_bytes()),
        element(0x1000, b"1.2.3.4\0"),
    ]
    .concat();
    [element(0x0000, &(body.len() as u32).to_le_bytes()), body].concat()
}

/// C-ECHO-RQ (PS3.7 Table 9.3-12): no data set.
fn c_echo_rq() -> Vec<u8> {
    let body = [
        element(0x0002, b"1.2.840.10008.1.1\0"),
        element(0x0100, &0x0030u16.to_le_bytes()),
        element(0x0110, &1u16.to_le_bytes()),
        element(0x0800, &0x0101u16.to_le_bytes()),
    ]
    .concat();
    [element(0x0000, &(body.len() as u32).to_le_bytes()), body].concat()
}

fn fragment(peer_max: u32, context_id: u8, command: &[u8], data_set: Option<&[u8]>) -> Vec<u8> {
    let peer = PeerMaxPdu(peer_max);
    let len = fragmented_len(peer, command.len(), data_set.map(<[u8]>::len)).unwrap();
    let mut out = vec![0xEE; len];
    fragment_into(&mut out, peer, context_id, command, data_set).unwrap();
    out
}

#[test]
fn layout_matches_tables_9_22_and_9_23() {
    let command: Vec<u8> = (0..20).collect();
    let data_set = [0xA0, 0xA1, 0xA2, 0xA3, 0xA4];
    // Peer maximum 20: 6 bytes of PDV header leave 14 bytes per fragment.
    let out = fragment(20, 5, &command, Some(&data_set));
    let mut expected = vec![
        0x04, 0x00, 0, 0, 0, 20, // P-DATA-TF, PDU-length 20
        0, 0, 0, 16, 5, 0x01, // item length 16, context 5, command, not last
    ];
    expected.extend(0..14u8);
    expected.extend([0x04, 0x00, 0, 0, 0, 12, 0, 0, 0, 8, 5, 0x03]); // command, last
    expected.extend(14..20u8);
    expected.extend([0x04, 0x00, 0, 0, 0, 11, 0, 0, 0, 7, 5, 0x02]); // data set, last
    expected.extend(data_set);
    assert_eq!(out, expected);
}

#[test]
fn empty_data_set_sends_one_empty_last_fragment_and_none_sends_none() {
    let command = [1u8, 2];
    let with_empty = fragment(100, 1, &command, Some(&[]));
    assert_eq!(
        &with_empty[14..],
        &[0x04, 0x00, 0, 0, 0, 6, 0, 0, 0, 2, 1, 0x02]
    );
    let without = fragment(100, 1, &command, None);
    assert_eq!(without, &with_empty[..14]);
    assert_eq!(
        fragmented_len(PeerMaxPdu(100), 2, Some(0)).unwrap(),
        fragmented_len(PeerMaxPdu(100), 2, None).unwrap() + 12
    );
}

#[test]
fn odd_peer_maximum_gives_even_fragments() {
    // PS3.8 E.1: each fragment is of even length; 16383 - 6 = 16377 -> 16376.
    let data = vec![7u8; 40_000];
    let out = fragment(16383, 1, &c_store_rq(), Some(&data));
    let (pdus, rest) = split_pdus(&out);
    assert!(rest.is_empty());
    for raw in &pdus[..pdus.len() - 1] {
        assert!(raw.len() - 6 <= 16383);
        assert_eq!((raw.len() - 12) % 2, 0);
    }
    assert_eq!(pdus[1].len(), 16376 + 12);
}

#[test]
fn too_small_peer_maximum_is_refused() {
    for peer_max in [1, 6, 7] {
        let err = fragmented_len(PeerMaxPdu(peer_max), 10, None).unwrap_err();
        assert_eq!(err.reason, EncodeErrorReason::InvalidValue, "{peer_max}");
    }
    assert!(fragmented_len(PeerMaxPdu(8), 10, None).is_ok());
}

#[test]
fn wrong_output_length_and_even_context_id_are_refused() {
    let mut out = vec![0; 13];
    let err = fragment_into(&mut out, PeerMaxPdu(100), 1, b"ab", None).unwrap_err();
    assert_eq!(err.reason, EncodeErrorReason::InvalidValue);
    let mut out = vec![0; 14];
    let err = fragment_into(&mut out, PeerMaxPdu(100), 2, b"ab", None).unwrap_err();
    assert_eq!(err.reason, EncodeErrorReason::InvalidValue);
    assert_eq!(err.field, "PDV/Presentation-context-ID");
}

#[test]
fn no_limit_uses_bounded_fragments() {
    let data = vec![1u8; UNLIMITED_FRAGMENT_LEN * 2 + 10];
    let out = fragment(0, 1, &c_echo_rq(), Some(&data));
    let (pdus, _) = split_pdus(&out);
    let lengths: Vec<usize> = pdus.iter().map(|p| p.len() - 12).collect();
    assert_eq!(
        lengths,
        [
            c_echo_rq().len(),
            UNLIMITED_FRAGMENT_LEN,
            UNLIMITED_FRAGMENT_LEN,
            10
        ]
    );
}

#[test]
fn fragmented_len_overflow_is_an_error() {
    let err = fragmented_len(PeerMaxPdu(8), usize::MAX - 1, None).unwrap_err();
    assert!(matches!(err.reason, EncodeErrorReason::TooLong { .. }));
}

/// Receives `stream` in chunks; returns the one message's command bytes
/// (re-decoded) and data set.
fn receive(local_max: u32, stream: &[u8], chunk: usize) -> (u8, Option<Vec<u8>>) {
    let mut receiver = Receiver::new(ReceiverConfig {
        local_max_pdu: LocalMaxPdu(local_max),
        ..ReceiverConfig::default()
    });
    let mut messages = Vec::new();
    for piece in stream.chunks(chunk) {
        receiver.feed(piece).unwrap();
        while let Some(event) = receiver.next_event() {
            let Event::Message(message) = event else {
                panic!("unexpected {event:?}");
            };
            messages.push(message);
        }
    }
    receiver.finish().unwrap();
    assert!(!receiver.message_pending());
    assert_eq!(messages.len(), 1);
    let message = messages.pop().unwrap();
    let data = message.data_set.map(|d| match d {
        DataSet::Memory(bytes) => bytes,
        DataSet::Written { .. } | DataSet::Unwritten { .. } | DataSet::TooLarge { .. } => {
            panic!("memory expected")
        }
    });
    (message.context_id, data)
}

/// Every PDU within the peer's maximum, one PDV each.
fn assert_within(peer_max: u32, stream: &[u8]) {
    let (pdus, rest) = split_pdus(stream);
    assert!(rest.is_empty());
    for raw in pdus {
        assert!(peer_max == 0 || raw.len() - 6 <= peer_max as usize);
        let Pdu::PDataTf(pdata) = decode_pdu(raw, &DecodeOptions::default()).unwrap() else {
            panic!("not a P-DATA-TF");
        };
        assert_eq!(pdata.pdvs.len(), 1);
    }
}

const PEER_MAXIMA: [u32; 6] = [8, 9, 100, 4096, 16382, 0];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn fragments_round_trip_through_the_receiver(
        peer_index in 0..PEER_MAXIMA.len(),
        data_len in prop::option::of(0usize..20_000),
        seed in any::<u8>(),
        chunk in 1usize..5000,
    ) {
        let peer_max = PEER_MAXIMA[peer_index];
        let data: Option<Vec<u8>> =
            data_len.map(|n| (0..n).map(|i| (i as u8).wrapping_mul(31) ^ seed).collect());
        let command = if data.is_some() { c_store_rq() } else { c_echo_rq() };
        let stream = fragment(peer_max, 3, &command, data.as_deref());
        assert_within(peer_max, &stream);
        let (context_id, received) = receive(peer_max, &stream, chunk);
        prop_assert_eq!(context_id, 3);
        prop_assert_eq!(received, data);
    }

    #[test]
    fn data_set_stream_equals_fragment_into(
        peer_index in 0..PEER_MAXIMA.len(),
        data_len in 0usize..30_000,
        max_bytes in 0usize..10_000,
    ) {
        let peer_max = PEER_MAXIMA[peer_index];
        let data: Vec<u8> = (0..data_len).map(|i| (i % 251) as u8).collect();
        let command = c_store_rq();
        let whole = fragment(peer_max, 1, &command, Some(&data));
        let mut stream =
            DataSetStream::new(PeerMaxPdu(peer_max), 1, &command, data_len as u64).unwrap();
        let mut source = data.as_slice();
        let mut joined = Vec::new();
        let mut chunks = 0;
        loop {
            let mut chunk = Vec::new();
            let more = stream.next_chunk(&mut source, &mut chunk, max_bytes).unwrap();
            let command_part = if chunks == 0 {
                fragmented_len(PeerMaxPdu(peer_max), command.len(), None).unwrap()
            } else {
                0
            };
            let (pdus, _) = split_pdus(&chunk[command_part..]);
            let data_bytes: usize = pdus.iter().map(|p| p.len() - 12).sum();
            prop_assert!(!pdus.is_empty());
            prop_assert!(pdus.len() == 1 || data_bytes <= max_bytes);
            joined.extend(chunk);
            chunks += 1;
            if !more {
                break;
            }
        }
        prop_assert!(stream.is_done());
        prop_assert_eq!(joined, whole);
        let (_, received) = receive(peer_max, &fragment(peer_max, 1, &command, Some(&data)), 4096);
        prop_assert_eq!(received, Some(data));
    }
}

proptest! {
    /// A writer that sends the file's bytes itself (writev, sendfile) puts
    /// on the wire exactly what `next_chunk` produces.
    #[test]
    fn fragment_parts_assemble_to_next_chunk(
        peer_index in 0..PEER_MAXIMA.len(),
        data_len in 0usize..30_000,
        max_bytes in 0usize..10_000,
        pad in any::<bool>(),
    ) {
        let peer_max = PeerMaxPdu(PEER_MAXIMA[peer_index]);
        let data: Vec<u8> = (0..data_len).map(|i| (i % 251) as u8).collect();
        let command = c_store_rq();
        let new_stream = || {
            let stream = DataSetStream::new(peer_max, 1, &command, data_len as u64).unwrap();
            if pad { stream.pad_odd_length() } else { stream }
        };
        let mut expected = Vec::new();
        let mut stream = new_stream();
        let mut source = data.as_slice();
        while stream.next_chunk(&mut source, &mut expected, max_bytes).unwrap() {}

        let mut stream = new_stream();
        let mut sent = stream.take_command_pdus().unwrap().unwrap();
        prop_assert_eq!(stream.take_command_pdus().unwrap(), None);
        let mut source = data.as_slice();
        while !stream.is_done() {
            let mut parts = Vec::new();
            let taken = stream.next_fragment_parts(max_bytes, &mut parts).unwrap();
            prop_assert!(!parts.is_empty());
            prop_assert_eq!(taken, parts.iter().map(|p| p.data_len as u64).sum::<u64>());
            for FragmentParts { header, data_len, pad } in parts {
                sent.extend_from_slice(&header);
                let (now, rest) = source.split_at(data_len);
                sent.extend_from_slice(now);
                source = rest;
                if pad {
                    sent.push(0);
                }
            }
        }
        prop_assert!(source.is_empty());
        prop_assert_eq!(sent, expected);
    }
}

#[test]
fn fragment_parts_need_the_command_taken_first() {
    let mut stream = DataSetStream::new(PeerMaxPdu(100), 1, b"cmd!", 10).unwrap();
    let err = stream
        .next_fragment_parts(1000, &mut Vec::new())
        .unwrap_err();
    assert_eq!(err.reason, EncodeErrorReason::InvalidValue);
}

#[test]
fn data_set_stream_reports_a_short_source() {
    let mut stream = DataSetStream::new(PeerMaxPdu(100), 1, b"cmd!", 10).unwrap();
    let mut source: &[u8] = b"12345";
    let mut out = Vec::new();
    let err = stream.next_chunk(&mut source, &mut out, 1000).unwrap_err();
    assert_eq!(
        err.reason,
        EncodeErrorReason::Source(std::io::ErrorKind::UnexpectedEof)
    );
}

#[test]
fn data_set_stream_sends_command_first_and_bounded_chunks() {
    let data = vec![9u8; 10_000];
    let mut stream = DataSetStream::new(PeerMaxPdu(1006), 1, &c_store_rq(), 10_000).unwrap();
    let mut source = data.as_slice();
    let mut first = Vec::new();
    assert!(stream.next_chunk(&mut source, &mut first, 3000).unwrap());
    // Command PDU, then three data PDUs of 1000 bytes.
    let (pdus, _) = split_pdus(&first);
    assert_eq!(pdus.len(), 4);
    assert_eq!(pdus[0][11], 0x03);
    assert!(pdus[1..].iter().all(|p| p.len() == 1012 && p[11] == 0x00));
    let mut rest = Vec::new();
    while stream.next_chunk(&mut source, &mut rest, 3000).unwrap() {}
    let (pdus, _) = split_pdus(&rest);
    assert_eq!(pdus.len(), 7);
    assert_eq!(pdus.last().unwrap()[11], 0x02);
    // Nothing more once done.
    let mut after = Vec::new();
    assert!(!stream.next_chunk(&mut source, &mut after, 3000).unwrap());
    assert!(after.is_empty());
    assert_eq!(
        decode_command_set(&c_store_rq(), &DecodeOptions::default())
            .unwrap()
            .command_field,
        1
    );
}

#[test]
fn data_set_stream_pads_an_odd_data_set_when_asked() {
    for (pad, len, expected) in [(true, 2999, 3000), (true, 3000, 3000), (false, 2999, 2999)] {
        let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8 + 1).collect();
        let mut stream =
            DataSetStream::new(PeerMaxPdu(1006), 1, &c_store_rq(), len as u64).unwrap();
        if pad {
            stream = stream.pad_odd_length();
        }
        let mut source = data.as_slice();
        let mut out = Vec::new();
        while stream.next_chunk(&mut source, &mut out, 1 << 20).unwrap() {}
        let (_, received) = receive(16382, &out, 4096);
        let received = received.unwrap();
        assert_eq!(received.len(), expected, "pad {pad} len {len}");
        assert_eq!(&received[..len], data.as_slice());
        assert!(received[len..].iter().all(|&b| b == 0));
    }
}
