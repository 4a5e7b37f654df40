"""DIMSE service primitives (PS3.7 9.1 and 10.1) with pynetdicom 3.0.4's
attribute names and validation, and their conversion to and from the Rust
core's ``CommandSet``.

A primitive holds one message's parameters: the command set elements under
their DICOM keywords (``MessageID``, ``AffectedSOPClassUID``, ``Status``,
...) and the data set, still encoded, as an ``io.BytesIO`` under the
parameter's name (``DataSet``, ``Identifier``, ``AttributeList``, ...).
Assigning a value checks it and raises ``TypeError`` or ``ValueError`` with
pynetdicom's messages.

Conversion: :func:`to_command_set` gives the ``_core.CommandSet`` to encode
(the data set is sent separately: :func:`data_set_of`), and
:func:`from_command_set` builds the primitive from a received command set
and its data set bytes.

They live in ``fastdimse._dimse.primitives`` (``base``, ``c_services``,
``n_services``, ``command_set``); this module gives them pynetdicom's name.
"""

from __future__ import annotations

from fastdimse._dimse.primitives import base, c_services, command_set, n_services
from fastdimse._dimse.primitives.base import DIMSEPrimitive as DIMSEPrimitive
from fastdimse._dimse.primitives.c_services import C_CANCEL as C_CANCEL
from fastdimse._dimse.primitives.c_services import C_ECHO as C_ECHO
from fastdimse._dimse.primitives.c_services import C_FIND as C_FIND
from fastdimse._dimse.primitives.c_services import C_GET as C_GET
from fastdimse._dimse.primitives.c_services import C_MOVE as C_MOVE
from fastdimse._dimse.primitives.c_services import C_STORE as C_STORE
from fastdimse._dimse.primitives.command_set import DimsePrimitiveType as DimsePrimitiveType
from fastdimse._dimse.primitives.command_set import DimseServiceType as DimseServiceType
from fastdimse._dimse.primitives.command_set import command_field_of as command_field_of
from fastdimse._dimse.primitives.command_set import data_set_of as data_set_of
from fastdimse._dimse.primitives.command_set import from_command_set as from_command_set
from fastdimse._dimse.primitives.command_set import to_command_set as to_command_set
from fastdimse._dimse.primitives.n_services import N_ACTION as N_ACTION
from fastdimse._dimse.primitives.n_services import N_CREATE as N_CREATE
from fastdimse._dimse.primitives.n_services import N_DELETE as N_DELETE
from fastdimse._dimse.primitives.n_services import N_EVENT_REPORT as N_EVENT_REPORT
from fastdimse._dimse.primitives.n_services import N_GET as N_GET
from fastdimse._dimse.primitives.n_services import N_SET as N_SET

__all__: list[str] = []
__all__ += c_services.__all__
__all__ += n_services.__all__
__all__ += base.__all__
__all__ += command_set.__all__
