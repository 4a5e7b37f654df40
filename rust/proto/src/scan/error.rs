//! What a scan can find wrong: a malformed data set (with the offset where
//! it was found), or a failed read of the file.

use std::fmt;
use std::io;

/// A structural fault, in the words the Python scanner used (the binding
/// raises `DataSetError` with this message and offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataSetErrorKind {
    /// The offset given is past the end of the file.
    OffsetOutsideFile,
    /// No "DICM" after the 128-byte preamble.
    NoDicmPrefix,
    MetaOutOfOrder {
        tag: u32,
    },
    MetaUnknownVr {
        tag: u32,
        vr: [u8; 2],
    },
    /// A File Meta value longer than `MAX_META_VALUE`.
    MetaValueTooLong {
        tag: u32,
        length: u32,
    },
    NoTransferSyntax,
    /// Fewer bytes than a read needs before the end of the input.
    Truncated {
        wanted: u64,
        left: u64,
    },
    /// A header that would cross the end of its item, sequence or file.
    HeaderPastEnd,
    /// A defined-length item or sequence whose contents run past its end.
    Overrun,
    TooDeep,
    /// An item or delimiter where an element must be.
    Unexpected {
        tag: u32,
    },
    TagOrder {
        tag: u32,
        previous: u32,
    },
    UnknownVr {
        tag: u32,
        vr: [u8; 2],
    },
    /// A value, item or fragment longer than what holds it.
    PastEnd {
        what: Part,
        length: u32,
        limit: u64,
    },
    ElementTruncated {
        tag: u32,
    },
    ExpectedItem {
        tag: u32,
    },
    ExpectedFragment {
        tag: u32,
    },
    UndefinedFragment,
    FragmentTruncated,
    /// The deflate stream is corrupt (the inflater's reason).
    Inflate(String),
    /// The deflate stream ends before its last block.
    InflateTruncated,
}

/// What a `PastEnd` length belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Element(u32),
    Item,
    Fragment,
}

impl DataSetErrorKind {
    /// The variant's name, stable across versions.
    pub fn name(&self) -> &'static str {
        use DataSetErrorKind as K;
        match self {
            K::OffsetOutsideFile => "OffsetOutsideFile",
            K::NoDicmPrefix => "NoDicmPrefix",
            K::MetaOutOfOrder { .. } => "MetaOutOfOrder",
            K::MetaUnknownVr { .. } => "MetaUnknownVr",
            K::MetaValueTooLong { .. } => "MetaValueTooLong",
            K::NoTransferSyntax => "NoTransferSyntax",
            K::Truncated { .. } => "Truncated",
            K::HeaderPastEnd => "HeaderPastEnd",
            K::Overrun => "Overrun",
            K::TooDeep => "TooDeep",
            K::Unexpected { .. } => "Unexpected",
            K::TagOrder { .. } => "TagOrder",
            K::UnknownVr { .. } => "UnknownVr",
            K::PastEnd { .. } => "PastEnd",
            K::ElementTruncated { .. } => "ElementTruncated",
            K::ExpectedItem { .. } => "ExpectedItem",
            K::ExpectedFragment { .. } => "ExpectedFragment",
            K::UndefinedFragment => "UndefinedFragment",
            K::FragmentTruncated => "FragmentTruncated",
            K::Inflate(_) => "Inflate",
            K::InflateTruncated => "InflateTruncated",
        }
    }
}

/// A malformed data set: what, and where (in the file or buffer, or in
/// the inflated data set for a deflated transfer syntax).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSetError {
    pub kind: DataSetErrorKind,
    pub offset: u64,
}

impl DataSetError {
    pub fn new(kind: DataSetErrorKind, offset: u64) -> Self {
        DataSetError { kind, offset }
    }
}

/// Why a scan failed.
#[derive(Debug)]
pub enum ScanError {
    DataSet(DataSetError),
    /// Reading the file failed (not a fault of the data set).
    Io(io::Error),
}

impl From<DataSetError> for ScanError {
    fn from(err: DataSetError) -> Self {
        ScanError::DataSet(err)
    }
}

impl From<io::Error> for ScanError {
    fn from(err: io::Error) -> Self {
        ScanError::Io(err)
    }
}

/// "(gggg,eeee)".
pub struct Tag(pub u32);

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({:04X},{:04X})", self.0 >> 16, self.0 & 0xFFFF)
    }
}

/// A VR as Python's `repr(bytes)` shows it, as the Python scanner did.
struct Vr([u8; 2]);

impl fmt::Display for Vr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quote = if self.0.contains(&b'\'') && !self.0.contains(&b'"') {
            '"'
        } else {
            '\''
        };
        write!(f, "b{quote}")?;
        for &byte in &self.0 {
            match byte {
                b'\\' => f.write_str("\\\\")?,
                b'\t' => f.write_str("\\t")?,
                b'\n' => f.write_str("\\n")?,
                b'\r' => f.write_str("\\r")?,
                _ if char::from(byte) == quote => write!(f, "\\{quote}")?,
                0x20..=0x7E => write!(f, "{}", char::from(byte))?,
                _ => write!(f, "\\x{byte:02x}")?,
            }
        }
        write!(f, "{quote}")
    }
}

impl fmt::Display for DataSetErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DataSetErrorKind as K;
        match self {
            K::OffsetOutsideFile => f.write_str("offset outside the file"),
            K::NoDicmPrefix => f.write_str("no DICM prefix after the 128-byte preamble"),
            K::MetaOutOfOrder { tag } => write!(f, "File Meta tag {} out of order", Tag(*tag)),
            K::MetaUnknownVr { tag, vr } => write!(
                f,
                "File Meta element {} has unknown VR {}",
                Tag(*tag),
                Vr(*vr)
            ),
            K::MetaValueTooLong { tag, length } => {
                write!(f, "File Meta element {} is {length} bytes long", Tag(*tag))
            }
            K::NoTransferSyntax => f.write_str("File Meta Information has no Transfer Syntax UID"),
            K::Truncated { wanted, left } => {
                write!(f, "truncated: {wanted} bytes wanted, {left} left")
            }
            K::HeaderPastEnd => f.write_str("truncated: an element header runs past its end"),
            K::Overrun => f.write_str("contents overrun their defined length"),
            K::TooDeep => f.write_str("sequences nested too deeply"),
            K::Unexpected { tag } => write!(f, "unexpected {} in a data set", Tag(*tag)),
            K::TagOrder { tag, previous } => {
                write!(f, "tag {} does not follow {}", Tag(*tag), Tag(*previous))
            }
            K::UnknownVr { tag, vr } => {
                write!(f, "element {} has unknown VR {}", Tag(*tag), Vr(*vr))
            }
            K::PastEnd {
                what,
                length,
                limit,
            } => {
                match what {
                    Part::Element(tag) => write!(f, "element {}", Tag(*tag))?,
                    Part::Item => f.write_str("item")?,
                    Part::Fragment => f.write_str("fragment")?,
                }
                write!(f, " of {length} bytes runs past its end ({limit})")
            }
            K::ElementTruncated { tag } => write!(f, "element {} is truncated", Tag(*tag)),
            K::ExpectedItem { tag } => write!(f, "expected an item, found {}", Tag(*tag)),
            K::ExpectedFragment { tag } => write!(f, "expected a fragment, found {}", Tag(*tag)),
            K::UndefinedFragment => f.write_str("fragment of undefined length"),
            K::FragmentTruncated => f.write_str("fragment is truncated"),
            K::Inflate(reason) => write!(f, "deflated data set does not inflate: {reason}"),
            K::InflateTruncated => f.write_str("deflated data set is truncated"),
        }
    }
}

impl fmt::Display for DataSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at offset {})", self.kind, self.offset)
    }
}

impl std::error::Error for DataSetError {}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScanError::DataSet(err) => err.fmt(f),
            ScanError::Io(err) => write!(f, "reading the data set failed: {err}"),
        }
    }
}

impl std::error::Error for ScanError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ScanError::DataSet(err) => Some(err),
            ScanError::Io(err) => Some(err),
        }
    }
}
