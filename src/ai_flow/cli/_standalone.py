"""`aiflow standalone`: both servers on one machine, set up on first use.

$AIFLOW_HOME holds the AIFlow files. The notification server uses $NOTIFICATION_HOME
when set (as in the spec's Quickstart), else $AIFLOW_HOME/notification_service, so a
laptop set-up lives in one directory.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ai_flow.cli import _server
from ai_flow.cli._config import write_default_configs
from ai_flow.cli._db import init_database
from ai_flow.settings import AIFlowServerSettings, aiflow_home, load_server_settings
from notification_service.settings import NotificationServerSettings
from notification_service.settings import load_settings as load_ns_settings
from notification_service.util.environment import env
from notification_service.util.logs import setup_logging

if TYPE_CHECKING:
    from ai_flow.server import AIFlowServer


def _ns_cli():  # noqa: ANN202
    """The notification command line's server module, imported on use (it is heavy)."""
    from notification_service.cli import _server

    return _server


def _use_notification_home() -> Path:
    """Export NOTIFICATION_HOME (default $AIFLOW_HOME/notification_service) for us and children."""
    home = env("NOTIFICATION_HOME") or str(aiflow_home() / "notification_service")
    os.environ["NOTIFICATION_HOME"] = home
    return Path(home).expanduser()


def _prepare(ctx: click.Context) -> tuple[NotificationServerSettings, AIFlowServerSettings]:
    """config init + db init for both services; each step is a no-op when done before."""
    from notification_service.cli._config import init as ns_config_init
    from notification_service.cli._db import init as ns_db_init

    _use_notification_home()
    ctx.invoke(ns_config_init)
    ctx.invoke(ns_db_init)
    write_default_configs(aiflow_home())
    init_database()
    ns, af = load_ns_settings(), load_server_settings()
    port = af.notification_server_uri.rsplit(":", 1)[-1]
    if port != str(ns.server_port):
        click.echo(
            f"Warning: notification_server_uri {af.notification_server_uri} in aiflow_server.yaml "
            f"does not use the notification server's port {ns.server_port}.",
            err=True,
        )
    return ns, af


def _where(ns: NotificationServerSettings, af: AIFlowServerSettings) -> None:
    click.echo(f"Notification server: {_ns_cli().local_uri(ns)}")
    click.echo(f"AIFlow server:       {_server.local_address(af)}")
    if af.rest_port:
        host = _server.local_address(af).rpartition(":")[0]
        click.echo(f"Web UI and REST API: http://{host}:{af.rest_port}/")
    click.echo(f"Task logs:           {aiflow_home() / 'logs'}/<workflow>/<execution>/<task>/")


@click.group("standalone", invoke_without_command=True)
@click.option("-d", "--daemon", is_flag=True, help="Start both as daemons and return.")
@click.pass_context
def standalone_group(ctx: click.Context, daemon: bool) -> None:
    """Run the notification server and the AIFlow server on this machine.

    Creates missing config files and database tables first. Without -d both servers run
    in this process until Ctrl-C; with -d they run as daemons (`aiflow standalone stop`).
    The notification server's home is $NOTIFICATION_HOME if set, else
    $AIFLOW_HOME/notification_service.
    """
    if ctx.invoked_subcommand is not None:
        return
    ns, af = _prepare(ctx)
    if daemon:
        _start_daemons(ctx, ns, af)
    else:
        _run_foreground(ns, af)


def _start_daemons(
    ctx: click.Context, ns: NotificationServerSettings, af: AIFlowServerSettings
) -> None:
    ns_cli = _ns_cli()
    started_ns = False
    ns_pid = ns_cli.running_pid(ns_cli.pid_file(), ns_cli.MARKER)
    if ns_pid is None:
        ctx.invoke(ns_cli.start, daemon=True)
        started_ns = True
    else:
        click.echo(f"Notification server is already running (pid {ns_pid}).")
    af_pid = _server.server_pid()
    if af_pid is not None:
        click.echo(f"AIFlow server is already running (pid {af_pid}).")
    else:
        try:
            pid, log = _server.start_server_daemon(af)
        except Exception:
            if started_ns:  # leave the machine as we found it
                ns_cli.stop_daemon(ns_cli.pid_file(), ns_cli.MARKER, ns_cli.STOP_TIMEOUT)
            raise
        click.echo(f"AIFlow server started (pid {pid}); log: {log}")
    _where(ns, af)
    click.echo("Stop both with `aiflow standalone stop`.")


def _run_foreground(ns: NotificationServerSettings, af: AIFlowServerSettings) -> None:
    from ai_flow.server import AIFlowServer
    from notification_service.server import NotificationServer

    setup_logging()
    ns_server = NotificationServer(ns)
    ns_server.start()
    af_server: AIFlowServer | None = None
    try:
        af_server = AIFlowServer(af, aiflow_home())
        af_server.start()
        _where(ns, af)
        click.echo("Press Ctrl-C to stop both servers.")
        stop = threading.Event()
        # Ctrl-C and SIGTERM both end the wait; the servers then stop in reverse order.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        while not stop.wait(1.0):
            pass
    finally:
        if af_server is not None:
            af_server.stop()
        ns_server.stop()


@standalone_group.command("stop")
def stop() -> None:
    """Stop the AIFlow server and the notification server daemons."""
    _use_notification_home()
    ctx = click.get_current_context()
    ctx.invoke(_server.stop)
    ctx.invoke(_ns_cli().stop)


@standalone_group.command("status")
def status() -> None:
    """Show both daemons; exit code 3 unless both run."""
    _use_notification_home()
    ns_cli = _ns_cli()
    pids = {
        "AIFlow server": _server.server_pid(),
        "Notification server": ns_cli.running_pid(ns_cli.pid_file(), ns_cli.MARKER),
    }
    for name, pid in pids.items():
        click.echo(f"{name} is running (pid {pid})." if pid else f"{name} is not running.")
    if None in pids.values():
        sys.exit(_server.NOT_RUNNING_EXIT)
