//! Helpers shared by the integration tests: one module per family of tests. Each test crate
//! compiles all of them and uses some.
#![allow(dead_code)]

pub mod dimse;
pub mod pdu;
pub mod receiver;
