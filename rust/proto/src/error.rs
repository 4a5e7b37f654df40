//! Typed errors. Every decode error names the field and the offset where it
//! was found and carries the protocol answer a state table would send by
//! default; the state table (in Python) knows role and state and decides.

use std::fmt;

/// A-ABORT source (PS3.8 9.3.8): the service user or the service provider.
pub const ABORT_SOURCE_USER: u8 = 0;
pub const ABORT_SOURCE_PROVIDER: u8 = 2;

/// A-ABORT reasons when the source is the service provider (PS3.8 9.3.8).
pub mod abort_reason {
    pub const NOT_SPECIFIED: u8 = 0;
    pub const UNRECOGNIZED_PDU: u8 = 1;
    pub const UNEXPECTED_PDU: u8 = 2;
    pub const UNRECOGNIZED_PDU_PARAMETER: u8 = 4;
    pub const UNEXPECTED_PDU_PARAMETER: u8 = 5;
    pub const INVALID_PDU_PARAMETER_VALUE: u8 = 6;
}

/// A-ASSOCIATE-RJ fields (PS3.8 9.3.4).
pub mod reject {
    pub const RESULT_PERMANENT: u8 = 1;
    pub const RESULT_TRANSIENT: u8 = 2;
    pub const SOURCE_SERVICE_USER: u8 = 1;
    pub const SOURCE_ACSE: u8 = 2;
    pub const SOURCE_PRESENTATION: u8 = 3;
    /// Reasons when the source is the service user.
    pub const USER_NO_REASON: u8 = 1;
    pub const USER_APPLICATION_CONTEXT_NOT_SUPPORTED: u8 = 2;
    pub const USER_CALLING_AE_NOT_RECOGNIZED: u8 = 3;
    pub const USER_CALLED_AE_NOT_RECOGNIZED: u8 = 7;
    /// Reasons when the source is the ACSE service provider.
    pub const ACSE_NO_REASON: u8 = 1;
    pub const ACSE_PROTOCOL_VERSION_NOT_SUPPORTED: u8 = 2;
    /// Reasons when the source is the presentation service provider.
    pub const PRESENTATION_TEMPORARY_CONGESTION: u8 = 1;
    pub const PRESENTATION_LOCAL_LIMIT_EXCEEDED: u8 = 2;
}

/// DIMSE status "Unrecognized operation" (PS3.7 Annex C): the default answer
/// to a command set whose Command Field we do not know.
pub const STATUS_UNRECOGNIZED_OPERATION: u16 = 0x0211;

/// What the protocol would answer by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Answer {
    /// Send A-ABORT with this source and reason.
    Abort { source: u8, reason: u8 },
    /// Send A-ASSOCIATE-RJ with this result, source and reason.
    Reject { result: u8, source: u8, reason: u8 },
    /// Answer the message with this DIMSE failure status.
    Status(u16),
}

impl Answer {
    /// A-ABORT from the service provider with the given reason.
    pub const fn provider_abort(reason: u8) -> Self {
        Answer::Abort {
            source: ABORT_SOURCE_PROVIDER,
            reason,
        }
    }
}

/// What went wrong while decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// A length field claims more bytes than its parent holds (inside a
    /// complete PDU or command set: malformed, not "need more").
    LengthOverflow { claimed: u64, available: u64 },
    /// A length field is too small for the fixed part it must contain.
    LengthTooShort { claimed: u64, minimum: u64 },
    /// Bytes left over after the last field of an item.
    TrailingBytes { count: u64 },
    /// A PDU type this standard does not define.
    UnknownPduType(u8),
    /// An item type not allowed at this place (and not a user-information
    /// sub-item, which is kept raw instead).
    UnknownItemType(u8),
    /// A mandatory item or element is absent.
    Missing,
    /// An item or element that may occur once occurs again.
    Duplicate,
    /// A value outside what the field allows (an even presentation context
    /// ID, a VR of the wrong size, an unknown message control header bit...).
    InvalidValue,
    /// Text that is not in the allowed repertoire (AE titles, UIDs).
    InvalidText,
    /// A UID that breaks PS3.5 9.1 while conformance is enforced.
    NonConformantUid,
    /// A length beyond one of our limits (maximum PDU, A-ASSOCIATE cap,
    /// 64-character UID...), detected before anything is allocated.
    LimitExceeded { limit: u64, claimed: u64 },
    /// A Command Field value no DIMSE service defines.
    UnknownCommandField(u16),
    /// A P-DATA rule broken (data set before its command, presentation
    /// context changed inside a message, data set where the command says none...).
    MessageSequence,
    /// The stream ended inside a PDU.
    Truncated { missing: u64 },
}

impl ErrorKind {
    /// The variant's name, stable across versions: the hostile corpus and
    /// the Python exceptions use it.
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::LengthOverflow { .. } => "LengthOverflow",
            ErrorKind::LengthTooShort { .. } => "LengthTooShort",
            ErrorKind::TrailingBytes { .. } => "TrailingBytes",
            ErrorKind::UnknownPduType(_) => "UnknownPduType",
            ErrorKind::UnknownItemType(_) => "UnknownItemType",
            ErrorKind::Missing => "Missing",
            ErrorKind::Duplicate => "Duplicate",
            ErrorKind::InvalidValue => "InvalidValue",
            ErrorKind::InvalidText => "InvalidText",
            ErrorKind::NonConformantUid => "NonConformantUid",
            ErrorKind::LimitExceeded { .. } => "LimitExceeded",
            ErrorKind::UnknownCommandField(_) => "UnknownCommandField",
            ErrorKind::MessageSequence => "MessageSequence",
            ErrorKind::Truncated { .. } => "Truncated",
        }
    }
}

/// A decode failure: what, in which field, where, and the default answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub kind: ErrorKind,
    /// The field or item, in the standard's words, e.g. "A-ASSOCIATE-RQ/Called-AE-title".
    pub field: &'static str,
    /// Byte offset of the field from the start of the PDU (or of the command
    /// set, or of the stream for framer errors).
    pub offset: u64,
    pub answer: Answer,
}

impl DecodeError {
    /// An error with the default answer for its kind.
    pub fn new(kind: ErrorKind, field: &'static str, offset: u64) -> Self {
        let answer = default_answer(&kind);
        DecodeError {
            kind,
            field,
            offset,
            answer,
        }
    }

    /// Replaces the default answer (e.g. an A-ASSOCIATE-RJ for an RQ error).
    pub fn with_answer(mut self, answer: Answer) -> Self {
        self.answer = answer;
        self
    }

    /// Shifts the offset, for errors found in a nested buffer.
    pub fn shifted(mut self, by: u64) -> Self {
        self.offset = self.offset.saturating_add(by);
        self
    }

    /// True when more bytes could have completed the input (end of stream
    /// inside a PDU), as opposed to input that can never decode.
    pub fn is_truncation(&self) -> bool {
        matches!(self.kind, ErrorKind::Truncated { .. })
    }
}

fn default_answer(kind: &ErrorKind) -> Answer {
    use abort_reason::*;
    match kind {
        ErrorKind::UnknownPduType(_) => Answer::provider_abort(UNRECOGNIZED_PDU),
        ErrorKind::UnknownItemType(_) => Answer::provider_abort(UNRECOGNIZED_PDU_PARAMETER),
        ErrorKind::Duplicate | ErrorKind::MessageSequence => {
            Answer::provider_abort(UNEXPECTED_PDU_PARAMETER)
        }
        ErrorKind::UnknownCommandField(_) => Answer::Status(STATUS_UNRECOGNIZED_OPERATION),
        ErrorKind::Truncated { .. } => Answer::provider_abort(NOT_SPECIFIED),
        _ => Answer::provider_abort(INVALID_PDU_PARAMETER_VALUE),
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::LengthOverflow { claimed, available } => write!(
                f,
                "length {claimed} is more than the {available} bytes available"
            ),
            ErrorKind::LengthTooShort { claimed, minimum } => {
                write!(f, "length {claimed} is less than the minimum {minimum}")
            }
            ErrorKind::TrailingBytes { count } => write!(f, "{count} unexpected trailing bytes"),
            ErrorKind::UnknownPduType(t) => write!(f, "unknown PDU type 0x{t:02X}"),
            ErrorKind::UnknownItemType(t) => write!(f, "unexpected item type 0x{t:02X}"),
            ErrorKind::Missing => f.write_str("mandatory item or element missing"),
            ErrorKind::Duplicate => f.write_str("item or element duplicated"),
            ErrorKind::InvalidValue => f.write_str("invalid value"),
            ErrorKind::InvalidText => f.write_str("characters outside the allowed repertoire"),
            ErrorKind::NonConformantUid => f.write_str("UID does not conform to PS3.5 9.1"),
            ErrorKind::LimitExceeded { limit, claimed } => {
                write!(f, "length {claimed} exceeds the limit of {limit}")
            }
            ErrorKind::UnknownCommandField(v) => write!(f, "unknown Command Field 0x{v:04X}"),
            ErrorKind::MessageSequence => f.write_str("P-DATA message sequence rule broken"),
            ErrorKind::Truncated { missing } => {
                write!(f, "stream ended with {missing} bytes of a PDU missing")
            }
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} (at offset {})",
            self.field, self.kind, self.offset
        )
    }
}

impl std::error::Error for DecodeError {}

/// An encode failure: a value that cannot be put on the wire as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError {
    /// The field, in the standard's words.
    pub field: &'static str,
    pub reason: EncodeErrorReason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeErrorReason {
    /// The value is longer than the field or its length field allows.
    TooLong { length: u64, limit: u64 },
    /// Characters the field's repertoire does not allow.
    InvalidText,
    /// A value the field does not allow (e.g. an even presentation context ID).
    InvalidValue,
    /// Reading the data set to send failed.
    Source(std::io::ErrorKind),
}

impl EncodeError {
    pub fn new(field: &'static str, reason: EncodeErrorReason) -> Self {
        EncodeError { field, reason }
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            EncodeErrorReason::TooLong { length, limit } => write!(
                f,
                "{}: length {length} exceeds the limit of {limit}",
                self.field
            ),
            EncodeErrorReason::InvalidText => {
                write!(
                    f,
                    "{}: characters outside the allowed repertoire",
                    self.field
                )
            }
            EncodeErrorReason::InvalidValue => write!(f, "{}: invalid value", self.field),
            EncodeErrorReason::Source(kind) => {
                write!(f, "{}: reading the data set failed: {kind}", self.field)
            }
        }
    }
}

impl std::error::Error for EncodeError {}
