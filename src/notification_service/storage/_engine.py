"""Engine creation with the per-backend settings the event log relies on."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from notification_service.util.config_file import ConfigError

WRITE = {"sqlite_begin": "BEGIN IMMEDIATE"}

# Driver module -> how to install it.
_INSTALL = {
    "pymysql": "pip install 'ai-flow[mysql]'",
    "MySQLdb": "pip install mysqlclient (needs MySQL's C client), or 'ai-flow[mysql]'",
    "psycopg": "pip install 'ai-flow[postgres]'",
    "psycopg2": "pip install psycopg2-binary, or use postgresql:// with 'ai-flow[postgres]'",
}


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def resolve_db_uri(db_uri: str) -> URL:
    """The URI with a driver that is installed: `mysql://` and the docs'
    `mysql+mysqldb://` use mysqlclient if it is there, else PyMySQL (what
    `ai-flow[mysql]` installs; mysqlclient needs MySQL's C client to build);
    `postgresql://` uses psycopg 3 (`ai-flow[postgres]`) unless psycopg2 is there. A
    missing driver is a ConfigError naming the extra to install."""
    try:
        url = make_url(db_uri)
    except ArgumentError:
        raise ConfigError("the database URI is not valid: use dialect[+driver]://...") from None
    if url.drivername == "postgres":  # Heroku's and libpq's spelling
        url = url.set(drivername="postgresql")
    try:
        backend, driver = url.get_backend_name(), url.get_driver_name()
    except NoSuchModuleError:
        raise ConfigError(
            f"unsupported database {url.drivername!r}: use sqlite://, mysql:// or postgresql://"
        ) from None
    if backend in ("mysql", "mariadb"):
        if driver in ("mysqldb", "") or url.drivername in ("mysql", "mariadb"):
            if not _installed("MySQLdb") and _installed("pymysql"):
                url = url.set(drivername=f"{backend}+pymysql")
        module = {"pymysql": "pymysql", "mysqldb": "MySQLdb"}.get(url.get_driver_name())
    elif backend == "postgresql":
        if url.drivername == "postgresql":
            if not _installed("psycopg2") and _installed("psycopg"):
                url = url.set(drivername="postgresql+psycopg")
        module = {"psycopg": "psycopg", "psycopg2": "psycopg2"}.get(url.get_driver_name())
    else:
        module = None
    if module is not None and not _installed(module):
        raise ConfigError(
            f"the database driver {module} for {url.drivername}:// is not installed: "
            f"{_INSTALL[module]}"
        )
    return url


def make_engine(db_uri: str, pool_size: int = 5, max_overflow: int = 10) -> Engine:
    url = resolve_db_uri(db_uri)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(db_uri)
    kwargs: dict = {"pool_pre_ping": True, "pool_size": pool_size, "max_overflow": max_overflow}
    if url.get_backend_name() in ("mysql", "mariadb"):
        # Locking reads then plain reads must see the latest commits.
        kwargs["isolation_level"] = "READ COMMITTED"
    return create_engine(url, **kwargs)


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
