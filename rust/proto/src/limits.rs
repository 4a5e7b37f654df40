//! Named limits, and the two maximum PDU lengths as separate types.
//!
//! *Our* maximum (what we advertise and accept) and the *peer's* (what we
//! may send) are different types so that one cannot be passed for the other.

/// Default cap on an A-ASSOCIATE-RQ/AC/RJ PDU body, as DCMTK's.
pub const DEFAULT_MAX_ASSOCIATE_PDU: u32 = 1024 * 1024;

/// Default cap on a data set the receiver holds in memory (a C-FIND or
/// C-GET/C-MOVE identifier, an N-service attribute list, any response's
/// data set): a query is a few KiB, so this leaves room without letting a
/// peer make us hold whatever it sends. Data sets the caller sends to a
/// writer (C-STORE's, spooled to a file) are not capped.
pub const DEFAULT_MAX_MEMORY_DATA_SET: u64 = 1024 * 1024;

/// The PDU header: type (1), reserved (1), length (4).
pub const PDU_HEADER_LEN: usize = 6;

/// A PDV item header: length (4), presentation context ID (1), message control header (1).
pub const PDV_HEADER_LEN: usize = 6;

/// A-RELEASE-RQ/RP and A-ABORT bodies are 4 bytes; A-ASSOCIATE-RJ's too.
pub const FIXED_PDU_BODY_LEN: u32 = 4;

/// Longest UID (PS3.5 9.1).
pub const MAX_UID_LEN: usize = 64;

/// AE titles are 16 bytes on the wire.
pub const AE_TITLE_LEN: usize = 16;

/// The largest P-DATA-TF body we accept; 0 advertises "no limit".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LocalMaxPdu(pub u32);

/// The largest P-DATA-TF body the peer accepts; 0 means "no limit".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerMaxPdu(pub u32);

impl LocalMaxPdu {
    /// pynetdicom's default.
    pub const DEFAULT: LocalMaxPdu = LocalMaxPdu(16382);

    /// Whether a P-DATA-TF body of `len` bytes is within what we advertised.
    pub fn accepts(self, len: u32) -> bool {
        self.0 == 0 || len <= self.0
    }
}

impl PeerMaxPdu {
    /// The largest P-DATA-TF body we may send, if limited.
    pub fn limit(self) -> Option<u32> {
        (self.0 != 0).then_some(self.0)
    }
}

/// Decoding choices that are parameters, not hard-coded policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecodeOptions {
    /// Check UIDs against PS3.5 9.1 beyond their length (pynetdicom's
    /// `_config.ENFORCE_UID_CONFORMANCE`, off by default).
    pub enforce_uid_conformance: bool,
}
