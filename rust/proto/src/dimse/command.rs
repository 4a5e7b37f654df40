//! Encoding and decoding of command sets. (Skeleton: helper B implements.)

use super::CommandSet;
use crate::error::{DecodeError, EncodeError};
use crate::limits::DecodeOptions;

/// Decodes a whole command set (the reassembled command fragments).
pub fn decode_command_set(
    bytes: &[u8],
    options: &DecodeOptions,
) -> Result<CommandSet, DecodeError> {
    let _ = (bytes, options);
    todo!("dimse decode")
}

/// Appends the encoded command set, Command Group Length first.
pub fn encode_command_set(command: &CommandSet, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let _ = (command, out);
    todo!("dimse encode")
}
