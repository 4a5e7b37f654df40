//! The walk over a data set's elements, items and fragments, with an
//! explicit stack (nesting costs no recursion, and is capped).

use super::error::{DataSetError, DataSetErrorKind as K, Part, ScanError};
use super::sequences::{is_repeating_sequence, SEQUENCE_TAGS};
use super::source::ByteSource;
use super::{MAX_DEPTH, MAX_UID_VALUE};

pub(crate) const ITEM: u32 = 0xFFFE_E000;
pub(crate) const ITEM_DELIMITATION: u32 = 0xFFFE_E00D;
pub(crate) const SEQUENCE_DELIMITATION: u32 = 0xFFFE_E0DD;
pub(crate) const UNDEFINED: u32 = 0xFFFF_FFFF;
const PIXEL_DATA: u32 = 0x7FE0_0010;
const SOP_CLASS_UID: u32 = 0x0008_0016;
const SOP_INSTANCE_UID: u32 = 0x0008_0018;

/// How an element's length is encoded (PS3.5 7.1.2): a 2-byte length, or
/// 2 reserved bytes and a 4-byte length.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum LengthField {
    Short,
    Long,
}

pub(crate) fn length_field(vr: [u8; 2]) -> Option<LengthField> {
    match &vr {
        b"OB" | b"OD" | b"OF" | b"OL" | b"OV" | b"OW" | b"SQ" | b"SV" | b"UC" | b"UN" | b"UR"
        | b"UT" | b"UV" => Some(LengthField::Long),
        b"AE" | b"AS" | b"AT" | b"CS" | b"DA" | b"DS" | b"DT" | b"FL" | b"FD" | b"IS" | b"LO"
        | b"LT" | b"PN" | b"SH" | b"SL" | b"SS" | b"ST" | b"TM" | b"UI" | b"UL" | b"US" => {
            Some(LengthField::Short)
        }
        _ => None,
    }
}

/// What an element is, as far as the walk cares.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sequence,
    /// UN: of undefined length, a sequence in implicit VR little endian (PS3.5 6.2.2).
    Unknown,
    Value,
}

/// An implicit VR element's kind: undefined length means a sequence (or
/// encapsulated pixel data); a defined-length sequence is known from the
/// dictionary (private ones are skipped).
fn implicit_kind(tag: u32, length: u32) -> Kind {
    if length == UNDEFINED {
        return if tag == PIXEL_DATA {
            Kind::Value
        } else {
            Kind::Sequence
        };
    }
    let private = tag >> 16 & 1 == 1;
    if !private && (SEQUENCE_TAGS.binary_search(&tag).is_ok() || is_repeating_sequence(tag)) {
        Kind::Sequence
    } else {
        Kind::Unknown
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    /// The top data set or an item.
    DataSet,
    Sequence,
    /// The fragments of encapsulated pixel data.
    Fragments,
}

/// One level of the walk.
struct Frame {
    level: Level,
    /// Where a defined-length frame ends.
    end: Option<u64>,
    /// Where anything inside must end (its own or an enclosing end, the file's size).
    limit: Option<u64>,
    implicit: bool,
    little: bool,
    /// An undefined-length item, closed by its delimiter.
    undefined: bool,
    top: bool,
    previous: Option<u32>,
}

impl Frame {
    fn new(
        level: Level,
        end: Option<u64>,
        limit: Option<u64>,
        implicit: bool,
        little: bool,
    ) -> Self {
        Frame {
            level,
            end,
            limit,
            implicit,
            little,
            undefined: false,
            top: false,
            previous: None,
        }
    }
}

enum Step {
    Next,
    Enter(Frame),
    /// The current frame ends (at its delimiter).
    Close,
}

/// What the walk found.
pub(crate) struct Found {
    pub sop_class_uid: Option<String>,
    pub sop_instance_uid: Option<String>,
    pub elements: u64,
}

/// Walks the data set from the source's position to its end.
pub(crate) fn walk<S: ByteSource>(
    source: &mut S,
    implicit: bool,
    little: bool,
) -> Result<Found, ScanError> {
    let mut walker = Walker {
        source,
        found: Found {
            sop_class_uid: None,
            sop_instance_uid: None,
            elements: 0,
        },
    };
    walker.walk(implicit, little)?;
    Ok(walker.found)
}

struct Walker<'s, S> {
    source: &'s mut S,
    found: Found,
}

fn fault(kind: K, at: u64) -> ScanError {
    DataSetError::new(kind, at).into()
}

impl<S: ByteSource> Walker<'_, S> {
    fn walk(&mut self, implicit: bool, little: bool) -> Result<(), ScanError> {
        let mut top = Frame::new(Level::DataSet, None, self.source.size(), implicit, little);
        top.top = true;
        let mut stack = vec![top];
        while let Some(frame) = stack.last_mut() {
            let pos = self.source.pos();
            if let Some(end) = frame.end {
                if pos >= end {
                    if pos > end {
                        return Err(fault(K::Overrun, end));
                    }
                    stack.pop();
                    continue;
                }
            }
            let step = match frame.level {
                Level::DataSet => {
                    if frame.top && self.source.at_end()? {
                        stack.pop();
                        continue;
                    }
                    let at_top = frame.top;
                    self.element(frame, at_top)?
                }
                Level::Sequence => self.item(frame)?,
                Level::Fragments => self.fragment(frame)?,
            };
            match step {
                Step::Next => {}
                Step::Close => {
                    stack.pop();
                }
                Step::Enter(child) => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(fault(K::TooDeep, self.source.pos()));
                    }
                    stack.push(child);
                }
            }
        }
        Ok(())
    }

    /// One element of a data set.
    fn element(&mut self, frame: &mut Frame, at_top: bool) -> Result<Step, ScanError> {
        let at = self.source.pos();
        let tag = self.tag(frame)?;
        if tag >> 16 == 0xFFFE {
            if tag == ITEM_DELIMITATION && frame.undefined {
                self.read(frame, 4)?; // its length, 0 by the standard, ignored as readers do
                return Ok(Step::Close);
            }
            return Err(fault(K::Unexpected { tag }, at));
        }
        if let Some(previous) = frame.previous.filter(|previous| tag <= *previous) {
            return Err(fault(K::TagOrder { tag, previous }, at));
        }
        frame.previous = Some(tag);
        self.found.elements += 1;
        let little = frame.little;
        let (kind, length) = if frame.implicit {
            let length = u32_at(self.read(frame, 4)?, little);
            (implicit_kind(tag, length), length)
        } else {
            let vr = pair(self.read(frame, 2)?);
            let length = match length_field(vr) {
                Some(LengthField::Short) => u32::from(u16_at(self.read(frame, 2)?, little)),
                Some(LengthField::Long) => {
                    u32_at(self.read(frame, 6)?.get(2..).unwrap_or_default(), little)
                }
                None => return Err(fault(K::UnknownVr { tag, vr }, at + 4)),
            };
            let kind = match &vr {
                b"SQ" => Kind::Sequence,
                b"UN" => Kind::Unknown,
                _ => Kind::Value,
            };
            (kind, length)
        };
        if length == UNDEFINED {
            let child = match kind {
                Kind::Sequence => {
                    Frame::new(Level::Sequence, None, frame.limit, frame.implicit, little)
                }
                Kind::Unknown => Frame::new(Level::Sequence, None, frame.limit, true, true),
                Kind::Value => {
                    Frame::new(Level::Fragments, None, frame.limit, frame.implicit, little)
                }
            };
            return Ok(Step::Enter(child));
        }
        // Saturating: a sum past u64 is past any limit too.
        let end = self.source.pos().saturating_add(u64::from(length));
        if let Some(limit) = frame.limit.filter(|limit| end > *limit) {
            let what = Part::Element(tag);
            return Err(fault(
                K::PastEnd {
                    what,
                    length,
                    limit,
                },
                at,
            ));
        }
        if kind == Kind::Sequence {
            let child = Frame::new(
                Level::Sequence,
                Some(end),
                Some(end),
                frame.implicit,
                little,
            );
            return Ok(Step::Enter(child));
        }
        let uid = tag == SOP_CLASS_UID || tag == SOP_INSTANCE_UID;
        if at_top && uid && length <= MAX_UID_VALUE {
            let value = uid_text(self.read(frame, length as usize)?);
            if tag == SOP_CLASS_UID {
                self.found.sop_class_uid = Some(value);
            } else {
                self.found.sop_instance_uid = Some(value);
            }
            return Ok(Step::Next);
        }
        if self.source.skip(u64::from(length))? != u64::from(length) {
            return Err(fault(K::ElementTruncated { tag }, at));
        }
        Ok(Step::Next)
    }

    /// One item of a sequence, or its delimiter.
    fn item(&mut self, frame: &Frame) -> Result<Step, ScanError> {
        let at = self.source.pos();
        let (tag, length) = self.item_header(frame)?;
        if tag == ITEM {
            let (implicit, little) = (frame.implicit, frame.little);
            if length == UNDEFINED {
                let mut child = Frame::new(Level::DataSet, None, frame.limit, implicit, little);
                child.undefined = true;
                return Ok(Step::Enter(child));
            }
            let end = self.fits(frame, length, at, Part::Item)?;
            return Ok(Step::Enter(Frame::new(
                Level::DataSet,
                Some(end),
                Some(end),
                implicit,
                little,
            )));
        }
        if tag == SEQUENCE_DELIMITATION && frame.end.is_none() {
            return Ok(Step::Close);
        }
        Err(fault(K::ExpectedItem { tag }, at))
    }

    /// One fragment of encapsulated pixel data, or its delimiter.
    fn fragment(&mut self, frame: &Frame) -> Result<Step, ScanError> {
        let at = self.source.pos();
        let (tag, length) = self.item_header(frame)?;
        if tag == SEQUENCE_DELIMITATION {
            return Ok(Step::Close);
        }
        if tag != ITEM {
            return Err(fault(K::ExpectedFragment { tag }, at));
        }
        if length == UNDEFINED {
            return Err(fault(K::UndefinedFragment, at));
        }
        self.fits(frame, length, at, Part::Fragment)?;
        if self.source.skip(u64::from(length))? != u64::from(length) {
            return Err(fault(K::FragmentTruncated, at));
        }
        Ok(Step::Next)
    }

    fn item_header(&mut self, frame: &Frame) -> Result<(u32, u32), ScanError> {
        let little = frame.little;
        let header = self.read(frame, 8)?;
        let tag = tag_at(header, little);
        let length = u32_at(header.get(4..).unwrap_or_default(), little);
        Ok((tag, length))
    }

    fn tag(&mut self, frame: &Frame) -> Result<u32, ScanError> {
        let little = frame.little;
        Ok(tag_at(self.read(frame, 4)?, little))
    }

    /// Where a part of `length` bytes starting here ends, if within `frame`.
    fn fits(&self, frame: &Frame, length: u32, at: u64, what: Part) -> Result<u64, ScanError> {
        let end = self.source.pos().saturating_add(u64::from(length));
        match frame.limit {
            Some(limit) if end > limit => Err(fault(
                K::PastEnd {
                    what,
                    length,
                    limit,
                },
                at,
            )),
            _ => Ok(end),
        }
    }

    /// `n` bytes of a header or value, which must end within `frame`.
    fn read(&mut self, frame: &Frame, n: usize) -> Result<&[u8], ScanError> {
        let pos = self.source.pos();
        if let Some(limit) = frame.limit {
            if pos.saturating_add(n as u64) > limit {
                return Err(fault(K::HeaderPastEnd, pos));
            }
        }
        self.source.read(n)
    }
}

/// A UID value as text: trailing NULs and spaces dropped, each byte that
/// is not ASCII shown as U+FFFD (as Python's `decode("ascii", "replace")`).
pub(crate) fn uid_text(value: &[u8]) -> String {
    let kept = value.len()
        - value
            .iter()
            .rev()
            .take_while(|b| matches!(b, 0 | b' '))
            .count();
    value
        .iter()
        .take(kept)
        .map(|&b| {
            if b.is_ascii() {
                char::from(b)
            } else {
                '\u{FFFD}'
            }
        })
        .collect()
}

pub(crate) fn pair(bytes: &[u8]) -> [u8; 2] {
    [
        bytes.first().copied().unwrap_or(0),
        bytes.get(1).copied().unwrap_or(0),
    ]
}

pub(crate) fn u16_at(bytes: &[u8], little: bool) -> u16 {
    let pair = pair(bytes);
    if little {
        u16::from_le_bytes(pair)
    } else {
        u16::from_be_bytes(pair)
    }
}

fn u32_at(bytes: &[u8], little: bool) -> u32 {
    let mut four = [0u8; 4];
    for (to, from) in four.iter_mut().zip(bytes) {
        *to = *from;
    }
    if little {
        u32::from_le_bytes(four)
    } else {
        u32::from_be_bytes(four)
    }
}

/// A tag: group then element, each in the data set's byte order.
pub(crate) fn tag_at(bytes: &[u8], little: bool) -> u32 {
    let group = u16_at(bytes, little);
    let element = u16_at(bytes.get(2..).unwrap_or_default(), little);
    u32::from(group) << 16 | u32::from(element)
}
