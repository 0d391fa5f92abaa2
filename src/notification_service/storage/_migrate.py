"""Schema lifecycle: init, upgrade, reset, and the check the server runs at start-up."""

from __future__ import annotations

from sqlalchemy import Engine

from notification_service.storage._tables import metadata
from notification_service.util.schema import Schema

VERSION_TABLE = "ns_alembic_version"


class SchemaError(Exception):
    """The database is not initialised or not at the current revision."""


SCHEMA = Schema(
    "notification_service:migrations",
    VERSION_TABLE,
    metadata,
    "notification",
    SchemaError,
    head="0001",
)


def upgrade(engine: Engine) -> None:
    SCHEMA.upgrade(engine)


def reset(engine: Engine) -> None:
    SCHEMA.reset(engine)


def current_revision(engine: Engine) -> str | None:
    return SCHEMA.current_revision(engine)


def check_schema(engine: Engine) -> None:
    SCHEMA.check(engine)
