"""`notification db ...`: create, upgrade or wipe the event log schema."""

from __future__ import annotations

import click
from sqlalchemy import Engine

from notification_service.settings import load_settings
from notification_service.storage import make_engine, reset, upgrade


def _engine() -> Engine:
    return make_engine(load_settings().db_uri)


def _name(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


@click.group("db")
def db_group() -> None:
    """Manage the database of the notification server."""


@db_group.command("init")
def init() -> None:
    """Create the tables in the configured database (safe to run again)."""
    engine = _engine()
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    click.echo(f"Initialised database {_name(engine)}")


@db_group.command("upgrade")
def upgrade_() -> None:
    """Upgrade the schema to the newest revision."""
    engine = _engine()
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    click.echo(f"Upgraded database {_name(engine)}")


@db_group.command("reset")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
def reset_(yes: bool) -> None:
    """Drop every event and recreate empty tables."""
    engine = _engine()
    try:
        name = _name(engine)
        if not yes and not click.confirm(
            f"This deletes all events in {name}. Continue?", default=False
        ):
            raise click.ClickException("aborted; the database was not changed")
        reset(engine)
    finally:
        engine.dispose()
    click.echo(f"Reset database {name}")
