//! P-DATA-TF (PS3.8 9.3.5) and its presentation data value items.

/// The message control header of a PDV (PS3.8 E.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageControlHeader(pub u8);

impl MessageControlHeader {
    /// Bit 0: the fragment is part of a command set (else a data set).
    pub const fn is_command(self) -> bool {
        self.0 & 0x01 != 0
    }
    /// Bit 1: the fragment is the last of its command set or data set.
    pub const fn is_last(self) -> bool {
        self.0 & 0x02 != 0
    }
    pub const fn new(is_command: bool, is_last: bool) -> Self {
        MessageControlHeader(is_command as u8 | (is_last as u8) << 1)
    }
}

/// One presentation data value item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdv {
    pub context_id: u8,
    pub control: MessageControlHeader,
    pub data: Vec<u8>,
}

/// A whole P-DATA-TF, for the per-PDU view and tests.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PDataTf {
    pub pdvs: Vec<Pdv>,
}
