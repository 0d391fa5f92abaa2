"""The `aiflow` command line."""

from __future__ import annotations

import os

# gRPC's native layer prints its own multi-line errors to stderr that repeat what our
# `Error:` line says. Must be set before grpc is imported; the user's value still wins.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")

from notification_service.util import grpc_core  # noqa: E402

grpc_core.tune()  # before grpc loads: the cheaper native paths

import click  # noqa: E402

from ai_flow import __version__  # noqa: E402
from notification_service.util.cli_group import (  # noqa: E402
    LazyGroup,
    first_line_of_database_error,
)

_COMMANDS = {
    "config": "_config:config_group",
    "db": "_db:db_group",
    "server": "_server:server_group",
    "standalone": "_standalone:standalone_group",
    "namespace": "_namespace:namespace_group",
    "workflow": "_workflow:workflow_group",
    "workflow-execution": "_workflow_execution:workflow_execution_group",
    "task-execution": "_task_execution:task_execution_group",
    "workflow-schedule": "_workflow_schedule:workflow_schedule_group",
    "workflow-trigger": "_workflow_trigger:workflow_trigger_group",
    "workflow-snapshot": "_snapshot:snapshot_group",
    "scheduler": "_scheduler:scheduler_group",
    "event": "_event:event_group",
    "worker": "_worker:worker_group",
}


def _known_errors() -> tuple[type[Exception], ...]:
    """Errors whose str() is already a one-line message for the user.

    Imported only when an error occurs: a command pays only for what it runs.
    """
    from ai_flow.metadata import MetadataError
    from ai_flow.ops import AIFlowClientError
    from ai_flow.server import ServerStartError
    from notification_service.client import NotificationError
    from notification_service.server import ServerStartError as NsServerStartError
    from notification_service.storage import SchemaError as NsSchemaError
    from notification_service.util.config_file import ConfigError
    from notification_service.util.daemon import DaemonError

    return (
        AIFlowClientError,
        ConfigError,
        DaemonError,
        MetadataError,
        NotificationError,
        NsSchemaError,
        NsServerStartError,
        ServerStartError,
    )


def _translate(exc: BaseException) -> click.ClickException | None:
    from ai_flow.ops import ServerUnavailableError

    if isinstance(exc, ServerUnavailableError):
        return click.ClickException(
            f"{exc} (is it running? start it with `aiflow server start -d`)"
        )
    translated = first_line_of_database_error(exc)
    if translated is not None:
        from ai_flow.settings import server_config_path

        # Name the key and file to fix: the command line's database is the metadata one.
        hint = f"; check metadata_backend_uri in {server_config_path()}"
        return click.ClickException(translated.message + hint)
    return translated


def check_addresses(
    ctx: click.Context | None, param: click.Parameter | None, value: str | None
) -> str | None:
    """`host:port[,host:port...]` with ports 1-65535, else a usage error (exit 2): gRPC
    would quietly wrap port 99999 to 34463, another server."""
    if value is None:
        return None
    for address in value.split(","):
        host, sep, port = address.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise click.BadParameter(
                f"{address.strip()!r} is not HOST:PORT (a port from 1 to 65535)", ctx, param
            )
    return value


@click.group(
    cls=LazyGroup,
    lazy={name: f"ai_flow.cli.{target}" for name, target in _COMMANDS.items()},
    known_errors=_known_errors,
    translate=_translate,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--server",
    "server_address",
    metavar="HOST:PORT",
    default=None,
    callback=check_addresses,
    help="AIFlow server to talk to; defaults to server_address of aiflow_client.yaml.",
)
def cli(server_address: str | None) -> None:
    """AIFlow: configure and run the servers, manage workflows and their executions."""
    if server_address:
        from ai_flow.ops import set_server_address

        set_server_address(server_address)


@cli.command()
def version() -> None:
    """Print the version of AIFlow."""
    click.echo(__version__)


def main() -> None:
    cli(prog_name="aiflow")
