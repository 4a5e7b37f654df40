//! The user information sub-items (PS3.8 D.3.3, PS3.7 D.3.3) as Python
//! classes, and their conversions to and from `proto::pdu::UserItem`.

use fastdimse_proto::pdu as proto;
use fastdimse_proto::pdu::UserItem;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::pdu::encode_user_item;
use crate::repr::fields_repr;

/// Maximum length sub-item (0x51).
#[pyclass(module = "fastdimse._core", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct MaximumLength {
    #[pyo3(get)]
    value: u32,
}

#[pymethods]
impl MaximumLength {
    #[new]
    fn new(value: u32) -> Self {
        MaximumLength { value }
    }
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        encode_user_item(py, UserItem::MaximumLength(self.value))
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), &["value"])
    }
}

/// Implementation class UID sub-item (0x52).
#[pyclass(module = "fastdimse._core", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct ImplementationClassUid {
    #[pyo3(get)]
    uid: String,
}

#[pymethods]
impl ImplementationClassUid {
    #[new]
    fn new(uid: String) -> Self {
        ImplementationClassUid { uid }
    }
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        encode_user_item(py, UserItem::ImplementationClassUid(self.uid.clone()))
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), &["uid"])
    }
}

/// Implementation version name sub-item (0x55).
#[pyclass(module = "fastdimse._core", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct ImplementationVersionName {
    #[pyo3(get)]
    name: String,
}

#[pymethods]
impl ImplementationVersionName {
    #[new]
    fn new(name: String) -> Self {
        ImplementationVersionName { name }
    }
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        encode_user_item(py, UserItem::ImplementationVersionName(self.name.clone()))
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), &["name"])
    }
}

/// Asynchronous operations window sub-item (0x53).
#[pyclass(module = "fastdimse._core", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct AsyncOpsWindow(proto::AsyncOpsWindow);

#[pymethods]
impl AsyncOpsWindow {
    #[new]
    fn new(max_operations_invoked: u16, max_operations_performed: u16) -> Self {
        AsyncOpsWindow(proto::AsyncOpsWindow {
            max_operations_invoked,
            max_operations_performed,
        })
    }
    #[getter]
    fn max_operations_invoked(&self) -> u16 {
        self.0.max_operations_invoked
    }
    #[getter]
    fn max_operations_performed(&self) -> u16 {
        self.0.max_operations_performed
    }
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        encode_user_item(py, UserItem::AsyncOpsWindow(self.0))
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(
            slf.as_any(),
            &["max_operations_invoked", "max_operations_performed"],
        )
    }
}

/// SCP/SCU role selection sub-item (0x54).
#[pyclass(module = "fastdimse._core", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct RoleSelection(proto::RoleSelection);

#[pymethods]
impl RoleSelection {
    #[new]
    fn new(sop_class_uid: String, scu_role: u8, scp_role: u8) -> Self {
        RoleSelection(proto::RoleSelection {
            sop_class_uid,
            scu_role,
            scp_role,
        })
    }
    #[getter]
    fn sop_class_uid(&self) -> &str {
        &self.0.sop_class_uid
    }
    #[getter]
    fn scu_role(&self) -> u8 {
        self.0.scu_role
    }
    #[getter]
    fn scp_role(&self) -> u8 {
        self.0.scp_role
    }
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        encode_user_item(py, UserItem::RoleSelection(self.0.clone()))
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), &["sop_class_uid", "scu_role", "scp_role"])
    }
}

/// SOP class extended negotiation sub-item (0x56).
#[pyclass(module = "fastdimse._core", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct SopClassExtended(proto::SopClassExtended);

#[pymethods]
impl SopClassExtended {
    #[new]
    fn new(sop_class_uid: String, service_class_application_information: Vec<u8>) -> Self {
        SopClassExtended(proto::SopClassExtended {
            sop_class_uid,
            service_class_application_information,
        })
    }
    #[getter]
    fn sop_class_uid(&self) -> &str {
        &self.0.sop_class_uid
    }
    #[getter]
    fn service_class_application_information<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.service_class_application_information)
    }
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        encode_user_item(py, UserItem::SopClassExtended(self.0.clone()))
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(
            slf.as_any(),
            &["sop_class_uid", "service_class_application_information"],
        )
    }
}

/// SOP class common extended negotiation sub-item (0x57).
#[pyclass(module = "fastdimse._core", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct SopClassCommonExtended(proto::SopClassCommonExtended);

#[pymethods]
impl SopClassCommonExtended {
    #[new]
    #[pyo3(signature = (sop_class_uid, service_class_uid, related_general_sop_classes, version = 0))]
    fn new(
        sop_class_uid: String,
        service_class_uid: String,
        related_general_sop_classes: Vec<String>,
        version: u8,
    ) -> Self {
        SopClassCommonExtended(proto::SopClassCommonExtended {
            version,
            sop_class_uid,
            service_class_uid,
            related_general_sop_classes,
        })
    }
    #[getter]
    fn sop_class_uid(&self) -> &str {
        &self.0.sop_class_uid
    }
    #[getter]
    fn service_class_uid(&self) -> &str {
        &self.0.service_class_uid
    }
    #[getter]
    fn related_general_sop_classes(&self) -> Vec<String> {
        self.0.related_general_sop_classes.clone()
    }
    #[getter]
    fn version(&self) -> u8 {
        self.0.version
    }
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        encode_user_item(py, UserItem::SopClassCommonExtended(self.0.clone()))
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(
            slf.as_any(),
            &[
                "sop_class_uid",
                "service_class_uid",
                "related_general_sop_classes",
                "version",
            ],
        )
    }
}

/// User identity negotiation sub-item, RQ form (0x58).
#[pyclass(module = "fastdimse._core", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct UserIdentityRq(proto::UserIdentityRq);

#[pymethods]
impl UserIdentityRq {
    #[new]
    #[pyo3(signature = (identity_type, positive_response_requested, primary_field, secondary_field = Vec::new()))]
    fn new(
        identity_type: u8,
        positive_response_requested: bool,
        primary_field: Vec<u8>,
        secondary_field: Vec<u8>,
    ) -> Self {
        UserIdentityRq(proto::UserIdentityRq {
            identity_type,
            positive_response_requested,
            primary_field,
            secondary_field,
        })
    }
    #[getter]
    fn identity_type(&self) -> u8 {
        self.0.identity_type
    }
    #[getter]
    fn positive_response_requested(&self) -> bool {
        self.0.positive_response_requested
    }
    #[getter]
    fn primary_field<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.primary_field)
    }
    #[getter]
    fn secondary_field<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.secondary_field)
    }
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        encode_user_item(py, UserItem::UserIdentityRq(self.0.clone()))
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(
            slf.as_any(),
            &[
                "identity_type",
                "positive_response_requested",
                "primary_field",
                "secondary_field",
            ],
        )
    }
}

/// User identity negotiation sub-item, AC form (0x59).
#[pyclass(module = "fastdimse._core", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct UserIdentityAc(proto::UserIdentityAc);

#[pymethods]
impl UserIdentityAc {
    #[new]
    fn new(server_response: Vec<u8>) -> Self {
        UserIdentityAc(proto::UserIdentityAc { server_response })
    }
    #[getter]
    fn server_response<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.server_response)
    }
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        encode_user_item(py, UserItem::UserIdentityAc(self.0.clone()))
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), &["server_response"])
    }
}

/// A sub-item of a type this standard does not define, kept as received.
#[pyclass(module = "fastdimse._core", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct UnknownUserItem {
    #[pyo3(get)]
    item_type: u8,
    data: Vec<u8>,
}

#[pymethods]
impl UnknownUserItem {
    #[new]
    fn new(item_type: u8, data: Vec<u8>) -> Self {
        UnknownUserItem { item_type, data }
    }
    #[getter]
    fn data<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.data)
    }
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        encode_user_item(
            py,
            UserItem::Unknown {
                item_type: self.item_type,
                data: self.data.clone(),
            },
        )
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), &["item_type", "data"])
    }
}

/// The Python object for a sub-item.
pub fn to_py(py: Python<'_>, item: UserItem) -> PyResult<Bound<'_, PyAny>> {
    Ok(match item {
        UserItem::MaximumLength(value) => Bound::new(py, MaximumLength { value })?.into_any(),
        UserItem::ImplementationClassUid(uid) => {
            Bound::new(py, ImplementationClassUid { uid })?.into_any()
        }
        UserItem::ImplementationVersionName(name) => {
            Bound::new(py, ImplementationVersionName { name })?.into_any()
        }
        UserItem::AsyncOpsWindow(v) => Bound::new(py, AsyncOpsWindow(v))?.into_any(),
        UserItem::RoleSelection(v) => Bound::new(py, RoleSelection(v))?.into_any(),
        UserItem::SopClassExtended(v) => Bound::new(py, SopClassExtended(v))?.into_any(),
        UserItem::SopClassCommonExtended(v) => {
            Bound::new(py, SopClassCommonExtended(v))?.into_any()
        }
        UserItem::UserIdentityRq(v) => Bound::new(py, UserIdentityRq(v))?.into_any(),
        UserItem::UserIdentityAc(v) => Bound::new(py, UserIdentityAc(v))?.into_any(),
        UserItem::Unknown { item_type, data } => {
            Bound::new(py, UnknownUserItem { item_type, data })?.into_any()
        }
    })
}

/// The sub-item a Python object stands for; TypeError for anything else.
pub fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<UserItem> {
    if let Ok(v) = obj.cast::<MaximumLength>() {
        return Ok(UserItem::MaximumLength(v.get().value));
    }
    if let Ok(v) = obj.cast::<ImplementationClassUid>() {
        return Ok(UserItem::ImplementationClassUid(v.get().uid.clone()));
    }
    if let Ok(v) = obj.cast::<ImplementationVersionName>() {
        return Ok(UserItem::ImplementationVersionName(v.get().name.clone()));
    }
    if let Ok(v) = obj.cast::<AsyncOpsWindow>() {
        return Ok(UserItem::AsyncOpsWindow(v.get().0));
    }
    if let Ok(v) = obj.cast::<RoleSelection>() {
        return Ok(UserItem::RoleSelection(v.get().0.clone()));
    }
    if let Ok(v) = obj.cast::<SopClassExtended>() {
        return Ok(UserItem::SopClassExtended(v.get().0.clone()));
    }
    if let Ok(v) = obj.cast::<SopClassCommonExtended>() {
        return Ok(UserItem::SopClassCommonExtended(v.get().0.clone()));
    }
    if let Ok(v) = obj.cast::<UserIdentityRq>() {
        return Ok(UserItem::UserIdentityRq(v.get().0.clone()));
    }
    if let Ok(v) = obj.cast::<UserIdentityAc>() {
        return Ok(UserItem::UserIdentityAc(v.get().0.clone()));
    }
    if let Ok(v) = obj.cast::<UnknownUserItem>() {
        let v = v.get();
        return Ok(UserItem::Unknown {
            item_type: v.item_type,
            data: v.data.clone(),
        });
    }
    Err(PyTypeError::new_err(format!(
        "expected a user information sub-item, got {}",
        obj.get_type().name()?
    )))
}

/// Sub-items from a Python sequence.
pub fn list_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Vec<UserItem>> {
    obj.try_iter()?
        .map(|item| from_py(&item?))
        .collect::<PyResult<Vec<_>>>()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<MaximumLength>()?;
    m.add_class::<ImplementationClassUid>()?;
    m.add_class::<ImplementationVersionName>()?;
    m.add_class::<AsyncOpsWindow>()?;
    m.add_class::<RoleSelection>()?;
    m.add_class::<SopClassExtended>()?;
    m.add_class::<SopClassCommonExtended>()?;
    m.add_class::<UserIdentityRq>()?;
    m.add_class::<UserIdentityAc>()?;
    m.add_class::<UnknownUserItem>()?;
    Ok(())
}
