#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Round trips: any valid PDU of the seven types encodes and decodes back to
//! itself; and no input, random or mutated from a valid PDU, makes the
//! decoder panic.

use fastdimse_proto::pdu::{
    decode_pdu, decode_pdu_body, split_pdus, Abort, AssociateAc, AssociateRj, AssociateRq,
    AsyncOpsWindow, MessageControlHeader, PDataTf, Pdu, Pdv, PresentationContextAc,
    PresentationContextRq, RoleSelection, SopClassCommonExtended, SopClassExtended, UserIdentityAc,
    UserIdentityRq, UserInformation, UserItem,
};
use fastdimse_proto::DecodeOptions;
use proptest::collection::vec;
use proptest::prelude::*;

/// AE titles as they survive decoding: no leading or trailing padding.
fn ae_title() -> impl Strategy<Value = String> {
    "([A-Z0-9_]([A-Z0-9_ -]{0,14}[A-Z0-9_])?)?"
}

fn uid() -> impl Strategy<Value = String> {
    "[1-9][0-9]{0,3}(\\.(0|[1-9][0-9]{0,5})){0,9}"
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..max)
}

fn user_item() -> impl Strategy<Value = UserItem> {
    prop_oneof![
        any::<u32>().prop_map(UserItem::MaximumLength),
        uid().prop_map(UserItem::ImplementationClassUid),
        (any::<u16>(), any::<u16>()).prop_map(|(invoked, performed)| {
            UserItem::AsyncOpsWindow(AsyncOpsWindow {
                max_operations_invoked: invoked,
                max_operations_performed: performed,
            })
        }),
        (uid(), any::<u8>(), any::<u8>()).prop_map(|(sop_class_uid, scu_role, scp_role)| {
            UserItem::RoleSelection(RoleSelection {
                sop_class_uid,
                scu_role,
                scp_role,
            })
        }),
        "[A-Za-z0-9_.]([A-Za-z0-9_. -]{0,14}[A-Za-z0-9_.])?"
            .prop_map(UserItem::ImplementationVersionName),
        (uid(), bytes(32)).prop_map(|(sop_class_uid, info)| {
            UserItem::SopClassExtended(SopClassExtended {
                sop_class_uid,
                service_class_application_information: info,
            })
        }),
        (any::<u8>(), uid(), uid(), vec(uid(), 0..4)).prop_map(
            |(version, sop_class_uid, service_class_uid, related)| {
                UserItem::SopClassCommonExtended(SopClassCommonExtended {
                    version,
                    sop_class_uid,
                    service_class_uid,
                    related_general_sop_classes: related,
                })
            }
        ),
        (any::<u8>(), any::<bool>(), bytes(32), bytes(32)).prop_map(
            |(identity_type, positive, primary, secondary)| {
                UserItem::UserIdentityRq(UserIdentityRq {
                    identity_type,
                    positive_response_requested: positive,
                    primary_field: primary,
                    secondary_field: secondary,
                })
            }
        ),
        bytes(32).prop_map(|server_response| UserItem::UserIdentityAc(UserIdentityAc {
            server_response
        })),
        (
            any::<u8>().prop_filter("not a known sub-item", |t| !(0x51..=0x59).contains(t)),
            bytes(32)
        )
            .prop_map(|(item_type, data)| UserItem::Unknown { item_type, data }),
    ]
}

fn user_information() -> impl Strategy<Value = UserInformation> {
    vec(user_item(), 0..8).prop_map(|items| UserInformation { items })
}

/// Distinct odd IDs, in any order.
fn context_ids(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::sample::subsequence((0u8..128).map(|k| 2 * k + 1).collect::<Vec<_>>(), 0..max)
        .prop_shuffle()
}

fn associate_rq() -> impl Strategy<Value = AssociateRq> {
    (
        any::<u16>(),
        ae_title(),
        ae_title(),
        uid(),
        context_ids(6).prop_flat_map(|ids| {
            let n = ids.len();
            (Just(ids), vec((uid(), vec(uid(), 1..4)), n))
        }),
        user_information(),
    )
        .prop_map(
            |(protocol_version, called, calling, app, (ids, syntaxes), user_information)| {
                AssociateRq {
                    protocol_version,
                    called_ae_title: called,
                    calling_ae_title: calling,
                    application_context: app,
                    presentation_contexts: ids
                        .into_iter()
                        .zip(syntaxes)
                        .map(
                            |(id, (abstract_syntax, transfer_syntaxes))| PresentationContextRq {
                                id,
                                abstract_syntax,
                                transfer_syntaxes,
                            },
                        )
                        .collect(),
                    user_information,
                }
            },
        )
}

fn context_ac() -> impl Strategy<Value = PresentationContextAc> {
    (0u8..128, 0u8..5, uid(), any::<bool>()).prop_map(|(k, result, uid, omit)| {
        PresentationContextAc {
            id: 2 * k + 1,
            result,
            // Only a rejected context may go without its transfer syntax.
            transfer_syntax: (result == 0 || !omit).then_some(uid),
        }
    })
}

fn associate_ac() -> impl Strategy<Value = AssociateAc> {
    (
        any::<u16>(),
        any::<[u8; 16]>(),
        any::<[u8; 16]>(),
        uid(),
        vec(context_ac(), 0..6),
        user_information(),
    )
        .prop_map(
            |(protocol_version, called, calling, app, contexts, user_information)| AssociateAc {
                protocol_version,
                called_ae_title: called,
                calling_ae_title: calling,
                application_context: app,
                presentation_contexts: contexts,
                user_information,
            },
        )
}

fn pdv() -> impl Strategy<Value = Pdv> {
    (any::<u8>(), any::<u8>(), bytes(64)).prop_map(|(context_id, control, data)| Pdv {
        context_id,
        control: MessageControlHeader(control),
        data,
    })
}

fn pdu() -> impl Strategy<Value = Pdu> {
    prop_oneof![
        associate_rq().prop_map(Pdu::AssociateRq),
        associate_ac().prop_map(Pdu::AssociateAc),
        any::<[u8; 3]>().prop_map(|[result, source, reason]| Pdu::AssociateRj(AssociateRj {
            result,
            source,
            reason
        })),
        vec(pdv(), 1..5).prop_map(|pdvs| Pdu::PDataTf(PDataTf { pdvs })),
        Just(Pdu::ReleaseRq),
        Just(Pdu::ReleaseRp),
        any::<[u8; 2]>().prop_map(|[source, reason]| Pdu::Abort(Abort { source, reason })),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encode_then_decode_is_identity(pdu in pdu()) {
        let bytes = pdu.to_bytes().unwrap();
        let options = DecodeOptions::default();
        prop_assert_eq!(&decode_pdu(&bytes, &options).unwrap(), &pdu);
        prop_assert_eq!(&decode_pdu_body(bytes[0], &bytes[6..], &options).unwrap(), &pdu);
        // Two PDUs back to back split where their headers say.
        let twice = [bytes.as_slice(), bytes.as_slice()].concat();
        let (pdus, rest) = split_pdus(&twice);
        prop_assert_eq!(pdus, vec![bytes.as_slice(), bytes.as_slice()]);
        prop_assert!(rest.is_empty());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in bytes(512)) {
        let options = DecodeOptions::default();
        let _ = decode_pdu(&bytes, &options);
        if let Some((&pdu_type, body)) = bytes.split_first() {
            let _ = decode_pdu_body(pdu_type, body, &options);
        }
        let _ = split_pdus(&bytes);
    }

    #[test]
    fn mutated_pdus_never_panic(
        pdu in pdu(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = pdu.to_bytes().unwrap();
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let options = DecodeOptions::default();
        let _ = decode_pdu(&bytes, &options);
        let _ = decode_pdu_body(bytes[0], &bytes[6..], &options);
        // Truncated, with the body decoded as if it were complete.
        let end = cut.index(bytes.len()).max(6);
        let _ = decode_pdu(&bytes[..end], &options);
        let _ = decode_pdu_body(bytes[0], &bytes[6..end], &options);
    }
}
