#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Byte layouts written by hand from the tables of PS3.8 9.3 and Annex D
//! and PS3.7 Annex D.3.3, decoded, compared field by field and re-encoded;
//! then the error cases with their kind, field, offset and answer.

use fastdimse_proto::error::{abort_reason, reject, EncodeErrorReason};
use fastdimse_proto::pdu::{
    decode_pdu, decode_pdu_body, Abort, AssociateAc, AssociateRj, AssociateRq, AsyncOpsWindow,
    MessageControlHeader, PDataTf, Pdu, Pdv, PresentationContextAc, PresentationContextRq,
    RoleSelection, SopClassCommonExtended, SopClassExtended, UserIdentityAc, UserIdentityRq,
    UserInformation, UserItem,
};
use fastdimse_proto::{Answer, DecodeError, DecodeOptions, ErrorKind};

fn decode(bytes: &[u8]) -> Result<Pdu, DecodeError> {
    decode_pdu(bytes, &DecodeOptions::default())
}

/// Decodes, compares with `expected`, and re-encodes to the same bytes.
fn check_layout(bytes: &[u8], expected: &Pdu) {
    let decoded = decode(bytes).unwrap();
    assert_eq!(&decoded, expected);
    assert_eq!(expected.to_bytes().unwrap(), bytes);
}

fn decode_err(bytes: &[u8]) -> DecodeError {
    decode(bytes).unwrap_err()
}

// ---------------------------------------------------------------------------
// A-ASSOCIATE-RQ, PS3.8 Table 9-11, with items of Tables 9-12 to 9-16 and
// user information sub-items of Tables D.1-1, D.1-2, D.3-1 and D.3-2.
//
// Offsets: header 0..6, fixed part 6..74, application context item 74..99,
// presentation context item 99..172 (ID at 103; abstract syntax sub-item at
// 107, its length at 109; transfer syntaxes at 128 and 149), user
// information item 172..205 (maximum length sub-item at 176, value at 180).
// ---------------------------------------------------------------------------

const APP_CONTEXT_ITEM: &[u8] = b"\x10\x00\x00\x15\
1.2.840.10008.3.1.1.1";

/// Presentation context item (Table 9-13): length 0x45 = 4 + 21 + 21 + 23.
const PC_RQ_ITEM: &[u8] = b"\x20\x00\x00\x45\
\x01\x00\x00\x00\
\x30\x00\x00\x111.2.840.10008.1.1\
\x40\x00\x00\x111.2.840.10008.1.2\
\x40\x00\x00\x131.2.840.10008.1.2.1";

/// User information item (Table 9-16): length 0x1D = 8 + 11 + 10.
const USER_INFO_RQ_ITEM: &[u8] = b"\x50\x00\x00\x1D\
\x51\x00\x00\x04\x00\x00\x40\x00\
\x52\x00\x00\x071.2.3.4\
\x55\x00\x00\x06FD_010";

/// PDU header (type 1, length 0xC7 = 199) and fixed part of Table 9-11.
const RQ_HEAD: &[u8] = b"\x01\x00\x00\x00\x00\xC7\
\x00\x01\x00\x00\
CALLED          \
CALLING         \
\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";

fn rq_bytes() -> Vec<u8> {
    [RQ_HEAD, APP_CONTEXT_ITEM, PC_RQ_ITEM, USER_INFO_RQ_ITEM].concat()
}

fn rq_value(user_items: Vec<UserItem>) -> AssociateRq {
    AssociateRq {
        protocol_version: 1,
        called_ae_title: "CALLED".into(),
        calling_ae_title: "CALLING".into(),
        application_context: "1.2.840.10008.3.1.1.1".into(),
        presentation_contexts: vec![PresentationContextRq {
            id: 1,
            abstract_syntax: "1.2.840.10008.1.1".into(),
            transfer_syntaxes: vec!["1.2.840.10008.1.2".into(), "1.2.840.10008.1.2.1".into()],
        }],
        user_information: UserInformation { items: user_items },
    }
}

fn basic_user_items() -> Vec<UserItem> {
    vec![
        UserItem::MaximumLength(0x4000),
        UserItem::ImplementationClassUid("1.2.3.4".into()),
        UserItem::ImplementationVersionName("FD_010".into()),
    ]
}

/// An RQ whose user information item holds `sub_items` (its body, written
/// by hand by the caller); only the two enclosing lengths are computed.
fn rq_with_user_info(sub_items: &[u8]) -> Vec<u8> {
    let mut user_info = vec![0x50, 0x00];
    user_info.extend_from_slice(&(sub_items.len() as u16).to_be_bytes());
    user_info.extend_from_slice(sub_items);
    let mut pdu = [RQ_HEAD, APP_CONTEXT_ITEM, PC_RQ_ITEM, &user_info].concat();
    let body_len = (pdu.len() - 6) as u32;
    pdu[2..6].copy_from_slice(&body_len.to_be_bytes());
    pdu
}

#[test]
fn associate_rq_layout() {
    assert_eq!(rq_bytes().len(), 205);
    check_layout(&rq_bytes(), &Pdu::AssociateRq(rq_value(basic_user_items())));
}

#[test]
fn associate_rq_body_errors_count_from_the_pdu_start() {
    let bytes = rq_bytes();
    let pdu = decode_pdu_body(0x01, &bytes[6..], &DecodeOptions::default()).unwrap();
    assert_eq!(pdu, Pdu::AssociateRq(rq_value(basic_user_items())));

    let mut bad = bytes.clone();
    bad[103] = 0x02;
    let err = decode_pdu_body(0x01, &bad[6..], &DecodeOptions::default()).unwrap_err();
    assert_eq!((err.kind, err.offset), (ErrorKind::InvalidValue, 103));
}

#[test]
fn padded_uids_and_ae_titles_decode() {
    // Transfer syntax "1.2.840.10008.1.2" NUL padded to 18 bytes, AE titles
    // with leading spaces and NUL padding.
    let pc = b"\x20\x00\x00\x30\
\x01\x00\x00\x00\
\x30\x00\x00\x121.2.840.10008.1.1 \
\x40\x00\x00\x121.2.840.10008.1.2\x00";
    let mut pdu = [RQ_HEAD, APP_CONTEXT_ITEM, pc, USER_INFO_RQ_ITEM].concat();
    pdu[10..26].copy_from_slice(b"  CALLED\0\0\0\0\0\0\0\0");
    let body_len = (pdu.len() - 6) as u32;
    pdu[2..6].copy_from_slice(&body_len.to_be_bytes());
    let Pdu::AssociateRq(rq) = decode(&pdu).unwrap() else {
        panic!("not an RQ")
    };
    assert_eq!(rq.called_ae_title, "CALLED");
    let mut expected = rq_value(basic_user_items());
    expected.presentation_contexts[0].transfer_syntaxes = vec!["1.2.840.10008.1.2".into()];
    assert_eq!(rq, expected);
}

#[test]
fn protocol_version_is_kept_as_received() {
    let mut bytes = rq_bytes();
    bytes[6..8].copy_from_slice(&[0x00, 0x02]);
    let Pdu::AssociateRq(rq) = decode(&bytes).unwrap() else {
        panic!("not an RQ")
    };
    assert_eq!(rq.protocol_version, 2);
    assert_eq!(Pdu::AssociateRq(rq).to_bytes().unwrap(), bytes);
}

#[test]
fn reserved_fields_are_not_checked_on_receipt() {
    let mut bytes = rq_bytes();
    bytes[1] = 0xAA; // PDU header reserved
    bytes[8] = 0xBB; // after the protocol version
    bytes[50] = 0xCC; // the 32 reserved bytes
    bytes[105] = 0xFF; // presentation context reserved (DCMTK sends FFH here)
    assert_eq!(
        decode(&bytes).unwrap(),
        Pdu::AssociateRq(rq_value(basic_user_items()))
    );
}

// User information sub-items, one test each, wrapped in the RQ above.

fn check_user_items(sub_items: &[u8], expected: Vec<UserItem>) {
    check_layout(
        &rq_with_user_info(sub_items),
        &Pdu::AssociateRq(rq_value(expected)),
    );
}

#[test]
fn async_ops_window_sub_item_layout() {
    // PS3.7 Table D.3-7.
    check_user_items(
        b"\x53\x00\x00\x04\x00\x05\x00\x01",
        vec![UserItem::AsyncOpsWindow(AsyncOpsWindow {
            max_operations_invoked: 5,
            max_operations_performed: 1,
        })],
    );
}

#[test]
fn role_selection_sub_item_layout() {
    // PS3.7 Table D.3-9: UID length, UID, SCU role, SCP role.
    check_user_items(
        b"\x54\x00\x00\x0A\x00\x061.2.34\x01\x00",
        vec![UserItem::RoleSelection(RoleSelection {
            sop_class_uid: "1.2.34".into(),
            scu_role: 1,
            scp_role: 0,
        })],
    );
}

#[test]
fn sop_class_extended_sub_item_layout() {
    // PS3.7 Table D.3-11: UID length, UID, service class application info.
    check_user_items(
        b"\x56\x00\x00\x0B\x00\x061.2.34\x01\x02\x00",
        vec![UserItem::SopClassExtended(SopClassExtended {
            sop_class_uid: "1.2.34".into(),
            service_class_application_information: vec![1, 2, 0],
        })],
    );
}

#[test]
fn sop_class_common_extended_sub_item_layout() {
    // PS3.7 Table D.3-12: the version byte (here 0) replaces the reserved
    // byte; related general SOP class identification length 0x0C holds two
    // (length, UID) entries.
    check_user_items(
        b"\x57\x00\x00\x1A\
\x00\x041.23\
\x00\x044.56\
\x00\x0C\x00\x047.89\x00\x047.10",
        vec![UserItem::SopClassCommonExtended(SopClassCommonExtended {
            version: 0,
            sop_class_uid: "1.23".into(),
            service_class_uid: "4.56".into(),
            related_general_sop_classes: vec!["7.89".into(), "7.10".into()],
        })],
    );
}

#[test]
fn sop_class_common_extended_keeps_its_version_and_empty_related_list() {
    check_user_items(
        b"\x57\x03\x00\x0E\x00\x041.23\x00\x044.56\x00\x00",
        vec![UserItem::SopClassCommonExtended(SopClassCommonExtended {
            version: 3,
            sop_class_uid: "1.23".into(),
            service_class_uid: "4.56".into(),
            related_general_sop_classes: vec![],
        })],
    );
}

#[test]
fn user_identity_rq_sub_item_layouts() {
    // PS3.7 Table D.3-14: type 1 (username) with an empty secondary field,
    // then type 2 (username and passcode).
    check_user_items(
        b"\x58\x00\x00\x0A\x01\x01\x00\x04user\x00\x00\
\x58\x00\x00\x10\x02\x00\x00\x04user\x00\x06secret",
        vec![
            UserItem::UserIdentityRq(UserIdentityRq {
                identity_type: 1,
                positive_response_requested: true,
                primary_field: b"user".to_vec(),
                secondary_field: vec![],
            }),
            UserItem::UserIdentityRq(UserIdentityRq {
                identity_type: 2,
                positive_response_requested: false,
                primary_field: b"user".to_vec(),
                secondary_field: b"secret".to_vec(),
            }),
        ],
    );
}

#[test]
fn unknown_sub_items_are_kept() {
    check_user_items(
        b"\x7F\x00\x00\x03\xAA\xBB\xCC\x51\x00\x00\x04\x00\x00\x00\x00",
        vec![
            UserItem::Unknown {
                item_type: 0x7F,
                data: vec![0xAA, 0xBB, 0xCC],
            },
            UserItem::MaximumLength(0),
        ],
    );
}

#[test]
fn implementation_version_name_is_decoded_leniently() {
    let bytes = rq_with_user_info(b"\x55\x00\x00\x08DCM 1\x00 \x00");
    let Pdu::AssociateRq(rq) = decode(&bytes).unwrap() else {
        panic!("not an RQ")
    };
    assert_eq!(
        rq.user_information.items,
        [UserItem::ImplementationVersionName("DCM 1".into())]
    );
}

/// Found by the roundtrip fuzzer: a name with control bytes used to decode
/// (lossily) into a value the encoder refused. Now it is refused on decode,
/// and any name that decodes re-encodes, whatever its length.
#[test]
fn implementation_version_name_must_be_printable_and_round_trips() {
    let bytes = rq_with_user_info(b"\x55\x00\x00\x04OF\x01F");
    let err = decode(&bytes).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidText);
    assert_eq!(err.field, "Implementation-version-name");

    let long_name = rq_with_user_info(b"\x55\x00\x00\x14TWENTY_CHARACTERS_XX");
    let pdu = decode(&long_name).unwrap();
    assert_eq!(pdu.to_bytes().unwrap(), long_name);
}

// ---------------------------------------------------------------------------
// A-ASSOCIATE-AC, PS3.8 Table 9-17, items of Tables 9-18 to 9-20, and the
// user identity AC sub-item of PS3.7 Table D.3-15.
// ---------------------------------------------------------------------------

#[test]
fn associate_ac_layout() {
    let bytes: &[u8] = b"\x02\x00\x00\x00\x00\xA3\
\x00\x01\x00\x00\
CALLED          \
CALLING\x00\x00\x00\x00\x00\x00\x00\x00\x00\
\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
\x10\x00\x00\x151.2.840.10008.3.1.1.1\
\x21\x00\x00\x19\x01\x00\x00\x00\x40\x00\x00\x111.2.840.10008.1.2\
\x21\x00\x00\x04\x03\x00\x04\x00\
\x50\x00\x00\x1D\
\x51\x00\x00\x04\x00\x00\x40\x00\
\x52\x00\x00\x071.2.3.4\
\x59\x00\x00\x06\x00\x04OKAY";
    let expected = Pdu::AssociateAc(AssociateAc {
        protocol_version: 1,
        called_ae_title: *b"CALLED          ",
        calling_ae_title: *b"CALLING\0\0\0\0\0\0\0\0\0",
        application_context: "1.2.840.10008.3.1.1.1".into(),
        presentation_contexts: vec![
            PresentationContextAc {
                id: 1,
                result: 0,
                transfer_syntax: Some("1.2.840.10008.1.2".into()),
            },
            PresentationContextAc {
                id: 3,
                result: 4,
                transfer_syntax: None,
            },
        ],
        user_information: UserInformation {
            items: vec![
                UserItem::MaximumLength(0x4000),
                UserItem::ImplementationClassUid("1.2.3.4".into()),
                UserItem::UserIdentityAc(UserIdentityAc {
                    server_response: b"OKAY".to_vec(),
                }),
            ],
        },
    });
    check_layout(bytes, &expected);
}

#[test]
fn accepted_ac_context_without_transfer_syntax_is_missing_one() {
    let mut bytes = b"\x02\x00\x00\x00\x00\x69\
\x00\x01\x00\x00"
        .to_vec();
    bytes.extend_from_slice(&[0; 64]);
    bytes.extend_from_slice(APP_CONTEXT_ITEM);
    bytes.extend_from_slice(b"\x21\x00\x00\x04\x01\x00\x00\x00\x50\x00\x00\x00");
    assert_eq!(bytes.len(), 6 + 0x69);
    let err = decode_err(&bytes);
    assert_eq!(err.kind, ErrorKind::Missing);
    assert_eq!(err.field, "Transfer-syntax-sub-item");
    assert_eq!(err.offset, 99);
}

/// Table 9-18: context IDs are odd in the AC too (found by the roundtrip
/// fuzzer: an AC with ID 0 decoded but could not be re-encoded).
#[test]
fn even_ac_context_ids_are_refused() {
    let mut bytes = ac_with_context(0, b"1.2.840.10008.1.2");
    let id_at = 6 + 68 + APP_CONTEXT_ITEM.len() + 4;
    assert_eq!(bytes[id_at], 1);
    bytes[id_at] = 0;
    let err = decode_err(&bytes);
    assert_eq!(err.kind, ErrorKind::InvalidValue);
    assert_eq!(
        err.field,
        "Presentation-context-item(AC)/Presentation-context-ID"
    );
    assert_eq!(err.offset, id_at as u64);
}

#[test]
fn repeated_rq_context_ids_are_refused_on_encode_as_on_decode() {
    let mut rq = rq_value(basic_user_items());
    let context = rq.presentation_contexts[0].clone();
    rq.presentation_contexts.push(context);
    let err = Pdu::AssociateRq(rq).to_bytes().unwrap_err();
    assert_eq!(
        err.field,
        "Presentation-context-item(RQ)/Presentation-context-ID"
    );
    assert_eq!(err.reason, EncodeErrorReason::InvalidValue);
}

/// An A-ASSOCIATE-AC with one presentation context of the given result
/// whose transfer syntax sub-item holds `name` (Tables 9-17 and 9-18).
fn ac_with_context(result: u8, name: &[u8]) -> Vec<u8> {
    let mut context = vec![
        0x21,
        0x00,
        0x00,
        (8 + name.len()) as u8,
        0x01,
        0x00,
        result,
        0x00,
    ];
    context.extend_from_slice(&[0x40, 0x00, 0x00, name.len() as u8]);
    context.extend_from_slice(name);
    let user_info = b"\x50\x00\x00\x08\x51\x00\x00\x04\x00\x00\x40\x00";
    let body_len = 68 + APP_CONTEXT_ITEM.len() + context.len() + user_info.len();
    let mut bytes = vec![0x02, 0x00];
    bytes.extend_from_slice(&(body_len as u32).to_be_bytes());
    bytes.extend_from_slice(&[0x00, 0x01, 0x00, 0x00]);
    bytes.extend_from_slice(&[0; 64]);
    bytes.extend_from_slice(APP_CONTEXT_ITEM);
    bytes.extend_from_slice(&context);
    bytes.extend_from_slice(user_info);
    bytes
}

/// Table 9-18: unless the context is accepted, its transfer syntax "shall
/// not be tested when received". An accepted context's still is.
#[test]
fn rejected_context_transfer_syntax_is_not_tested() {
    let Pdu::AssociateAc(ac) = decode(&ac_with_context(3, b"\xFF\xFE not a UID")).unwrap() else {
        panic!("not an AC")
    };
    assert_eq!(ac.presentation_contexts[0].result, 3);
    assert_eq!(ac.presentation_contexts[0].transfer_syntax, None);

    let err = decode_err(&ac_with_context(0, b"\xFF\xFE not a UID"));
    assert_eq!(err.kind, ErrorKind::InvalidText);
    assert_eq!(err.field, "Transfer-syntax-sub-item/Transfer-syntax-name");
}

// ---------------------------------------------------------------------------
// The fixed-size PDUs: Tables 9-21 (A-ASSOCIATE-RJ), 9-24 (A-RELEASE-RQ),
// 9-25 (A-RELEASE-RP), 9-26 (A-ABORT); and P-DATA-TF, Tables 9-22 and 9-23.
// ---------------------------------------------------------------------------

#[test]
fn associate_rj_layout() {
    check_layout(
        b"\x03\x00\x00\x00\x00\x04\x00\x01\x01\x03",
        &Pdu::AssociateRj(AssociateRj {
            result: 1,
            source: 1,
            reason: 3,
        }),
    );
}

#[test]
fn release_and_abort_layouts() {
    check_layout(b"\x05\x00\x00\x00\x00\x04\x00\x00\x00\x00", &Pdu::ReleaseRq);
    check_layout(b"\x06\x00\x00\x00\x00\x04\x00\x00\x00\x00", &Pdu::ReleaseRp);
    check_layout(
        b"\x07\x00\x00\x00\x00\x04\x00\x00\x02\x06",
        &Pdu::Abort(Abort {
            source: 2,
            reason: 6,
        }),
    );
}

#[test]
fn p_data_tf_layout() {
    // Two PDVs: a last command fragment of 4 bytes, then an empty data set
    // fragment (item length 2: only the context ID and control header).
    check_layout(
        b"\x04\x00\x00\x00\x00\x10\
\x00\x00\x00\x06\x01\x03\xAA\xBB\xCC\xDD\
\x00\x00\x00\x02\x03\x00",
        &Pdu::PDataTf(PDataTf {
            pdvs: vec![
                Pdv {
                    context_id: 1,
                    control: MessageControlHeader::new(true, true),
                    data: vec![0xAA, 0xBB, 0xCC, 0xDD],
                },
                Pdv {
                    context_id: 3,
                    control: MessageControlHeader::new(false, false),
                    data: vec![],
                },
            ],
        }),
    );
}

// ---------------------------------------------------------------------------
// Errors: kind, field, offset (from the PDU's first byte) and answer.
// ---------------------------------------------------------------------------

const INVALID_PARAMETER: Answer = Answer::Abort {
    source: 2,
    reason: abort_reason::INVALID_PDU_PARAMETER_VALUE,
};

#[test]
fn unknown_pdu_type() {
    let err = decode_err(b"\x08\x00\x00\x00\x00\x04\x00\x00\x00\x00");
    assert_eq!(err.kind, ErrorKind::UnknownPduType(0x08));
    assert_eq!((err.field, err.offset), ("PDU-type", 0));
    assert_eq!(
        err.answer,
        Answer::Abort {
            source: 2,
            reason: abort_reason::UNRECOGNIZED_PDU
        }
    );
    let err = decode_pdu_body(0, &[], &DecodeOptions::default()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnknownPduType(0));
}

#[test]
fn pdu_length_must_match_the_buffer() {
    let short = decode_err(b"\x05\x00\x00\x00\x00\x04\x00\x00\x00");
    assert_eq!(
        short.kind,
        ErrorKind::LengthOverflow {
            claimed: 4,
            available: 3
        }
    );
    assert_eq!((short.field, short.offset), ("PDU-length", 2));

    let long = decode_err(b"\x05\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00");
    assert_eq!(long.kind, ErrorKind::TrailingBytes { count: 1 });
    assert_eq!(long.offset, 10);

    let header_only = decode_err(b"\x05\x00\x00");
    assert!(matches!(header_only.kind, ErrorKind::LengthOverflow { .. }));
}

#[test]
fn fixed_size_pdus_with_the_wrong_length() {
    let short = decode_err(b"\x07\x00\x00\x00\x00\x03\x00\x00\x02");
    assert_eq!(
        short.kind,
        ErrorKind::LengthTooShort {
            claimed: 3,
            minimum: 4
        }
    );
    assert_eq!((short.field, short.offset), ("PDU-length", 2));

    let long = decode_err(b"\x06\x00\x00\x00\x00\x05\x00\x00\x00\x00\x00");
    assert_eq!(long.kind, ErrorKind::TrailingBytes { count: 1 });
    assert_eq!((long.field, long.offset), ("A-RELEASE-RP", 10));

    let rq = decode_err(b"\x01\x00\x00\x00\x00\x02\x00\x01");
    assert_eq!(
        rq.kind,
        ErrorKind::LengthTooShort {
            claimed: 2,
            minimum: 68
        }
    );
}

#[test]
fn truncated_item() {
    // The maximum length sub-item claims 2 bytes: too few for its u32.
    let bytes = rq_with_user_info(b"\x51\x00\x00\x02\x00\x00");
    let err = decode_err(&bytes);
    assert_eq!(
        err.kind,
        ErrorKind::LengthOverflow {
            claimed: 4,
            available: 2
        }
    );
    assert_eq!((err.field, err.offset), ("Maximum-length-received", 180));
    assert_eq!(err.answer, INVALID_PARAMETER);
}

#[test]
fn item_length_overflowing_its_parent() {
    // The abstract syntax sub-item claims 255 bytes; its presentation
    // context item has 61 left after the length field.
    let mut bytes = rq_bytes();
    bytes[109..111].copy_from_slice(&[0x00, 0xFF]);
    let err = decode_err(&bytes);
    assert_eq!(
        err.kind,
        ErrorKind::LengthOverflow {
            claimed: 255,
            available: 61
        }
    );
    assert_eq!(err.field, "Abstract-syntax-sub-item/Item-length");
    assert_eq!(err.offset, 109);
}

#[test]
fn trailing_bytes_inside_an_item() {
    // An asynchronous operations window sub-item of 5 bytes: one too many.
    let bytes = rq_with_user_info(b"\x53\x00\x00\x05\x00\x01\x00\x01\xEE");
    let err = decode_err(&bytes);
    assert_eq!(err.kind, ErrorKind::TrailingBytes { count: 1 });
    assert_eq!(
        (err.field, err.offset),
        ("Asynchronous-operations-window-sub-item/Item-length", 184)
    );

    // PDV item length below 2.
    let pdata = decode_err(b"\x04\x00\x00\x00\x00\x05\x00\x00\x00\x01\x01");
    assert_eq!(
        pdata.kind,
        ErrorKind::LengthTooShort {
            claimed: 1,
            minimum: 2
        }
    );
    assert_eq!(pdata.offset, 6);
}

#[test]
fn missing_abstract_syntax() {
    // The abstract syntax sub-item turned into a third transfer syntax.
    let mut bytes = rq_bytes();
    bytes[107] = 0x40;
    let err = decode_err(&bytes);
    assert_eq!(err.kind, ErrorKind::Missing);
    assert_eq!((err.field, err.offset), ("Abstract-syntax-sub-item", 99));
    assert_eq!(err.answer, INVALID_PARAMETER);
}

#[test]
fn missing_transfer_syntax() {
    let pc = b"\x20\x00\x00\x19\x01\x00\x00\x00\x30\x00\x00\x111.2.840.10008.1.1";
    let mut bytes = [RQ_HEAD, APP_CONTEXT_ITEM, pc, USER_INFO_RQ_ITEM].concat();
    let body_len = (bytes.len() - 6) as u32;
    bytes[2..6].copy_from_slice(&body_len.to_be_bytes());
    let err = decode_err(&bytes);
    assert_eq!(err.kind, ErrorKind::Missing);
    assert_eq!((err.field, err.offset), ("Transfer-syntax-sub-item", 99));
}

#[test]
fn even_or_zero_context_id() {
    for id in [0x00, 0x02, 0xFE] {
        let mut bytes = rq_bytes();
        bytes[103] = id;
        let err = decode_err(&bytes);
        assert_eq!(err.kind, ErrorKind::InvalidValue);
        assert_eq!(
            (err.field, err.offset),
            ("Presentation-context-item(RQ)/Presentation-context-ID", 103)
        );
    }
}

#[test]
fn duplicate_items_and_context_ids() {
    // The same presentation context twice: the second ID is at 99 + 73 + 4.
    let mut bytes = [
        RQ_HEAD,
        APP_CONTEXT_ITEM,
        PC_RQ_ITEM,
        PC_RQ_ITEM,
        USER_INFO_RQ_ITEM,
    ]
    .concat();
    let body_len = (bytes.len() - 6) as u32;
    bytes[2..6].copy_from_slice(&body_len.to_be_bytes());
    let err = decode_err(&bytes);
    assert_eq!(err.kind, ErrorKind::Duplicate);
    assert_eq!(err.offset, 176);

    // A second application context item, at 99.
    let mut bytes = [
        RQ_HEAD,
        APP_CONTEXT_ITEM,
        APP_CONTEXT_ITEM,
        PC_RQ_ITEM,
        USER_INFO_RQ_ITEM,
    ]
    .concat();
    let body_len = (bytes.len() - 6) as u32;
    bytes[2..6].copy_from_slice(&body_len.to_be_bytes());
    let err = decode_err(&bytes);
    assert_eq!(err.kind, ErrorKind::Duplicate);
    assert_eq!((err.field, err.offset), ("Application-context-item", 99));
}

#[test]
fn missing_application_context_and_user_information() {
    let mut bytes = [RQ_HEAD, PC_RQ_ITEM, USER_INFO_RQ_ITEM].concat();
    let body_len = (bytes.len() - 6) as u32;
    bytes[2..6].copy_from_slice(&body_len.to_be_bytes());
    let err = decode_err(&bytes);
    assert_eq!(err.kind, ErrorKind::Missing);
    assert_eq!((err.field, err.offset), ("Application-context-item", 74));

    let mut bytes = [RQ_HEAD, APP_CONTEXT_ITEM, PC_RQ_ITEM].concat();
    let body_len = (bytes.len() - 6) as u32;
    bytes[2..6].copy_from_slice(&body_len.to_be_bytes());
    let err = decode_err(&bytes);
    assert_eq!(
        (err.kind, err.field),
        (ErrorKind::Missing, "User-information-item")
    );
}

#[test]
fn unknown_item_types() {
    // A presentation context AC item (0x21) inside an RQ, at 99.
    let mut bytes = rq_bytes();
    bytes[99] = 0x21;
    let err = decode_err(&bytes);
    assert_eq!(err.kind, ErrorKind::UnknownItemType(0x21));
    assert_eq!(err.offset, 99);
    assert_eq!(
        err.answer,
        Answer::Abort {
            source: 2,
            reason: abort_reason::UNRECOGNIZED_PDU_PARAMETER
        }
    );

    // An unknown sub-item inside the presentation context, at 128.
    let mut bytes = rq_bytes();
    bytes[128] = 0x45;
    let err = decode_err(&bytes);
    assert_eq!(
        (err.kind, err.offset),
        (ErrorKind::UnknownItemType(0x45), 128)
    );
}

#[test]
fn invalid_ae_titles_are_answered_with_a_rejection() {
    let mut bytes = rq_bytes();
    bytes[26] = 0x07; // a control character in the calling AE title
    let err = decode_err(&bytes);
    assert_eq!(err.kind, ErrorKind::InvalidText);
    assert_eq!(
        (err.field, err.offset),
        ("A-ASSOCIATE-RQ/Calling-AE-title", 26)
    );
    assert_eq!(
        err.answer,
        Answer::Reject {
            result: reject::RESULT_PERMANENT,
            source: reject::SOURCE_SERVICE_USER,
            reason: reject::USER_CALLING_AE_NOT_RECOGNIZED
        }
    );

    let mut bytes = rq_bytes();
    bytes[10] = b'\\';
    let err = decode_err(&bytes);
    assert_eq!(
        err.answer,
        Answer::Reject {
            result: reject::RESULT_PERMANENT,
            source: reject::SOURCE_SERVICE_USER,
            reason: reject::USER_CALLED_AE_NOT_RECOGNIZED
        }
    );
}

#[test]
fn uid_longer_than_64_characters() {
    let mut sub_items = b"\x52\x00\x00\x41".to_vec();
    sub_items.extend_from_slice(&[b'1'; 65]);
    let err = decode_err(&rq_with_user_info(&sub_items));
    assert_eq!(
        err.kind,
        ErrorKind::LimitExceeded {
            limit: 64,
            claimed: 65
        }
    );
    assert_eq!((err.field, err.offset), ("Implementation-class-uid", 180));
}

#[test]
fn empty_p_data_tf_is_missing_its_pdv() {
    let err = decode_err(b"\x04\x00\x00\x00\x00\x00");
    assert_eq!((err.kind, err.offset), (ErrorKind::Missing, 6));
}

// ---------------------------------------------------------------------------
// Encode errors name the field.
// ---------------------------------------------------------------------------

#[test]
fn encode_errors_name_the_field() {
    let mut rq = rq_value(basic_user_items());
    rq.calling_ae_title = "SEVENTEEN-CHARS-X".into();
    let err = Pdu::AssociateRq(rq).to_bytes().unwrap_err();
    assert_eq!(err.field, "A-ASSOCIATE-RQ/Calling-AE-title");
    assert_eq!(
        err.reason,
        EncodeErrorReason::TooLong {
            length: 17,
            limit: 16
        }
    );

    let mut rq = rq_value(basic_user_items());
    rq.presentation_contexts[0].id = 2;
    let err = Pdu::AssociateRq(rq).to_bytes().unwrap_err();
    assert_eq!(
        err.field,
        "Presentation-context-item(RQ)/Presentation-context-ID"
    );
    assert_eq!(err.reason, EncodeErrorReason::InvalidValue);

    let mut rq = rq_value(basic_user_items());
    rq.presentation_contexts[0].abstract_syntax = "1".repeat(65);
    let err = Pdu::AssociateRq(rq).to_bytes().unwrap_err();
    assert_eq!(err.field, "Abstract-syntax-sub-item/Abstract-syntax-name");

    let mut rq = rq_value(basic_user_items());
    rq.presentation_contexts[0].transfer_syntaxes[0] = "1.2.É".into();
    let err = Pdu::AssociateRq(rq).to_bytes().unwrap_err();
    assert_eq!(err.reason, EncodeErrorReason::InvalidText);

    let rq = rq_value(vec![UserItem::Unknown {
        item_type: 0x60,
        data: vec![0; 65536],
    }]);
    let err = Pdu::AssociateRq(rq).to_bytes().unwrap_err();
    assert_eq!(err.field, "Item-length");
    assert_eq!(
        err.reason,
        EncodeErrorReason::TooLong {
            length: 65536,
            limit: 65535
        }
    );
}
