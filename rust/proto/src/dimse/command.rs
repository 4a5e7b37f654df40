//! Encoding and decoding of command sets: group 0000 in Implicit VR Little
//! Endian (PS3.7 6.3.1, Annex E).
//!
//! Decoding is one pass over the slice. Every decode error carries the
//! offset of the offending element's tag (from the start of the command
//! set); errors about the set as a whole (a missing essential element, an
//! unknown Command Field found after the structure checked out) carry offset
//! 0 or the Command Field's own offset. Ordering rule (PS3.5 7.1: elements in
//! ascending tag order): a tag seen before is `Duplicate`; a tag lower than
//! its predecessor but not seen before is `InvalidValue`.
//!
//! A request lacking only service-specific mandatory elements is not an
//! error: it decodes, and `CommandSet::missing_elements` names what it lacks,
//! so that the caller can answer it with a failure status (PS3.7 Annex C)
//! rather than end the association.

use super::fields::{CommandField, Element, ElementSet};
use super::CommandSet;
use crate::codec::Reader;
use crate::error::{DecodeError, EncodeError, EncodeErrorReason, ErrorKind};
use crate::limits::{DecodeOptions, AE_TITLE_LEN};
use crate::text::{check_uid_for_encoding, decode_ae_title, decode_uid};

/// Longest Error Comment (LO, PS3.5 6.2).
pub const MAX_ERROR_COMMENT_LEN: usize = 64;

/// A tag, a 32-bit length and a 4-byte Command Group Length value.
const GROUP_LENGTH_ELEMENT_LEN: usize = 12;
const ELEMENT_HEADER_LEN: usize = 8;

const FIELD_ELEMENT_HEADER: &str = "Command Set element header";
const FIELD_FOREIGN_GROUP: &str = "Command Set element outside group 0000";
const FIELD_UNKNOWN: &str = "Command Set element (not in PS3.7 E.1)";
const FIELD_UNKNOWN_ORDER: &str = "Command Set unknown elements";

/// Decodes a whole command set (the reassembled command fragments).
pub fn decode_command_set(
    bytes: &[u8],
    options: &DecodeOptions,
) -> Result<CommandSet, DecodeError> {
    let mut reader = Reader::new(bytes);
    read_group_length(&mut reader)?;
    let mut command = CommandSet::default();
    let mut present = ElementSet::of(&[Element::GroupLength]);
    let mut previous_tag = Element::GroupLength.tag();
    let mut command_field_at = 0;
    while !reader.is_empty() {
        let at = reader.offset();
        let (tag, value) = read_element(&mut reader)?;
        let element = Element::from_tag(tag);
        if tag <= previous_tag {
            return Err(order_error(tag, element, present, &command, at));
        }
        previous_tag = tag;
        match element {
            Some(element) => {
                if element == Element::CommandField {
                    command_field_at = at;
                }
                present.insert(element);
                decode_known(&mut command, element, value, at, options)?;
            }
            None => command.unknown.push((tag, value.to_vec())),
        }
    }
    check_command(&command, present, command_field_at)?;
    Ok(command)
}

/// Appends the encoded command set, Command Group Length first. On error
/// `out` is left as it was.
pub fn encode_command_set(command: &CommandSet, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let unknown = sorted_unknown(command)?;
    let start = out.len();
    out.reserve(estimated_len(command, &unknown));
    let result = encode_elements(command, &unknown, out, start);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

impl CommandSet {
    /// The command, if the Command Field is one DIMSE defines.
    pub fn command(&self) -> Option<CommandField> {
        CommandField::from_u16(self.command_field)
    }

    /// The known elements present, Command Group Length, Command Field and
    /// Command Data Set Type always included.
    pub fn present_elements(&self) -> ElementSet {
        let mut set = ElementSet::of(&[
            Element::GroupLength,
            Element::CommandField,
            Element::CommandDataSetType,
        ]);
        for element in Element::ALL {
            if self.has_optional(element) {
                set.insert(element);
            }
        }
        set
    }

    /// Tags present that this command's table does not list, in tag order:
    /// known elements the command does not use, then every element of
    /// `unknown`. Not an error; for the caller to log or refuse. Empty when
    /// the Command Field is unknown (no table applies).
    pub fn unexpected_elements(&self) -> Vec<u32> {
        let Some(field) = self.command() else {
            return Vec::new();
        };
        let mut tags: Vec<u32> = self
            .present_elements()
            .difference(field.allowed())
            .iter()
            .map(Element::tag)
            .collect();
        tags.extend(self.unknown.iter().map(|(tag, _)| *tag));
        tags.sort_unstable();
        tags
    }

    /// The mandatory elements of this command that are absent, in tag order.
    /// Empty when the Command Field is unknown. A decoded command set lacks
    /// some only if it is a request other than C-CANCEL-RQ, and never its
    /// essential ones (`CommandField::essential`): the decoder refuses those.
    pub fn missing_elements(&self) -> Vec<u32> {
        let Some(field) = self.command() else {
            return Vec::new();
        };
        field
            .mandatory()
            .difference(self.present_elements())
            .iter()
            .map(Element::tag)
            .collect()
    }

    /// Whether an `Option` element is `Some` (false for the always-present ones).
    fn has_optional(&self, element: Element) -> bool {
        use Element::*;
        match element {
            GroupLength | CommandField | CommandDataSetType => false,
            AffectedSopClassUid => self.affected_sop_class_uid.is_some(),
            RequestedSopClassUid => self.requested_sop_class_uid.is_some(),
            MessageId => self.message_id.is_some(),
            MessageIdBeingRespondedTo => self.message_id_being_responded_to.is_some(),
            MoveDestination => self.move_destination.is_some(),
            Priority => self.priority.is_some(),
            Status => self.status.is_some(),
            OffendingElement => self.offending_element.is_some(),
            ErrorComment => self.error_comment.is_some(),
            ErrorId => self.error_id.is_some(),
            AffectedSopInstanceUid => self.affected_sop_instance_uid.is_some(),
            RequestedSopInstanceUid => self.requested_sop_instance_uid.is_some(),
            EventTypeId => self.event_type_id.is_some(),
            AttributeIdentifierList => self.attribute_identifier_list.is_some(),
            ActionTypeId => self.action_type_id.is_some(),
            NumberOfRemainingSuboperations => self.number_of_remaining_suboperations.is_some(),
            NumberOfCompletedSuboperations => self.number_of_completed_suboperations.is_some(),
            NumberOfFailedSuboperations => self.number_of_failed_suboperations.is_some(),
            NumberOfWarningSuboperations => self.number_of_warning_suboperations.is_some(),
            MoveOriginatorApplicationEntityTitle => {
                self.move_originator_application_entity_title.is_some()
            }
            MoveOriginatorMessageId => self.move_originator_message_id.is_some(),
        }
    }
}

// ---------------------------------------------------------------- decoding

/// Reads (0000,0000) and checks it counts exactly the bytes that follow.
fn read_group_length(reader: &mut Reader<'_>) -> Result<(), DecodeError> {
    let field = Element::GroupLength.name();
    let starts_with_group_length =
        reader.remaining() >= ELEMENT_HEADER_LEN && reader.clone().u32_le(field)? == 0;
    if !starts_with_group_length {
        return Err(DecodeError::new(ErrorKind::Missing, field, 0));
    }
    let (_, value) = read_element(reader)?;
    let length = decode_ul(value, Element::GroupLength, 0)?;
    if u64::from(length) != reader.remaining() as u64 {
        return Err(DecodeError::new(ErrorKind::InvalidValue, field, 0));
    }
    Ok(())
}

/// Reads one element header and its value, checking group, parity and length.
fn read_element<'a>(reader: &mut Reader<'a>) -> Result<(u32, &'a [u8]), DecodeError> {
    let at = reader.offset();
    if reader.remaining() < ELEMENT_HEADER_LEN {
        return Err(DecodeError::new(
            ErrorKind::LengthOverflow {
                claimed: ELEMENT_HEADER_LEN as u64,
                available: reader.remaining() as u64,
            },
            FIELD_ELEMENT_HEADER,
            at,
        ));
    }
    let group = reader.u16_le(FIELD_ELEMENT_HEADER)?;
    let element = reader.u16_le(FIELD_ELEMENT_HEADER)?;
    let length = reader.u32_le(FIELD_ELEMENT_HEADER)?;
    let tag = (u32::from(group) << 16) | u32::from(element);
    if group != 0 {
        return Err(DecodeError::new(
            ErrorKind::InvalidValue,
            FIELD_FOREIGN_GROUP,
            at,
        ));
    }
    let field = field_name(tag);
    if length % 2 != 0 {
        return Err(DecodeError::new(ErrorKind::InvalidValue, field, at));
    }
    let available = reader.remaining();
    let length = usize::try_from(length)
        .ok()
        .filter(|&len| len <= available)
        .ok_or_else(|| {
            DecodeError::new(
                ErrorKind::LengthOverflow {
                    claimed: u64::from(length),
                    available: available as u64,
                },
                field,
                at,
            )
        })?;
    Ok((tag, reader.bytes(length, field)?))
}

fn field_name(tag: u32) -> &'static str {
    Element::from_tag(tag).map_or(FIELD_UNKNOWN, Element::name)
}

fn order_error(
    tag: u32,
    element: Option<Element>,
    present: ElementSet,
    command: &CommandSet,
    at: u64,
) -> DecodeError {
    let seen = match element {
        Some(element) => present.contains(element),
        None => command
            .unknown
            .binary_search_by_key(&tag, |(t, _)| *t)
            .is_ok(),
    };
    let kind = if seen {
        ErrorKind::Duplicate
    } else {
        ErrorKind::InvalidValue
    };
    DecodeError::new(kind, field_name(tag), at)
}

fn decode_known(
    command: &mut CommandSet,
    element: Element,
    value: &[u8],
    at: u64,
    options: &DecodeOptions,
) -> Result<(), DecodeError> {
    use Element::*;
    let uid = |value: &[u8]| decode_uid(value, element.name(), at, options).map(Some);
    let us = |value: &[u8]| decode_us(value, element, at).map(Some);
    match element {
        // Only reachable as a duplicate, which the order check catches first.
        GroupLength => return Err(DecodeError::new(ErrorKind::Duplicate, element.name(), at)),
        AffectedSopClassUid => command.affected_sop_class_uid = uid(value)?,
        RequestedSopClassUid => command.requested_sop_class_uid = uid(value)?,
        CommandField => command.command_field = decode_us(value, element, at)?,
        MessageId => command.message_id = us(value)?,
        MessageIdBeingRespondedTo => command.message_id_being_responded_to = us(value)?,
        MoveDestination => {
            command.move_destination = Some(decode_ae_title(value, element.name(), at)?)
        }
        Priority => command.priority = us(value)?,
        CommandDataSetType => command.command_data_set_type = decode_us(value, element, at)?,
        Status => command.status = us(value)?,
        OffendingElement => command.offending_element = Some(decode_at(value, element, at)?),
        ErrorComment => command.error_comment = Some(decode_lo(value, element, at)?),
        ErrorId => command.error_id = us(value)?,
        AffectedSopInstanceUid => command.affected_sop_instance_uid = uid(value)?,
        RequestedSopInstanceUid => command.requested_sop_instance_uid = uid(value)?,
        EventTypeId => command.event_type_id = us(value)?,
        AttributeIdentifierList => {
            command.attribute_identifier_list = Some(decode_at(value, element, at)?)
        }
        ActionTypeId => command.action_type_id = us(value)?,
        NumberOfRemainingSuboperations => command.number_of_remaining_suboperations = us(value)?,
        NumberOfCompletedSuboperations => command.number_of_completed_suboperations = us(value)?,
        NumberOfFailedSuboperations => command.number_of_failed_suboperations = us(value)?,
        NumberOfWarningSuboperations => command.number_of_warning_suboperations = us(value)?,
        MoveOriginatorApplicationEntityTitle => {
            command.move_originator_application_entity_title =
                Some(decode_ae_title(value, element.name(), at)?)
        }
        MoveOriginatorMessageId => command.move_originator_message_id = us(value)?,
    }
    Ok(())
}

/// After the structure: Command Field known, essential elements present
/// (the others a request may lack are left to `missing_elements`).
fn check_command(
    command: &CommandSet,
    present: ElementSet,
    command_field_at: u64,
) -> Result<(), DecodeError> {
    if !present.contains(Element::CommandField) {
        return Err(missing(Element::CommandField));
    }
    let Some(field) = command.command() else {
        return Err(DecodeError::new(
            ErrorKind::UnknownCommandField(command.command_field),
            Element::CommandField.name(),
            command_field_at,
        ));
    };
    match field.essential().difference(present).iter().next() {
        Some(absent) => Err(missing(absent)),
        None => Ok(()),
    }
}

fn missing(element: Element) -> DecodeError {
    DecodeError::new(ErrorKind::Missing, element.name(), 0)
}

fn wrong_size(element: Element, at: u64) -> DecodeError {
    DecodeError::new(ErrorKind::InvalidValue, element.name(), at)
}

fn decode_us(value: &[u8], element: Element, at: u64) -> Result<u16, DecodeError> {
    match *value {
        [a, b] => Ok(u16::from_le_bytes([a, b])),
        _ => Err(wrong_size(element, at)),
    }
}

fn decode_ul(value: &[u8], element: Element, at: u64) -> Result<u32, DecodeError> {
    match *value {
        [a, b, c, d] => Ok(u32::from_le_bytes([a, b, c, d])),
        _ => Err(wrong_size(element, at)),
    }
}

/// AT, multi-valued: (group, element) pairs of u16 LE.
fn decode_at(value: &[u8], element: Element, at: u64) -> Result<Vec<u32>, DecodeError> {
    if value.len() % 4 != 0 {
        return Err(wrong_size(element, at));
    }
    Ok(value
        .chunks_exact(4)
        .map(|c| {
            let group = u16::from_le_bytes([c[0], c[1]]);
            let elem = u16::from_le_bytes([c[2], c[3]]);
            (u32::from(group) << 16) | u32::from(elem)
        })
        .collect())
}

/// LO: trailing spaces and NULs stripped; printable ASCII only. Longer than
/// 64 characters is accepted (the value is there; the limit is the sender's).
fn decode_lo(value: &[u8], element: Element, at: u64) -> Result<String, DecodeError> {
    let end = value
        .iter()
        .rposition(|&b| b != b' ' && b != 0)
        .map_or(0, |i| i + 1);
    let text = &value[..end];
    if !text.iter().all(|b| (0x20..0x7F).contains(b)) {
        return Err(DecodeError::new(ErrorKind::InvalidText, element.name(), at));
    }
    Ok(text.iter().map(|&b| char::from(b)).collect())
}

// ---------------------------------------------------------------- encoding

fn encode_elements(
    command: &CommandSet,
    unknown: &[&(u32, Vec<u8>)],
    out: &mut Vec<u8>,
    start: usize,
) -> Result<(), EncodeError> {
    put_header(out, Element::GroupLength.tag(), 4);
    out.extend_from_slice(&[0; 4]);
    let mut pending = unknown.iter().peekable();
    for element in Element::ALL.into_iter().skip(1) {
        while let Some((tag, value)) = pending.next_if(|u| u.0 < element.tag()) {
            put_raw(out, *tag, value);
        }
        encode_known(command, element, out)?;
    }
    for (tag, value) in pending {
        put_raw(out, *tag, value);
    }
    patch_group_length(out, start)
}

fn patch_group_length(out: &mut [u8], start: usize) -> Result<(), EncodeError> {
    let following = out.len() - start - GROUP_LENGTH_ELEMENT_LEN;
    let length = u32::try_from(following).map_err(|_| {
        EncodeError::new(
            Element::GroupLength.name(),
            EncodeErrorReason::TooLong {
                length: following as u64,
                limit: u64::from(u32::MAX),
            },
        )
    })?;
    let at = start + ELEMENT_HEADER_LEN;
    out[at..at + 4].copy_from_slice(&length.to_le_bytes());
    Ok(())
}

fn encode_known(
    command: &CommandSet,
    element: Element,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    use Element::*;
    let tag = element.tag();
    let us = |out: &mut Vec<u8>, value: Option<u16>| {
        if let Some(value) = value {
            put_us(out, tag, value);
        }
    };
    match element {
        GroupLength => {}
        AffectedSopClassUid => put_uid(out, element, &command.affected_sop_class_uid)?,
        RequestedSopClassUid => put_uid(out, element, &command.requested_sop_class_uid)?,
        CommandField => put_us(out, tag, command.command_field),
        MessageId => us(out, command.message_id),
        MessageIdBeingRespondedTo => us(out, command.message_id_being_responded_to),
        MoveDestination => put_ae(out, element, &command.move_destination)?,
        Priority => us(out, command.priority),
        CommandDataSetType => put_us(out, tag, command.command_data_set_type),
        Status => us(out, command.status),
        OffendingElement => put_at(out, element, &command.offending_element)?,
        ErrorComment => put_lo(out, element, &command.error_comment)?,
        ErrorId => us(out, command.error_id),
        AffectedSopInstanceUid => put_uid(out, element, &command.affected_sop_instance_uid)?,
        RequestedSopInstanceUid => put_uid(out, element, &command.requested_sop_instance_uid)?,
        EventTypeId => us(out, command.event_type_id),
        AttributeIdentifierList => put_at(out, element, &command.attribute_identifier_list)?,
        ActionTypeId => us(out, command.action_type_id),
        NumberOfRemainingSuboperations => us(out, command.number_of_remaining_suboperations),
        NumberOfCompletedSuboperations => us(out, command.number_of_completed_suboperations),
        NumberOfFailedSuboperations => us(out, command.number_of_failed_suboperations),
        NumberOfWarningSuboperations => us(out, command.number_of_warning_suboperations),
        MoveOriginatorApplicationEntityTitle => put_ae(
            out,
            element,
            &command.move_originator_application_entity_title,
        )?,
        MoveOriginatorMessageId => us(out, command.move_originator_message_id),
    }
    Ok(())
}

/// The unknown elements in tag order, each checked: group 0000, not a
/// PS3.7 E.1 tag, not repeated, even length that fits a u32.
fn sorted_unknown(command: &CommandSet) -> Result<Vec<&(u32, Vec<u8>)>, EncodeError> {
    let mut unknown: Vec<&(u32, Vec<u8>)> = command.unknown.iter().collect();
    unknown.sort_unstable_by_key(|u| u.0);
    let invalid = || EncodeError::new(FIELD_UNKNOWN, EncodeErrorReason::InvalidValue);
    for (i, (tag, value)) in unknown.iter().map(|u| (u.0, &u.1)).enumerate() {
        if tag >> 16 != 0 || Element::from_tag(tag).is_some() || value.len() % 2 != 0 {
            return Err(invalid());
        }
        if i > 0 && unknown.get(i - 1).is_some_and(|p| p.0 == tag) {
            return Err(EncodeError::new(
                FIELD_UNKNOWN_ORDER,
                EncodeErrorReason::InvalidValue,
            ));
        }
        value_length(value.len(), FIELD_UNKNOWN)?;
    }
    Ok(unknown)
}

/// An over-estimate of the encoded size, so that `out` grows once.
fn estimated_len(command: &CommandSet, unknown: &[&(u32, Vec<u8>)]) -> usize {
    const US_ELEMENTS: usize = 14;
    let text = [
        &command.affected_sop_class_uid,
        &command.requested_sop_class_uid,
        &command.move_destination,
        &command.error_comment,
        &command.affected_sop_instance_uid,
        &command.requested_sop_instance_uid,
        &command.move_originator_application_entity_title,
    ]
    .iter()
    .map(|s| s.as_ref().map_or(0, |s| ELEMENT_HEADER_LEN + s.len() + 1))
    .sum::<usize>();
    let tags = [
        &command.offending_element,
        &command.attribute_identifier_list,
    ]
    .iter()
    .map(|v| v.as_ref().map_or(0, |v| ELEMENT_HEADER_LEN + 4 * v.len()))
    .sum::<usize>();
    let raw = unknown
        .iter()
        .map(|u| ELEMENT_HEADER_LEN + u.1.len())
        .sum::<usize>();
    GROUP_LENGTH_ELEMENT_LEN + US_ELEMENTS * (ELEMENT_HEADER_LEN + 2) + text + tags + raw
}

fn value_length(len: usize, field: &'static str) -> Result<u32, EncodeError> {
    u32::try_from(len).map_err(|_| {
        EncodeError::new(
            field,
            EncodeErrorReason::TooLong {
                length: len as u64,
                limit: u64::from(u32::MAX),
            },
        )
    })
}

fn put_header(out: &mut Vec<u8>, tag: u32, length: u32) {
    out.extend_from_slice(&((tag >> 16) as u16).to_le_bytes());
    out.extend_from_slice(&(tag as u16).to_le_bytes());
    out.extend_from_slice(&length.to_le_bytes());
}

/// Already validated by `sorted_unknown`: the length fits a u32.
fn put_raw(out: &mut Vec<u8>, tag: u32, value: &[u8]) {
    put_header(out, tag, value.len() as u32);
    out.extend_from_slice(value);
}

fn put_us(out: &mut Vec<u8>, tag: u32, value: u16) {
    put_header(out, tag, 2);
    out.extend_from_slice(&value.to_le_bytes());
}

/// Text padded to even length with `pad`; the caller checked it is short.
fn put_padded(out: &mut Vec<u8>, tag: u32, text: &str, pad: u8) {
    let odd = text.len() % 2;
    put_header(out, tag, (text.len() + odd) as u32);
    out.extend_from_slice(text.as_bytes());
    if odd == 1 {
        out.push(pad);
    }
}

fn put_uid(out: &mut Vec<u8>, element: Element, uid: &Option<String>) -> Result<(), EncodeError> {
    if let Some(uid) = uid {
        check_uid_for_encoding(uid, element.name())?;
        put_padded(out, element.tag(), uid, 0);
    }
    Ok(())
}

/// AE: at most 16 characters of printable ASCII without backslash,
/// space padded to even length (not to 16, as DCMTK and pynetdicom send it).
fn put_ae(out: &mut Vec<u8>, element: Element, title: &Option<String>) -> Result<(), EncodeError> {
    if let Some(title) = title {
        check_text(title, AE_TITLE_LEN, |b| b != b'\\', element)?;
        put_padded(out, element.tag(), title, b' ');
    }
    Ok(())
}

fn put_lo(out: &mut Vec<u8>, element: Element, text: &Option<String>) -> Result<(), EncodeError> {
    if let Some(text) = text {
        check_text(text, MAX_ERROR_COMMENT_LEN, |_| true, element)?;
        put_padded(out, element.tag(), text, b' ');
    }
    Ok(())
}

fn check_text(
    text: &str,
    limit: usize,
    allowed: impl Fn(u8) -> bool,
    element: Element,
) -> Result<(), EncodeError> {
    if text.len() > limit {
        return Err(EncodeError::new(
            element.name(),
            EncodeErrorReason::TooLong {
                length: text.len() as u64,
                limit: limit as u64,
            },
        ));
    }
    if !text
        .bytes()
        .all(|b| (0x20..0x7F).contains(&b) && allowed(b))
    {
        return Err(EncodeError::new(
            element.name(),
            EncodeErrorReason::InvalidText,
        ));
    }
    Ok(())
}

fn put_at(out: &mut Vec<u8>, element: Element, tags: &Option<Vec<u32>>) -> Result<(), EncodeError> {
    if let Some(tags) = tags {
        let length = tags
            .len()
            .checked_mul(4)
            .ok_or_else(|| {
                EncodeError::new(
                    element.name(),
                    EncodeErrorReason::TooLong {
                        length: u64::MAX,
                        limit: u64::from(u32::MAX),
                    },
                )
            })
            .and_then(|len| value_length(len, element.name()))?;
        put_header(out, element.tag(), length);
        for tag in tags {
            out.extend_from_slice(&((tag >> 16) as u16).to_le_bytes());
            out.extend_from_slice(&(*tag as u16).to_le_bytes());
        }
    }
    Ok(())
}
