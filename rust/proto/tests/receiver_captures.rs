#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The streaming receiver: the DCMTK captures replayed at every chunk size, over our maximum,
//! and cut mid-PDU.

mod common;

use std::path::{Path, PathBuf};

use common::receiver::*;
use fastdimse_proto::dimse::CommandSet;
use fastdimse_proto::pdu::{self, Pdu};
use fastdimse_proto::{DecodeOptions, ErrorKind};

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
