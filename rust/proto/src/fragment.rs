//! The sending side: (presentation context, command set, data set) into
//! P-DATA-TF PDUs no larger than the *peer's* maximum, as one buffer per
//! message, or, for a data set in a file, as bounded buffers read as needed.
//! (Skeleton: helper C implements.)

use crate::error::EncodeError;
use crate::limits::PeerMaxPdu;

/// The exact length of the P-DATA-TF PDUs carrying this message.
pub fn fragmented_len(
    peer_max: PeerMaxPdu,
    command_len: usize,
    data_set_len: usize,
) -> Result<usize, EncodeError> {
    let _ = (peer_max, command_len, data_set_len);
    todo!("fragment")
}

/// Writes the P-DATA-TF PDUs of one message into `out`, which must be
/// exactly `fragmented_len(...)` bytes long.
pub fn fragment_into(
    out: &mut [u8],
    peer_max: PeerMaxPdu,
    context_id: u8,
    command: &[u8],
    data_set: Option<&[u8]>,
) -> Result<(), EncodeError> {
    let _ = (out, peer_max, context_id, command, data_set);
    todo!("fragment")
}
