"""`aiflow workflow-schedule` and `aiflow workflow-trigger` in-process against real servers."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiflow_servers import Servers, servers_factory  # noqa: E402, F401

from ai_flow import ops  # noqa: E402
from ai_flow.model.internal.conditions import SingleEventCondition  # noqa: E402
from ai_flow.model.rule import WorkflowRule  # noqa: E402

WORKFLOW = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='wf') as workflow:
        BashOperator(name='a', bash_command='echo a')
"""
Invoke = Callable[..., Result]


@pytest.fixture
def running(servers_factory: Callable[..., Servers]) -> Servers:  # noqa: F811
    """Both servers in-process; the CLI reaches them through the ops address."""
    return servers_factory()


def _ok(invoke: Invoke, *args: str, input: str | None = None) -> str:
    result = invoke(*args, input=input)
    assert result.exit_code == 0, result.output
    return result.output


def _fails(invoke: Invoke, *args: str, input: str | None = None) -> str:
    result = invoke(*args, input=input)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.output


def test_workflow_schedule_commands(running: Servers, invoke: Invoke) -> None:
    running.upload(WORKFLOW)
    assert _ok(invoke, "workflow-schedule", "add", "wf", "interval@1 0 0 0").strip() == (
        "Workflow schedule: 1, added."
    )
    _ok(invoke, "workflow-schedule", "add", "-n", "default", "wf", "cron@0 0 1 1 *")
    error = _fails(invoke, "workflow-schedule", "add", "wf", "cron@bad")
    assert error.startswith("Error: Invalid periodic expression 'cron@bad'")
    assert "Expected 'cron@<minute>" in error and error.count("\n") == 1

    listed = json.loads(_ok(invoke, "workflow-schedule", "list", "wf", "-o", "json"))
    assert [(s["id"], s["expression"], s["is_paused"]) for s in listed] == [
        (1, "interval@1 0 0 0", False),
        (2, "cron@0 0 1 1 *", False),
    ]
    table = _ok(invoke, "workflow-schedule", "list", "wf")
    assert "interval@1 0 0 0" in table and "next_fire_time" in table
    shown = json.loads(_ok(invoke, "workflow-schedule", "show", "1", "-o", "json"))
    assert shown["workflow_name"] == "wf" and shown["workflow_id"] == listed[0]["workflow_id"]

    assert "paused" in _ok(invoke, "workflow-schedule", "pause", "1")
    assert ops.get_workflow_schedule(1).is_paused
    assert "resumed" in _ok(invoke, "workflow-schedule", "resume", "1")
    assert not ops.get_workflow_schedule(1).is_paused
    assert "does not exist" in _fails(invoke, "workflow-schedule", "pause", "99")

    assert "aborted" in _fails(invoke, "workflow-schedule", "delete", "1", input="n\n")
    assert ops.get_workflow_schedule(1) is not None
    assert "deleted" in _ok(invoke, "workflow-schedule", "delete", "1", input="y\n")
    assert ops.get_workflow_schedule(1) is None
    assert "does not exist" in _fails(invoke, "workflow-schedule", "show", "1")
    assert "Deleted 1 schedule(s)" in _ok(invoke, "workflow-schedule", "delete-all", "wf", "-y")
    assert "does not exist" in _fails(invoke, "workflow-schedule", "delete-all", "nope", "-y")


def test_workflow_trigger_commands(running: Servers, invoke: Invoke) -> None:
    running.upload(WORKFLOW)
    trigger = ops.add_workflow_trigger(WorkflowRule(SingleEventCondition("k1")), "wf")
    ops.add_workflow_trigger(WorkflowRule(SingleEventCondition("k2")), "wf")

    listed = json.loads(_ok(invoke, "workflow-trigger", "list", "wf", "-o", "json"))
    assert [(t["expect_event_keys"], t["is_paused"]) for t in listed] == [
        (["k1"], False),
        (["k2"], False),
    ]
    assert listed[0]["rule"]["condition"]["state"] == {"expect_event_keys": ["k1"]}
    table = _ok(invoke, "workflow-trigger", "list", "wf")
    assert "SingleEventCondition" in table and "k2" in table
    shown = json.loads(_ok(invoke, "workflow-trigger", "show", str(trigger.id), "-o", "json"))
    assert shown["id"] == trigger.id and shown["condition"].endswith(":SingleEventCondition")
    assert "k1" in _ok(invoke, "workflow-trigger", "show", str(trigger.id))

    assert "paused" in _ok(invoke, "workflow-trigger", "pause", str(trigger.id))
    assert ops.get_workflow_trigger(trigger.id).is_paused
    assert "resumed" in _ok(invoke, "workflow-trigger", "resume", str(trigger.id))
    assert "does not exist" in _fails(invoke, "workflow-trigger", "resume", "99")

    assert "aborted" in _fails(invoke, "workflow-trigger", "delete", str(trigger.id), input="\n")
    _ok(invoke, "workflow-trigger", "delete", str(trigger.id), "-y")
    assert ops.get_workflow_trigger(trigger.id) is None
    assert "aborted" in _fails(invoke, "workflow-trigger", "delete-all", "wf", input="n\n")
    assert "Deleted 1 trigger(s)" in _ok(invoke, "workflow-trigger", "delete-all", "wf", "-y")
    assert json.loads(_ok(invoke, "workflow-trigger", "list", "wf", "-o", "json")) == []
