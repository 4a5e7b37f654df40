//! `__repr__` for the value classes: `Name(field=repr(value), ...)`, read
//! back through the Python attributes so it always matches them.

use pyo3::prelude::*;

pub fn fields_repr(obj: &Bound<'_, PyAny>, fields: &[&str]) -> PyResult<String> {
    let mut out = obj.get_type().name()?.to_string();
    out.push('(');
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(field);
        out.push('=');
        out.push_str(&obj.getattr(*field)?.repr()?.to_string());
    }
    out.push(')');
    Ok(out)
}
