"""The `notification` command line."""

from __future__ import annotations

import os

# gRPC's native layer prints its own multi-line errors to stderr (e.g. on a busy port)
# that repeat what our `Error:` line says. Must be set before grpc is imported;
# an explicit GRPC_VERBOSITY from the user still wins.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")

import click  # noqa: E402
from sqlalchemy.exc import SQLAlchemyError

from notification_service import __version__
from notification_service.cli._config import config_group
from notification_service.cli._db import db_group
from notification_service.cli._event import event_group
from notification_service.cli._server import server_group
from notification_service.client import NotificationError
from notification_service.server import ServerStartError
from notification_service.storage import SchemaError
from notification_service.util.config_file import ConfigError
from notification_service.util.daemon import DaemonError

# Errors whose str() is already a one-line message for the user.
KNOWN_ERRORS: tuple[type[Exception], ...] = (
    ConfigError,
    SchemaError,
    ServerStartError,
    NotificationError,
    DaemonError,
)


class _Group(click.Group):
    """Turns known errors into `Error: <message>` and exit 1, never a traceback."""

    def invoke(self, ctx: click.Context):  # noqa: ANN201
        try:
            return super().invoke(ctx)
        except KNOWN_ERRORS as exc:
            raise click.ClickException(str(exc)) from None
        except SQLAlchemyError as exc:
            # Driver messages span lines (SQL, background links); the first says it all.
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise click.ClickException(f"database error: {first}") from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Notification service: configure, run and query the event server."""


@cli.command()
def version() -> None:
    """Print the version of the notification service."""
    click.echo(__version__)


cli.add_command(config_group)
cli.add_command(db_group)
cli.add_command(server_group)
cli.add_command(event_group)


def main() -> None:
    cli(prog_name="notification")
