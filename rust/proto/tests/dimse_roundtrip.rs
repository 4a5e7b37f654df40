#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Property tests: every valid command set of every command field
//! survives encode -> decode unchanged, only a missing essential element
//! refuses one, and no input makes decoding panic.

use std::collections::BTreeMap;

use fastdimse_proto::dimse::{
    decode_command_set, encode_command_set, CommandField, CommandSet, Element,
};
use fastdimse_proto::{DecodeOptions, ErrorKind};
use proptest::prelude::*;

/// UIDs as decoding returns them: no leading or trailing padding.
fn uid() -> impl Strategy<Value = String> {
    "[0-9.]{0,64}"
}

/// AE titles: printable ASCII without backslash, no edge spaces, 16 at most.
fn ae_title() -> impl Strategy<Value = String> {
    "([!-\\[\\]-~]([ -\\[\\]-~]{0,14}[!-\\[\\]-~])?)?"
}

/// Error comments: printable ASCII, no trailing space, 64 at most.
fn error_comment() -> impl Strategy<Value = String> {
    "([ -~]{0,63}[!-~])?"
}

fn tags() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(any::<u32>(), 0..6)
}

/// Group 0000 elements PS3.7 E.1 does not define, even lengths, tag order.
fn unknown_elements() -> impl Strategy<Value = Vec<(u32, Vec<u8>)>> {
    let element = any::<u16>()
        .prop_map(u32::from)
        .prop_filter("not a known tag", |tag| Element::from_tag(*tag).is_none());
    let value = prop::collection::vec(any::<u8>(), 0..12).prop_map(|mut v| {
        v.truncate(v.len() & !1);
        v
    });
    prop::collection::btree_map(element, value, 0..4)
        .prop_map(|map: BTreeMap<u32, Vec<u8>>| map.into_iter().collect())
}

/// A command set with every element present, of an arbitrary command field.
fn full_command_set() -> impl Strategy<Value = CommandSet> {
    let field = prop::sample::select(CommandField::ALL.to_vec());
    let texts = (
        [uid(), uid(), uid(), uid()],
        [ae_title(), ae_title()],
        error_comment(),
    );
    (
        field,
        any::<u16>(),
        texts,
        (tags(), tags()),
        any::<[u16; 11]>(),
        unknown_elements(),
    )
        .prop_map(|(field, data_set_type, texts, at, us, unknown)| {
            let ([uid0, uid1, uid2, uid3], [ae0, ae1], comment) = texts;
            CommandSet {
                command_field: field as u16,
                affected_sop_class_uid: Some(uid0),
                requested_sop_class_uid: Some(uid1),
                message_id: Some(us[0]),
                message_id_being_responded_to: Some(us[1]),
                move_destination: Some(ae0),
                priority: Some(us[2]),
                command_data_set_type: data_set_type,
                status: Some(us[3]),
                offending_element: Some(at.0),
                error_comment: Some(comment),
                error_id: Some(us[4]),
                affected_sop_instance_uid: Some(uid2),
                requested_sop_instance_uid: Some(uid3),
                event_type_id: Some(us[5]),
                attribute_identifier_list: Some(at.1),
                action_type_id: Some(us[6]),
                number_of_remaining_suboperations: Some(us[7]),
                number_of_completed_suboperations: Some(us[8]),
                number_of_failed_suboperations: Some(us[9]),
                number_of_warning_suboperations: Some(us[10]),
                move_originator_application_entity_title: Some(ae1),
                move_originator_message_id: Some(us[0] ^ us[1]),
                unknown,
            }
        })
}

/// Removes one optional element (the always-present ones stay).
fn clear(command: &mut CommandSet, element: Element) {
    use Element::*;
    match element {
        GroupLength | CommandField | CommandDataSetType => {}
        AffectedSopClassUid => command.affected_sop_class_uid = None,
        RequestedSopClassUid => command.requested_sop_class_uid = None,
        MessageId => command.message_id = None,
        MessageIdBeingRespondedTo => command.message_id_being_responded_to = None,
        MoveDestination => command.move_destination = None,
        Priority => command.priority = None,
        Status => command.status = None,
        OffendingElement => command.offending_element = None,
        ErrorComment => command.error_comment = None,
        ErrorId => command.error_id = None,
        AffectedSopInstanceUid => command.affected_sop_instance_uid = None,
        RequestedSopInstanceUid => command.requested_sop_instance_uid = None,
        EventTypeId => command.event_type_id = None,
        AttributeIdentifierList => command.attribute_identifier_list = None,
        ActionTypeId => command.action_type_id = None,
        NumberOfRemainingSuboperations => command.number_of_remaining_suboperations = None,
        NumberOfCompletedSuboperations => command.number_of_completed_suboperations = None,
        NumberOfFailedSuboperations => command.number_of_failed_suboperations = None,
        NumberOfWarningSuboperations => command.number_of_warning_suboperations = None,
        MoveOriginatorApplicationEntityTitle => {
            command.move_originator_application_entity_title = None
        }
        MoveOriginatorMessageId => command.move_originator_message_id = None,
    }
}

/// Keeps the mandatory elements and those whose bit is set in `keep`;
/// with `only_allowed`, also drops what the command's table does not list.
fn select(mut command: CommandSet, keep: u32, only_allowed: bool) -> CommandSet {
    let field = command.command().unwrap();
    for (bit, element) in Element::ALL.into_iter().enumerate() {
        let kept = keep & (1 << bit) != 0 && (!only_allowed || field.allowed().contains(element));
        if !kept && !field.mandatory().contains(element) {
            clear(&mut command, element);
        }
    }
    command
}

/// Clears the mandatory elements whose bit is set in `drop` (besides those
/// `select` clears); returns the command and the mandatory tags it lacks.
fn without_mandatory(mut command: CommandSet, drop: u32) -> (CommandSet, Vec<u32>) {
    let field = command.command().unwrap();
    let mut dropped = Vec::new();
    for (bit, element) in Element::ALL.into_iter().enumerate() {
        let always_present = matches!(
            element,
            Element::GroupLength | Element::CommandField | Element::CommandDataSetType
        );
        if drop & (1 << bit) != 0 && field.mandatory().contains(element) && !always_present {
            clear(&mut command, element);
            dropped.push(element);
        }
    }
    (command, dropped.into_iter().map(Element::tag).collect())
}

fn encode(command: &CommandSet) -> Vec<u8> {
    let mut out = Vec::new();
    encode_command_set(command, &mut out).unwrap();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn valid_command_sets_round_trip(full in full_command_set(), keep in any::<u32>()) {
        let command = select(full, keep, false);
        let bytes = encode(&command);
        let decoded = decode_command_set(&bytes, &DecodeOptions::default()).unwrap();
        prop_assert_eq!(&decoded, &command);
        prop_assert_eq!(encode(&decoded), bytes);
    }

    #[test]
    fn only_unknown_tags_are_unexpected_when_the_table_is_followed(
        full in full_command_set(),
        keep in any::<u32>(),
    ) {
        let command = select(full, keep, true);
        let unknown: Vec<u32> = command.unknown.iter().map(|(tag, _)| *tag).collect();
        prop_assert_eq!(command.unexpected_elements(), unknown);
    }

    /// A request (not C-CANCEL) lacking only service-specific mandatory
    /// elements is delivered, naming them; any other lack is an error that
    /// names the first absent essential element.
    #[test]
    fn only_essential_elements_refuse_a_command_set(
        full in full_command_set(),
        keep in any::<u32>(),
        drop in any::<u32>(),
    ) {
        let (command, dropped) = without_mandatory(select(full, keep, false), drop);
        let field = command.command().unwrap();
        let decoded = decode_command_set(&encode(&command), &DecodeOptions::default());
        let essential: Vec<Element> = dropped
            .iter()
            .filter_map(|tag| Element::from_tag(*tag))
            .filter(|element| field.essential().contains(*element))
            .collect();
        match essential.first() {
            None => {
                let decoded = decoded.unwrap();
                prop_assert_eq!(decoded.missing_elements(), dropped);
                prop_assert_eq!(&decoded, &command);
            }
            Some(first) => {
                let err = decoded.unwrap_err();
                prop_assert_eq!(err.kind, ErrorKind::Missing);
                prop_assert_eq!(err.field, first.name());
            }
        }
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode_command_set(&bytes, &DecodeOptions::default());
    }

    /// Valid encodings with a few bytes overwritten reach deeper than noise.
    #[test]
    fn decoding_damaged_command_sets_never_panics(
        full in full_command_set(),
        keep in any::<u32>(),
        damage in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = encode(&select(full, keep, false));
        for (index, byte) in damage {
            let at = index.index(bytes.len());
            bytes[at] = byte;
        }
        let strict = DecodeOptions { enforce_uid_conformance: true };
        let _ = decode_command_set(&bytes, &DecodeOptions::default());
        let _ = decode_command_set(&bytes, &strict);
    }
}
