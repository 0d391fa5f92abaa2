"""`aiflow db ...`: create, upgrade or wipe the metadata schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from ai_flow.cli._common import yes_option
from ai_flow.settings import load_server_settings, require_server_config

if TYPE_CHECKING:
    from sqlalchemy import Engine


@contextmanager
def _engine() -> Iterator[Engine]:
    from ai_flow.metadata import make_engine  # heavy; only db commands need it

    require_server_config()
    engine = make_engine(load_server_settings().metadata_backend_uri)
    try:
        yield engine
    finally:
        engine.dispose()


def _name(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def init_database() -> None:
    from ai_flow.metadata import upgrade

    with _engine() as engine:
        upgrade(engine)  # creating and upgrading are one idempotent step
    click.echo(f"Initialised database {_name(engine)}")


@click.group("db")
def db_group() -> None:
    """Database operations."""


@db_group.command("init")
def init() -> None:
    """Create the tables in the configured database (safe to run again)."""
    init_database()


@db_group.command("upgrade")
def upgrade_() -> None:
    """Upgrade the schema to the newest revision."""
    from ai_flow.metadata import upgrade

    with _engine() as engine:
        upgrade(engine)
    click.echo(f"Upgraded database {_name(engine)}")


@db_group.command("reset")
@yes_option
def reset_(yes: bool) -> None:
    """Drop all metadata (workflows, executions...) and recreate empty tables."""
    from ai_flow.metadata import reset

    with _engine() as engine:
        name = _name(engine)
        if not yes and not click.confirm(
            f"This deletes all AIFlow metadata in {name}. Continue?", default=False
        ):
            raise click.ClickException("aborted; the database was not changed")
        reset(engine)
    click.echo(f"Reset database {name}")
