//! cargo-fuzz target: see `fastdimse_proto::fuzzing::pdu`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fastdimse_proto::fuzzing::pdu(data));
