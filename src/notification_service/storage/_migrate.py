"""Schema lifecycle: init, upgrade, reset, and the check the server runs at start-up."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from notification_service.storage._tables import Base

VERSION_TABLE = "ns_alembic_version"


class SchemaError(Exception):
    """The database is not initialised or not at the current revision."""


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "notification_service:migrations")
    return cfg


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest revision (init is the same)."""
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def reset(engine: Engine) -> None:
    """Drop every table of the event log, then recreate it empty."""
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


def check_schema(engine: Engine) -> None:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    current = current_revision(engine)
    if current is None:
        raise SchemaError(
            f"database {engine.url.render_as_string(hide_password=True)} is not initialised; "
            "run `notification db init`"
        )
    if current != head:
        raise SchemaError(
            f"database schema is at revision {current}, expected {head}; "
            "run `notification db upgrade`"
        )
