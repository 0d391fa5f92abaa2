"""`task_executor: celery` through the real console scripts: both servers as daemons, a
worker started with `aiflow worker start -d` under its own AIFLOW_HOME, the Quickstart
workflow run on it, on real Redis and RabbitMQ."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from af_e2e_helpers import Stack, set_yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "ai_flow" / "executor"))

from celery_workers import Broker, need_service, write_worker_home  # noqa: E402


@pytest.fixture(params=["redis", "rabbitmq"])
def broker(request: pytest.FixtureRequest) -> Iterator[Broker]:
    broker = Broker(request.param, need_service(request.param))
    yield broker
    broker.cleanup([])


def test_the_quickstart_runs_on_a_celery_worker(stack: Stack, broker: Broker) -> None:
    stack.configure()
    set_yaml(
        stack.home / "aiflow_server.yaml",
        task_executor="celery",
        celery_broker_url=broker.url,
        celery_options=json.dumps(broker.options),  # JSON is YAML
    )
    stack.start()
    home = write_worker_home(stack.tmp / "worker_home", broker)
    worker = {"AIFLOW_HOME": str(home)}
    try:
        started = stack.aiflow("worker", "start", "-d", "--concurrency", "2", **worker)
        assert started.returncode == 0, started.stderr
        assert f"on queues {broker.queue()}" in started.stdout
        status = stack.aiflow("worker", "status", **worker)
        assert status.returncode == 0 and "is running" in status.stdout
        again = stack.aiflow("worker", "start", "-d", **worker)
        assert again.returncode == 1 and "already running" in again.stderr

        stack.ok("workflow", "upload", str(stack.workflow_file()))
        stack.ok("workflow-execution", "start", "quickstart_workflow", "-n", "default")
        execution = stack.wait_finished(1)
        assert execution["status"] == "SUCCESS", stack.ok("task-execution", "list", "1")
        log = home / "logs" / "quickstart_workflow" / "1" / "task1" / "1.log"
        assert "I am the 1st task." in log.read_text()
        assert not (stack.home / "working_dir").exists()
        (worker_log,) = (home / "logs").glob("aiflow_worker-*.log")
        assert "AIFlow worker ready." in worker_log.read_text()
    finally:
        stopped = stack.aiflow("worker", "stop", **worker)
    assert stopped.returncode == 0 and "AIFlow worker stopped" in stopped.stdout
    status = stack.aiflow("worker", "status", **worker)
    assert status.returncode == 3 and "not running" in status.stdout
