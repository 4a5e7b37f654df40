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
//!
//! Events come out in stream order: a PDU that follows a P-DATA-TF in the
//! same read comes out after the messages that P-DATA-TF completed.

mod framer;
mod reassemble;

use std::collections::VecDeque;
use std::io::Write;

use crate::dimse::CommandSet;
use crate::error::{DecodeError, ErrorKind};
use crate::limits::{
    DecodeOptions, LocalMaxPdu, DEFAULT_MAX_ASSOCIATE_PDU, DEFAULT_MAX_MEMORY_DATA_SET,
    PDU_HEADER_LEN, PDV_HEADER_LEN,
};
use crate::pdu::{self, pdu_type, Pdu};
use framer::Header;
use reassemble::{Completed, Reassembler};

pub use reassemble::MAX_COMMAND_SET_LEN;

/// How the receiver is set up for one association.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiverConfig {
    /// The maximum P-DATA-TF body we advertised (0: no limit).
    pub local_max_pdu: LocalMaxPdu,
    /// Cap on A-ASSOCIATE-RQ/AC/RJ bodies.
    pub max_associate_pdu: u32,
    /// Cap on a data set received into memory (`Destination::Memory`, or
    /// any data set without `announce_data_sets`): past it the buffer is
    /// freed and the message completes with `DataSet::TooLarge`.
    pub max_memory_data_set: u64,
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
            max_memory_data_set: DEFAULT_MAX_MEMORY_DATA_SET,
            options: DecodeOptions::default(),
            observe_pdus: false,
            report_pdata: false,
            announce_data_sets: false,
        }
    }
}

/// Where a data set's bytes go. Without `announce_data_sets` every data
/// set goes to memory; with it the caller chooses one per data set, in
/// `Receiver::resume` (a writer serves exactly one data set).
pub enum Destination {
    /// A buffer grown only with bytes actually received, up to
    /// `ReceiverConfig::max_memory_data_set`.
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
    /// The caller's writer failed with `error`; the data set's `length`
    /// bytes were received and the ones not yet written were dropped. The
    /// stream goes on: the caller answers (e.g. "out of resources").
    Unwritten {
        error: std::io::ErrorKind,
        length: u64,
    },
    /// A data set received into memory passed `limit` bytes: its buffer
    /// was freed then, and the rest of its `length` bytes were received and
    /// dropped. The stream goes on: the caller answers a request (e.g. "out
    /// of resources") or gives up on a response.
    TooLarge { limit: u64, length: u64 },
}

/// See the module documentation.
///
/// Error offsets: framer errors (PDU header, PDV item header, message
/// control rules, data set destination) count from the first byte ever fed
/// (the stream offset of the faulty field); errors inside a non-P-DATA PDU
/// body are those of `pdu::decode_pdu_body` shifted by the PDU's stream
/// offset, so they are stream offsets too. Errors decoding a command set
/// count from the command set's first byte, since a command set may span
/// several PDVs and PDUs.
pub struct Receiver {
    config: ReceiverConfig,
    events: VecDeque<Event>,
    /// With `observe_pdus`: events completed inside the P-DATA-TF being
    /// read, held back until its `RawPdu` is queued.
    held: Vec<Event>,
    poisoned: Option<DecodeError>,
    /// Stream offset of the next byte to process.
    offset: u64,
    /// Stream offset of the first byte of the PDU in progress.
    pdu_start: u64,
    header: [u8; PDU_HEADER_LEN],
    header_len: usize,
    frame: Frame,
    /// With `observe_pdus`: the bytes of the P-DATA-TF in progress.
    raw: Vec<u8>,
    reassembler: Reassembler,
    /// Set after `Event::DataSetStart` until `resume`.
    paused: bool,
    /// Bytes fed while paused, processed by `resume`.
    unprocessed: Vec<u8>,
}

/// What the framer is reading.
enum Frame {
    /// A PDU header (`Receiver::header` holds the bytes so far).
    Header,
    /// The body of any PDU but P-DATA-TF, buffered as it arrives.
    Body { header: Header, bytes: Vec<u8> },
    /// A P-DATA-TF body, streamed PDV by PDV; `remaining` counts the body
    /// bytes not yet received.
    PData { remaining: u32, pdv: PdvState },
}

/// Where the current PDV item stands.
enum PdvState {
    /// Its 6-byte header: item length (4), context ID, control header.
    Header {
        bytes: [u8; PDV_HEADER_LEN],
        len: usize,
    },
    /// Its data; `remaining` bytes still to come.
    Data { remaining: u32 },
}

impl PdvState {
    const START: PdvState = PdvState::Header {
        bytes: [0; PDV_HEADER_LEN],
        len: 0,
    };
}

impl Receiver {
    pub fn new(config: ReceiverConfig) -> Self {
        Receiver {
            config,
            events: VecDeque::new(),
            held: Vec::new(),
            poisoned: None,
            offset: 0,
            pdu_start: 0,
            header: [0; PDU_HEADER_LEN],
            header_len: 0,
            frame: Frame::Header,
            raw: Vec::new(),
            reassembler: Reassembler::new(config.max_memory_data_set),
            paused: false,
            unprocessed: Vec::new(),
        }
    }

    pub fn config(&self) -> &ReceiverConfig {
        &self.config
    }

    /// Turns the per-P-DATA-TF `PDataTf` events on or off from the next PDU
    /// header on: a state machine needs each P-DATA-TF only while it is not
    /// in data transfer, where they are unexpected.
    pub fn set_report_pdata(&mut self, report: bool) {
        self.config.report_pdata = report;
    }

    /// Consumes all of `data`, queueing events. While paused (after
    /// `Event::DataSetStart`) the bytes are kept for `resume`. After an
    /// error the receiver is poisoned and returns the same error again;
    /// events queued before the error can still be taken.
    pub fn feed(&mut self, data: &[u8]) -> Result<(), DecodeError> {
        self.check_poisoned()?;
        if self.paused {
            self.unprocessed.extend_from_slice(data);
            return Ok(());
        }
        let used = self.process_or_poison(data)?;
        if let Some(rest) = data.get(used..) {
            self.unprocessed.extend_from_slice(rest);
        }
        Ok(())
    }

    /// The next queued event, if any.
    pub fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Whether events are queued.
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// After `Event::DataSetStart`: sends that data set to `destination`
    /// and processes the bytes fed while paused (which may pause again).
    /// Without a data set awaiting a destination it fails with
    /// `ErrorKind::InvalidValue` and does not poison the receiver.
    pub fn resume(&mut self, destination: Destination) -> Result<(), DecodeError> {
        self.check_poisoned()?;
        if !self.paused || !self.reassembler.set_destination(destination) {
            return Err(DecodeError::new(
                ErrorKind::InvalidValue,
                "Receiver::resume without Event::DataSetStart",
                self.offset,
            ));
        }
        self.paused = false;
        let mut input = std::mem::take(&mut self.unprocessed);
        let used = self.process_or_poison(&input)?;
        input.drain(..used.min(input.len()));
        self.unprocessed = input;
        Ok(())
    }

    /// Whether the receiver waits for `resume` after `Event::DataSetStart`.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Whether part of a PDU has been received and not completed (for the
    /// ARTIM / network timer), counting bytes fed while paused.
    pub fn partial_pdu_pending(&self) -> bool {
        self.missing_bytes() > 0
    }

    /// Whether a message has begun (a command fragment arrived) and its last
    /// fragment has not; not a truncation when the stream ends.
    pub fn message_pending(&self) -> bool {
        self.reassembler.message_pending()
    }

    /// The peer closed the connection: `ErrorKind::Truncated` if it did so
    /// inside a PDU, as opposed to malformed input; Ok otherwise.
    pub fn finish(&mut self) -> Result<(), DecodeError> {
        self.check_poisoned()?;
        let missing = self.missing_bytes();
        if missing == 0 {
            return Ok(());
        }
        let received = self.offset + self.unprocessed.len() as u64;
        Err(self.poison(DecodeError::new(
            ErrorKind::Truncated { missing },
            "PDU",
            received,
        )))
    }

    fn check_poisoned(&self) -> Result<(), DecodeError> {
        match &self.poisoned {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }

    fn poison(&mut self, error: DecodeError) -> DecodeError {
        self.poisoned = Some(error.clone());
        error
    }

    fn process_or_poison(&mut self, data: &[u8]) -> Result<usize, DecodeError> {
        self.process(data).map_err(|e| {
            // Messages completed before the error stay deliverable, even
            // though the RawPdu of their (broken) PDU never comes.
            self.events.extend(self.held.drain(..));
            self.poison(e)
        })
    }

    fn missing_bytes(&self) -> u64 {
        let partial_header = self.header.get(..self.header_len).unwrap_or_default();
        let body_left = match &self.frame {
            Frame::Header => 0,
            Frame::Body { header, bytes } => u64::from(header.length) - bytes.len() as u64,
            Frame::PData { remaining, .. } => u64::from(*remaining),
        };
        framer::missing_bytes(partial_header, body_left, &self.unprocessed)
    }

    /// Processes `data` until it is used up or the receiver pauses; returns
    /// how many bytes were used. Every step leaves the receiver needing
    /// more input: whatever completes without more bytes completes at once.
    fn process(&mut self, data: &[u8]) -> Result<usize, DecodeError> {
        let mut used = 0;
        while !self.paused {
            let rest = data.get(used..).unwrap_or_default();
            if rest.is_empty() {
                break;
            }
            used += match self.frame {
                Frame::Header => self.read_header(rest)?,
                Frame::Body { .. } => self.read_body(rest)?,
                Frame::PData { .. } => self.read_pdata(rest)?,
            };
        }
        Ok(used)
    }

    fn read_header(&mut self, rest: &[u8]) -> Result<usize, DecodeError> {
        let take = (PDU_HEADER_LEN - self.header_len).min(rest.len());
        if let (Some(dst), Some(src)) = (
            self.header.get_mut(self.header_len..self.header_len + take),
            rest.get(..take),
        ) {
            dst.copy_from_slice(src);
        }
        if self.header_len == 0 {
            self.pdu_start = self.offset;
        }
        self.header_len += take;
        self.offset += take as u64;
        if self.header_len == PDU_HEADER_LEN {
            self.header_len = 0;
            self.start_pdu()?;
        }
        Ok(take)
    }

    fn start_pdu(&mut self) -> Result<(), DecodeError> {
        let header = Header::parse(&self.header);
        framer::check_header(header, &self.config, self.pdu_start)?;
        if header.pdu_type != pdu_type::P_DATA_TF {
            let reserve = usize::try_from(header.length)
                .unwrap_or(usize::MAX)
                .min(framer::MAX_BODY_RESERVE);
            self.frame = Frame::Body {
                header,
                bytes: Vec::with_capacity(reserve),
            };
            if header.length == 0 {
                self.complete_body()?;
            }
            return Ok(());
        }
        if self.config.report_pdata {
            self.events.push_back(Event::PDataTf {
                length: header.length,
            });
        }
        if self.config.observe_pdus {
            self.raw.clear();
            self.raw.extend_from_slice(&self.header);
        }
        self.frame = Frame::PData {
            remaining: header.length,
            pdv: PdvState::START,
        };
        Ok(())
    }

    fn read_body(&mut self, rest: &[u8]) -> Result<usize, DecodeError> {
        let Frame::Body { header, bytes } = &mut self.frame else {
            return Ok(0);
        };
        let left = usize::try_from(header.length)
            .unwrap_or(usize::MAX)
            .saturating_sub(bytes.len());
        let take = left.min(rest.len());
        bytes.extend_from_slice(rest.get(..take).unwrap_or_default());
        self.offset += take as u64;
        if take == left {
            self.complete_body()?;
        }
        Ok(take)
    }

    fn complete_body(&mut self) -> Result<(), DecodeError> {
        let Frame::Body { header, bytes } = std::mem::replace(&mut self.frame, Frame::Header)
        else {
            return Ok(());
        };
        let pdu = pdu::decode_pdu_body(header.pdu_type, &bytes, &self.config.options)
            .map_err(|e| e.shifted(self.pdu_start))?;
        if self.config.observe_pdus {
            let mut raw = Vec::with_capacity(PDU_HEADER_LEN + bytes.len());
            raw.extend_from_slice(&self.header);
            raw.extend_from_slice(&bytes);
            self.events.push_back(Event::RawPdu(raw));
        }
        self.events.push_back(Event::Pdu(pdu));
        Ok(())
    }

    fn read_pdata(&mut self, rest: &[u8]) -> Result<usize, DecodeError> {
        let Frame::PData { remaining, pdv } = &mut self.frame else {
            return Ok(0);
        };
        match pdv {
            PdvState::Header { bytes, len } => {
                if *len == 0 && (*remaining as usize) < PDV_HEADER_LEN {
                    return Err(DecodeError::new(
                        ErrorKind::LengthOverflow {
                            claimed: PDV_HEADER_LEN as u64,
                            available: u64::from(*remaining),
                        },
                        "P-DATA-TF/PDV item",
                        self.offset,
                    ));
                }
                let take = (PDV_HEADER_LEN - *len).min(rest.len());
                if let (Some(dst), Some(src)) = (bytes.get_mut(*len..*len + take), rest.get(..take))
                {
                    dst.copy_from_slice(src);
                }
                *len += take;
                *remaining -= take as u32;
                let complete = (*len == PDV_HEADER_LEN).then_some(*bytes);
                self.consumed_pdata(rest, take);
                if let Some(header) = complete {
                    self.start_pdv(header)?;
                }
                Ok(take)
            }
            PdvState::Data { remaining: left } => {
                let take = usize::try_from(*left).unwrap_or(usize::MAX).min(rest.len());
                let chunk = rest.get(..take).unwrap_or_default();
                *left -= take as u32;
                *remaining -= take as u32;
                let pdv_done = *left == 0;
                self.reassembler.data(chunk, self.offset)?;
                self.consumed_pdata(rest, take);
                if pdv_done {
                    self.end_pdv()?;
                }
                Ok(take)
            }
        }
    }

    /// Accounts for `take` bytes of a P-DATA-TF body.
    fn consumed_pdata(&mut self, rest: &[u8], take: usize) {
        if self.config.observe_pdus {
            self.raw
                .extend_from_slice(rest.get(..take).unwrap_or_default());
        }
        self.offset += take as u64;
    }

    /// A PDV item header is complete (PS3.8 Table 9-23).
    fn start_pdv(&mut self, header: [u8; PDV_HEADER_LEN]) -> Result<(), DecodeError> {
        let [a, b, c, d, context_id, control] = header;
        let item_length = u32::from_be_bytes([a, b, c, d]);
        let item_start = self.offset - PDV_HEADER_LEN as u64;
        let Frame::PData { remaining, pdv } = &mut self.frame else {
            return Ok(());
        };
        // The item length covers the context ID and control header.
        if item_length < 2 {
            return Err(DecodeError::new(
                ErrorKind::LengthTooShort {
                    claimed: u64::from(item_length),
                    minimum: 2,
                },
                "P-DATA-TF/PDV/Item-length",
                item_start,
            ));
        }
        let data_len = item_length - 2;
        if data_len > *remaining {
            return Err(DecodeError::new(
                ErrorKind::LengthOverflow {
                    claimed: u64::from(item_length),
                    available: u64::from(*remaining) + 2,
                },
                "P-DATA-TF/PDV/Item-length",
                item_start,
            ));
        }
        *pdv = PdvState::Data {
            remaining: data_len,
        };
        self.reassembler
            .begin_pdv(context_id, control, item_start + 4)?;
        if data_len == 0 {
            self.end_pdv()?;
        }
        Ok(())
    }

    /// The current PDV's data is complete: the message may be too, and the
    /// PDU may end here.
    fn end_pdv(&mut self) -> Result<(), DecodeError> {
        let pdu_left = match &mut self.frame {
            Frame::PData { remaining, pdv } => {
                *pdv = PdvState::START;
                *remaining
            }
            _ => 0,
        };
        let completed = self
            .reassembler
            .end_pdv(&self.config.options, self.config.announce_data_sets)?;
        match completed {
            Some(Completed::Message(message)) => self.emit(Event::Message(message)),
            Some(Completed::DataSetStart {
                context_id,
                command,
            }) => {
                self.emit(Event::DataSetStart {
                    context_id,
                    command,
                });
                self.paused = true;
            }
            None => {}
        }
        if pdu_left == 0 {
            self.complete_pdata();
        } else if self.paused {
            // The caller must see DataSetStart to resume; the PDU's RawPdu
            // follows when it completes.
            self.events.extend(self.held.drain(..));
        }
        Ok(())
    }

    fn complete_pdata(&mut self) {
        self.frame = Frame::Header;
        if self.config.observe_pdus {
            let raw = std::mem::take(&mut self.raw);
            self.events.push_back(Event::RawPdu(raw));
            self.events.extend(self.held.drain(..));
        }
    }

    /// Queues an event completed inside a P-DATA-TF: held back until the
    /// PDU's `RawPdu` when observing PDUs.
    fn emit(&mut self, event: Event) {
        if self.config.observe_pdus {
            self.held.push(event);
        } else {
            self.events.push_back(event);
        }
    }
}
