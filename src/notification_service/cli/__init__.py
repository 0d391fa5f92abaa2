"""The `notification` command line."""

from __future__ import annotations

import os

# gRPC's native layer prints its own multi-line errors to stderr (e.g. on a busy port)
# that repeat what our `Error:` line says. Must be set before grpc is imported;
# an explicit GRPC_VERBOSITY from the user still wins.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")

from notification_service.util import grpc_core  # noqa: E402

grpc_core.tune()  # before grpc loads: the cheaper native paths

import click  # noqa: E402

from notification_service import __version__  # noqa: E402
from notification_service.util.cli_group import (  # noqa: E402
    LazyGroup,
    first_line_of_database_error,
)


def _known_errors() -> tuple[type[Exception], ...]:
    """Errors whose str() is already a one-line message for the user."""
    from notification_service.client import NotificationError
    from notification_service.server import ServerStartError
    from notification_service.storage import SchemaError
    from notification_service.util.config_file import ConfigError
    from notification_service.util.daemon import DaemonError

    return (ConfigError, SchemaError, ServerStartError, NotificationError, DaemonError)


def _translate(exc: BaseException) -> click.ClickException | None:
    translated = first_line_of_database_error(exc)
    if translated is not None:
        from notification_service.settings import config_path

        # The key and the file to fix.
        return click.ClickException(f"{translated.message}; check db_uri in {config_path()}")
    return translated


@click.group(
    cls=LazyGroup,
    lazy={
        "config": "notification_service.cli._config:config_group",
        "db": "notification_service.cli._db:db_group",
        "server": "notification_service.cli._server:server_group",
        "event": "notification_service.cli._event:event_group",
    },
    known_errors=_known_errors,
    translate=_translate,
    context_settings={"help_option_names": ["-h", "--help"]},
)
def cli() -> None:
    """Notification service: configure, run and query the event server."""


@cli.command()
def version() -> None:
    """Print the version of the notification service."""
    click.echo(__version__)


def main() -> None:
    cli(prog_name="notification")
