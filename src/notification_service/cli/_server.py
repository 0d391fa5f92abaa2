"""`notification server ...`: run the server in the foreground or as a daemon."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from notification_service.settings import (
    PID_FILE_NAME,
    NotificationServerSettings,
    config_path,
    load_settings,
    notification_home,
)
from notification_service.util.daemon import DaemonSpec, running_pid, start_daemon, stop_daemon
from notification_service.util.logs import setup_logging

# notification_service.server.STARTED_MESSAGE; a literal so that starting the daemon
# does not import the whole server into the command (tests/notification_service/cli).
STARTED_MESSAGE = "notification server started."
# The daemon runs this; `marker` identifies it among live processes by its cmdline.
SERVER_MODULE = "notification_service.server"
MARKER = ("-m", SERVER_MODULE)
STOP_TIMEOUT = 10.0
# `server status` exit code when not running, as LSB init scripts and systemctl use.
NOT_RUNNING_EXIT = 3


def pid_file(home: Path | None = None) -> Path:
    return (home or notification_home()) / PID_FILE_NAME


def log_file(home: Path | None = None) -> Path:
    # One file per day: `notification_server-2024-01-31.log`, appended across restarts.
    return (home or notification_home()) / "logs" / f"notification_server-{date.today()}.log"


def local_uri(settings: NotificationServerSettings) -> str:
    # A wildcard listen address is reachable from this host on the loopback interface.
    host = settings.host
    if host in ("0.0.0.0", "::", "[::]", ""):
        host = "127.0.0.1"
    return f"{host}:{settings.server_port}"


def _serving(uri: str) -> bool:
    from notification_service.client import (
        AuthenticationError,
        NotificationClient,
        NotificationError,
    )

    try:
        with NotificationClient(uri, rpc_timeout=1.0, retry_seconds=0.0) as client:
            client.get_latest_offset()
        return True
    except AuthenticationError:
        return True  # it answers, wanting a token we lack (auth_tokens): it serves
    except NotificationError:
        return False


@click.group("server")
def server_group() -> None:
    """Start, stop and inspect the notification server."""


@server_group.command("start")
@click.option(
    "-d", "--daemon", is_flag=True, help="Run in the background (log in $NOTIFICATION_HOME/logs)."
)
def start(daemon: bool) -> None:
    """Start the notification server (foreground unless -d)."""
    settings = load_settings()  # fail fast on a bad config, before forking
    if not daemon:
        from notification_service.server import run_server

        setup_logging()
        run_server(settings)
        return
    home = notification_home()
    uri = local_uri(settings)

    def ready(new_log: str) -> bool:
        # The log line proves this child serves; a ping alone could hit another server.
        return STARTED_MESSAGE in new_log and (settings.server_port == 0 or _serving(uri))

    spec = DaemonSpec(
        name="notification server",
        pid_file=pid_file(home),
        log_file=log_file(home),
        command=[sys.executable, "-m", SERVER_MODULE],
        marker=MARKER,
        ready=ready,
    )
    pid = start_daemon(spec, settings.wait_for_server_started_timeout)
    click.echo(f"Notification server started (pid {pid}) on {uri}; log: {spec.log_file}")


@server_group.command("stop")
def stop() -> None:
    """Stop the daemon: SIGTERM, then SIGKILL if it has not exited after 10 s.

    Stopping a server that is not running succeeds with a message (like systemctl).
    """
    pid = stop_daemon(pid_file(), MARKER, STOP_TIMEOUT)
    if pid is None:
        click.echo("Notification server is not running.")
    else:
        click.echo(f"Notification server stopped (pid {pid}).")


@server_group.command("status")
def status() -> None:
    """Show whether the daemon runs; exit code 3 when it does not."""
    pid = running_pid(pid_file(), MARKER)
    if pid is None:
        click.echo("Notification server is not running.")
        sys.exit(NOT_RUNNING_EXIT)
    where = ""
    if config_path().exists():
        where = f" on {local_uri(load_settings())}"
    click.echo(f"Notification server is running (pid {pid}){where}.")
