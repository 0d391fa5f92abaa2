"""Alembic schema lifecycle shared by both services' databases.

The start-up check compares the database's revision with `head`, a constant (a test
holds it equal to the migrations' newest revision), so serving does not pay for
importing Alembic and reading every migration script.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine, MetaData, inspect, text
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from alembic.config import Config


@dataclass(frozen=True)
class Schema:
    """One service's migrations. `version_table` is private to it so both services can
    share one database; `command` names the CLI that initialises it, for error messages;
    `head` is the newest revision of `script_location`."""

    script_location: str
    version_table: str
    metadata: MetaData
    command: str
    error: type[Exception]
    head: str

    def _config(self) -> Config:
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", self.script_location)
        return cfg

    def upgrade(self, engine: Engine) -> None:
        """Create or upgrade the schema to the newest revision (init is the same)."""
        from alembic import command

        cfg = self._config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def reset(self, engine: Engine) -> None:
        """Drop every table of this schema, then recreate it empty."""
        with engine.begin() as conn:
            self.metadata.drop_all(conn)
            if inspect(conn).has_table(self.version_table):
                conn.exec_driver_sql(f"DROP TABLE {self.version_table}")
        self.upgrade(engine)

    def current_revision(self, engine: Engine) -> str | None:
        with engine.connect() as conn:
            if not inspect(conn).has_table(self.version_table):
                return None
            try:
                rows = conn.execute(text(f"SELECT version_num FROM {self.version_table}"))
                versions = [row[0] for row in rows]
            except SQLAlchemyError:
                return None
        return versions[0] if len(versions) == 1 else None

    def head_revision(self) -> str | None:
        """The newest revision as Alembic reads it from the scripts."""
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(self._config()).get_current_head()

    def check(self, engine: Engine) -> None:
        """Raise `error` unless the database is at the newest revision."""
        current = self.current_revision(engine)
        if current is None:
            raise self.error(
                f"database {engine.url.render_as_string(hide_password=True)} is not "
                f"initialised; run `{self.command} db init`"
            )
        if current != self.head:
            raise self.error(
                f"database schema is at revision {current}, expected {self.head}; "
                f"run `{self.command} db upgrade`"
            )
