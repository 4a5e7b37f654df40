"""The Storage Commitment SCP's ledger: each result in the archive's database from
before its N-ACTION is answered until it is reported (``commitment.py``), so that a
restart loses none. Imported by the index, which creates its table."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Column, Float, Index, Integer, LargeBinary, String, Table, select

from fastdimse.archive.records import decode_attributes, encode_attributes
from fastdimse.archive.schema import METADATA
from fastdimse.commitment import CommitmentResult

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["COMMITMENTS", "Ledger", "Stored"]

COMMITMENTS = Table(
    "commitment",
    METADATA,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("transaction_uid", String(64), nullable=False),
    Column("requestor", String(16), nullable=False),
    # The Event Information to report, encoded (Explicit VR Little Endian).
    Column("result", LargeBinary, nullable=False),
    Column("reported", Boolean, nullable=False, default=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created", Float, nullable=False),
    Index("ix_commitment_transaction_uid", "transaction_uid"),
    Index("ix_commitment_reported", "reported"),
)


@dataclass(frozen=True)
class Stored:
    """A result kept in the ledger."""

    pk: int
    requestor: str
    result: CommitmentResult
    reported: bool
    attempts: int


class Ledger:
    """The results in the archive's database: written before the N-ACTION is
    answered, marked once reported."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, requestor: str, result: CommitmentResult) -> int:
        data = encode_attributes(result.to_dataset())
        with self.engine.begin() as connection:
            inserted = connection.execute(
                COMMITMENTS.insert().values(
                    transaction_uid=result.transaction_uid,
                    requestor=requestor,
                    result=data,
                    reported=False,
                    attempts=0,
                    created=time.time(),
                )
            )
            key = inserted.inserted_primary_key
            if key is None:
                raise RuntimeError("the database gave no key for the stored result")
            return int(key[0])

    def knows(self, transaction_uid: str) -> bool:
        with self.engine.connect() as connection:
            found = connection.execute(
                select(COMMITMENTS.c.pk).where(COMMITMENTS.c.transaction_uid == transaction_uid)
            ).first()
        return found is not None

    def get(self, pk: int) -> Stored | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(COMMITMENTS).where(COMMITMENTS.c.pk == pk)).first()
        return None if row is None else _stored(row)

    def pending(self) -> list[Stored]:
        """The results not yet reported, oldest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(COMMITMENTS)
                .where(COMMITMENTS.c.reported.is_(False))
                .order_by(COMMITMENTS.c.pk)
            ).all()
        return [_stored(row) for row in rows]

    def attempted(self, pk: int, *, reported: bool) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                COMMITMENTS.update()
                .where(COMMITMENTS.c.pk == pk)
                .values(attempts=COMMITMENTS.c.attempts + 1, reported=reported)
            )


def _stored(row: Any) -> Stored:
    result = CommitmentResult.from_dataset(decode_attributes(bytes(row.result)))
    return Stored(int(row.pk), str(row.requestor), result, bool(row.reported), int(row.attempts))
