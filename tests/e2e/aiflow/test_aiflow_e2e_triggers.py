"""The docs' Workflow Triggers example, run verbatim as `python example.py` against real
server daemons, then the trigger driven through `aiflow workflow-trigger`."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

from af_e2e_helpers import Stack

# Verbatim from the docs ("Creating Workflow Triggers"); only the port is ours.
EXAMPLE = """\
from ai_flow import ops
from ai_flow.model.internal.conditions import SingleEventCondition
from ai_flow.model.rule import WorkflowRule
from ai_flow.model.workflow import Workflow
from ai_flow.notification.notification_client import AIFlowNotificationClient
from ai_flow.operators.bash import BashOperator
from ai_flow.operators.python import PythonOperator


def send_event():
    client = AIFlowNotificationClient(server_uri='localhost:50052')
    client.send_event(key='trigger_workflow', value=None)


with Workflow(name='event_trigger_workflow_1') as w1:
    event_task = PythonOperator(name='event_task',
                                python_callable=send_event)

with Workflow(name='event_trigger_workflow_2') as w2:
    task1 = BashOperator(name='task1',
                         bash_command='echo I am 1st task.')

if __name__ == "__main__":
    ops.upload_workflows(__file__)

    trigger_rule = WorkflowRule(SingleEventCondition(expect_event_key="trigger_workflow"))
    ops.add_workflow_trigger(rule=trigger_rule, workflow_name='event_trigger_workflow_2')

    ops.start_workflow_execution('event_trigger_workflow_1')
"""


def _executions(stack: Stack, workflow: str) -> list[dict[str, Any]]:
    return stack.json("workflow-execution", "list", workflow)


def _wait_triggered(stack: Stack, count: int, timeout: float = 60) -> dict[str, Any]:
    """Until workflow 2 has `count` EVENT executions, the last with task1 SUCCESS."""
    deadline = time.monotonic() + timeout
    while True:
        runs = _executions(stack, "event_trigger_workflow_2")
        assert len(runs) <= count, runs
        if len(runs) == count and runs[-1]["status"] == "SUCCESS":
            assert {r["execution_type"] for r in runs} == {"EVENT"}
            tasks = stack.json("task-execution", "list", str(runs[-1]["id"]))
            assert [(t["task_name"], t["status"]) for t in tasks] == [("task1", "SUCCESS")]
            return runs[-1]
        assert time.monotonic() < deadline, f"workflow 2 executions: {runs}"
        time.sleep(0.5)


def _run_sender(stack: Stack) -> None:
    """A new execution of workflow 1; once it finished, its event has been scheduled
    (its task's SUCCESS report comes after the event it sent)."""
    out = stack.ok("workflow-execution", "start", "event_trigger_workflow_1")
    execution_id = int(out.split(":")[1].split()[0])
    assert stack.wait_finished(execution_id)["status"] == "SUCCESS"


def test_trigger_example_verbatim_then_pause_resume_delete(stack: Stack) -> None:
    stack.configure()
    stack.start()
    example = stack.tmp / "example.py"
    example.write_text(EXAMPLE.replace("localhost:50052", f"localhost:{stack.ns_port}"))
    result = subprocess.run(
        [sys.executable, str(example)],
        env=stack.env,
        cwd=stack.tmp,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    _wait_triggered(stack, 1)

    [trigger] = stack.json("workflow-trigger", "list", "event_trigger_workflow_2")
    assert trigger["expect_event_keys"] == ["trigger_workflow"] and not trigger["is_paused"]
    trigger_id = str(trigger["id"])
    assert stack.json("workflow-trigger", "show", trigger_id)["workflow_name"] == (
        "event_trigger_workflow_2"
    )

    stack.ok("workflow-trigger", "pause", trigger_id)
    _run_sender(stack)
    time.sleep(1)
    assert len(_executions(stack, "event_trigger_workflow_2")) == 1

    stack.ok("workflow-trigger", "resume", trigger_id)
    _run_sender(stack)
    _wait_triggered(stack, 2)

    stack.ok("workflow-trigger", "delete", trigger_id, "-y")
    assert stack.json("workflow-trigger", "list", "event_trigger_workflow_2") == []
    _run_sender(stack)
    time.sleep(1)
    assert len(_executions(stack, "event_trigger_workflow_2")) == 2
