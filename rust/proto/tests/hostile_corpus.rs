#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Replays the named hostile corpus (tests/corpus/hostile, written by
//! tests/corpus/make_hostile.py) through every entry point: `decode_pdu`,
//! `decode_command_set`, and `Receiver` fed in one piece and one byte at a
//! time, then finished. Each entry's outcome (`ok` or `ErrorKind::name()`)
//! must match the manifest, and nothing may panic. All mismatches are
//! reported at once.

use std::cell::RefCell;
use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use fastdimse_proto::dimse::decode_command_set;
use fastdimse_proto::pdu::decode_pdu;
use fastdimse_proto::receiver::{Receiver, ReceiverConfig};
use fastdimse_proto::{DecodeError, DecodeOptions, LocalMaxPdu};

struct Entry {
    name: String,
    entry: String,
    local_max_pdu: u32,
    expect: String,
}

#[test]
fn hostile_corpus_matches_manifest() {
    let dir = corpus_dir();
    let entries = read_manifest(&dir);
    assert!(entries.len() > 1000, "corpus unexpectedly small");
    silence_panics();
    let mut failures = Vec::new();
    for entry in &entries {
        let data = fs::read(dir.join(format!("{}.bin", entry.name))).unwrap();
        for (how, outcome) in run_entry(entry, &data) {
            if outcome != entry.expect {
                failures.push(format!(
                    "{} ({how}): expected {}, got {outcome}",
                    entry.name, entry.expect
                ));
            }
        }
    }
    restore_panics();
    assert!(
        failures.is_empty(),
        "{} of {} corpus runs differ:\n{}",
        failures.len(),
        entries.len(),
        failures.join("\n")
    );
}

#[test]
fn every_corpus_file_is_in_the_manifest() {
    let dir = corpus_dir();
    let names: Vec<String> = read_manifest(&dir).into_iter().map(|e| e.name).collect();
    for file in fs::read_dir(&dir).unwrap() {
        let file_name = file.unwrap().file_name().into_string().unwrap();
        if let Some(name) = file_name.strip_suffix(".bin") {
            assert!(
                names.iter().any(|n| n == name),
                "{file_name} not in MANIFEST.tsv"
            );
        }
    }
}

/// tests/corpus/hostile, found by walking up from this crate.
fn corpus_dir() -> PathBuf {
    let start = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    start
        .ancestors()
        .map(|dir| dir.join("tests/corpus/hostile"))
        .find(|dir| dir.join("MANIFEST.tsv").is_file())
        .expect("tests/corpus/hostile/MANIFEST.tsv above CARGO_MANIFEST_DIR")
}

fn read_manifest(dir: &Path) -> Vec<Entry> {
    let text = fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let mut lines = text.lines();
    // Columns by name: the Python tests read further ones (the answers expected
    // from a server in Sta2 and Sta6) that this decoder test does not need.
    let header: Vec<&str> = lines.next().expect("a header line").split('\t').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|c| *c == name)
            .unwrap_or_else(|| panic!("no {name} column in {header:?}"))
    };
    let (name, entry, max_pdu, expect) = (
        column("name"),
        column("entry"),
        column("local_max_pdu"),
        column("expect"),
    );
    lines
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), header.len(), "bad manifest line: {line}");
            Entry {
                name: cols[name].to_owned(),
                entry: cols[entry].to_owned(),
                local_max_pdu: cols[max_pdu].parse().unwrap(),
                expect: cols[expect].to_owned(),
            }
        })
        .collect()
}

/// The outcome of each way of running the entry, labelled.
fn run_entry(entry: &Entry, data: &[u8]) -> Vec<(&'static str, String)> {
    let options = DecodeOptions::default();
    match entry.entry.as_str() {
        "pdu" => vec![(
            "decode_pdu",
            guarded(|| decode_pdu(data, &options).map(drop)),
        )],
        "command" => vec![(
            "decode_command_set",
            guarded(|| decode_command_set(data, &options).map(drop)),
        )],
        "stream" => {
            let config = ReceiverConfig {
                local_max_pdu: LocalMaxPdu(entry.local_max_pdu),
                ..ReceiverConfig::default()
            };
            vec![
                (
                    "Receiver, one piece",
                    guarded(|| receive(config, std::iter::once(data))),
                ),
                (
                    "Receiver, byte by byte",
                    guarded(|| receive(config, data.chunks(1))),
                ),
            ]
        }
        other => panic!("{}: unknown entry point {other}", entry.name),
    }
}

/// Feeds the pieces, draining events as they come, then finishes.
fn receive<'a>(
    config: ReceiverConfig,
    pieces: impl Iterator<Item = &'a [u8]>,
) -> Result<(), DecodeError> {
    let mut receiver = Receiver::new(config);
    for piece in pieces {
        receiver.feed(piece)?;
        while receiver.next_event().is_some() {}
    }
    receiver.finish()
}

/// "ok", the error kind's name, or "panic at <location>: <message>" (a
/// panic is a finding, reported by name rather than aborting the run).
fn guarded(run: impl FnOnce() -> Result<(), DecodeError>) -> String {
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(Ok(())) => "ok".to_owned(),
        Ok(Err(err)) => err.kind.name().to_owned(),
        Err(_) => LAST_PANIC.with(|last| last.borrow_mut().take().unwrap_or_default()),
    }
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Records panics for `guarded` instead of printing a backtrace per entry.
/// The hook is process-wide; other tests' panics are still recorded, and
/// their failures still reported by the harness.
fn silence_panics() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        let text = format!("panic at {location}: {message}");
        LAST_PANIC.with(|last| *last.borrow_mut() = Some(text));
    }));
}

/// Puts the default hook back, so that the test's own failure is printed.
fn restore_panics() {
    drop(std::panic::take_hook());
}
