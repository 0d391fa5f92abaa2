"""Helpers shared by the notification sub-commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import click

from notification_service.client import NotificationClient
from notification_service.settings import config_path, load_settings
from notification_service.util.output import FORMATS

DEFAULT_SERVER_URI = "localhost:50052"
# A command line should fail fast when the server is down rather than retry for long.
CLI_RETRY_SECONDS = 3.0


def output_option(default: str = "table") -> Callable[[Any], Any]:
    return click.option(
        "-o",
        "--output",
        "fmt",
        type=click.Choice(FORMATS),
        default=default,
        show_default=True,
        help="Output format.",
    )


def check_uris(
    ctx: click.Context | None, param: click.Parameter | None, value: str | None
) -> str | None:
    """`host:port[,host:port...]` with ports 1-65535, else a usage error (exit 2): gRPC
    would quietly wrap port 99999 to 34463, another server."""
    if value is None:
        return None
    for uri in value.split(","):
        host, sep, port = uri.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise click.BadParameter(
                f"{uri.strip()!r} is not HOST:PORT (a port from 1 to 65535)", ctx, param
            )
    return value


def server_uri_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-s",
        "--server-uri",
        default=None,
        callback=check_uris,
        help="Uri of the notification server (host:port[,host:port...]); "
        "defaults to localhost:<server_port> from the config file, else localhost:50052.",
    )(fn)


def token_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--token",
        default=None,
        help="Token for a server with auth_tokens; defaults to $NOTIFICATION_TOKEN "
        "(better: a command line is visible to other users of the machine).",
    )(fn)


def namespace_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-n",
        "--namespace",
        default=None,
        help="Namespace of the events; all namespaces when not set.",
    )(fn)


def resolve_server_uri(server_uri: str | None) -> str:
    if server_uri:
        return server_uri
    if not config_path().exists():
        return DEFAULT_SERVER_URI
    return f"localhost:{load_settings().server_port}"


def make_client(server_uri: str | None, token: str | None, **kwargs: Any) -> NotificationClient:
    """A client of the command's server; without `token`, $NOTIFICATION_TOKEN's."""
    return NotificationClient(
        resolve_server_uri(server_uri), retry_seconds=CLI_RETRY_SECONDS, token=token, **kwargs
    )


def parse_time(value: str | None, option: str) -> datetime | None:
    """ISO 8601 -> datetime; naive values are local time."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise click.ClickException(
            f"invalid {option} {value!r}: expected ISO 8601, e.g. 2024-01-31T12:30:00"
        ) from None
