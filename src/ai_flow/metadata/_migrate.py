"""Schema lifecycle of the metadata database: init/upgrade, reset, start-up check."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from ai_flow.metadata._tables import Base
from ai_flow.metadata.errors import SchemaError

# Private name: the metadata and the event log may share one database.
VERSION_TABLE = "aiflow_alembic_version"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "ai_flow.metadata:migrations")
    return cfg


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest revision (init is the same)."""
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def reset(engine: Engine) -> None:
    """Drop every metadata table, then recreate the schema empty."""
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        if inspect(conn).has_table(VERSION_TABLE):
            conn.exec_driver_sql(f"DROP TABLE {VERSION_TABLE}")
    upgrade(engine)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE}
        ).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def check_schema(engine: Engine) -> None:
    """Raise SchemaError unless the database is at the newest revision."""
    head = head_revision()
    current = current_revision(engine)
    if current is None:
        raise SchemaError(
            f"database {engine.url.render_as_string(hide_password=True)} is not initialised; "
            "run `aiflow db init`"
        )
    if current != head:
        raise SchemaError(
            f"database schema is at revision {current}, expected {head}; run `aiflow db upgrade`"
        )
