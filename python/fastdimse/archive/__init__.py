"""An archive in one line: a store directory indexed in SQLite (or PostgreSQL),
served over Query/Retrieve.

    from fastdimse.archive import Archive
    archive = Archive("instances")      # the index: instances.sqlite beside it
    ae.start_server(("", 11112), evt_handlers=archive.handlers)

Needs the ``archive`` extra (``pip install fastdimse[archive]``: SQLAlchemy 2
and psycopg 3).
"""

from fastdimse.archive.archive import Archive
from fastdimse.archive.index import database_url

__all__ = ["Archive", "database_url"]
