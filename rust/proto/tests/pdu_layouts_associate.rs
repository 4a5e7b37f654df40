#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Byte layouts written by hand from the tables of PS3.8 9.3 and Annex D and PS3.7 Annex
//! D.3.3, decoded, compared field by field and re-encoded: A-ASSOCIATE-RQ/AC/RJ and their
//! items and sub-items, A-RELEASE, A-ABORT and P-DATA-TF.

mod common;

use common::pdu::*;
use fastdimse_proto::error::EncodeErrorReason;
use fastdimse_proto::pdu::{
    decode_pdu_body, Abort, AssociateAc, AssociateRj, AsyncOpsWindow, MessageControlHeader,
    PDataTf, Pdu, Pdv, PresentationContextAc, RoleSelection, SopClassCommonExtended,
    SopClassExtended, UserIdentityAc, UserIdentityRq, UserInformation, UserItem,
};
use fastdimse_proto::{DecodeOptions, ErrorKind};

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
