//! The PDUs (PS3.8 9.3) and their presentation context items as Python
//! classes, `decode_pdu`/`encode_pdu`, and conversions to and from
//! `proto::pdu::Pdu`. Values are checked when encoded, by the core.

use fastdimse_proto::limits::AE_TITLE_LEN;
use fastdimse_proto::pdu as proto;
use fastdimse_proto::pdu::{
    MessageControlHeader, UserInformation, UserItem, DICOM_APPLICATION_CONTEXT,
};
use fastdimse_proto::text::encode_ae_title;
use fastdimse_proto::DecodeOptions;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString};

use crate::buffers::InputBytes;
use crate::errors::OrRaise;
use crate::repr::fields_repr;
use crate::user_items;

/// A-ASSOCIATE-RQ (PS3.8 9.3.2).
#[pyclass(module = "fastdimse._core", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct AssociateRq(proto::AssociateRq);

#[pymethods]
impl AssociateRq {
    #[new]
    #[pyo3(signature = (called_ae_title, calling_ae_title, presentation_contexts, user_information, application_context = DICOM_APPLICATION_CONTEXT.to_owned(), protocol_version = 1))]
    fn new(
        called_ae_title: String,
        calling_ae_title: String,
        presentation_contexts: Vec<PresentationContextRq>,
        user_information: &Bound<'_, PyAny>,
        application_context: String,
        protocol_version: u16,
    ) -> PyResult<Self> {
        Ok(AssociateRq(proto::AssociateRq {
            protocol_version,
            called_ae_title,
            calling_ae_title,
            application_context,
            presentation_contexts: presentation_contexts.into_iter().map(|c| c.0).collect(),
            user_information: UserInformation {
                items: user_items::list_from_py(user_information)?,
            },
        }))
    }
    #[getter]
    fn called_ae_title(&self) -> &str {
        &self.0.called_ae_title
    }
    #[getter]
    fn calling_ae_title(&self) -> &str {
        &self.0.calling_ae_title
    }
    #[getter]
    fn application_context(&self) -> &str {
        &self.0.application_context
    }
    #[getter]
    fn protocol_version(&self) -> u16 {
        self.0.protocol_version
    }
    #[getter]
    fn presentation_contexts(&self) -> Vec<PresentationContextRq> {
        let contexts = self.0.presentation_contexts.iter().cloned();
        contexts.map(PresentationContextRq).collect()
    }
    #[getter]
    fn user_information<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        user_items_to_list(py, &self.0.user_information)
    }
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        encode_with(py, |out| self.0.encode(out))
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), ASSOCIATE_FIELDS)
    }
}

const ASSOCIATE_FIELDS: &[&str] = &[
    "called_ae_title",
    "calling_ae_title",
    "presentation_contexts",
    "user_information",
    "application_context",
    "protocol_version",
];

/// A-ASSOCIATE-AC (PS3.8 9.3.3). The AE title fields are reserved: they are
/// kept as the raw 16 bytes received (a str given here is space padded).
#[pyclass(module = "fastdimse._core", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct AssociateAc(proto::AssociateAc);

#[pymethods]
impl AssociateAc {
    #[new]
    #[pyo3(signature = (called_ae_title, calling_ae_title, presentation_contexts, user_information, application_context = DICOM_APPLICATION_CONTEXT.to_owned(), protocol_version = 1))]
    fn new(
        called_ae_title: &Bound<'_, PyAny>,
        calling_ae_title: &Bound<'_, PyAny>,
        presentation_contexts: Vec<PresentationContextAc>,
        user_information: &Bound<'_, PyAny>,
        application_context: String,
        protocol_version: u16,
    ) -> PyResult<Self> {
        Ok(AssociateAc(proto::AssociateAc {
            protocol_version,
            called_ae_title: reserved_ae_title(called_ae_title, "A-ASSOCIATE-AC/Called-AE-title")?,
            calling_ae_title: reserved_ae_title(
                calling_ae_title,
                "A-ASSOCIATE-AC/Calling-AE-title",
            )?,
            application_context,
            presentation_contexts: presentation_contexts.into_iter().map(|c| c.0).collect(),
            user_information: UserInformation {
                items: user_items::list_from_py(user_information)?,
            },
        }))
    }
    #[getter]
    fn called_ae_title<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.called_ae_title)
    }
    #[getter]
    fn calling_ae_title<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.calling_ae_title)
    }
    #[getter]
    fn application_context(&self) -> &str {
        &self.0.application_context
    }
    #[getter]
    fn protocol_version(&self) -> u16 {
        self.0.protocol_version
    }
    #[getter]
    fn presentation_contexts(&self) -> Vec<PresentationContextAc> {
        let contexts = self.0.presentation_contexts.iter().cloned();
        contexts.map(PresentationContextAc).collect()
    }
    #[getter]
    fn user_information<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        user_items_to_list(py, &self.0.user_information)
    }
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        encode_with(py, |out| self.0.encode(out))
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), ASSOCIATE_FIELDS)
    }
}

/// A-ASSOCIATE-RJ (PS3.8 9.3.4).
#[pyclass(module = "fastdimse._core", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct AssociateRj(proto::AssociateRj);

#[pymethods]
impl AssociateRj {
    #[new]
    fn new(result: u8, source: u8, reason: u8) -> Self {
        AssociateRj(proto::AssociateRj {
            result,
            source,
            reason,
        })
    }
    #[getter]
    fn result(&self) -> u8 {
        self.0.result
    }
    #[getter]
    fn source(&self) -> u8 {
        self.0.source
    }
    #[getter]
    fn reason(&self) -> u8 {
        self.0.reason
    }
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        encode_with(py, |out| proto::Pdu::AssociateRj(self.0).encode(out))
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), &["result", "source", "reason"])
    }
}

/// P-DATA-TF (PS3.8 9.3.5), whole: for the per-PDU view and for tests.
#[pyclass(module = "fastdimse._core", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct PDataTf(proto::PDataTf);

#[pymethods]
impl PDataTf {
    #[new]
    fn new(pdvs: Vec<Pdv>) -> Self {
        PDataTf(proto::PDataTf {
            pdvs: pdvs.into_iter().map(|pdv| pdv.0).collect(),
        })
    }
    #[getter]
    fn pdvs(&self) -> Vec<Pdv> {
        self.0.pdvs.iter().cloned().map(Pdv).collect()
    }
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        encode_with(py, |out| self.0.encode(out))
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), &["pdvs"])
    }
}

/// One presentation data value item of a P-DATA-TF.
#[pyclass(module = "fastdimse._core", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct Pdv(proto::Pdv);

#[pymethods]
impl Pdv {
    #[new]
    fn new(context_id: u8, is_command: bool, is_last: bool, data: Vec<u8>) -> Self {
        Pdv(proto::Pdv {
            context_id,
            control: MessageControlHeader::new(is_command, is_last),
            data,
        })
    }
    #[getter]
    fn context_id(&self) -> u8 {
        self.0.context_id
    }
    #[getter]
    fn is_command(&self) -> bool {
        self.0.control.is_command()
    }
    #[getter]
    fn is_last(&self) -> bool {
        self.0.control.is_last()
    }
    /// The message control header byte as received (PS3.8 E.2).
    #[getter]
    fn control(&self) -> u8 {
        self.0.control.0
    }
    #[getter]
    fn data<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.data)
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(
            slf.as_any(),
            &["context_id", "is_command", "is_last", "data"],
        )
    }
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let mut out = Vec::new();
        self.0.encode(&mut out).or_raise(py)?;
        Ok(PyBytes::new(py, &out))
    }
}

/// A-RELEASE-RQ (PS3.8 9.3.6).
#[pyclass(module = "fastdimse._core", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct ReleaseRq;

#[pymethods]
impl ReleaseRq {
    #[new]
    fn new() -> Self {
        ReleaseRq
    }
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        encode_with(py, |out| proto::Pdu::ReleaseRq.encode(out))
    }
    fn __repr__(&self) -> &'static str {
        "ReleaseRq()"
    }
}

/// A-RELEASE-RP (PS3.8 9.3.7).
#[pyclass(module = "fastdimse._core", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct ReleaseRp;

#[pymethods]
impl ReleaseRp {
    #[new]
    fn new() -> Self {
        ReleaseRp
    }
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        encode_with(py, |out| proto::Pdu::ReleaseRp.encode(out))
    }
    fn __repr__(&self) -> &'static str {
        "ReleaseRp()"
    }
}

/// A-ABORT (PS3.8 9.3.8).
#[pyclass(module = "fastdimse._core", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct Abort(proto::Abort);

#[pymethods]
impl Abort {
    #[new]
    fn new(source: u8, reason: u8) -> Self {
        Abort(proto::Abort { source, reason })
    }
    #[getter]
    fn source(&self) -> u8 {
        self.0.source
    }
    #[getter]
    fn reason(&self) -> u8 {
        self.0.reason
    }
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        encode_with(py, |out| proto::Pdu::Abort(self.0).encode(out))
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), &["source", "reason"])
    }
}

/// Presentation context item, RQ form (PS3.8 9.3.2.2).
#[pyclass(module = "fastdimse._core", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PresentationContextRq(proto::PresentationContextRq);

#[pymethods]
impl PresentationContextRq {
    #[new]
    fn new(id: u8, abstract_syntax: String, transfer_syntaxes: Vec<String>) -> Self {
        PresentationContextRq(proto::PresentationContextRq {
            id,
            abstract_syntax,
            transfer_syntaxes,
        })
    }
    #[getter]
    fn id(&self) -> u8 {
        self.0.id
    }
    #[getter]
    fn abstract_syntax(&self) -> &str {
        &self.0.abstract_syntax
    }
    #[getter]
    fn transfer_syntaxes(&self) -> Vec<String> {
        self.0.transfer_syntaxes.clone()
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(
            slf.as_any(),
            &["id", "abstract_syntax", "transfer_syntaxes"],
        )
    }
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let mut out = Vec::new();
        self.0.encode(&mut out).or_raise(py)?;
        Ok(PyBytes::new(py, &out))
    }
}

/// Presentation context item, AC form (PS3.8 9.3.3.2).
#[pyclass(module = "fastdimse._core", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PresentationContextAc(proto::PresentationContextAc);

#[pymethods]
impl PresentationContextAc {
    #[new]
    fn new(id: u8, result: u8, transfer_syntax: Option<String>) -> Self {
        PresentationContextAc(proto::PresentationContextAc {
            id,
            result,
            transfer_syntax,
        })
    }
    #[getter]
    fn id(&self) -> u8 {
        self.0.id
    }
    #[getter]
    fn result(&self) -> u8 {
        self.0.result
    }
    #[getter]
    fn transfer_syntax(&self) -> Option<&str> {
        self.0.transfer_syntax.as_deref()
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), &["id", "result", "transfer_syntax"])
    }
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let mut out = Vec::new();
        self.0.encode(&mut out).or_raise(py)?;
        Ok(PyBytes::new(py, &out))
    }
}

/// Decodes one whole PDU, header included.
#[pyfunction]
#[pyo3(signature = (data, *, enforce_uid_conformance = false))]
pub fn decode_pdu<'py>(
    data: &Bound<'py, PyAny>,
    enforce_uid_conformance: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let py = data.py();
    let input = InputBytes::from_py(data)?;
    let options = DecodeOptions {
        enforce_uid_conformance,
    };
    let pdu = proto::decode_pdu(input.as_slice(), &options).or_raise(py)?;
    to_py(py, pdu)
}

/// Encodes any PDU object; the same as `pdu.encode()`.
#[pyfunction]
pub fn encode_pdu<'py>(pdu: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    let py = pdu.py();
    // The large PDUs are encoded where they are; the rest are a few bytes.
    if let Ok(v) = pdu.cast::<AssociateRq>() {
        return encode_with(py, |out| v.get().0.encode(out));
    }
    if let Ok(v) = pdu.cast::<AssociateAc>() {
        return encode_with(py, |out| v.get().0.encode(out));
    }
    if let Ok(v) = pdu.cast::<PDataTf>() {
        return encode_with(py, |out| v.get().0.encode(out));
    }
    let small = small_pdu_from_py(pdu)?;
    encode_with(py, |out| small.encode(out))
}

/// The Python object for a PDU.
pub fn to_py(py: Python<'_>, pdu: proto::Pdu) -> PyResult<Bound<'_, PyAny>> {
    Ok(match pdu {
        proto::Pdu::AssociateRq(v) => Bound::new(py, AssociateRq(v))?.into_any(),
        proto::Pdu::AssociateAc(v) => Bound::new(py, AssociateAc(v))?.into_any(),
        proto::Pdu::AssociateRj(v) => Bound::new(py, AssociateRj(v))?.into_any(),
        proto::Pdu::PDataTf(v) => Bound::new(py, PDataTf(v))?.into_any(),
        proto::Pdu::ReleaseRq => Bound::new(py, ReleaseRq)?.into_any(),
        proto::Pdu::ReleaseRp => Bound::new(py, ReleaseRp)?.into_any(),
        proto::Pdu::Abort(v) => Bound::new(py, Abort(v))?.into_any(),
    })
}

/// The fixed-size PDU a Python object stands for; TypeError for anything else.
fn small_pdu_from_py(obj: &Bound<'_, PyAny>) -> PyResult<proto::Pdu> {
    if let Ok(v) = obj.cast::<AssociateRj>() {
        return Ok(proto::Pdu::AssociateRj(v.get().0));
    }
    if obj.cast::<ReleaseRq>().is_ok() {
        return Ok(proto::Pdu::ReleaseRq);
    }
    if obj.cast::<ReleaseRp>().is_ok() {
        return Ok(proto::Pdu::ReleaseRp);
    }
    if let Ok(v) = obj.cast::<Abort>() {
        return Ok(proto::Pdu::Abort(v.get().0));
    }
    Err(PyTypeError::new_err(format!(
        "expected a PDU, got {}",
        obj.get_type().name()?
    )))
}

/// Runs an encoder into a new buffer and hands the bytes to Python.
fn encode_with(
    py: Python<'_>,
    write: impl FnOnce(&mut Vec<u8>) -> Result<(), fastdimse_proto::EncodeError>,
) -> PyResult<Bound<'_, PyBytes>> {
    let mut out = Vec::new();
    write(&mut out).or_raise(py)?;
    Ok(PyBytes::new(py, &out))
}

/// Encodes one user information sub-item on its own.
pub fn encode_user_item(py: Python<'_>, item: UserItem) -> PyResult<Bound<'_, PyBytes>> {
    let mut out = Vec::new();
    item.encode(&mut out).or_raise(py)?;
    Ok(PyBytes::new(py, &out))
}

fn user_items_to_list<'py>(
    py: Python<'py>,
    info: &UserInformation,
) -> PyResult<Bound<'py, PyList>> {
    let items = info
        .items
        .iter()
        .cloned()
        .map(|item| user_items::to_py(py, item));
    PyList::new(py, items.collect::<PyResult<Vec<_>>>()?)
}

/// An A-ASSOCIATE-AC AE title field: 16 raw bytes, or a str to pad.
fn reserved_ae_title(
    value: &Bound<'_, PyAny>,
    field: &'static str,
) -> PyResult<[u8; AE_TITLE_LEN]> {
    if let Ok(text) = value.cast::<PyString>() {
        return encode_ae_title(text.to_str()?, field).or_raise(value.py());
    }
    let bytes = value.cast::<PyBytes>()?.as_bytes();
    bytes.try_into().map_err(|_| {
        PyValueError::new_err(format!(
            "{field}: expected {AE_TITLE_LEN} bytes, got {}",
            bytes.len()
        ))
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<AssociateRq>()?;
    m.add_class::<AssociateAc>()?;
    m.add_class::<AssociateRj>()?;
    m.add_class::<PDataTf>()?;
    m.add_class::<Pdv>()?;
    m.add_class::<ReleaseRq>()?;
    m.add_class::<ReleaseRp>()?;
    m.add_class::<Abort>()?;
    m.add_class::<PresentationContextRq>()?;
    m.add_class::<PresentationContextAc>()?;
    m.add_function(wrap_pyfunction!(decode_pdu, m)?)?;
    m.add_function(wrap_pyfunction!(encode_pdu, m)?)?;
    user_items::register(m)
}
