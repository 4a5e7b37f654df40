"""Fixtures the archive's tests share (registered for every test file by tests/conftest.py):
the index's database, an SQLite file or the session's PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The index's database: an SQLite file, or a PostgreSQL database emptied after."""
    if request.param == "sqlite":
        yield str(tmp_path / "index.sqlite")
        return
    sqlalchemy = pytest.importorskip("sqlalchemy")
    from fastdimse.archive.schema import METADATA

    url = str(request.getfixturevalue("postgres_url"))
    yield url
    engine = sqlalchemy.create_engine(url)
    METADATA.drop_all(engine)
    engine.dispose()
