//! DIMSE command sets (PS3.7 chapters 9 and 10, Annex E): group 0000 in
//! Implicit VR Little Endian, the Command Group Length computed on encode
//! and checked on decode.

mod command;
mod fields;

pub use command::{decode_command_set, encode_command_set, MAX_ERROR_COMMENT_LEN};
pub use fields::{CommandField, Element, ElementSet, Vr};

/// Command Data Set Type value meaning "no data set" (PS3.7 E.1).
pub const NO_DATA_SET: u16 = 0x0101;

/// A decoded command set. Elements a command does not use are `None`;
/// elements no DIMSE command defines are kept in `unknown`, in tag order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommandSet {
    /// (0000,0100) Command Field, raw (see `CommandField`).
    pub command_field: u16,
    /// (0000,0002)
    pub affected_sop_class_uid: Option<String>,
    /// (0000,0003)
    pub requested_sop_class_uid: Option<String>,
    /// (0000,0110)
    pub message_id: Option<u16>,
    /// (0000,0120)
    pub message_id_being_responded_to: Option<u16>,
    /// (0000,0600)
    pub move_destination: Option<String>,
    /// (0000,0700)
    pub priority: Option<u16>,
    /// (0000,0800) Command Data Set Type; `NO_DATA_SET` means none follows.
    pub command_data_set_type: u16,
    /// (0000,0900)
    pub status: Option<u16>,
    /// (0000,0901) tags as (group << 16 | element)
    pub offending_element: Option<Vec<u32>>,
    /// (0000,0902)
    pub error_comment: Option<String>,
    /// (0000,0903)
    pub error_id: Option<u16>,
    /// (0000,1000)
    pub affected_sop_instance_uid: Option<String>,
    /// (0000,1001)
    pub requested_sop_instance_uid: Option<String>,
    /// (0000,1002)
    pub event_type_id: Option<u16>,
    /// (0000,1005) tags as (group << 16 | element)
    pub attribute_identifier_list: Option<Vec<u32>>,
    /// (0000,1008)
    pub action_type_id: Option<u16>,
    /// (0000,1020)
    pub number_of_remaining_suboperations: Option<u16>,
    /// (0000,1021)
    pub number_of_completed_suboperations: Option<u16>,
    /// (0000,1022)
    pub number_of_failed_suboperations: Option<u16>,
    /// (0000,1023)
    pub number_of_warning_suboperations: Option<u16>,
    /// (0000,1030)
    pub move_originator_application_entity_title: Option<String>,
    /// (0000,1031)
    pub move_originator_message_id: Option<u16>,
    /// Elements of group 0000 that no DIMSE command defines (retired ones
    /// included): (tag, raw value), reported and re-encoded, never guessed at.
    pub unknown: Vec<(u32, Vec<u8>)>,
}

impl CommandSet {
    /// Whether a data set follows this command.
    pub fn has_data_set(&self) -> bool {
        self.command_data_set_type != NO_DATA_SET
    }
}
