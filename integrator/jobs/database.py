"""The job database: where it is by default, and the SQLAlchemy engine every store and process uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event


def default_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'voxflow.db').resolve()}"


def make_engine(url: str) -> Engine:
    """A SQLAlchemy engine; SQLite files get WAL, a generous busy timeout and NORMAL sync."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        # WAL lets readers (SSE, listings) run beside the one writer; NORMAL is durable under WAL
        # except for the last commits on power loss, which the lease/sweeper recovery covers.
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    return engine
