"""The throwaway PostgreSQL server of tests/postgres_server.py: it serves SQL, never as root,
compares text as SQLite does, and leaves nothing behind."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpers import LOCALHOST, is_listening
from postgres_server import PostgresServer, require_postgres


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(postgres_url)
    yield engine
    engine.dispose()


def test_url_names_the_server_on_localhost(postgres_url: str) -> None:
    url = sa.make_url(postgres_url)
    assert (url.drivername, url.host) == ("postgresql+psycopg", LOCALHOST)
    assert (url.username, url.database) == (PostgresServer.role, "fastdimse")
    assert url.port is not None and is_listening(url.port)


def test_tables_round_trip(engine: sa.Engine) -> None:
    metadata = sa.MetaData()
    patients = sa.Table(
        "server_test_patients",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
    )
    metadata.create_all(engine)
    try:
        with engine.begin() as connection:
            connection.execute(
                patients.insert(), [{"id": 1, "name": "Doe^John"}, {"id": 2, "name": "Roe^Jane"}]
            )
        with engine.connect() as connection:
            rows = connection.execute(sa.select(patients.c.name).order_by(patients.c.id)).all()
        assert [row.name for row in rows] == ["Doe^John", "Roe^Jane"]
    finally:
        metadata.drop_all(engine)


def test_text_compares_byte_by_byte(engine: sa.Engine) -> None:
    # Locale C, as SQLite's default: upper case sorts before lower case, LIKE minds case.
    with engine.connect() as connection:
        ordered = connection.execute(
            sa.text("SELECT v FROM (VALUES ('b'), ('B'), ('a'), ('A')) AS t(v) ORDER BY v")
        ).scalars()
        assert list(ordered) == ["A", "B", "a", "b"]
        assert connection.execute(sa.text("SELECT 'Doe' LIKE 'd%'")).scalar_one() is False


def test_server_does_not_run_as_root(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        pid = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        data = connection.execute(sa.text("SELECT current_setting('data_directory')")).scalar_one()
    # "Uid: real effective saved filesystem" of the process serving this connection.
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    uids = {int(uid) for line in status if line.startswith("Uid:") for uid in line.split()[1:]}
    owner = Path(data).stat().st_uid
    assert uids == {owner}
    assert owner != 0
    if os.geteuid() != 0:
        assert owner == os.geteuid()  # not root: the caller runs it


def test_stop_shuts_down_and_removes_the_directory() -> None:
    require_postgres()
    server = PostgresServer(database="second")
    url = sa.make_url(server.start())
    directory = server.directory
    assert directory is not None and (directory / "data" / "PG_VERSION").is_file()
    assert url.port is not None and is_listening(url.port)
    server.stop()
    assert not directory.exists()
    assert not is_listening(url.port)
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


def test_failed_start_leaves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    require_postgres()
    # A folder of its own for the server's temporary directory, open to the server's account.
    parent = Path(tempfile.mkdtemp(prefix="fastdimse-pg-test-"))
    try:
        parent.chmod(0o755)
        monkeypatch.setattr(tempfile, "tempdir", str(parent))
        server = PostgresServer(settings={"shared_buffers": "lots"})
        with pytest.raises(RuntimeError, match="shared_buffers"):
            server.start()
        assert list(parent.iterdir()) == []
        assert server.directory is None
    finally:
        parent.rmdir()
