//! What the streaming receiver's tests (tests/receiver_*.rs) share: byte builders for command
//! sets and P-DATA-TF PDUs, events in a comparable form, feeding helpers, and a mixed stream.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use fastdimse_proto::dimse::{decode_command_set, CommandSet};
use fastdimse_proto::pdu::Pdu;
use fastdimse_proto::receiver::{DataSet, Event, Receiver, ReceiverConfig};
use fastdimse_proto::{DecodeError, DecodeOptions, LocalMaxPdu};

// ------------------------------------------------------------ byte builders

/// One Implicit VR Little Endian element of group 0000 (PS3.5 7.1.2).
pub fn element(elem: u16, value: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0];
    out.extend_from_slice(&elem.to_le_bytes());
    out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    out.extend_from_slice(value);
    out
}

/// A command set: (0000,0000) Command Group Length, then `elements`.
pub fn command_set(elements: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = elements.concat();
    let mut out = element(0x0000, &(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// C-ECHO-RQ (PS3.7 Table 9.3-12): no data set.
pub fn c_echo_rq(message_id: u16) -> Vec<u8> {
    command_set(&[
        element(0x0002, b"1.2.840.10008.1.1\0"),
        element(0x0100, &0x0030u16.to_le_bytes()),
        element(0x0110, &message_id.to_le_bytes()),
        element(0x0800, &0x0101u16.to_le_bytes()),
    ])
}

/// C-STORE-RQ (PS3.7 Table 9.3-1): a data set follows.
pub fn c_store_rq(message_id: u16) -> Vec<u8> {
    command_set(&[
        element(0x0002, b"1.2.840.10008.5.1.4.1.1.2\0"),
        element(0x0100, &0x0001u16.to_le_bytes()),
        element(0x0110, &message_id.to_le_bytes()),
        element(0x0700, &0u16.to_le_bytes()),
        element(0x0800, &0u16.to_le_bytes()),
        element(0x1000, b"1.2.3.4\0"),
    ])
}

/// C-FIND-RQ (PS3.7 Table 9.3-2), Patient Root Find: an identifier follows.
pub fn c_find_rq(message_id: u16) -> Vec<u8> {
    command_set(&[
        element(0x0002, b"1.2.840.10008.5.1.4.1.2.1.1\0"),
        element(0x0100, &0x0020u16.to_le_bytes()),
        element(0x0110, &message_id.to_le_bytes()),
        element(0x0700, &0u16.to_le_bytes()),
        element(0x0800, &0u16.to_le_bytes()),
    ])
}

/// C-FIND-RSP (PS3.7 Table 9.3-3), Pending: an identifier follows.
pub fn c_find_rsp_pending(responding_to: u16) -> Vec<u8> {
    command_set(&[
        element(0x0002, b"1.2.840.10008.5.1.4.1.2.1.1\0"),
        element(0x0100, &0x8020u16.to_le_bytes()),
        element(0x0120, &responding_to.to_le_bytes()),
        element(0x0800, &0u16.to_le_bytes()),
        element(0x0900, &0xFF00u16.to_le_bytes()),
    ])
}

pub const CMD: u8 = 0x01;
pub const CMD_LAST: u8 = 0x03;
pub const DATA: u8 = 0x00;
pub const DATA_LAST: u8 = 0x02;

/// A P-DATA-TF (PS3.8 Table 9-22) holding PDV items (Table 9-23):
/// (presentation context ID, message control header, fragment).
pub fn pdata(pdvs: &[(u8, u8, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (context_id, control, data) in pdvs {
        body.extend_from_slice(&(data.len() as u32 + 2).to_be_bytes());
        body.push(*context_id);
        body.push(*control);
        body.extend_from_slice(data);
    }
    let mut out = vec![0x04, 0x00];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

/// A-RELEASE-RQ (PS3.8 Table 9-24).
pub const RELEASE_RQ: [u8; 10] = [0x05, 0x00, 0, 0, 0, 4, 0, 0, 0, 0];

pub fn data_set_bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

pub fn command(bytes: &[u8]) -> CommandSet {
    decode_command_set(bytes, &DecodeOptions::default()).unwrap()
}

// --------------------------------------------------------- event summaries

/// Events in a comparable form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev {
    Pdu(Pdu),
    PData(u32),
    Raw(Vec<u8>),
    Start(u8, CommandSet),
    Message(u8, CommandSet, Option<Vec<u8>>),
    Written(u8, CommandSet, u64),
    Unwritten(u8, io::ErrorKind, u64),
    /// A data set over the memory cap: context ID, limit, length received.
    TooLarge(u8, u64, u64),
}

pub fn summarize(event: Event) -> Ev {
    match event {
        Event::Pdu(pdu) => Ev::Pdu(pdu),
        Event::PDataTf { length } => Ev::PData(length),
        Event::RawPdu(bytes) => Ev::Raw(bytes),
        Event::DataSetStart {
            context_id,
            command,
        } => Ev::Start(context_id, command),
        Event::Message(m) => match m.data_set {
            None => Ev::Message(m.context_id, m.command, None),
            Some(DataSet::Memory(bytes)) => Ev::Message(m.context_id, m.command, Some(bytes)),
            Some(DataSet::Written { length }) => Ev::Written(m.context_id, m.command, length),
            Some(DataSet::Unwritten { error, length }) => {
                Ev::Unwritten(m.context_id, error, length)
            }
            Some(DataSet::TooLarge { limit, length }) => Ev::TooLarge(m.context_id, limit, length),
        },
    }
}

pub fn drain(receiver: &mut Receiver) -> Vec<Ev> {
    std::iter::from_fn(|| receiver.next_event())
        .map(summarize)
        .collect()
}

/// Feeds `stream` in chunks of `chunk` bytes; returns the events and the
/// first error.
pub fn feed_chunked(
    config: ReceiverConfig,
    stream: &[u8],
    chunk: usize,
) -> (Vec<Ev>, Option<DecodeError>) {
    let mut receiver = Receiver::new(config);
    let mut events = Vec::new();
    for piece in stream.chunks(chunk.max(1)) {
        let result = receiver.feed(piece);
        events.extend(drain(&mut receiver));
        if let Err(err) = result {
            return (events, Some(err));
        }
    }
    (events, receiver.finish().err())
}

pub const CHUNKS: [usize; 9] = [1, 2, 3, 5, 7, 64, 4096, 65536, usize::MAX];

pub fn config(local_max: u32) -> ReceiverConfig {
    ReceiverConfig {
        local_max_pdu: LocalMaxPdu(local_max),
        ..ReceiverConfig::default()
    }
}

pub fn feed_all(receiver: &mut Receiver, stream: &[u8]) -> Vec<Ev> {
    receiver.feed(stream).unwrap();
    drain(receiver)
}

pub fn feed_err(config: ReceiverConfig, stream: &[u8]) -> DecodeError {
    let mut receiver = Receiver::new(config);
    receiver.feed(stream).unwrap_err()
}

// ----------------------------------------------------------------- streams

/// A C-ECHO in one PDU; a C-STORE whose command spans two PDUs and whose
/// data set spans three, with several PDVs in one PDU; two C-ECHOs in one
/// PDU; then A-RELEASE-RQ.
pub fn mixed_stream() -> (Vec<u8>, Vec<Ev>) {
    let echo = c_echo_rq(1);
    let store = c_store_rq(2);
    let data = data_set_bytes(3000);
    let (cmd_a, cmd_b) = store.split_at(30);
    let mut stream = pdata(&[(1, CMD_LAST, &echo)]);
    stream.extend(pdata(&[(3, CMD, cmd_a)]));
    stream.extend(pdata(&[(3, CMD_LAST, cmd_b), (3, DATA, &data[..1000])]));
    stream.extend(pdata(&[
        (3, DATA, &data[1000..1500]),
        (3, DATA, &data[1500..2000]),
    ]));
    stream.extend(pdata(&[(3, DATA_LAST, &data[2000..])]));
    stream.extend(pdata(&[
        (1, CMD_LAST, &c_echo_rq(3)),
        (5, CMD_LAST, &c_echo_rq(4)),
    ]));
    stream.extend(RELEASE_RQ);
    let expected = vec![
        Ev::Message(1, command(&echo), None),
        Ev::Message(3, command(&store), Some(data)),
        Ev::Message(1, command(&c_echo_rq(3)), None),
        Ev::Message(5, command(&c_echo_rq(4)), None),
        Ev::Pdu(Pdu::ReleaseRq),
    ];
    (stream, expected)
}

/// A `Write` into a shared buffer that counts flushes.
#[derive(Clone, Default)]
pub struct SharedWriter {
    pub bytes: Arc<Mutex<Vec<u8>>>,
    pub flushes: Arc<Mutex<usize>>,
}

impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        *self.flushes.lock().unwrap() += 1;
        Ok(())
    }
}

pub fn store_stream(context_id: u8, message_id: u16, data: &[u8], fragment: usize) -> Vec<u8> {
    message_stream(context_id, &c_store_rq(message_id), data, fragment, 1)
}

/// `command` then `data` on `context_id`, the data set in PDVs of `fragment` bytes,
/// `per_pdu` PDVs to a P-DATA-TF.
pub fn message_stream(
    context_id: u8,
    command: &[u8],
    data: &[u8],
    fragment: usize,
    per_pdu: usize,
) -> Vec<u8> {
    let mut stream = pdata(&[(context_id, CMD_LAST, command)]);
    let fragments: Vec<&[u8]> = data.chunks(fragment).collect();
    let last = fragments.len().saturating_sub(1);
    let pdvs: Vec<(u8, u8, &[u8])> = fragments
        .iter()
        .enumerate()
        .map(|(i, piece)| (context_id, if i == last { DATA_LAST } else { DATA }, *piece))
        .collect();
    for group in pdvs.chunks(per_pdu) {
        stream.extend(pdata(group));
    }
    stream
}
