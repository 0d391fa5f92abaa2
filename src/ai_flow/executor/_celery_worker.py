"""``python -m ai_flow.executor._celery_worker``: a Celery worker running AIFlow tries, as
`aiflow worker start` runs it (in the foreground, or as the daemon of ``-d``).

It reads ``celery_broker_url``, ``celery_options`` and ``log_dir`` from
``$AIFLOW_HOME/aiflow_server.yaml`` (the server's file, or one with just those keys on
a worker host): tries' working directories go under ``$AIFLOW_HOME/working_dir``, their
logs under ``log_dir``. It needs neither the metadata database nor the server's files:
each message carries the servers' addresses and the blob manager's settings.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

#: Printed once the worker consumes its queues (`aiflow worker start -d` waits for it).
READY_MESSAGE = "AIFlow worker ready."
MODULE = "ai_flow.executor._celery_worker"


@dataclass(frozen=True)
class WorkerOptions:
    queues: list[str] = field(default_factory=list)  # empty: task_default_queue
    concurrency: int | None = None  # None: Celery's default, the number of CPUs
    name: str | None = None  # None: aiflow-<pid>@<host>
    loglevel: str = "INFO"

    def argv(self) -> list[str]:
        args = []
        if self.queues:
            args += ["--queues", ",".join(self.queues)]
        if self.concurrency is not None:
            args += ["--concurrency", str(self.concurrency)]
        if self.name:
            args += ["--name", self.name]
        return args


def parse_queues(text: str | None) -> list[str]:
    """``q1,q2`` -> [q1, q2]; raises ValueError for an empty name."""
    if text is None:
        return []
    queues = [q.strip() for q in text.split(",")]
    if not all(queues):
        raise ValueError(f"--queues {text!r}: queue names must not be empty")
    return queues


def run_worker(home: Path, options: WorkerOptions) -> int:
    """Consume the queues until a signal (SIGTERM: finish running tries, then exit)."""
    from ai_flow.executor._celery_app import check_broker, make_app
    from ai_flow.settings import load_server_settings, require_server_config

    require_server_config(home)
    settings = load_server_settings(home)
    app = make_app(settings.celery_broker_url, settings.celery_options)  # Celery is there
    check_broker(app)

    from celery.signals import worker_ready

    from ai_flow.executor._celery_task import register_task

    register_task(app, str(home), settings.log_dir)

    def ready(**_kwargs: object) -> None:
        print(READY_MESSAGE, file=sys.stderr, flush=True)

    worker_ready.connect(ready, weak=False)
    worker = app.Worker(
        hostname=options.name or f"aiflow-{os.getpid()}@{socket.gethostname()}",
        queues=options.queues or [app.conf.task_default_queue],
        concurrency=options.concurrency,
        pool="prefork",  # a pool process per try: _celery_task.py watches the worker from it
        loglevel=options.loglevel,
        without_gossip=True,
        without_mingle=True,
        without_heartbeat=True,
        optimization="fair",
    )
    worker.start()
    return int(worker.exitcode or 0)


def main(argv: list[str] | None = None) -> int:
    from ai_flow.settings import aiflow_home
    from notification_service.util.serve import serve

    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}")
    parser.add_argument("--queues")
    parser.add_argument("--concurrency", type=int)
    parser.add_argument("--name")
    args = parser.parse_args(argv)
    code = 0

    def run() -> None:
        nonlocal code
        options = WorkerOptions(parse_queues(args.queues), args.concurrency, args.name)
        code = run_worker(aiflow_home(), options)

    def known() -> tuple[type[Exception], ...]:
        from ai_flow.executor._celery_app import CeleryConfigError
        from notification_service.util.config_file import ConfigError

        return (CeleryConfigError, ConfigError, ValueError)

    return serve(run, known) or code


if __name__ == "__main__":
    sys.exit(main())
