"""`aiflow server ...`: run the AIFlow server in the foreground or as a daemon."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from ai_flow.settings import (
    PID_FILE_NAME,
    AIFlowServerSettings,
    aiflow_home,
    load_server_settings,
    require_server_config,
    server_config_path,
)
from notification_service.util.daemon import DaemonSpec, running_pid, start_daemon, stop_daemon
from notification_service.util.logs import setup_logging

# ai_flow.server.STARTED_MESSAGE; a literal so client commands need not import the server.
STARTED_MESSAGE = "AIFlow server started."

# The daemon runs this; `MARKER` identifies it among live processes by its cmdline.
SERVER_MODULE = "ai_flow.server"
MARKER = ("-m", SERVER_MODULE)
STOP_TIMEOUT = 10.0
# Time to open the database and load snapshots, on top of waiting for the notification server.
START_MARGIN = 30.0
# `server status` exit code when not running, as LSB init scripts and systemctl use.
NOT_RUNNING_EXIT = 3


def pid_file(home: Path | None = None) -> Path:
    return (home or aiflow_home()) / PID_FILE_NAME


def log_file(settings: AIFlowServerSettings) -> Path:
    # One file per day: `aiflow_server-2024-01-31.log`, appended across restarts.
    return Path(settings.log_dir) / f"aiflow_server-{date.today()}.log"


def local_address(settings: AIFlowServerSettings) -> str:
    # A wildcard listen address is reachable from this host on the loopback interface.
    host = settings.host
    if host in ("0.0.0.0", "::", "[::]", ""):
        host = "127.0.0.1"
    return f"{host}:{settings.rpc_port}"


def load_settings() -> AIFlowServerSettings:
    require_server_config()
    return load_server_settings()


def start_server_daemon(settings: AIFlowServerSettings) -> tuple[int, Path]:
    """Start the server detached; returns (pid, log file) once it serves."""
    spec = DaemonSpec(
        name="AIFlow server",
        pid_file=pid_file(),
        log_file=log_file(settings),
        command=[sys.executable, "-m", SERVER_MODULE],
        marker=MARKER,
        # The child logs this line only after its gRPC port is bound and serving.
        ready=lambda new_log: STARTED_MESSAGE in new_log,
    )
    pid = start_daemon(spec, settings.wait_for_server_started_timeout + START_MARGIN)
    return pid, spec.log_file


def stop_server_daemon() -> int | None:
    return stop_daemon(pid_file(), MARKER, STOP_TIMEOUT)


def server_pid() -> int | None:
    return running_pid(pid_file(), MARKER)


@click.group("server")
def server_group() -> None:
    """Start, stop and inspect the AIFlow server."""


@server_group.command("start")
@click.option("-d", "--daemon", is_flag=True, help="Run in the background (log in log_dir).")
def start(daemon: bool) -> None:
    """Start the AIFlow server (foreground unless -d).

    The notification server must be reachable at notification_server_uri.
    """
    settings = load_settings()  # fail fast on a bad config, before forking
    if not daemon:
        from ai_flow.server import run_server

        setup_logging()
        run_server(settings, aiflow_home())
        return
    pid, log = start_server_daemon(settings)
    click.echo(f"AIFlow server started (pid {pid}) on {local_address(settings)}; log: {log}")


@server_group.command("stop")
def stop() -> None:
    """Stop the daemon: SIGTERM, then SIGKILL after 10 s. Running tasks keep running.

    Stopping a server that is not running succeeds with a message (like systemctl).
    """
    pid = stop_server_daemon()
    if pid is None:
        click.echo("AIFlow server is not running.")
    else:
        click.echo(f"AIFlow server stopped (pid {pid}).")


@server_group.command("status")
def status() -> None:
    """Show whether the daemon runs; exit code 3 when it does not."""
    pid = server_pid()
    if pid is None:
        click.echo("AIFlow server is not running.")
        sys.exit(NOT_RUNNING_EXIT)
    where = ""
    if server_config_path().exists():
        where = f" on {local_address(load_server_settings())}"
    click.echo(f"AIFlow server is running (pid {pid}){where}.")
