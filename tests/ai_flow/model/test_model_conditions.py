"""Conditions and rules evaluated the way the scheduler will: with (event, context) only."""

from __future__ import annotations

import pytest

from ai_flow.model.action import TaskAction
from ai_flow.model.condition import Condition
from ai_flow.model.context import Context
from ai_flow.model.errors import WorkflowDefinitionError
from ai_flow.model.internal.conditions import (
    AllOfCondition,
    AnyOfCondition,
    SingleEventCondition,
    TaskStatusCondition,
)
from ai_flow.model.internal.events import (
    SCHEDULER_SENDER,
    TaskStatusEventKey,
    new_task_status_event,
    parse_task_status_event_key,
    task_status_event_key,
    task_status_of,
)
from ai_flow.model.internal.memory_context import MemoryContext
from ai_flow.model.rule import TaskRule, WorkflowRule
from ai_flow.model.state import ValueState, ValueStateDescriptor
from ai_flow.model.status import TaskStatus
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator
from notification_service.model.event import Event


class NumCondition(Condition):
    """The spec's custom condition example, verbatim in behaviour."""

    def is_met(self, event: Event, context: Context) -> bool:
        state: ValueState = context.get_state(ValueStateDescriptor(name="num_state"))
        num = 0 if state.value() is None else int(state.value())
        num += int(event.value)
        if num >= 100:
            return True
        state.update(num)
        return False


def status_event(workflow: str, task: str, status: TaskStatus) -> Event:
    return new_task_status_event("default", workflow, task, status)


def test_num_condition_fires_when_sum_reaches_100():
    rule = TaskRule(NumCondition(expect_event_keys=["num_event"]), TaskAction.START)
    ctx = MemoryContext()
    results = [rule.trigger(Event(key="num_event", value="30"), ctx) for _ in range(3)]
    assert results == [None, None, None]
    assert rule.trigger(Event(key="other", value="99"), ctx) is None  # not expected: ignored
    assert rule.trigger(Event(key="num_event", value="10"), ctx) == TaskAction.START


def test_num_condition_in_a_workflow_rule():
    with Workflow(name="condition_workflow") as wf:
        consumer = BashOperator(name="consumer", bash_command="echo Got 100 records.")
        consumer.action_on_condition(
            action=TaskAction.START, condition=NumCondition(expect_event_keys=["num_event"])
        )
    [(task, rule)] = wf.rules_expecting("num_event")
    ctx = MemoryContext()
    assert task == "consumer" and rule.trigger(Event("num_event", "100"), ctx) == TaskAction.START
    assert wf.initial_tasks == []


def test_condition_requires_event_keys():
    with pytest.raises(WorkflowDefinitionError, match="expect_event_keys is empty"):
        NumCondition(expect_event_keys=[])
    with pytest.raises(WorkflowDefinitionError, match="non-empty strings"):
        NumCondition(expect_event_keys=["ok", ""])
    assert NumCondition(expect_event_keys="single").expect_event_keys == ["single"]
    assert NumCondition(["a", "b", "a"]).expect_event_keys == ["a", "b"]


def test_abstract_condition_cannot_be_instantiated():
    with pytest.raises(TypeError):
        Condition(["k"])


def test_single_event_condition_and_workflow_rule():
    rule = WorkflowRule(SingleEventCondition(expect_event_key="trigger_workflow"))
    ctx = MemoryContext()
    assert rule.trigger(Event(key="trigger_workflow"), ctx) is True
    assert rule.trigger(Event(key="something_else"), ctx) is False


def test_task_status_event_key_convention():
    key = task_status_event_key("wf", "task.1")
    assert key == "ai_flow.task_status/wf/task.1"
    assert parse_task_status_event_key(key) == TaskStatusEventKey("wf", "task.1")
    for not_a_status_key in ("ai_flow.task_status/wf", "x/wf/t", "ai_flow.task_status/a/b/c"):
        assert parse_task_status_event_key(not_a_status_key) is None
    event = new_task_status_event("ns", "wf", "t", TaskStatus.SUCCESS, context='{"id": 1}')
    assert (event.key, event.value, event.namespace, event.sender, event.context) == (
        "ai_flow.task_status/wf/t",
        "SUCCESS",
        "ns",
        SCHEDULER_SENDER,
        '{"id": 1}',
    )
    assert task_status_of(event) == TaskStatus.SUCCESS
    assert task_status_of(Event(key="user_key", value="SUCCESS")) is None


def test_start_after_fires_only_when_all_upstreams_succeeded():
    with Workflow(name="wf") as wf:
        t1 = BashOperator(name="t1", bash_command="true")
        t2 = BashOperator(name="t2", bash_command="true")
        t3 = BashOperator(name="t3", bash_command="true")
        t3.start_after([t1, t2])
    [rule] = wf.rules["t3"]
    ctx = MemoryContext({"t1": TaskStatus.RUNNING, "t2": TaskStatus.RUNNING})

    # The scheduler persists t1's status, then emits the event.
    ctx.set_task_status("t1", TaskStatus.SUCCESS)
    assert rule.trigger(status_event("wf", "t1", TaskStatus.SUCCESS), ctx) is None
    ctx.set_task_status("t2", TaskStatus.SUCCESS)
    assert rule.trigger(status_event("wf", "t2", TaskStatus.SUCCESS), ctx) == TaskAction.START
    # A status event of an unrelated task or workflow does not wake the rule.
    assert rule.trigger(status_event("wf", "t3", TaskStatus.SUCCESS), ctx) is None
    assert rule.trigger(status_event("other", "t1", TaskStatus.SUCCESS), ctx) is None


def test_status_condition_judges_the_event_task_by_the_event():
    # t1 already moved on (restarted) when its SUCCESS event is processed: the event is
    # the transition being handled, so it still counts.
    cond = TaskStatusCondition("wf", {"t1": TaskStatus.SUCCESS, "t2": TaskStatus.FAILED})
    ctx = MemoryContext({"t1": TaskStatus.RUNNING, "t2": TaskStatus.FAILED})
    assert cond.is_met(status_event("wf", "t1", TaskStatus.SUCCESS), ctx)
    assert not cond.is_met(status_event("wf", "t1", TaskStatus.FAILED), ctx)
    assert not cond.is_met(status_event("wf", "t2", TaskStatus.FAILED), ctx)  # t1 RUNNING


def test_stop_rule_from_the_spec():
    with Workflow(name="my_workflow") as wf:
        task1 = BashOperator(name="task_1", bash_command="sleep 10")
        task2 = BashOperator(name="task_2", bash_command="sleep 20")
        task3 = BashOperator(name="task_3", bash_command="sleep 100")
        task3.action_on_task_status(
            action=TaskAction.STOP,
            upstream_task_status_dict={task1: TaskStatus.SUCCESS, task2: TaskStatus.SUCCESS},
        )
    assert wf.initial_tasks == ["task_1", "task_2", "task_3"]
    ctx = MemoryContext({"task_1": "SUCCESS", "task_2": "SUCCESS"})
    event = status_event("my_workflow", "task_2", TaskStatus.SUCCESS)
    assert wf.rules["task_3"][0].trigger(event, ctx) == TaskAction.STOP


def test_all_of_events_fires_once_each_was_seen_then_resets():
    cond = AllOfCondition(["a", "b"])
    assert cond.expect_event_keys == ["a", "b"]
    ctx = MemoryContext()
    assert not cond.is_met(Event("a"), ctx)
    assert not cond.is_met(Event("a"), ctx)
    assert cond.is_met(Event("b"), ctx)
    assert not cond.is_met(Event("b"), ctx)  # state was reset after firing
    assert cond.is_met(Event("a"), ctx)


def test_all_of_mixes_conditions_and_keeps_their_state_apart():
    cond = AllOfCondition([NumCondition(["n1"]), NumCondition(["n2"]), "go"])
    ctx = MemoryContext()
    assert not cond.is_met(Event("n1", "60"), ctx)
    assert not cond.is_met(Event("n2", "60"), ctx)  # its own counter, not n1's
    assert not cond.is_met(Event("n1", "60"), ctx)  # n1 reaches 120: met
    assert not cond.is_met(Event("go"), ctx)
    assert cond.is_met(Event("n2", "50"), ctx)
    described = cond.describe()
    assert described["expect_event_keys"] == ["n1", "n2", "go"]
    assert [c["class"].rsplit(".", 1)[1] for c in described["conditions"]] == [
        "NumCondition",
        "NumCondition",
        "SingleEventCondition",
    ]


def test_all_of_forgets_a_sub_condition_that_stopped_holding():
    status = TaskStatusCondition("wf", {"t": TaskStatus.SUCCESS})
    cond = AllOfCondition([status, "go"])
    ctx = MemoryContext()
    assert not cond.is_met(status_event("wf", "t", TaskStatus.SUCCESS), ctx)
    assert not cond.is_met(status_event("wf", "t", TaskStatus.RUNNING), ctx)
    assert not cond.is_met(Event("go"), ctx)
    assert cond.is_met(status_event("wf", "t", TaskStatus.SUCCESS), ctx)


def test_any_of():
    cond = AnyOfCondition([NumCondition(["n"]), "go"])
    ctx = MemoryContext()
    assert not cond.is_met(Event("n", "50"), ctx)
    assert cond.is_met(Event("go"), ctx)
    assert cond.is_met(Event("n", "50"), ctx)
    rule = TaskRule(cond, "restart")
    assert rule.trigger(Event("unrelated"), ctx) is None
    assert rule.trigger(Event("go"), ctx) == TaskAction.RESTART


def test_composite_conditions_validate_their_parts():
    with pytest.raises(WorkflowDefinitionError, match="at least one"):
        AllOfCondition([])
    with pytest.raises(WorkflowDefinitionError, match="Condition objects or event keys"):
        AnyOfCondition(["ok", 3])


def test_condition_subclass_that_skips_super_init_is_reported():
    class Broken(Condition):
        def __init__(self):
            pass

        def is_met(self, event, context):
            return True

    with pytest.raises(WorkflowDefinitionError, match=r"call super\(\).__init__"):
        TaskRule(Broken(), TaskAction.START)
