//! The structural scan on data sets written by hand from PS3.5 (7.1.2
//! element layouts, 7.5 nested data sets, A.4 encapsulation, A.5 deflate,
//! PS3.10 7.1 the file): results, errors with their offsets and messages,
//! and the buffer and reader paths agreeing on random cuts and corruptions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Cursor, Write};

use fastdimse_proto::fuzzing::{assert_same_scan, Dribble};
use fastdimse_proto::scan::{
    scan_bytes, scan_reader, DataSetError, DataSetErrorKind as K, Part, ScanError, ScanResult,
};
use proptest::prelude::*;

const IMPLICIT: &str = "1.2.840.10008.1.2";
const EXPLICIT: &str = "1.2.840.10008.1.2.1";
const BIG: &str = "1.2.840.10008.1.2.2";
const DEFLATED: &str = "1.2.840.10008.1.2.1.99";
const UNDEFINED: u32 = 0xFFFF_FFFF;

/// Little or big endian bytes of a 16- or 32-bit field.
fn field(value: u32, size: usize, little: bool) -> Vec<u8> {
    let bytes = if little {
        value.to_le_bytes()
    } else {
        value.to_be_bytes()
    };
    if size == 2 {
        if little {
            bytes[..2].to_vec()
        } else {
            bytes[2..].to_vec()
        }
    } else {
        bytes.to_vec()
    }
}

fn tag(tag: u32, little: bool) -> Vec<u8> {
    [field(tag >> 16, 2, little), field(tag & 0xFFFF, 2, little)].concat()
}

/// An explicit VR element header (PS3.5 7.1.2): a 2-byte length, or 2
/// reserved bytes and a 4-byte length for OB, SQ, UN...
fn explicit(t: u32, vr: &[u8; 2], length: u32, little: bool) -> Vec<u8> {
    let long = matches!(vr, b"OB" | b"OW" | b"SQ" | b"UN" | b"UT");
    let mut out = [tag(t, little), vr.to_vec()].concat();
    if long {
        out.extend([0, 0]);
        out.extend(field(length, 4, little));
    } else {
        out.extend(field(length, 2, little));
    }
    out
}

/// An item, item delimitation or sequence delimitation header.
fn item(t: u32, length: u32, little: bool) -> Vec<u8> {
    [tag(t, little), field(length, 4, little)].concat()
}

const ITEM: u32 = 0xFFFE_E000;
const ITEM_END: u32 = 0xFFFE_E00D;
const SEQ_END: u32 = 0xFFFE_E0DD;

/// PS3.5 7.5: an undefined-length sequence holding an undefined-length
/// item and a defined-length one; then encapsulated pixel data (A.4) with
/// an empty Basic Offset Table and one fragment.
fn nested(little: bool) -> Vec<u8> {
    let pn = [explicit(0x0010_0010, b"PN", 2, little), b"A ".to_vec()].concat();
    [
        explicit(0x0008_0016, b"UI", 4, little),
        b"1.2\0".to_vec(),
        explicit(0x0008_0018, b"UI", 6, little),
        b"1.2.3\0".to_vec(),
        explicit(0x0008_1115, b"SQ", UNDEFINED, little),
        item(ITEM, UNDEFINED, little),
        explicit(0x0008_1150, b"UI", 2, little),
        b"1\0".to_vec(),
        item(ITEM_END, 0, little),
        item(ITEM, pn.len() as u32, little),
        pn,
        item(SEQ_END, 0, little),
        explicit(0x7FE0_0010, b"OB", UNDEFINED, little),
        item(ITEM, 0, little),
        item(ITEM, 4, little),
        b"\xFF\xD8\xFF\xD9".to_vec(),
        item(SEQ_END, 0, little),
    ]
    .concat()
}

fn expected(syntax: &str, offset: u64, length: usize) -> ScanResult {
    ScanResult {
        transfer_syntax: syntax.to_owned(),
        sop_class_uid: Some("1.2".to_owned()),
        sop_instance_uid: Some("1.2.3".to_owned()),
        data_set_offset: offset,
        data_set_length: length as u64,
        elements: 6,
    }
}

fn error(result: Result<ScanResult, ScanError>) -> DataSetError {
    match result {
        Err(ScanError::DataSet(err)) => err,
        other => panic!("expected a data set error, got {other:?}"),
    }
}

#[test]
fn explicit_little_and_big_endian() {
    for (little, syntax) in [(true, EXPLICIT), (false, BIG)] {
        let data = nested(little);
        let result = scan_bytes(&data, Some(syntax)).unwrap();
        assert_eq!(result, expected(syntax, 0, data.len()));
        let mut padded = b"junk".to_vec();
        padded.extend(&data);
        let from_file = scan_reader(Cursor::new(&padded), 4, Some(syntax)).unwrap();
        assert_eq!(from_file, expected(syntax, 4, data.len()));
    }
}

#[test]
fn implicit_vr_sequences_come_from_the_dictionary() {
    // (0008,1115) is SQ in PS3.6: its defined-length value is walked; a
    // private (0009,1001) of the same bytes is skipped.
    let inner = [tag(0x0010_0020, true), field(2, 4, true), b"ID".to_vec()].concat();
    let one_item = [item(ITEM, inner.len() as u32, true), inner].concat();
    let element = |t: u32| {
        [
            tag(t, true),
            field(one_item.len() as u32, 4, true),
            one_item.clone(),
        ]
        .concat()
    };
    let data = [element(0x0008_1115), element(0x0009_1001)].concat();
    let result = scan_bytes(&data, Some(IMPLICIT)).unwrap();
    assert_eq!(result.elements, 3);
    // Undefined length marks a sequence whatever the tag; (7FE0,0010) is pixel data.
    let undefined = [
        tag(0x0009_1002, true),
        field(UNDEFINED, 4, true),
        item(SEQ_END, 0, true),
        tag(0x7FE0_0010, true),
        field(UNDEFINED, 4, true),
        item(SEQ_END, 0, true),
    ]
    .concat();
    assert_eq!(scan_bytes(&undefined, Some(IMPLICIT)).unwrap().elements, 2);
}

fn part10(data_set: &[u8], syntax: &str) -> Vec<u8> {
    let mut uid = syntax.as_bytes().to_vec();
    if uid.len() % 2 == 1 {
        uid.push(0);
    }
    let meta = [explicit(0x0002_0010, b"UI", uid.len() as u32, true), uid].concat();
    let group_length = [
        explicit(0x0002_0000, b"UL", 4, true),
        field(meta.len() as u32, 4, true),
    ]
    .concat();
    [
        vec![0; 128],
        b"DICM".to_vec(),
        group_length,
        meta,
        data_set.to_vec(),
    ]
    .concat()
}

#[test]
fn a_part10_file_and_its_meta() {
    let data = nested(true);
    let file = part10(&data, EXPLICIT);
    let start = (file.len() - data.len()) as u64;
    let result = scan_bytes(&file, None).unwrap();
    assert_eq!(result, expected(EXPLICIT, start, data.len()));
    assert_eq!(scan_reader(Cursor::new(&file), 0, None).unwrap(), result);

    let mut no_dicm = file.clone();
    no_dicm[128] = b'X';
    assert_eq!(
        error(scan_bytes(&no_dicm, None)),
        DataSetError::new(K::NoDicmPrefix, 128)
    );
    let meta_only = &file[..file.len() - data.len()];
    let without_ts = &meta_only[..144]; // preamble, DICM, group length
    assert_eq!(
        error(scan_bytes(without_ts, None)).kind,
        K::NoTransferSyntax
    );
    assert_eq!(
        error(scan_bytes(&file[..100], None)),
        DataSetError::new(
            K::Truncated {
                wanted: 132,
                left: 100
            },
            0
        )
    );
}

#[test]
fn deflated_data_sets_inflate_as_a_stream() {
    let data = nested(true);
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&data).unwrap();
    let compressed = encoder.finish().unwrap();
    let result = scan_bytes(&compressed, Some(DEFLATED)).unwrap();
    assert_eq!(result, expected(DEFLATED, 0, data.len()));
    let file = part10(&compressed, DEFLATED);
    let start = (file.len() - compressed.len()) as u64;
    assert_eq!(
        scan_reader(Dribble::new(&file, 3), 0, None).unwrap(),
        expected(DEFLATED, start, data.len())
    );
    // Cut before its last block: every byte inflated, yet truncated.
    let err = error(scan_bytes(
        &compressed[..compressed.len() - 1],
        Some(DEFLATED),
    ));
    assert!(err.offset <= data.len() as u64, "{err}");
}

#[test]
fn errors_name_the_fault_and_offset_as_the_python_scanner_did() {
    let pn = |t: u32, len: u16| {
        [
            explicit(t, b"PN", u32::from(len), true),
            vec![b'A'; usize::from(len)],
        ]
        .concat()
    };
    let swapped = [pn(0x0010_0020, 2), pn(0x0010_0010, 2)].concat();
    let err = error(scan_bytes(&swapped, Some(EXPLICIT)));
    assert_eq!(
        err,
        DataSetError::new(
            K::TagOrder {
                tag: 0x0010_0010,
                previous: 0x0010_0020
            },
            10
        )
    );
    assert_eq!(
        err.to_string(),
        "tag (0010,0010) does not follow (0010,0020) (at offset 10)"
    );

    let past = [
        explicit(0x0010_0010, b"PN", 0x4000, true),
        b"DOE^J ".to_vec(),
    ]
    .concat();
    let err = error(scan_bytes(&past, Some(EXPLICIT)));
    let what = Part::Element(0x0010_0010);
    assert_eq!(
        err,
        DataSetError::new(
            K::PastEnd {
                what,
                length: 0x4000,
                limit: 14
            },
            0
        )
    );
    assert_eq!(
        err.kind.to_string(),
        "element (0010,0010) of 16384 bytes runs past its end (14)"
    );

    let unknown_vr = [tag(0x0010_0010, true), b"\0'".to_vec(), field(0, 2, true)].concat();
    let err = error(scan_bytes(&unknown_vr, Some(EXPLICIT)));
    assert_eq!(
        err.to_string(),
        "element (0010,0010) has unknown VR b\"\\x00'\" (at offset 4)"
    );

    let delimiter = item(ITEM_END, 0, true);
    assert_eq!(
        error(scan_bytes(&delimiter, Some(EXPLICIT))),
        DataSetError::new(K::Unexpected { tag: ITEM_END }, 0)
    );
    let never_closed = [
        explicit(0x0008_1115, b"SQ", UNDEFINED, true),
        item(ITEM, UNDEFINED, true),
    ]
    .concat();
    assert_eq!(
        error(scan_bytes(&never_closed, Some(EXPLICIT))),
        DataSetError::new(K::HeaderPastEnd, 20)
    );
    let undefined_fragment = [
        explicit(0x7FE0_0010, b"OB", UNDEFINED, true),
        item(ITEM, UNDEFINED, true),
    ]
    .concat();
    assert_eq!(
        error(scan_bytes(&undefined_fragment, Some(EXPLICIT))).kind,
        K::UndefinedFragment
    );
}

#[test]
fn nesting_is_capped() {
    let level = [
        explicit(0x0008_1115, b"SQ", UNDEFINED, true),
        item(ITEM, UNDEFINED, true),
    ]
    .concat();
    let deep = level.repeat(200);
    assert_eq!(error(scan_bytes(&deep, Some(EXPLICIT))).kind, K::TooDeep);
}

#[test]
fn an_offset_past_the_end_of_the_file() {
    let err = error(scan_reader(Cursor::new(b"abc"), 4, Some(EXPLICIT)));
    assert_eq!(err, DataSetError::new(K::OffsetOutsideFile, 4));
}

fn syntaxes() -> impl Strategy<Value = (&'static str, bool)> {
    prop_oneof![
        Just((EXPLICIT, true)),
        Just((BIG, false)),
        Just((DEFLATED, true))
    ]
}

proptest! {
    /// Any cut and overwritten bytes: the buffer and a reader returning a
    /// few bytes at a time give the same verdict, and nothing panics.
    #[test]
    fn buffer_and_reader_agree(
        (syntax, little) in syntaxes(),
        cut in any::<prop::sample::Index>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        read_size in 1usize..64,
    ) {
        let mut data = nested(little);
        for (at, value) in &flips {
            let at = at.index(data.len());
            data[at] = *value;
        }
        if syntax == DEFLATED {
            let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(&data).unwrap();
            data = encoder.finish().unwrap();
        }
        data.truncate(cut.index(data.len() + 1));
        let from_bytes = scan_bytes(&data, Some(syntax));
        let from_reader = scan_reader(Dribble::new(&data, read_size), 0, Some(syntax));
        assert_same_scan(&from_bytes, &from_reader);
    }

    /// Arbitrary bytes through the fuzz entry point.
    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..600)) {
        fastdimse_proto::fuzzing::scan(&data);
    }
}
