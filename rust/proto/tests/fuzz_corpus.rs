//! Replays the fuzzers' committed corpus (rust/proto/fuzz/corpus/<target>/)
//! through the same entry points the fuzz targets call, as an ordinary test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::PathBuf;

use fastdimse_proto::fuzzing;

fn replay(target: &str, entry: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut count = 0;
    for file in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = file.unwrap().path();
        let data = fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| entry(&data));
        assert!(outcome.is_ok(), "{} panicked", path.display());
        count += 1;
    }
    assert!(count > 0, "no corpus for {target} in {}", dir.display());
}

#[test]
fn framer_corpus() {
    replay("framer", fuzzing::framer);
}

#[test]
fn pdu_corpus() {
    replay("pdu", fuzzing::pdu);
}

#[test]
fn command_set_corpus() {
    replay("command_set", fuzzing::command_set);
}

#[test]
fn reassemble_corpus() {
    replay("reassemble", fuzzing::reassemble);
}

#[test]
fn roundtrip_corpus() {
    replay("roundtrip", fuzzing::roundtrip);
}

#[test]
fn scan_corpus() {
    replay("scan", fuzzing::scan);
}
