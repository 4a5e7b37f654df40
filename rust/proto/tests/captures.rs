#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The byte streams recorded between DCMTK peers (shared/captures, see its
//! README): every PDU decodes, has the type the README lists, and re-encodes
//! to exactly the bytes DCMTK sent.

use std::path::{Path, PathBuf};

use fastdimse_proto::pdu::{decode_pdu, item_type, pdu_type, split_pdus, Pdu};
use fastdimse_proto::DecodeOptions;

const RQ: u8 = pdu_type::ASSOCIATE_RQ;
const AC: u8 = pdu_type::ASSOCIATE_AC;
const RJ: u8 = pdu_type::ASSOCIATE_RJ;
const PDATA: u8 = pdu_type::P_DATA_TF;
const RELEASE_RQ: u8 = pdu_type::RELEASE_RQ;
const RELEASE_RP: u8 = pdu_type::RELEASE_RP;
const ABORT: u8 = pdu_type::ABORT;

/// The captures directory: `shared/captures` beside the repository (or
/// beside any ancestor of the crate, for worktrees), else /work/shared.
fn captures_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = manifest
        .ancestors()
        .map(|dir| dir.join("shared").join("captures"))
        .chain(std::iter::once(PathBuf::from("/work/shared/captures")));
    for dir in candidates {
        if dir.join("README.md").is_file() {
            return dir;
        }
    }
    panic!(
        "no shared/captures directory found above {} nor at /work/shared/captures",
        manifest.display()
    );
}

fn read_capture(name: &str) -> Vec<u8> {
    let path = captures_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// Splits, decodes and re-encodes a whole capture; returns its PDUs.
fn decode_capture(name: &str) -> Vec<Pdu> {
    let stream = read_capture(name);
    let (raw_pdus, rest) = split_pdus(&stream);
    assert!(rest.is_empty(), "{name}: {} bytes left over", rest.len());
    raw_pdus
        .iter()
        .enumerate()
        .map(|(i, raw)| decode_and_reencode(name, i, raw))
        .collect()
}

/// Decodes one PDU and checks that it re-encodes to the same bytes, except
/// for reserved bytes DCMTK does not send as 00H (see `zero_reserved_bytes`).
fn decode_and_reencode(name: &str, index: usize, raw: &[u8]) -> Pdu {
    let pdu = decode_pdu(raw, &DecodeOptions::default())
        .unwrap_or_else(|err| panic!("{name} PDU #{index}: {err}"));
    let encoded = pdu.to_bytes().unwrap();
    let expected = zero_reserved_bytes(raw);
    assert!(
        encoded == expected,
        "{name} PDU #{index} (type {:#04x}) re-encodes differently",
        pdu.pdu_type()
    );
    pdu
}

/// DCMTK writes FFH in the second of the three reserved bytes after the ID
/// of each presentation context item of an A-ASSOCIATE-RQ (PS3.8 Table
/// 9-13 says 00H, not tested on receipt); we write 00H. Returns `raw` with
/// those bytes zeroed, after checking that they are the only ones DCMTK
/// sets, so the comparison stays exact everywhere else.
fn zero_reserved_bytes(raw: &[u8]) -> Vec<u8> {
    let mut out = raw.to_vec();
    if raw[0] != RQ {
        return out;
    }
    // Header (6) and the fixed part (68), then items: type, reserved, length.
    let mut at = 6 + 68;
    while at + 4 <= raw.len() {
        let len = usize::from(u16::from_be_bytes([raw[at + 2], raw[at + 3]]));
        if raw[at] == item_type::PRESENTATION_CONTEXT_RQ {
            assert_eq!(&raw[at + 5..at + 8], [0x00, 0xFF, 0x00]);
            out[at + 6] = 0;
        }
        at += 4 + len;
    }
    out
}

fn types(pdus: &[Pdu]) -> Vec<u8> {
    pdus.iter().map(Pdu::pdu_type).collect()
}

/// `first`, then `count` P-DATA-TF, then `last`.
fn with_pdata(first: u8, count: usize, last: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    out.extend(std::iter::repeat_n(PDATA, count));
    out.extend_from_slice(last);
    out
}

#[test]
fn every_capture_file_splits_decodes_and_reencodes() {
    let mut seen = 0;
    for entry in std::fs::read_dir(captures_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "bin") {
            continue;
        }
        let stream = std::fs::read(&path).unwrap();
        let (raw_pdus, _) = split_pdus(&stream);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for (i, raw) in raw_pdus.iter().enumerate() {
            decode_and_reencode(&name, i, raw);
        }
        assert!(!raw_pdus.is_empty(), "{name}: no PDU");
        seen += 1;
    }
    assert_eq!(seen, 14, "expected the 14 .bin captures of the README");
}

#[test]
fn echo_release() {
    let rq = decode_capture("echo-release.requestor.bin");
    assert_eq!(types(&rq), [RQ, PDATA, RELEASE_RQ]);
    let Pdu::AssociateRq(assoc) = &rq[0] else {
        unreachable!()
    };
    assert_eq!(assoc.called_ae_title, "STORESCP");
    assert_eq!(assoc.calling_ae_title, "ECHOSCU");
    assert_eq!(assoc.protocol_version, 1);
    assert_eq!(
        assoc.application_context,
        fastdimse_proto::pdu::DICOM_APPLICATION_CONTEXT
    );
    assert_eq!(assoc.presentation_contexts.len(), 1);
    assert_eq!(
        assoc.presentation_contexts[0].abstract_syntax,
        "1.2.840.10008.1.1"
    );
    assert_eq!(assoc.user_information.maximum_length(), Some(16384));
    assert_eq!(
        assoc.user_information.implementation_class_uid(),
        Some("1.2.276.0.7230010.3.0.3.6.7")
    );

    let ac = decode_capture("echo-release.acceptor.bin");
    assert_eq!(types(&ac), [AC, PDATA, RELEASE_RP]);
    let Pdu::AssociateAc(accept) = &ac[0] else {
        unreachable!()
    };
    assert_eq!(&accept.called_ae_title, b"STORESCP        ");
    assert_eq!(accept.presentation_contexts[0].result, 0);
}

#[test]
fn echo_abort() {
    let rq = decode_capture("echo-abort.requestor.bin");
    assert_eq!(types(&rq), [RQ, PDATA, ABORT]);
    assert_eq!(
        types(&decode_capture("echo-abort.acceptor.bin")),
        [AC, PDATA]
    );
}

#[test]
fn echo_rejected() {
    assert_eq!(types(&decode_capture("echo-rejected.requestor.bin")), [RQ]);
    let rj = decode_capture("echo-rejected.acceptor.bin");
    assert_eq!(types(&rj), [RJ]);
    assert!(matches!(rj[0], Pdu::AssociateRj(_)));
}

#[test]
fn echo_128_contexts() {
    let stream = read_capture("echo-128-contexts.requestor.bin");
    assert_eq!(u32::from_be_bytes(stream[2..6].try_into().unwrap()), 12443);
    let rq = decode_capture("echo-128-contexts.requestor.bin");
    assert_eq!(types(&rq), [RQ, PDATA, RELEASE_RQ]);
    let Pdu::AssociateRq(assoc) = &rq[0] else {
        unreachable!()
    };
    assert_eq!(assoc.presentation_contexts.len(), 128);
    assert!(assoc
        .presentation_contexts
        .iter()
        .all(|pc| pc.transfer_syntaxes.len() == 3));

    let ac = decode_capture("echo-128-contexts.acceptor.bin");
    assert_eq!(types(&ac), [AC, PDATA, RELEASE_RP]);
    let Pdu::AssociateAc(accept) = &ac[0] else {
        unreachable!()
    };
    assert_eq!(accept.presentation_contexts.len(), 128);
}

#[test]
fn store_ct_pdu16k() {
    let rq = decode_capture("store-ct-pdu16k.requestor.bin");
    assert_eq!(types(&rq), with_pdata(RQ, 34, &[RELEASE_RQ]));
    assert!(pdata_lengths(&rq).all(|len| len <= 16378));
    assert_eq!(
        types(&decode_capture("store-ct-pdu16k.acceptor.bin")),
        [AC, PDATA, RELEASE_RP]
    );
}

#[test]
fn store_ct_pdu4k() {
    let rq = decode_capture("store-ct-pdu4k.requestor.bin");
    assert_eq!(types(&rq), with_pdata(RQ, 130, &[RELEASE_RQ]));
    assert!(pdata_lengths(&rq).all(|len| len <= 4090));
    assert_eq!(
        types(&decode_capture("store-ct-pdu4k.acceptor.bin")),
        [AC, PDATA, RELEASE_RP]
    );
}

#[test]
fn store_ct_scp_aborts_during() {
    let name = "store-ct-scp-aborts-during.requestor.bin";
    let stream = read_capture(name);
    let (raw_pdus, rest) = split_pdus(&stream);
    let pdus: Vec<Pdu> = raw_pdus
        .iter()
        .enumerate()
        .map(|(i, raw)| decode_and_reencode(name, i, raw))
        .collect();
    // The README says "21 x P-DATA-TF, then a P-DATA-TF cut off"; the bytes
    // hold 20 complete ones and the cut-off 21st.
    assert_eq!(types(&pdus), with_pdata(RQ, 20, &[]));

    // The last P-DATA-TF was cut off: its header claims more than arrived.
    assert!(rest.len() >= 6, "the cut-off PDU's header is complete");
    assert_eq!(rest[0], PDATA);
    let claimed = u32::from_be_bytes(rest[2..6].try_into().unwrap()) as usize;
    assert!(rest.len() - 6 < claimed, "{} < {claimed}", rest.len() - 6);

    assert_eq!(
        types(&decode_capture("store-ct-scp-aborts-during.acceptor.bin")),
        [AC, ABORT]
    );
}

/// The PDU-length of each P-DATA-TF, re-encoded.
fn pdata_lengths(pdus: &[Pdu]) -> impl Iterator<Item = usize> + '_ {
    pdus.iter()
        .filter(|pdu| pdu.pdu_type() == PDATA)
        .map(|pdu| pdu.to_bytes().unwrap().len() - 6)
}
