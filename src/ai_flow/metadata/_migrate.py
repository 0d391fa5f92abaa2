"""Schema lifecycle of the metadata database: init/upgrade, reset, start-up check."""

from __future__ import annotations

from sqlalchemy import Engine

from ai_flow.metadata._tables import Base
from ai_flow.metadata.errors import SchemaError
from notification_service.util.schema import Schema

# Private name: the metadata and the event log may share one database.
VERSION_TABLE = "aiflow_alembic_version"
SCHEMA = Schema(
    "ai_flow.metadata:migrations", VERSION_TABLE, Base.metadata, "aiflow", SchemaError, head="0010"
)


def upgrade(engine: Engine) -> None:
    SCHEMA.upgrade(engine)


def reset(engine: Engine) -> None:
    SCHEMA.reset(engine)


def current_revision(engine: Engine) -> str | None:
    return SCHEMA.current_revision(engine)


def head_revision() -> str | None:
    return SCHEMA.head_revision()


def check_schema(engine: Engine) -> None:
    SCHEMA.check(engine)
