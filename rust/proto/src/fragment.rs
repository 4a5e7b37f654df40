//! The sending side: (presentation context, command set, data set) into
//! P-DATA-TF PDUs no larger than the *peer's* maximum, as one buffer per
//! message, or, for a data set in a file, as bounded buffers read as needed.
//!
//! Each P-DATA-TF carries one PDV. The peer's maximum applies to the
//! P-DATA-TF's variable field (PS3.8 Table 9-22 and D.1), i.e. the PDV item
//! header (6 bytes) plus the fragment, and every fragment but a message's
//! odd-length tail is of even length (PS3.8 E.1), so a fragment carries at
//! most `(peer_max - 6)` rounded down to even bytes. With no limit (0) the
//! fragments are `UNLIMITED_FRAGMENT_LEN` bytes so PDUs stay bounded.

use std::io::Read;

use crate::error::{EncodeError, EncodeErrorReason};
use crate::limits::{PeerMaxPdu, PDU_HEADER_LEN, PDV_HEADER_LEN};
use crate::pdu::{pdu_type, MessageControlHeader};

/// Fragment size when the peer sets no maximum.
pub const UNLIMITED_FRAGMENT_LEN: usize = 1024 * 1024;

/// P-DATA-TF header plus PDV item header: the overhead of each fragment.
pub const FRAGMENT_OVERHEAD: usize = PDU_HEADER_LEN + PDV_HEADER_LEN;

/// The exact length of the P-DATA-TF PDUs carrying this message.
/// `data_set_len` is `None` when the message has no data set; `Some(0)`
/// sends one empty last fragment.
pub fn fragmented_len(
    peer_max: PeerMaxPdu,
    command_len: usize,
    data_set_len: Option<usize>,
) -> Result<usize, EncodeError> {
    let fragment_len = fragment_len(peer_max)?;
    let mut total = part_len(fragment_len, command_len)?;
    if let Some(len) = data_set_len {
        total = total
            .checked_add(part_len(fragment_len, len)?)
            .ok_or_else(|| too_long(usize::MAX))?;
    }
    Ok(total)
}

/// Writes the P-DATA-TF PDUs of one message into `out`, which must be
/// exactly `fragmented_len(...)` bytes long: command fragments first, then
/// data set fragments (PS3.8 Annex E).
pub fn fragment_into(
    out: &mut [u8],
    peer_max: PeerMaxPdu,
    context_id: u8,
    command: &[u8],
    data_set: Option<&[u8]>,
) -> Result<(), EncodeError> {
    check_context_id(context_id)?;
    let expected = fragmented_len(peer_max, command.len(), data_set.map(<[u8]>::len))?;
    if out.len() != expected {
        return Err(EncodeError::new(
            "P-DATA-TF output buffer",
            EncodeErrorReason::InvalidValue,
        ));
    }
    let fragment_len = fragment_len(peer_max)?;
    let mut pos = write_part(out, 0, fragment_len, context_id, true, command)?;
    if let Some(data_set) = data_set {
        pos = write_part(out, pos, fragment_len, context_id, false, data_set)?;
    }
    debug_assert_eq!(pos, out.len());
    Ok(())
}

/// The P-DATA-TF PDUs of one message whose data set is read from a
/// `std::io::Read` (a file) in bounded pieces, so that a data set of any
/// size is sent with bounded memory. The command set goes in the first
/// chunk.
#[derive(Debug, Clone)]
pub struct DataSetStream {
    context_id: u8,
    fragment_len: usize,
    /// Taken by the first chunk.
    command: Option<Vec<u8>>,
    /// Data set bytes not yet read.
    remaining: u64,
    /// Whether the data set's last fragment has been produced.
    done: bool,
    /// Whether an odd-length data set gets one trailing NULL byte.
    pad_odd_length: bool,
}

impl DataSetStream {
    /// A message whose data set is the next `data_set_len` bytes of the
    /// source passed to `next_chunk`.
    pub fn new(
        peer_max: PeerMaxPdu,
        context_id: u8,
        command: &[u8],
        data_set_len: u64,
    ) -> Result<Self, EncodeError> {
        check_context_id(context_id)?;
        Ok(DataSetStream {
            context_id,
            fragment_len: fragment_len(peer_max)?,
            command: Some(command.to_vec()),
            remaining: data_set_len,
            done: false,
            pad_odd_length: false,
        })
    }

    /// Sends an odd-length data set with one trailing NULL byte, so that its
    /// last fragment is of even length too: how a deflated data set is
    /// padded (PS3.5 A.5), and what peers such as DCMTK insist on.
    pub fn pad_odd_length(mut self) -> Self {
        self.pad_odd_length = true;
        self
    }

    /// Appends to `out` whole P-DATA-TF PDUs carrying at most about
    /// `max_bytes` of data set (at least one PDU), the command set's PDUs
    /// first on the first call. Returns whether more chunks follow. A source
    /// that ends before the announced length gives
    /// `EncodeErrorReason::Source(UnexpectedEof)`.
    pub fn next_chunk<R: Read + ?Sized>(
        &mut self,
        source: &mut R,
        out: &mut Vec<u8>,
        max_bytes: usize,
    ) -> Result<bool, EncodeError> {
        let start = out.len();
        let len = self.next_chunk_len(max_bytes)?;
        out.resize(start.checked_add(len).ok_or_else(|| too_long(len))?, 0);
        let target = out.get_mut(start..).unwrap_or_default();
        self.next_chunk_into(source, target, max_bytes)
    }

    /// The exact length `next_chunk_into` writes for the same `max_bytes`, so
    /// that a caller can allocate the chunk once, where it is wanted.
    pub fn next_chunk_len(&self, max_bytes: usize) -> Result<usize, EncodeError> {
        let mut len = match &self.command {
            Some(command) => part_len(self.fragment_len, command.len())?,
            None => 0,
        };
        for fragment in self.plan(max_bytes) {
            len = len
                .checked_add(FRAGMENT_OVERHEAD + fragment.take + fragment.pad)
                .ok_or_else(|| too_long(fragment.take))?;
        }
        Ok(len)
    }

    /// `next_chunk` into `out`, which must be exactly `next_chunk_len(max_bytes)`
    /// bytes long: each fragment's data is read straight into its place.
    pub fn next_chunk_into<R: Read + ?Sized>(
        &mut self,
        source: &mut R,
        out: &mut [u8],
        max_bytes: usize,
    ) -> Result<bool, EncodeError> {
        if out.len() != self.next_chunk_len(max_bytes)? {
            return Err(EncodeError::new(
                "P-DATA-TF output buffer",
                EncodeErrorReason::InvalidValue,
            ));
        }
        let mut pos = 0;
        if let Some(command) = self.command.take() {
            pos = write_part(out, pos, self.fragment_len, self.context_id, true, &command)?;
        }
        // The plan holds copies of the counters, not a borrow: each fragment read
        // may update them as it goes.
        for fragment in self.plan(max_bytes) {
            pos = self.read_fragment(source, out, pos, fragment)?;
        }
        Ok(!self.done)
    }

    /// Whether the data set's last fragment has been produced.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The command set's P-DATA-TF PDUs, on the first call only (`None`
    /// after it, or after a first `next_chunk`): for a writer that sends the
    /// data set's bytes itself, with `next_fragment_parts`.
    pub fn take_command_pdus(&mut self) -> Result<Option<Vec<u8>>, EncodeError> {
        let Some(command) = self.command.take() else {
            return Ok(None);
        };
        let mut out = vec![0; part_len(self.fragment_len, command.len())?];
        write_part(
            &mut out,
            0,
            self.fragment_len,
            self.context_id,
            true,
            &command,
        )?;
        Ok(Some(out))
    }

    /// The next chunk's data set fragments (the same ones `next_chunk` would
    /// produce for `max_bytes`) as their parts, appended to `out`, and counted
    /// as produced: the caller sends each header, then the next `data_len`
    /// bytes of the source, then a NULL byte if `pad`. Returns the data set
    /// bytes the chunk takes from the source. The command set's PDUs must
    /// have been taken first (`take_command_pdus`).
    pub fn next_fragment_parts(
        &mut self,
        max_bytes: usize,
        out: &mut Vec<FragmentParts>,
    ) -> Result<u64, EncodeError> {
        if self.command.is_some() {
            return Err(EncodeError::new(
                "P-DATA-TF command set not yet taken",
                EncodeErrorReason::InvalidValue,
            ));
        }
        let mut data = 0u64;
        for Fragment { take, pad, last } in self.plan(max_bytes) {
            out.push(FragmentParts {
                header: fragment_header(self.context_id, false, last, take + pad)?,
                data_len: take,
                pad: pad == 1,
            });
            self.remaining -= take as u64;
            self.done = last;
            data += take as u64;
        }
        Ok(data)
    }

    /// The data set fragments of the next chunk: at least one, then as many
    /// as fit in `max_bytes` of data.
    fn plan(&self, max_bytes: usize) -> impl Iterator<Item = Fragment> {
        let fragment_len = self.fragment_len;
        let pad_odd_length = self.pad_odd_length;
        let mut remaining = self.remaining;
        let mut done = self.done;
        let mut data = 0usize;
        std::iter::from_fn(move || {
            if done {
                return None;
            }
            let take = usize::try_from(remaining)
                .unwrap_or(usize::MAX)
                .min(fragment_len);
            if data > 0 && data.saturating_add(take) > max_bytes {
                return None;
            }
            let last = take as u64 == remaining;
            // An odd tail is always shorter than the (even) fragment length, so
            // the pad byte fits.
            let pad = usize::from(last && pad_odd_length && take % 2 == 1);
            remaining -= take as u64;
            data += take;
            done = last;
            Some(Fragment { take, pad, last })
        })
    }

    /// Writes one data set fragment at `out[pos..]`, its data read from
    /// `source`; returns the end.
    fn read_fragment<R: Read + ?Sized>(
        &mut self,
        source: &mut R,
        out: &mut [u8],
        pos: usize,
        fragment: Fragment,
    ) -> Result<usize, EncodeError> {
        let Fragment { take, pad, last } = fragment;
        let header = fragment_header(self.context_id, false, last, take + pad)?;
        let end = pos
            .checked_add(FRAGMENT_OVERHEAD + take + pad)
            .ok_or_else(|| too_long(take))?;
        let dst = out.get_mut(pos..end).ok_or_else(|| too_long(take))?;
        let (head, body) = dst.split_at_mut(FRAGMENT_OVERHEAD);
        head.copy_from_slice(&header);
        let (data, padding) = body.split_at_mut(take);
        source.read_exact(data).map_err(|e| {
            EncodeError::new("data set source", EncodeErrorReason::Source(e.kind()))
        })?;
        padding.fill(0);
        self.remaining -= take as u64;
        self.done = last;
        Ok(end)
    }
}

/// One data set fragment as the parts a writer sends: the P-DATA-TF and PDV
/// item headers, the length of the data set bytes that follow them, and
/// whether one NULL pad byte follows those (an odd-length data set's tail,
/// with `pad_odd_length`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentParts {
    pub header: [u8; FRAGMENT_OVERHEAD],
    pub data_len: usize,
    pub pad: bool,
}

/// One data set fragment of a chunk: its data length, a pad byte or none,
/// and whether it is the data set's last.
#[derive(Debug, Clone, Copy)]
struct Fragment {
    take: usize,
    pad: usize,
    last: bool,
}

/// Data bytes per fragment for the peer's maximum.
fn fragment_len(peer_max: PeerMaxPdu) -> Result<usize, EncodeError> {
    let Some(limit) = peer_max.limit() else {
        return Ok(UNLIMITED_FRAGMENT_LEN);
    };
    let room = usize::try_from(limit)
        .unwrap_or(usize::MAX)
        .saturating_sub(PDV_HEADER_LEN);
    // Fragments are of even length (PS3.8 E.1); it must carry something.
    let even = room & !1;
    if even == 0 {
        return Err(EncodeError::new(
            "Maximum-length-received (peer)",
            EncodeErrorReason::InvalidValue,
        ));
    }
    // Larger PDUs than this gain nothing and would make a chunk unbounded.
    Ok(even.min(UNLIMITED_FRAGMENT_LEN))
}

/// Length of the PDUs carrying one part (command or data set) of `len`
/// bytes: at least one fragment, even when empty.
fn part_len(fragment_len: usize, len: usize) -> Result<usize, EncodeError> {
    let fragments = len.div_ceil(fragment_len).max(1);
    fragments
        .checked_mul(FRAGMENT_OVERHEAD)
        .and_then(|overhead| overhead.checked_add(len))
        .ok_or_else(|| too_long(len))
}

/// Writes one part's PDUs into `out` from `pos`; returns the end position.
fn write_part(
    out: &mut [u8],
    pos: usize,
    fragment_len: usize,
    context_id: u8,
    is_command: bool,
    part: &[u8],
) -> Result<usize, EncodeError> {
    let mut chunks = part.chunks(fragment_len).peekable();
    if chunks.peek().is_none() {
        // An empty part still sends its (empty) last fragment.
        return write_fragment(out, pos, context_id, is_command, true, &[]);
    }
    let mut pos = pos;
    while let Some(chunk) = chunks.next() {
        let last = chunks.peek().is_none();
        pos = write_fragment(out, pos, context_id, is_command, last, chunk)?;
    }
    Ok(pos)
}

/// Writes one P-DATA-TF carrying `data` at `out[pos..]`; returns the end.
fn write_fragment(
    out: &mut [u8],
    pos: usize,
    context_id: u8,
    is_command: bool,
    last: bool,
    data: &[u8],
) -> Result<usize, EncodeError> {
    let header = fragment_header(context_id, is_command, last, data.len())?;
    let end = pos
        .checked_add(FRAGMENT_OVERHEAD + data.len())
        .ok_or_else(|| too_long(data.len()))?;
    let dst = out.get_mut(pos..end).ok_or_else(|| too_long(data.len()))?;
    let (head, body) = dst.split_at_mut(FRAGMENT_OVERHEAD);
    head.copy_from_slice(&header);
    body.copy_from_slice(data);
    Ok(end)
}

/// P-DATA-TF header (PS3.8 Table 9-22) and PDV item header (Table 9-23,
/// message control header per E.2) for a fragment of `data_len` bytes.
fn fragment_header(
    context_id: u8,
    is_command: bool,
    last: bool,
    data_len: usize,
) -> Result<[u8; FRAGMENT_OVERHEAD], EncodeError> {
    let item_len = u32::try_from(data_len)
        .ok()
        .and_then(|len| len.checked_add(2))
        .ok_or_else(|| too_long(data_len))?;
    let pdu_len = item_len.checked_add(4).ok_or_else(|| too_long(data_len))?;
    let [p0, p1, p2, p3] = pdu_len.to_be_bytes();
    let [i0, i1, i2, i3] = item_len.to_be_bytes();
    let control = MessageControlHeader::new(is_command, last).0;
    Ok([
        pdu_type::P_DATA_TF,
        0,
        p0,
        p1,
        p2,
        p3,
        i0,
        i1,
        i2,
        i3,
        context_id,
        control,
    ])
}

/// Presentation context IDs are odd (PS3.8 Table 9-23).
fn check_context_id(context_id: u8) -> Result<(), EncodeError> {
    if context_id % 2 == 1 {
        Ok(())
    } else {
        Err(EncodeError::new(
            "PDV/Presentation-context-ID",
            EncodeErrorReason::InvalidValue,
        ))
    }
}

fn too_long(length: usize) -> EncodeError {
    EncodeError::new(
        "P-DATA-TF",
        EncodeErrorReason::TooLong {
            length: length as u64,
            limit: u64::from(u32::MAX),
        },
    )
}
