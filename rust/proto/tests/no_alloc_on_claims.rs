#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Length fields the peer merely claims allocate nothing: a counting global
//! allocator (this file is its own test binary) measures what feeding
//! headers that claim 4 GB costs, to the receiver and to the data set scan, and
//! what a data set received into memory holds around its cap. Each thread counts
//! its own allocations, so that a test counts none of the tests running beside it.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Cursor, Write};
use std::sync::Mutex;

use common::receiver;
use fastdimse_proto::receiver::{DataSet, Event, Receiver, ReceiverConfig};
use fastdimse_proto::scan;
use fastdimse_proto::LocalMaxPdu;
use flate2::write::DeflateEncoder;
use flate2::Compression;

/// Counts every byte requested from the system allocator, and every byte given back.
struct Counting;

// Per thread: the test harness runs other tests (and their allocations) on other
// threads at the same time, which a process-wide count would include.
thread_local! {
    static ALLOCATED: Cell<usize> = const { Cell::new(0) };
    static FREED: Cell<usize> = const { Cell::new(0) };
}
static SERIAL: Mutex<()> = Mutex::new(());

// SAFETY: forwards to `System` unchanged; only adds a counter.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(&ALLOCATED, layout.size());
        // SAFETY: the caller upholds `alloc`'s contract, passed on as is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(&FREED, layout.size());
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(&ALLOCATED, new_size);
        add(&FREED, layout.size());
        // SAFETY: as for `alloc` and `dealloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Adds `bytes` to this thread's `counter`; nothing once the thread's locals are gone.
fn add(counter: &'static std::thread::LocalKey<Cell<usize>>, bytes: usize) {
    let _ = counter.try_with(|count| count.set(count.get().wrapping_add(bytes)));
}

/// Bytes this thread has asked the allocator for so far.
fn allocated() -> usize {
    ALLOCATED.with(Cell::get)
}

const BUDGET: usize = 256 * 1024;

/// Bytes allocated while feeding `stream` to a new receiver in 1 KiB reads.
fn allocated_while_feeding(config: ReceiverConfig, stream: &[u8]) -> usize {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = allocated();
    let mut receiver = Receiver::new(config);
    for piece in stream.chunks(1024) {
        receiver.feed(piece).unwrap();
    }
    assert!(receiver.partial_pdu_pending());
    let err = receiver.finish().unwrap_err();
    assert!(err.is_truncation(), "{err}");
    drop(receiver);
    allocated() - before
}

fn unlimited() -> ReceiverConfig {
    ReceiverConfig {
        local_max_pdu: LocalMaxPdu(0),
        ..ReceiverConfig::default()
    }
}

#[test]
fn pdata_claiming_4_gb_allocates_nothing_for_the_claim() {
    let stream = [0x04, 0x00, 0xFF, 0xFF, 0xFF, 0xFF];
    let used = allocated_while_feeding(unlimited(), &stream);
    assert!(used < BUDGET, "{used} bytes allocated");
}

#[test]
fn pdv_claiming_4_gb_allocates_nothing_for_the_claim() {
    // A P-DATA-TF claiming 4 GB whose first PDV (a command fragment)
    // claims nearly all of it, followed by 16 KiB of that fragment.
    let mut stream = vec![0x04, 0x00, 0xFF, 0xFF, 0xFF, 0xFF];
    stream.extend(0xFFFF_FFFBu32.to_be_bytes());
    stream.extend([0x01, 0x01]);
    stream.extend(vec![0u8; 16 * 1024]);
    let used = allocated_while_feeding(unlimited(), &stream);
    assert!(used < BUDGET, "{used} bytes allocated");
}

#[test]
fn associate_rq_claims_are_refused_or_buffered_as_they_arrive() {
    // Over the cap: refused from the header.
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = allocated();
    let mut receiver = Receiver::new(ReceiverConfig::default());
    assert!(receiver
        .feed(&[0x01, 0x00, 0xFF, 0xFF, 0xFF, 0xFF])
        .is_err());
    drop(receiver);
    let used = allocated() - before;
    assert!(used < BUDGET, "{used} bytes allocated");
    drop(_serial);

    // Allowed up to 4 GB: still only what arrives (and a bounded reserve).
    let config = ReceiverConfig {
        max_associate_pdu: u32::MAX,
        ..ReceiverConfig::default()
    };
    let mut stream = vec![0x01, 0x00, 0xFF, 0xFF, 0xFF, 0xFF];
    stream.extend(vec![0u8; 8 * 1024]);
    let used = allocated_while_feeding(config, &stream);
    assert!(used < BUDGET, "{used} bytes allocated");
}

/// Bytes allocated while `work` runs, alone.
fn allocated_during<T>(work: impl FnOnce() -> T) -> (usize, T) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = allocated();
    let out = work();
    (allocated() - before, out)
}

/// An explicit VR little endian OB header claiming `length`, after the
/// SOP Instance UID.
fn ob_claiming(length: u32) -> Vec<u8> {
    let mut data = b"\x08\x00\x18\x00UI\x06\x001.2.3\0".to_vec();
    data.extend(b"\xe0\x7f\x10\x00OB\0\0");
    data.extend(length.to_le_bytes());
    data
}

#[test]
fn scan_of_a_value_claiming_4_gb_allocates_nothing_for_it() {
    let data = ob_claiming(0xFFFF_FFFE);
    for syntax in ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"] {
        let (used, result) = allocated_during(|| scan::scan_bytes(&data, Some(syntax)));
        assert!(result.is_err());
        assert!(used < BUDGET, "{used} bytes allocated");
        let reader = Cursor::new(data.as_slice());
        let (used, result) = allocated_during(|| scan::scan_reader(reader, 0, Some(syntax)));
        assert!(result.is_err());
        assert!(used < BUDGET, "{used} bytes allocated");
    }
}

#[test]
fn scan_of_a_deflated_data_set_inflates_in_bounded_chunks() {
    // 64 MB of pixel data deflated to a few tens of KB, and a deflated claim
    // of 4 GB that the stream does not hold.
    let value = 64 << 20;
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(&ob_claiming(value)).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..value >> 20 {
        encoder.write_all(&zeros).unwrap();
    }
    let compressed = encoder.finish().unwrap();
    let deflated = Some("1.2.840.10008.1.2.1.99");
    let (used, result) = allocated_during(|| scan::scan_bytes(&compressed, deflated));
    let result = result.unwrap();
    assert_eq!(result.data_set_length, u64::from(value) + 26);
    assert!(used < BUDGET, "{used} bytes allocated");

    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(&ob_claiming(0xFFFF_FFFE)).unwrap();
    encoder.write_all(&zeros).unwrap();
    let compressed = encoder.finish().unwrap();
    let (used, result) = allocated_during(|| scan::scan_bytes(&compressed, deflated));
    assert!(result.is_err());
    assert!(used < BUDGET, "{used} bytes allocated");
}

/// Bytes this thread allocated and has not freed yet: negative when it freed what
/// another thread allocated.
fn live() -> isize {
    (allocated() as isize).wrapping_sub(FREED.with(Cell::get) as isize)
}

/// Bytes held now beyond `before` (a `live()` reading), 0 if fewer.
fn held_since(before: isize) -> usize {
    usize::try_from(live().wrapping_sub(before)).unwrap_or(0)
}

/// A C-FIND-RQ and its identifier of `length` bytes, one 16376-byte PDV to a P-DATA-TF.
fn c_find_stream(length: usize) -> Vec<u8> {
    let data = vec![0x5Au8; length];
    receiver::message_stream(1, &receiver::c_find_rq(1), &data, 16376, 1)
}

/// Feeds `stream` in 16 KiB reads (all but its last byte); returns the most bytes held
/// live after any read, what is held after the last of them, and the one message's data
/// set once the last byte is fed.
fn held_while_receiving(limit: u64, stream: &[u8]) -> (usize, usize, Option<DataSet>) {
    let config = ReceiverConfig {
        max_memory_data_set: limit,
        ..ReceiverConfig::default()
    };
    let (head, last) = stream.split_at(stream.len() - 1);
    let mut receiver = Receiver::new(config);
    let before = live();
    let mut most = 0;
    for piece in head.chunks(16 * 1024) {
        receiver.feed(piece).unwrap();
        most = most.max(held_since(before));
    }
    let after = held_since(before);
    assert!(receiver.message_pending() && !receiver.has_events());
    receiver.feed(last).unwrap();
    match receiver.next_event() {
        Some(Event::Message(message)) => (most, after, message.data_set),
        other => panic!("a message expected, got {other:?}"),
    }
}

#[test]
fn a_data_set_over_the_memory_cap_is_freed_when_it_passes_the_cap() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    const MIB: usize = 1024 * 1024;
    // 8 MiB against a 1 MiB cap: never more than the cap held, and once it is passed
    // (long before the message ends) nothing of the data set is.
    let (most, after, data_set) = held_while_receiving(MIB as u64, &c_find_stream(8 * MIB));
    assert!(most <= MIB + BUDGET, "{most} bytes held at most");
    assert!(
        after < BUDGET,
        "{after} bytes still held after the cap was passed"
    );
    assert!(matches!(
        data_set,
        Some(DataSet::TooLarge { limit, length }) if limit == MIB as u64 && length == 8 * MIB as u64
    ));
    // Exactly at the cap in 16376-byte fragments: the buffer's growth stops at the cap
    // (doubling would take it to 2 MiB).
    let (most, _, data_set) = held_while_receiving(MIB as u64, &c_find_stream(MIB));
    assert!(most <= MIB + BUDGET, "{most} bytes held at most");
    // And the count sees what is held: the data set, nearly whole before its last byte.
    assert!(most >= MIB - BUDGET, "{most} bytes held at most");
    assert!(matches!(data_set, Some(DataSet::Memory(bytes)) if bytes.len() == MIB));
}
