"""Engine creation with the per-backend settings the event log relies on."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

WRITE = {"sqlite_begin": "BEGIN IMMEDIATE"}


def make_engine(db_uri: str, pool_size: int = 5, max_overflow: int = 10) -> Engine:
    url = make_url(db_uri)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(db_uri)
    kwargs: dict = {"pool_pre_ping": True, "pool_size": pool_size, "max_overflow": max_overflow}
    if url.get_backend_name() in ("mysql", "mariadb"):
        # Locking reads then plain reads must see the latest commits.
        kwargs["isolation_level"] = "READ COMMITTED"
    return create_engine(db_uri, **kwargs)


def _sqlite_engine(db_uri: str) -> Engine:
    url = make_url(db_uri)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(db_uri, connect_args={"check_same_thread": False, "timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        # Let SQLAlchemy's begin hook, not pysqlite, open transactions.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit survives a process kill (it is in the OS page cache);
        # FULL would add an fsync per commit for power-loss safety.
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        # Writers take the lock up front: a deferred transaction that upgrades to a
        # writer can fail with SQLITE_BUSY instead of waiting.
        conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))

    return engine
