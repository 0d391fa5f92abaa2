"""The AIFlow server's /metrics on rest_port, scraped as Prometheus does, after a real
event started a real task."""

from __future__ import annotations

import httpx
from aiflow_servers import Servers, wait_until
from prometheus_client.parser import text_string_to_metric_families

WORKFLOW = """
from ai_flow.model.action import TaskAction
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator

with Workflow(name='metered') as workflow:
    task = BashOperator(name='task', bash_command='echo hi')
    task.action_on_event_received(TaskAction.START, 'go')
"""


def _scrape(servers: Servers) -> dict[str, float]:
    assert servers.aiflow is not None
    answer = httpx.get(f"http://127.0.0.1:{servers.aiflow.rest_port}/metrics", timeout=30)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        sample.name + "".join(f"{{{k}={v}}}" for k, v in sorted(sample.labels.items())): (
            sample.value
        )
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def test_metrics_follow_an_event_to_its_task(servers: Servers) -> None:
    execution = servers.run(WORKFLOW, "metered")
    before = _scrape(servers)
    assert before["aiflow_scheduling"] == 1
    servers.client.send_event("go", "")
    servers.wait_tasks(execution, {"task": ["SUCCESS"]}, timeout=60)
    servers.wait_scheduled()

    def counted() -> dict[str, float] | None:
        got = _scrape(servers)
        return got if got.get("aiflow_task_reports_total{status=SUCCESS}", 0) >= 1 else None

    got = wait_until(counted, 30, "the SUCCESS report counted")
    assert got["aiflow_scheduler_events_total"] >= 3  # go, RUNNING, SUCCESS
    assert got["aiflow_scheduler_batches_total"] >= 1
    assert got["aiflow_event_to_action_seconds_count"] >= 1  # 'go' queued a START
    assert (
        got["aiflow_event_to_action_seconds_bucket{le=+Inf}"]
        == (got["aiflow_event_to_action_seconds_count"])
    )
    assert got["aiflow_scheduler_lag"] == 0
    assert got["aiflow_scheduler_committed_offset"] >= 3
    assert got["aiflow_commands_pending"] == 0
    assert got["aiflow_tasks{executor=Local}{status=RUNNING}"] == 0
    assert got["aiflow_rule_errors"] == 0
    assert (
        "/metrics"
        not in httpx.get(
            f"http://127.0.0.1:{servers.aiflow.rest_port}/openapi.json",
            timeout=30,  # type: ignore[union-attr]
        ).text
    )
