"""The `aiflow` command line."""

from __future__ import annotations

import os

# gRPC's native layer prints its own multi-line errors to stderr that repeat what our
# `Error:` line says. Must be set before grpc is imported; the user's value still wins.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")

import click  # noqa: E402

from ai_flow import __version__  # noqa: E402
from ai_flow.cli._config import config_group  # noqa: E402
from ai_flow.cli._db import db_group  # noqa: E402
from ai_flow.cli._namespace import namespace_group  # noqa: E402
from ai_flow.cli._scheduler import scheduler_group  # noqa: E402
from ai_flow.cli._server import server_group  # noqa: E402
from ai_flow.cli._snapshot import snapshot_group  # noqa: E402
from ai_flow.cli._standalone import standalone_group  # noqa: E402
from ai_flow.cli._task_execution import task_execution_group  # noqa: E402
from ai_flow.cli._workflow import workflow_group  # noqa: E402
from ai_flow.cli._workflow_execution import workflow_execution_group  # noqa: E402
from ai_flow.cli._workflow_schedule import workflow_schedule_group  # noqa: E402
from ai_flow.cli._workflow_trigger import workflow_trigger_group  # noqa: E402
from ai_flow.ops import AIFlowClientError, ServerUnavailableError, set_server_address  # noqa: E402
from notification_service.util.config_file import ConfigError  # noqa: E402
from notification_service.util.daemon import DaemonError  # noqa: E402


def _known_errors() -> tuple[type[Exception], ...]:
    """Errors whose str() is already a one-line message for the user.

    Imported only when an error occurs: the server side (SQLAlchemy, scheduler) would
    otherwise double the start-up time of every client command.
    """
    from ai_flow.metadata import MetadataError
    from ai_flow.server import ServerStartError
    from notification_service.client import NotificationError
    from notification_service.server import ServerStartError as NsServerStartError
    from notification_service.storage import SchemaError as NsSchemaError

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


class _Group(click.Group):
    """Turns known errors into `Error: <message>` and exit 1, never a traceback."""

    def invoke(self, ctx: click.Context):  # noqa: ANN201
        try:
            return super().invoke(ctx)
        except ServerUnavailableError as exc:
            raise click.ClickException(
                f"{exc} (is it running? start it with `aiflow server start -d`)"
            ) from None
        except (ConfigError, DaemonError, AIFlowClientError) as exc:
            raise click.ClickException(str(exc)) from None
        except Exception as exc:
            if isinstance(exc, _known_errors()):
                raise click.ClickException(str(exc)) from None
            from sqlalchemy.exc import SQLAlchemyError

            if not isinstance(exc, SQLAlchemyError):
                raise
            # Driver messages span lines (SQL, background links); the first says it all.
            text = str(exc).strip()
            first = text.splitlines()[0] if text else type(exc).__name__
            raise click.ClickException(f"database error: {first}") from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--server",
    "server_address",
    metavar="HOST:PORT",
    default=None,
    help="AIFlow server to talk to; defaults to server_address of aiflow_client.yaml.",
)
def cli(server_address: str | None) -> None:
    """AIFlow: configure and run the servers, manage workflows and their executions."""
    if server_address:
        set_server_address(server_address)


@cli.command()
def version() -> None:
    """Print the version of AIFlow."""
    click.echo(__version__)


for _command in (
    config_group,
    db_group,
    server_group,
    standalone_group,
    namespace_group,
    workflow_group,
    workflow_execution_group,
    task_execution_group,
    workflow_schedule_group,
    workflow_trigger_group,
    snapshot_group,
    scheduler_group,
):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="aiflow")
