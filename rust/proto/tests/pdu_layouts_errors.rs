#![allow(clippy::unwrap_used, clippy::expect_used)]
//! PDUs that do not decode, written by hand from PS3.8 9.3 and Annex D: the error's kind,
//! field, offset (from the PDU's first byte) and answer.

mod common;

use common::pdu::*;
use fastdimse_proto::error::{abort_reason, reject, EncodeErrorReason};
use fastdimse_proto::pdu::{decode_pdu_body, Pdu, UserItem};
use fastdimse_proto::{Answer, DecodeOptions, ErrorKind};

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
