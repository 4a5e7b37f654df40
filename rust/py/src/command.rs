//! DIMSE command sets (PS3.7 Annex E) as the Python class `CommandSet`,
//! with `decode_command_set` and `encode_command_set`.

use fastdimse_proto::dimse::{self as proto, NO_DATA_SET};
use fastdimse_proto::DecodeOptions;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

use crate::buffers::InputBytes;
use crate::errors::OrRaise;
use crate::repr::fields_repr;

// The Python signature spells NO_DATA_SET out (so that it shows in
// `inspect.signature`); this keeps the two in step.
const _: () = assert!(NO_DATA_SET == 0x0101);

/// A DIMSE command set; elements a command does not use are None.
#[pyclass(module = "fastdimse._core", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct CommandSet(pub proto::CommandSet);

/// The attributes `__repr__` shows when they are set, in tag order.
const OPTIONAL_FIELDS: &[&str] = &[
    "affected_sop_class_uid",
    "requested_sop_class_uid",
    "message_id",
    "message_id_being_responded_to",
    "move_destination",
    "priority",
    "status",
    "offending_element",
    "error_comment",
    "error_id",
    "affected_sop_instance_uid",
    "requested_sop_instance_uid",
    "event_type_id",
    "attribute_identifier_list",
    "action_type_id",
    "number_of_remaining_suboperations",
    "number_of_completed_suboperations",
    "number_of_failed_suboperations",
    "number_of_warning_suboperations",
    "move_originator_application_entity_title",
    "move_originator_message_id",
];

#[pymethods]
impl CommandSet {
    #[new]
    #[pyo3(signature = (
        command_field, *, affected_sop_class_uid = None, requested_sop_class_uid = None,
        message_id = None, message_id_being_responded_to = None, move_destination = None,
        priority = None, command_data_set_type = 0x0101, status = None,
        offending_element = None, error_comment = None, error_id = None,
        affected_sop_instance_uid = None, requested_sop_instance_uid = None,
        event_type_id = None, attribute_identifier_list = None, action_type_id = None,
        number_of_remaining_suboperations = None, number_of_completed_suboperations = None,
        number_of_failed_suboperations = None, number_of_warning_suboperations = None,
        move_originator_application_entity_title = None, move_originator_message_id = None,
        unknown = Vec::new()
    ))]
    // One keyword per element of PS3.7 E.1: the Python signature is the API.
    #[allow(clippy::too_many_arguments)]
    fn new(
        command_field: u16,
        affected_sop_class_uid: Option<String>,
        requested_sop_class_uid: Option<String>,
        message_id: Option<u16>,
        message_id_being_responded_to: Option<u16>,
        move_destination: Option<String>,
        priority: Option<u16>,
        command_data_set_type: u16,
        status: Option<u16>,
        offending_element: Option<Vec<u32>>,
        error_comment: Option<String>,
        error_id: Option<u16>,
        affected_sop_instance_uid: Option<String>,
        requested_sop_instance_uid: Option<String>,
        event_type_id: Option<u16>,
        attribute_identifier_list: Option<Vec<u32>>,
        action_type_id: Option<u16>,
        number_of_remaining_suboperations: Option<u16>,
        number_of_completed_suboperations: Option<u16>,
        number_of_failed_suboperations: Option<u16>,
        number_of_warning_suboperations: Option<u16>,
        move_originator_application_entity_title: Option<String>,
        move_originator_message_id: Option<u16>,
        unknown: Vec<(u32, Vec<u8>)>,
    ) -> Self {
        CommandSet(proto::CommandSet {
            command_field,
            affected_sop_class_uid,
            requested_sop_class_uid,
            message_id,
            message_id_being_responded_to,
            move_destination,
            priority,
            command_data_set_type,
            status,
            offending_element,
            error_comment,
            error_id,
            affected_sop_instance_uid,
            requested_sop_instance_uid,
            event_type_id,
            attribute_identifier_list,
            action_type_id,
            number_of_remaining_suboperations,
            number_of_completed_suboperations,
            number_of_failed_suboperations,
            number_of_warning_suboperations,
            move_originator_application_entity_title,
            move_originator_message_id,
            unknown,
        })
    }

    #[getter]
    fn command_field(&self) -> u16 {
        self.0.command_field
    }
    #[getter]
    fn affected_sop_class_uid(&self) -> Option<&str> {
        self.0.affected_sop_class_uid.as_deref()
    }
    #[getter]
    fn requested_sop_class_uid(&self) -> Option<&str> {
        self.0.requested_sop_class_uid.as_deref()
    }
    #[getter]
    fn message_id(&self) -> Option<u16> {
        self.0.message_id
    }
    #[getter]
    fn message_id_being_responded_to(&self) -> Option<u16> {
        self.0.message_id_being_responded_to
    }
    #[getter]
    fn move_destination(&self) -> Option<&str> {
        self.0.move_destination.as_deref()
    }
    #[getter]
    fn priority(&self) -> Option<u16> {
        self.0.priority
    }
    #[getter]
    fn command_data_set_type(&self) -> u16 {
        self.0.command_data_set_type
    }
    #[getter]
    fn status(&self) -> Option<u16> {
        self.0.status
    }
    #[getter]
    fn offending_element(&self) -> Option<Vec<u32>> {
        self.0.offending_element.clone()
    }
    #[getter]
    fn error_comment(&self) -> Option<&str> {
        self.0.error_comment.as_deref()
    }
    #[getter]
    fn error_id(&self) -> Option<u16> {
        self.0.error_id
    }
    #[getter]
    fn affected_sop_instance_uid(&self) -> Option<&str> {
        self.0.affected_sop_instance_uid.as_deref()
    }
    #[getter]
    fn requested_sop_instance_uid(&self) -> Option<&str> {
        self.0.requested_sop_instance_uid.as_deref()
    }
    #[getter]
    fn event_type_id(&self) -> Option<u16> {
        self.0.event_type_id
    }
    #[getter]
    fn attribute_identifier_list(&self) -> Option<Vec<u32>> {
        self.0.attribute_identifier_list.clone()
    }
    #[getter]
    fn action_type_id(&self) -> Option<u16> {
        self.0.action_type_id
    }
    #[getter]
    fn number_of_remaining_suboperations(&self) -> Option<u16> {
        self.0.number_of_remaining_suboperations
    }
    #[getter]
    fn number_of_completed_suboperations(&self) -> Option<u16> {
        self.0.number_of_completed_suboperations
    }
    #[getter]
    fn number_of_failed_suboperations(&self) -> Option<u16> {
        self.0.number_of_failed_suboperations
    }
    #[getter]
    fn number_of_warning_suboperations(&self) -> Option<u16> {
        self.0.number_of_warning_suboperations
    }
    #[getter]
    fn move_originator_application_entity_title(&self) -> Option<&str> {
        self.0.move_originator_application_entity_title.as_deref()
    }
    #[getter]
    fn move_originator_message_id(&self) -> Option<u16> {
        self.0.move_originator_message_id
    }
    /// Elements no DIMSE command defines: (tag, raw value), in tag order.
    #[getter]
    fn unknown<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let pairs = self.0.unknown.iter().map(|(tag, value)| {
            PyTuple::new(
                py,
                [
                    tag.into_pyobject(py)?.into_any(),
                    PyBytes::new(py, value).into_any(),
                ],
            )
        });
        PyList::new(py, pairs.collect::<PyResult<Vec<_>>>()?)
    }

    /// Whether a data set follows this command.
    #[getter]
    fn has_data_set(&self) -> bool {
        self.0.has_data_set()
    }

    /// "C-STORE-RQ" and so on; None for a Command Field DIMSE does not define.
    #[getter]
    fn command_name(&self) -> Option<&'static str> {
        self.0.command().map(proto::CommandField::name)
    }

    /// Tags present that this command does not use, in tag order.
    fn unexpected_elements(&self) -> Vec<u32> {
        self.0.unexpected_elements()
    }

    /// Tags this command makes mandatory that are absent, in tag order: what
    /// a received request lacks (the core delivers it; the caller refuses it).
    fn missing_elements(&self) -> Vec<u32> {
        self.0.missing_elements()
    }

    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        encode(py, &self.0)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let mut fields = vec!["command_field"];
        for field in OPTIONAL_FIELDS {
            if !slf.getattr(*field)?.is_none() {
                fields.push(field);
            }
        }
        fields.push("command_data_set_type");
        if !slf.get().0.unknown.is_empty() {
            fields.push("unknown");
        }
        fields_repr(slf.as_any(), &fields)
    }
}

/// Decodes a whole command set.
#[pyfunction]
#[pyo3(signature = (data, *, enforce_uid_conformance = false))]
pub fn decode_command_set<'py>(
    data: &Bound<'py, PyAny>,
    enforce_uid_conformance: bool,
) -> PyResult<Bound<'py, CommandSet>> {
    let py = data.py();
    let input = InputBytes::from_py(data)?;
    let options = DecodeOptions {
        enforce_uid_conformance,
    };
    let command = proto::decode_command_set(input.as_slice(), &options).or_raise(py)?;
    Bound::new(py, CommandSet(command))
}

/// Encodes a command set; the same as `cmd.encode()`.
#[pyfunction]
pub fn encode_command_set<'py>(cmd: &Bound<'py, CommandSet>) -> PyResult<Bound<'py, PyBytes>> {
    encode(cmd.py(), &cmd.get().0)
}

fn encode<'py>(py: Python<'py>, command: &proto::CommandSet) -> PyResult<Bound<'py, PyBytes>> {
    let mut out = Vec::new();
    proto::encode_command_set(command, &mut out).or_raise(py)?;
    Ok(PyBytes::new(py, &out))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CommandSet>()?;
    m.add_function(wrap_pyfunction!(decode_command_set, m)?)?;
    m.add_function(wrap_pyfunction!(encode_command_set, m)?)?;
    Ok(())
}
