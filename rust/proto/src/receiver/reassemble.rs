//! PDVs into whole DIMSE messages (PS3.8 Annex E): the message control
//! rules, the command buffer, and the data set destination.

use std::io::Write;

use super::{DataSet, Destination, Message};
use crate::dimse::{self, CommandSet};
use crate::error::{DecodeError, ErrorKind};
use crate::limits::DecodeOptions;
use crate::pdu::MessageControlHeader;

/// A command set is a few hundred bytes; anything this large is hostile.
pub const MAX_COMMAND_SET_LEN: usize = 64 * 1024;

const FIELD_CONTEXT_ID: &str = "P-DATA-TF/PDV/Presentation-context-ID";
const FIELD_CONTROL: &str = "P-DATA-TF/PDV/Message-control-header";
const FIELD_COMMAND: &str = "DIMSE command set";

/// What completing a PDV produced.
pub(super) enum Completed {
    Message(Message),
    /// A command set announcing a data set, when the caller chooses where
    /// the data set goes; the reassembler waits for `resume`.
    DataSetStart {
        context_id: u8,
        command: CommandSet,
    },
}

/// Where the message being received stands.
enum Phase {
    /// Between messages.
    Idle,
    /// Receiving command fragments.
    Command { context_id: u8, bytes: Vec<u8> },
    /// The command is complete and announced a data set; waiting for the
    /// caller to choose its destination.
    AwaitingDestination { context_id: u8, command: CommandSet },
    /// Receiving data set fragments.
    DataSet {
        context_id: u8,
        command: CommandSet,
        sink: Sink,
    },
}

/// A data set destination in use.
enum Sink {
    /// Bytes held for the caller, never more than `limit`.
    Memory { buf: Vec<u8>, limit: u64 },
    Writer {
        writer: Box<dyn Write + Send>,
        written: u64,
    },
    /// The writer failed: the rest of the data set is counted and dropped,
    /// so that the stream stays in step and the message can still be
    /// answered (a storage failure status) instead of aborting.
    Failed {
        error: std::io::ErrorKind,
        received: u64,
    },
    /// The memory buffer would have passed its limit: it is freed at once,
    /// and the rest of the data set is counted and dropped, as for a failed
    /// writer.
    TooLarge { limit: u64, received: u64 },
}

/// Reassembles the PDVs of consecutive messages.
pub(super) struct Reassembler {
    phase: Phase,
    /// The cap on a data set received into memory.
    memory_limit: u64,
    /// The message control header of the PDV whose data is arriving.
    current: MessageControlHeader,
}

impl Reassembler {
    pub(super) fn new(memory_limit: u64) -> Self {
        Reassembler {
            phase: Phase::Idle,
            memory_limit,
            current: MessageControlHeader(0),
        }
    }

    /// Whether a message has begun and not completed.
    pub(super) fn message_pending(&self) -> bool {
        !matches!(self.phase, Phase::Idle)
    }

    /// A PDV header was read: applies the message control rules before any
    /// of its data is accepted. `offset` is the stream offset of the
    /// presentation context ID (the control header follows it).
    pub(super) fn begin_pdv(
        &mut self,
        context_id: u8,
        control: u8,
        offset: u64,
    ) -> Result<(), DecodeError> {
        // PS3.8 E.2: bits 2 to 7 are sent as 0 and never checked by the receiver.
        let control = MessageControlHeader(control & 0x03);
        let sequence_error =
            || DecodeError::new(ErrorKind::MessageSequence, FIELD_CONTROL, offset + 1);
        match &self.phase {
            Phase::Idle => {
                if !control.is_command() {
                    // A data set before its command, or after a command
                    // that announced none.
                    return Err(sequence_error());
                }
                self.phase = Phase::Command {
                    context_id,
                    bytes: Vec::new(),
                };
            }
            Phase::Command {
                context_id: ctx, ..
            }
            | Phase::DataSet {
                context_id: ctx, ..
            } => {
                if *ctx != context_id {
                    return Err(DecodeError::new(
                        ErrorKind::MessageSequence,
                        FIELD_CONTEXT_ID,
                        offset,
                    ));
                }
                let in_command = matches!(self.phase, Phase::Command { .. });
                if control.is_command() != in_command {
                    return Err(sequence_error());
                }
            }
            // Not reached: the receiver processes nothing while paused.
            Phase::AwaitingDestination { .. } => return Err(sequence_error()),
        }
        self.current = control;
        Ok(())
    }

    /// Data bytes of the current PDV; `offset` is the stream offset of `bytes[0]`.
    pub(super) fn data(&mut self, bytes: &[u8], offset: u64) -> Result<(), DecodeError> {
        match &mut self.phase {
            Phase::Command { bytes: buf, .. } => {
                let claimed = buf.len() as u64 + bytes.len() as u64;
                if claimed > MAX_COMMAND_SET_LEN as u64 {
                    return Err(DecodeError::new(
                        ErrorKind::LimitExceeded {
                            limit: MAX_COMMAND_SET_LEN as u64,
                            claimed,
                        },
                        FIELD_COMMAND,
                        offset,
                    ));
                }
                buf.extend_from_slice(bytes);
            }
            Phase::DataSet { sink, .. } => sink.write(bytes),
            // begin_pdv admitted no PDV in these phases.
            Phase::Idle | Phase::AwaitingDestination { .. } => {
                if !bytes.is_empty() {
                    return Err(DecodeError::new(
                        ErrorKind::MessageSequence,
                        FIELD_CONTROL,
                        offset,
                    ));
                }
            }
        }
        Ok(())
    }

    /// The current PDV's data is complete. Returns what it completed, if
    /// anything.
    pub(super) fn end_pdv(
        &mut self,
        options: &DecodeOptions,
        announce: bool,
    ) -> Result<Option<Completed>, DecodeError> {
        if !self.current.is_last() {
            return Ok(None);
        }
        match std::mem::replace(&mut self.phase, Phase::Idle) {
            Phase::Command { context_id, bytes } => {
                let command = decode_command(&bytes, options)?;
                Ok(self.command_complete(context_id, command, announce))
            }
            Phase::DataSet {
                context_id,
                command,
                sink,
            } => {
                let data_set = sink.finish();
                Ok(Some(Completed::Message(Message {
                    context_id,
                    command,
                    data_set: Some(data_set),
                })))
            }
            other => {
                self.phase = other;
                Ok(None)
            }
        }
    }

    /// Sends the announced data set to `destination`. False when no data
    /// set is awaiting a destination.
    pub(super) fn set_destination(&mut self, destination: Destination) -> bool {
        match std::mem::replace(&mut self.phase, Phase::Idle) {
            Phase::AwaitingDestination {
                context_id,
                command,
            } => {
                self.phase = Phase::DataSet {
                    context_id,
                    command,
                    sink: Sink::new(destination, self.memory_limit),
                };
                true
            }
            other => {
                self.phase = other;
                false
            }
        }
    }

    fn command_complete(
        &mut self,
        context_id: u8,
        command: CommandSet,
        announce: bool,
    ) -> Option<Completed> {
        if !command.has_data_set() {
            return Some(Completed::Message(Message {
                context_id,
                command,
                data_set: None,
            }));
        }
        if announce {
            self.phase = Phase::AwaitingDestination {
                context_id,
                command: command.clone(),
            };
            return Some(Completed::DataSetStart {
                context_id,
                command,
            });
        }
        self.phase = Phase::DataSet {
            context_id,
            command,
            sink: Sink::new(Destination::Memory, self.memory_limit),
        };
        None
    }
}

impl Sink {
    fn new(destination: Destination, memory_limit: u64) -> Self {
        match destination {
            Destination::Memory => Sink::Memory {
                buf: Vec::new(),
                limit: memory_limit,
            },
            Destination::Writer(writer) => Sink::Writer { writer, written: 0 },
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        let count = bytes.len() as u64;
        match self {
            Sink::Memory { buf, limit } => {
                let received = (buf.len() as u64).saturating_add(count);
                if received > *limit {
                    // The buffer is dropped (freed) here, not when the
                    // message ends.
                    *self = Sink::TooLarge {
                        limit: *limit,
                        received,
                    };
                } else {
                    reserve_within(buf, bytes.len(), *limit);
                    buf.extend_from_slice(bytes);
                }
            }
            Sink::Writer { writer, written } => {
                if let Err(error) = writer.write_all(bytes) {
                    // The writer (and its descriptor) is dropped at once.
                    *self = Sink::Failed {
                        error: error.kind(),
                        received: *written + count,
                    };
                } else {
                    *written += count;
                }
            }
            Sink::Failed { received, .. } | Sink::TooLarge { received, .. } => {
                *received = received.saturating_add(count);
            }
        }
    }

    /// Flushes and drops a writer; hands over a memory buffer.
    fn finish(self) -> DataSet {
        match self {
            Sink::Memory { buf, .. } => DataSet::Memory(buf),
            Sink::Writer {
                mut writer,
                written,
            } => match writer.flush() {
                Ok(()) => DataSet::Written { length: written },
                Err(error) => DataSet::Unwritten {
                    error: error.kind(),
                    length: written,
                },
            },
            Sink::Failed { error, received } => DataSet::Unwritten {
                error,
                length: received,
            },
            Sink::TooLarge { limit, received } => DataSet::TooLarge {
                limit,
                length: received,
            },
        }
    }
}

/// Makes room in `buf` for `more` bytes that have arrived (`buf.len() +
/// more <= limit`): its capacity doubles as a `Vec`'s does, but never past
/// `limit`, so a buffer holds at most `limit` bytes of memory. Grown only
/// by bytes received, never reserved from a length the peer claims.
fn reserve_within(buf: &mut Vec<u8>, more: usize, limit: u64) {
    let needed = buf.len().saturating_add(more);
    if needed <= buf.capacity() {
        return;
    }
    let ceiling = usize::try_from(limit).unwrap_or(usize::MAX);
    let target = buf.capacity().saturating_mul(2).min(ceiling).max(needed);
    buf.reserve_exact(target - buf.len());
}

/// The one place command sets are decoded; offsets in its errors count from
/// the command set's first byte (it may span many PDVs and PDUs).
fn decode_command(bytes: &[u8], options: &DecodeOptions) -> Result<CommandSet, DecodeError> {
    dimse::decode_command_set(bytes, options)
}
