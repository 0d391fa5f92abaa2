"""`aiflow task-execution explain`, `workflow-execution explain`, `event explain` and
`workflow replay` against real servers (tasks run as real processes)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiflow_servers import Servers, servers_factory  # noqa: E402, F401

from ai_flow import ops  # noqa: E402
from notification_service.client import NotificationClient  # noqa: E402

WORKFLOW = """
    from ai_flow.model.action import TaskAction
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='why') as workflow:
        BashOperator(name='keeper', bash_command='sleep 60')
        t = BashOperator(name='t', bash_command='sleep 60')
        t.action_on_event_received(TaskAction.START, 'go')
        w = BashOperator(name='w', bash_command='true')
        w.action_on_event_received(TaskAction.START, 'never')
"""
Invoke = Callable[..., Result]


@pytest.fixture
def running(servers_factory: Callable[..., Servers]) -> Servers:  # noqa: F811
    servers = servers_factory()
    assert servers.aiflow is not None
    servers.aiflow.app.events = NotificationClient(servers.ns_uri)
    return servers


def _ok(invoke: Invoke, *args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result.output


def test_explain_and_replay_commands(running: Servers, invoke: Invoke) -> None:
    assert running.aiflow is not None
    path = running.write(WORKFLOW, "why.py")
    ops.upload_workflows(str(path))
    begin = running.client.get_latest_offset()
    eid = ops.start_workflow_execution("why")
    go = running.client.send_event("go", "x")
    running.wait_tasks(eid, {"keeper": ["RUNNING"], "t": ["RUNNING"]})
    running.wait_scheduled()

    text = _ok(invoke, "task-execution", "explain", str(eid), "t")
    assert f"started by: EVENT event {go.offset} (go, default) rule 0 SingleEventCondition" in text
    assert "It is running now." in text
    text = _ok(invoke, "task-execution", "explain", str(eid), "w")
    assert "no event with key never in namespace default since the execution started" in text
    data = json.loads(_ok(invoke, "task-execution", "explain", str(eid), "t", "-o", "json"))
    assert data["runs"][0]["started_by"]["event"]["offset"] == go.offset

    text = _ok(invoke, "event", "explain", str(go.offset))
    assert f"execution {eid} task t: EVENT event {go.offset}" in text
    assert "MET: started run 1" in text
    nowhere = running.client.send_event(
        "nobody",
        "x",
    )
    running.wait_scheduled()
    text = _ok(invoke, "event", "explain", str(nowhere.offset))
    assert "no running execution in namespace default expects key nobody" in text

    data = yaml.safe_load(_ok(invoke, "workflow-execution", "explain", str(eid), "-o", "yaml"))
    assert data["started_by"]["source"] == "USER"
    assert data["decisions"][0]["task_name"] == "t"

    text = _ok(invoke, "workflow", "replay", str(path), "--from-offset", str(begin))
    assert f"t                START    {go.offset:>8}" in text

    # The real command line, in its own process, with the event group registered lazily.
    done = subprocess.run(
        [
            *(sys.executable, "-m", "ai_flow.cli", "--server", f"localhost:{running.aiflow.port}"),
            *("event", "explain", str(go.offset), "-o", "json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["decisions"][0]["workflow_execution_id"] == eid
    ops.stop_workflow_execution(eid)
