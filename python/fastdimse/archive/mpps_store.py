"""The archive's table of Modality Performed Procedure Steps (PS3.4 F) and its rows.

One row per step: its SOP Instance UID, its status, a few keys in indexed columns,
its attributes encoded (Explicit VR Little Endian, as the index's levels keep
theirs), a version and two timestamps. The indexed keys are those a PACS or RIS
looks steps up by: the steps still IN PROGRESS (status), a patient's steps
(Patient ID), the steps of a study whose instances arrive (the Study Instance UID
of the first Scheduled Step Attributes item: nearly every step has one study), a
modality's steps (Performed Station AE Title) and a day's steps (start date).

Updates are optimistic: a row is replaced only if its version is still the one
read (``replace``), so concurrent N-SETs on one step, in one process or several,
on SQLite or PostgreSQL, never lose one another's changes; the loser reads again.
No transaction reads and then writes, so SQLite never has to upgrade a stale read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydicom.dataset import Dataset
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    exists,
    select,
)
from sqlalchemy.exc import IntegrityError

from fastdimse.archive.records import decode_attributes
from fastdimse.archive.schema import METADATA

__all__ = ["MPPS_TABLE", "PerformedStep", "StepTable", "keys_of"]

# Longest value an indexed column keeps (as the index's level columns); the
# attributes keep the whole value.
_KEY_LENGTH = 256
_KEYS = ("status", "patient_id", "study_instance_uid", "performed_station_ae_title")

MPPS_TABLE = Table(
    "mpps",
    METADATA,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("sop_instance_uid", String(_KEY_LENGTH), nullable=False, unique=True),
    Column("status", String(_KEY_LENGTH), nullable=False),
    Column("patient_id", String(_KEY_LENGTH)),
    Column("study_instance_uid", String(_KEY_LENGTH)),
    Column("performed_station_ae_title", String(_KEY_LENGTH)),
    Column("start_date", String(_KEY_LENGTH)),
    Column("start_time", String(_KEY_LENGTH)),
    Column("attributes", LargeBinary, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("updated", DateTime(timezone=True), nullable=False),
    *(Index(f"ix_mpps_{name}", name) for name in (*_KEYS, "start_date")),
)


@dataclass(frozen=True)
class PerformedStep:
    """One stored step: its indexed keys, its encoded attributes, and when it was
    created and last updated (UTC)."""

    sop_instance_uid: str
    status: str
    patient_id: str | None
    study_instance_uid: str | None
    performed_station_ae_title: str | None
    start_date: str | None
    start_time: str | None
    attributes: bytes = field(repr=False)
    version: int
    created: datetime
    updated: datetime

    @property
    def dataset(self) -> Dataset:
        """The step's attributes, decoded (a new Dataset each time)."""
        ds = decode_attributes(self.attributes)
        ds.decode()
        return ds


def keys_of(ds: Dataset) -> dict[str, str | None]:
    """The indexed columns of the step whose (decoded) attributes are ``ds``."""
    steps = ds.get("ScheduledStepAttributesSequence")
    first = steps[0] if steps else Dataset()
    return {
        "status": _text(ds, "PerformedProcedureStepStatus") or "",
        "patient_id": _text(ds, "PatientID"),
        "study_instance_uid": _text(first, "StudyInstanceUID"),
        "performed_station_ae_title": _text(ds, "PerformedStationAETitle"),
        "start_date": _text(ds, "PerformedProcedureStepStartDate"),
        "start_time": _text(ds, "PerformedProcedureStepStartTime"),
    }


class StepTable:
    """The steps' rows in the archive's database (``engine``: the index's)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def insert(self, uid: str, keys: dict[str, str | None], attributes: bytes) -> bool:
        """Store a new step; False (and nothing stored) when ``uid`` exists already.

        Raises SQLAlchemy's errors when the database fails."""
        now = datetime.now(UTC)
        row = {
            **keys,
            "sop_instance_uid": uid,
            "attributes": attributes,
            "version": 1,
            "created": now,
            "updated": now,
        }
        try:
            with self._engine.begin() as connection:
                connection.execute(MPPS_TABLE.insert(), row)
        except IntegrityError:
            # The unique SOP Instance UID, unless another constraint failed.
            if self._exists(uid):
                return False
            raise
        return True

    def replace(
        self, uid: str, version: int, keys: dict[str, str | None], attributes: bytes
    ) -> bool:
        """Replace the step read at ``version``; False when it changed since (nothing
        replaced: read it again)."""
        table = MPPS_TABLE
        statement = (
            table.update()
            .where(table.c.sop_instance_uid == uid, table.c.version == version)
            .values(**keys, attributes=attributes, version=version + 1, updated=datetime.now(UTC))
        )
        with self._engine.begin() as connection:
            return bool(connection.execute(statement).rowcount == 1)

    def step(self, uid: str) -> PerformedStep | None:
        """The step ``uid``, or None."""
        with self._engine.connect() as connection:
            row = connection.execute(
                select(MPPS_TABLE).where(MPPS_TABLE.c.sop_instance_uid == uid)
            ).first()
        return None if row is None else _step(row._mapping)

    def steps(self, status: str | None = None) -> list[PerformedStep]:
        """Every step (or those of ``status``), oldest first."""
        query = select(MPPS_TABLE).order_by(MPPS_TABLE.c.created, MPPS_TABLE.c.pk)
        if status is not None:
            query = query.where(MPPS_TABLE.c.status == status)
        with self._engine.connect() as connection:
            return [_step(row._mapping) for row in connection.execute(query)]

    def _exists(self, uid: str) -> bool:
        with self._engine.connect() as connection:
            found = exists().where(MPPS_TABLE.c.sop_instance_uid == uid)
            return bool(connection.execute(select(found)).scalar())


def _step(row: Any) -> PerformedStep:
    return PerformedStep(
        sop_instance_uid=row["sop_instance_uid"],
        status=row["status"],
        patient_id=row["patient_id"],
        study_instance_uid=row["study_instance_uid"],
        performed_station_ae_title=row["performed_station_ae_title"],
        start_date=row["start_date"],
        start_time=row["start_time"],
        attributes=bytes(row["attributes"]),
        version=int(row["version"]),
        created=_utc(row["created"]),
        updated=_utc(row["updated"]),
    )


def _utc(moment: datetime) -> datetime:
    # SQLite keeps no time zone: what was written is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _text(ds: Dataset, keyword: str) -> str | None:
    value = ds.get(keyword)
    text = "" if value is None else str(value).strip()
    return text[:_KEY_LENGTH] or None
