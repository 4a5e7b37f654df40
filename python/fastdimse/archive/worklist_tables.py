"""The worklist's table: one row per Modality Worklist item (PS3.4 K.6.1.2), that is
one Scheduled Procedure Step with its Requested Procedure, Imaging Service Request,
Visit and Patient.

A row keeps the item's key (which item it is, ``worklist.WorklistKey``), the columns of
``ITEM_COLUMNS`` (top-level attributes) and ``STEP_COLUMNS`` (attributes of the one Item
of its Scheduled Procedure Step Sequence) in the matching module's stored form, each
indexed, and the item's attributes encoded (Explicit VR Little Endian), from which
responses are cut and the keys without a column matched. ``several`` marks a row with a
column holding several values (Scheduled Station AE Title is 1-n): SQL cannot match
those, so such rows are matched again in Python. ``source`` is the file the item was
imported from (None for one added through the API).

The table is on the index's ``METADATA``: ``Index`` creates it with the others, and an
existing database gets it the first time it is opened.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, LargeBinary, String, Table, Text

from fastdimse.archive.levels import Column as ColumnSpec
from fastdimse.archive.schema import METADATA, matching_columns

__all__ = ["ITEM_COLUMNS", "ORDER", "STEP_COLUMNS", "WORKLIST"]

# The matching keys most worklist queries use (PS3.4 Table K.6-1's required matching keys,
# and the identifiers of the item): matched in SQL. Other keys are matched in Python.
ITEM_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("PatientName", "patient_name", "PN", folded=True),
    ColumnSpec("PatientID", "patient_id", "LO"),
    ColumnSpec("AccessionNumber", "accession_number", "SH"),
    ColumnSpec("RequestedProcedureID", "requested_procedure_id", "SH"),
    ColumnSpec("StudyInstanceUID", "study_instance_uid", "UI"),
)
STEP_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("ScheduledStationAETitle", "scheduled_station_ae_title", "AE"),
    ColumnSpec("Modality", "modality", "CS"),
    ColumnSpec("ScheduledProcedureStepStartDate", "start_date", "DA"),
    ColumnSpec("ScheduledProcedureStepStartTime", "start_time", "TM"),
    ColumnSpec("ScheduledPerformingPhysicianName", "performing_physician_name", "PN", folded=True),
    ColumnSpec("ScheduledProcedureStepID", "scheduled_procedure_step_id", "SH"),
)

_NAME = "worklist_item"


_COLUMNS, _INDEXES = matching_columns(_NAME, ITEM_COLUMNS + STEP_COLUMNS)

WORKLIST = Table(
    _NAME,
    METADATA,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("item_key", String(256), nullable=False, unique=True),
    *_COLUMNS,
    Column("several", Boolean, nullable=False, index=True),
    Column("source", Text, index=True),
    Column("attributes", LargeBinary, nullable=False),
    *_INDEXES,
)

# Worklist items by scheduled start (then as they were added).
ORDER = (WORKLIST.c.start_date, WORKLIST.c.start_time, WORKLIST.c.pk)
