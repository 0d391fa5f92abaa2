"""`aiflow worker ...`: Celery workers that run tries for ``task_executor: celery``."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from ai_flow.settings import aiflow_home
from notification_service.util.daemon import DaemonSpec, running_pid, start_daemon, stop_daemon

# ai_flow.executor._celery_worker's; literals so `stop` and `status` need not import it.
WORKER_MODULE = "ai_flow.executor._celery_worker"
READY_MESSAGE = "AIFlow worker ready."
MARKER = ("-m", WORKER_MODULE)
PID_FILE_NAME = "aiflow_worker.pid"
START_TIMEOUT = 60.0
# `worker status` exit code when not running, as LSB init scripts and systemctl use.
NOT_RUNNING_EXIT = 3


def pid_file(home: Path | None = None) -> Path:
    return (home or aiflow_home()) / PID_FILE_NAME


@click.group("worker")
def worker_group() -> None:
    """Run Celery workers for `task_executor: celery` (one per $AIFLOW_HOME).

    A worker reads celery_broker_url, celery_options and log_dir from
    $AIFLOW_HOME/aiflow_server.yaml; it needs no database and no server files.
    """


@worker_group.command("start")
@click.option("-d", "--daemon", is_flag=True, help="Run in the background (log in log_dir).")
@click.option(
    "--queues",
    metavar="Q1,Q2",
    default=None,
    help="Queues to consume; default: task_default_queue (aiflow).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=None,
    help="Tries run at once; default: the number of CPUs.",
)
@click.option("--name", default=None, help="Worker name; default: aiflow-<pid>@<host>.")
def start(daemon: bool, queues: str | None, concurrency: int | None, name: str | None) -> None:
    """Start a worker (foreground unless -d). The broker must be reachable."""
    from ai_flow.executor._celery_app import CeleryConfigError, check_broker, make_app
    from ai_flow.executor._celery_worker import WorkerOptions, parse_queues, run_worker
    from ai_flow.settings import load_server_settings, require_server_config

    home = aiflow_home()
    try:
        options = WorkerOptions(parse_queues(queues), concurrency, name)
        require_server_config(home)
        settings = load_server_settings(home)
        # Fail fast on a bad config or an unreachable broker, before forking.
        app = make_app(settings.celery_broker_url, settings.celery_options)
        check_broker(app)
        app.close()
    except (CeleryConfigError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    if not daemon:
        try:
            sys.exit(run_worker(home, options))
        except CeleryConfigError as exc:
            raise click.ClickException(str(exc)) from None
    spec = DaemonSpec(
        name="AIFlow worker",
        pid_file=pid_file(home),
        log_file=Path(settings.log_dir) / f"aiflow_worker-{date.today()}.log",
        command=[sys.executable, "-m", WORKER_MODULE, *options.argv()],
        marker=MARKER,
        ready=lambda new_log: READY_MESSAGE in new_log,
    )
    pid = start_daemon(spec, START_TIMEOUT)
    consumed = ",".join(options.queues) or app.conf.task_default_queue
    click.echo(f"AIFlow worker started (pid {pid}) on queues {consumed}; log: {spec.log_file}")


@worker_group.command("stop")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=10.0,
    show_default=True,
    help="Seconds running tries may take to finish before the worker is killed.",
)
def stop(timeout: float) -> None:
    """Stop the daemon: SIGTERM (no new tries; running ones finish), SIGKILL after
    --timeout s (running tries die and fail after task_heartbeat_timeout)."""
    pid = stop_daemon(pid_file(), MARKER, timeout)
    if pid is None:
        click.echo("AIFlow worker is not running.")
    else:
        click.echo(f"AIFlow worker stopped (pid {pid}).")


@worker_group.command("status")
def status() -> None:
    """Show whether the daemon runs; exit code 3 when it does not."""
    pid = running_pid(pid_file(), MARKER)
    if pid is None:
        click.echo("AIFlow worker is not running.")
        sys.exit(NOT_RUNNING_EXIT)
    click.echo(f"AIFlow worker is running (pid {pid}).")
