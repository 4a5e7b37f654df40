//! fastdimse-proto: the DICOM Upper Layer (PS3.8) and DIMSE (PS3.7) codec,
//! sans-IO. Bytes in, typed events out; typed values in, bytes out. It opens
//! no socket or file, starts no thread, reads no clock and decides no policy.
#![forbid(unsafe_code)]

pub mod codec;
pub mod dimse;
pub mod error;
pub mod fragment;
#[doc(hidden)]
pub mod fuzzing;
pub mod limits;
pub mod pdu;
pub mod receiver;
pub mod scan;
pub mod text;

pub use error::{Answer, DecodeError, EncodeError, ErrorKind};
pub use limits::{DecodeOptions, LocalMaxPdu, PeerMaxPdu};
