//! The receiving side of an association, sans-IO: bytes in, events out.
//!
//! `Receiver` combines the stream framer (PDU boundaries and limits, from the
//! 6-byte header, before anything is allocated) and the reassembler (PDVs
//! into whole DIMSE messages). It works straight from the caller's slice:
//! only a partial header, a partial small PDU, or bytes received while
//! paused are buffered. P-DATA-TF bodies are never held whole; PDV bytes go
//! to the message's command buffer or data set destination as they arrive.
//! It does not know the association's state: a P-DATA-TF is reported
//! wherever it arrives, and the state table judges.
//! (Skeleton: helper C implements.)

use std::io::Write;

use crate::dimse::CommandSet;
use crate::error::DecodeError;
use crate::limits::{DecodeOptions, LocalMaxPdu, DEFAULT_MAX_ASSOCIATE_PDU};
use crate::pdu::Pdu;

/// How the receiver is set up for one association.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiverConfig {
    /// The maximum P-DATA-TF body we advertised (0: no limit).
    pub local_max_pdu: LocalMaxPdu,
    /// Cap on A-ASSOCIATE-RQ/AC/RJ bodies.
    pub max_associate_pdu: u32,
    pub options: DecodeOptions,
    /// Emit `Event::RawPdu` with each PDU's bytes (pynetdicom's
    /// EVT_PDU_RECV / EVT_DATA_RECV); off by default, it costs a copy.
    pub observe_pdus: bool,
    /// Emit `Event::PDataTf` for each P-DATA-TF header, so that a state
    /// table can react to P-DATA where it is not expected.
    pub report_pdata: bool,
    /// Pause after each command set that announces a data set and emit
    /// `Event::DataSetStart`, so the caller can choose the destination.
    pub announce_data_sets: bool,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        ReceiverConfig {
            local_max_pdu: LocalMaxPdu::DEFAULT,
            max_associate_pdu: DEFAULT_MAX_ASSOCIATE_PDU,
            options: DecodeOptions::default(),
            observe_pdus: false,
            report_pdata: false,
            announce_data_sets: false,
        }
    }
}

/// Where a data set's bytes go.
pub enum Destination {
    /// A buffer grown only with bytes actually received.
    Memory,
    /// A writer the caller opened (a file Python owns); the core only writes.
    Writer(Box<dyn Write + Send>),
}

/// What the receiver reports, in stream order.
#[derive(Debug)]
pub enum Event {
    /// Any PDU but P-DATA-TF, decoded.
    Pdu(Pdu),
    /// A P-DATA-TF header was read (only with `report_pdata`).
    PDataTf { length: u32 },
    /// The complete bytes of a PDU (only with `observe_pdus`), emitted when
    /// the PDU is complete, before the events it completes.
    RawPdu(Vec<u8>),
    /// A command set announcing a data set is complete (only with
    /// `announce_data_sets`); the receiver is paused until `resume`.
    DataSetStart { context_id: u8, command: CommandSet },
    /// A whole DIMSE message.
    Message(Message),
}

/// A whole DIMSE message.
#[derive(Debug)]
pub struct Message {
    pub context_id: u8,
    pub command: CommandSet,
    /// `None` when the command announces no data set.
    pub data_set: Option<DataSet>,
}

/// A received data set.
#[derive(Debug)]
pub enum DataSet {
    /// The bytes, in one buffer.
    Memory(Vec<u8>),
    /// Written to the caller's writer, which is dropped (flushed) here.
    Written { length: u64 },
}

/// See the module documentation.
pub struct Receiver {
    config: ReceiverConfig,
}

impl Receiver {
    pub fn new(config: ReceiverConfig) -> Self {
        Receiver { config }
    }

    pub fn config(&self) -> &ReceiverConfig {
        &self.config
    }

    /// Consumes all of `data`, queueing events. After an error the receiver
    /// is poisoned and returns the same error again.
    pub fn feed(&mut self, data: &[u8]) -> Result<(), DecodeError> {
        let _ = data;
        todo!("receiver")
    }

    /// The next queued event, if any.
    pub fn next_event(&mut self) -> Option<Event> {
        todo!("receiver")
    }

    /// Sets the destination of data sets that start from now on (default:
    /// memory). While paused after `DataSetStart`, use `resume` instead.
    pub fn set_default_destination(&mut self, make_memory: bool) {
        let _ = make_memory;
        todo!("receiver")
    }

    /// After `Event::DataSetStart`: sends that data set to `destination`
    /// and processes the bytes buffered while paused.
    pub fn resume(&mut self, destination: Destination) -> Result<(), DecodeError> {
        let _ = destination;
        todo!("receiver")
    }

    /// Whether part of a PDU has been received and not completed (for the
    /// ARTIM / network timer).
    pub fn partial_pdu_pending(&self) -> bool {
        todo!("receiver")
    }

    /// The peer closed the connection: an error if it did so inside a PDU
    /// (`ErrorKind::Truncated`), as opposed to malformed input.
    pub fn finish(&mut self) -> Result<(), DecodeError> {
        todo!("receiver")
    }
}
