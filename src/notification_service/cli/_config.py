"""`notification config ...`: create and inspect notification_server.yaml."""

from __future__ import annotations

import json
from string import Template

import click

from notification_service.cli._common import output_option
from notification_service.settings import (
    DEFAULT_CONFIG_TEMPLATE,
    NotificationServerSettings,
    config_path,
    load_settings,
    notification_home,
)
from notification_service.util.output import render


def _show(value: object) -> str:
    # Strings as-is; everything else in YAML/JSON spelling (true, 5.0, null).
    return value if isinstance(value, str) else json.dumps(value)


@click.group("config")
def config_group() -> None:
    """Create and read the server configuration file."""


@config_group.command("init")
def init() -> None:
    """Write the default notification_server.yaml into $NOTIFICATION_HOME."""
    home = notification_home()
    path = config_path(home)
    if path.exists():
        click.echo(f"Config file {path} already exists; not overwriting it.")
        click.echo("Remove it and run `notification config init` again to reset it.")
        return
    home.mkdir(parents=True, exist_ok=True)
    text = Template(DEFAULT_CONFIG_TEMPLATE).safe_substitute(NOTIFICATION_HOME=str(home))
    path.write_text(text)
    click.echo(f"Created config file {path}")


@config_group.command("get-value")
@click.argument("key")
def get_value(key: str) -> None:
    """Print the effective value of KEY."""
    if key not in NotificationServerSettings.model_fields:
        known = ", ".join(NotificationServerSettings.model_fields)
        raise click.ClickException(f"unknown config key {key!r}; known keys: {known}")
    click.echo(_show(getattr(load_settings(), key)))


@config_group.command("list")
@output_option()
def list_(fmt: str) -> None:
    """List every effective configuration key and value (defaults included)."""
    settings = load_settings()
    rows = [{"key": k, "value": v} for k, v in settings.model_dump().items()]
    if fmt == "table":
        rows = [{"key": r["key"], "value": _show(r["value"])} for r in rows]
    render(rows, fmt, ["key", "value"], time_columns=())
