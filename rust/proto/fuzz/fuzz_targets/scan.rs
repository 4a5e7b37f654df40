//! cargo-fuzz target: see `fastdimse_proto::fuzzing::scan`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fastdimse_proto::fuzzing::scan(data));
