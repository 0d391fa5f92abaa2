"""Schedule and trigger metadata through the ops API (real servers, SQLite)."""

from __future__ import annotations

import pytest
from aiflow_servers import Servers

from ai_flow import ops
from ai_flow.model.internal.conditions import SingleEventCondition
from ai_flow.model.rule import WorkflowRule

WORKFLOW = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='wf') as workflow:
        BashOperator(name='a', bash_command='echo a')
"""
# Far-apart fires: a timer loop, if running, must not fire during the test.
DAILY = "interval@1 0 0 0"
YEARLY = "cron@0 0 1 1 *"


MALFORMED = [
    "cron@0 * * *",  # 4 fields
    "cron@61 * * * *",
    "interval@0 0 10",
    "interval@0 0 0 0",
    "interval@0 -1 0 0",
    "interval0 0 10 0",  # the spec's typo: no '@'
    "every@1 0 0 0",
    "",
]


def test_a_malformed_expression_is_refused_and_nothing_is_stored(servers: Servers) -> None:
    servers.upload(WORKFLOW)
    for expression in MALFORMED:
        with pytest.raises(ops.InvalidArgumentError, match="Expected 'cron@<minute> <hour>"):
            ops.add_workflow_schedule(expression, "wf")
    assert ops.list_workflow_schedules("wf") == []


def test_schedules_crud(servers: Servers) -> None:
    [wf] = servers.upload(WORKFLOW)
    with pytest.raises(ops.NotFoundError, match="default.nope"):
        ops.add_workflow_schedule(DAILY, "nope")

    first = ops.add_workflow_schedule(DAILY, "wf")
    assert (first.workflow_id, first.namespace, first.workflow_name) == (wf.id, "default", "wf")
    assert (first.expression, first.is_paused, first.last_fire_time) == (DAILY, False, None)
    assert first.create_time is not None
    second = ops.add_workflow_schedule(YEARLY, "wf", namespace="default")
    assert ops.get_workflow_schedule(first.id) == first
    assert [s.id for s in ops.list_workflow_schedules("wf")] == [first.id, second.id]
    assert [s.id for s in ops.list_workflow_schedules("wf", limit=1, offset=1)] == [second.id]
    assert first.to_dict()["create_time"].endswith("+00:00")

    assert ops.pause_workflow_schedule(first.id).is_paused
    assert ops.get_workflow_schedule(first.id).is_paused
    assert not ops.resume_workflow_schedule(first.id).is_paused

    ops.delete_workflow_schedule(first.id)
    assert ops.get_workflow_schedule(first.id) is None
    with pytest.raises(ops.NotFoundError, match=f"workflow schedule {first.id}"):
        ops.delete_workflow_schedule(first.id)
    with pytest.raises(ops.NotFoundError):
        ops.pause_workflow_schedule(first.id)
    ops.add_workflow_schedule(DAILY, "wf")
    assert ops.delete_workflow_schedules("wf") == 2
    assert ops.list_workflow_schedules("wf") == []
    with pytest.raises(ops.NotFoundError):
        ops.list_workflow_schedules("nope")


def test_triggers_crud(servers: Servers) -> None:
    [wf] = servers.upload(WORKFLOW)
    rule = WorkflowRule(SingleEventCondition("k"))
    first = ops.add_workflow_trigger(rule, "wf")
    assert (first.workflow_id, first.workflow_name, first.is_paused) == (wf.id, "wf", False)
    assert first.condition_class == "ai_flow.model.internal.conditions:SingleEventCondition"
    assert first.expect_event_keys == ["k"]
    assert list(first.to_dict())[:6] == [
        "id",
        "workflow_id",
        "namespace",
        "workflow_name",
        "is_paused",
        "create_time",
    ]
    second = ops.add_workflow_trigger(rule, "wf")
    assert ops.get_workflow_trigger(first.id) == first
    assert [t.id for t in ops.list_workflow_triggers("wf")] == [first.id, second.id]
    assert [t.id for t in ops.list_workflow_triggers("wf", limit=1)] == [first.id]
    assert ops.pause_workflow_trigger(first.id).is_paused
    assert not ops.resume_workflow_trigger(first.id).is_paused
    ops.delete_workflow_trigger(first.id)
    assert ops.get_workflow_trigger(first.id) is None
    with pytest.raises(ops.NotFoundError, match=f"workflow trigger {first.id}"):
        ops.delete_workflow_trigger(first.id)
    assert ops.delete_workflow_triggers("wf") == 1
    assert ops.list_workflow_triggers("wf") == []


def test_deleting_a_workflow_deletes_its_schedules_and_triggers(servers: Servers) -> None:
    servers.upload(WORKFLOW)
    schedule = ops.add_workflow_schedule(DAILY, "wf")
    trigger = ops.add_workflow_trigger(WorkflowRule(SingleEventCondition("k")), "wf")
    ops.delete_workflow("wf")
    assert ops.get_workflow_schedule(schedule.id) is None
    assert ops.get_workflow_trigger(trigger.id) is None
