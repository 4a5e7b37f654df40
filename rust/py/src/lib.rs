//! fastdimse._core: the thin PyO3 binding of fastdimse-proto. Conversions
//! only; every protocol rule lives in the proto crate.

mod buffers;
mod command;
mod errors;
mod fd;
mod pdu;
mod receiver;
mod repr;
mod scan;
mod sender;
mod socket_read;
mod user_items;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("READ_SIZE", socket_read::READ_SIZE)?;
    pdu::register(m)?;
    command::register(m)?;
    receiver::register(m)?;
    scan::register(m)?;
    sender::register(m)
}
