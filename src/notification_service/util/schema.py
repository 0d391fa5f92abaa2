"""Alembic schema lifecycle shared by both services' databases."""

from __future__ import annotations

from dataclasses import dataclass

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, inspect


@dataclass(frozen=True)
class Schema:
    """One service's migrations. `version_table` is private to it so both services can
    share one database; `command` names the CLI that initialises it, for error messages."""

    script_location: str
    version_table: str
    metadata: MetaData
    command: str
    error: type[Exception]

    def _config(self) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", self.script_location)
        return cfg

    def upgrade(self, engine: Engine) -> None:
        """Create or upgrade the schema to the newest revision (init is the same)."""
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
            return MigrationContext.configure(
                conn, opts={"version_table": self.version_table}
            ).get_current_revision()

    def head_revision(self) -> str | None:
        return ScriptDirectory.from_config(self._config()).get_current_head()

    def check(self, engine: Engine) -> None:
        """Raise `error` unless the database is at the newest revision."""
        head = self.head_revision()
        current = self.current_revision(engine)
        if current is None:
            raise self.error(
                f"database {engine.url.render_as_string(hide_password=True)} is not "
                f"initialised; run `{self.command} db init`"
            )
        if current != head:
            raise self.error(
                f"database schema is at revision {current}, expected {head}; "
                f"run `{self.command} db upgrade`"
            )
