"""`aiflow config ...`: create and inspect aiflow_server.yaml and aiflow_client.yaml."""

from __future__ import annotations

import json
from pathlib import Path
from string import Template
from typing import Any

import click

from ai_flow.cli._common import output_option
from ai_flow.settings import (
    DEFAULT_CLIENT_CONFIG_TEMPLATE,
    DEFAULT_SERVER_CONFIG_TEMPLATE,
    aiflow_home,
    client_config_path,
    load_client_settings,
    load_server_settings,
    require_server_config,
    server_config_path,
)
from notification_service.util.output import render


def _show(value: object) -> str:
    # Strings as-is; everything else in YAML/JSON spelling (true, 5.0, null).
    return value if isinstance(value, str) else json.dumps(value)


def effective_config(home: Path | None = None) -> dict[str, Any]:
    """Server keys, then client keys, with defaults and ${AIFLOW_HOME} resolved."""
    require_server_config(home)
    values = load_server_settings(home).model_dump()
    values.update(load_client_settings(home).model_dump())
    return values


def write_default_configs(home: Path) -> None:
    """Write both default files into `home`, leaving existing ones alone (and saying so)."""
    home.mkdir(parents=True, exist_ok=True)
    for path, template in (
        (server_config_path(home), DEFAULT_SERVER_CONFIG_TEMPLATE),
        (client_config_path(home), DEFAULT_CLIENT_CONFIG_TEMPLATE),
    ):
        if path.exists():
            click.echo(f"Config file {path} already exists; not overwriting it.")
            continue
        path.write_text(Template(template).safe_substitute(AIFLOW_HOME=str(home)))
        click.echo(f"Created config file {path}")


@click.group("config")
def config_group() -> None:
    """Manages configuration."""


@config_group.command("init")
def init() -> None:
    """Write the default aiflow_server.yaml and aiflow_client.yaml into $AIFLOW_HOME.

    Existing files are never overwritten: remove one and run this again to reset it.
    """
    write_default_configs(aiflow_home())


@config_group.command("get-value")
@click.argument("key")
def get_value(key: str) -> None:
    """Print the effective value of KEY (nested keys with dots: blob_manager.blob_manager_class)."""
    value: Any = effective_config()
    for i, part in enumerate(key.split(".")):
        if not isinstance(value, dict) or part not in value:
            if i == 0:
                known = ", ".join(effective_config())
                raise click.ClickException(f"unknown config key {key!r}; known keys: {known}")
            raise click.ClickException(f"unknown config key {key!r}")
        value = value[part]
    click.echo(_show(value))


@config_group.command("list")
@output_option
def list_(fmt: str) -> None:
    """List every effective key and value of both files (defaults included)."""
    rows = [{"key": k, "value": v} for k, v in effective_config().items()]
    if fmt in ("table", "plain"):
        rows = [{"key": r["key"], "value": _show(r["value"])} for r in rows]
    render(rows, fmt, ["key", "value"], time_columns=())
