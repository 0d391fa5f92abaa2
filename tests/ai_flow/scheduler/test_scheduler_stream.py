"""The scheduler reads only events something running expects: the others cost it no
transaction per event, yet its offset moves past them, and an execution or trigger that
starts expecting a key hears every event of it sent from then on."""

from __future__ import annotations

import pytest
from aiflow_servers import Servers, wait_until

from ai_flow import ops
from ai_flow.model.rule import WorkflowRule
from ai_flow.scheduler import EventProcessor

LISTENER = """
    from ai_flow.model.action import TaskAction
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='{name}') as workflow:
        BashOperator(name='keeper', bash_command='sleep 60')
        hears = BashOperator(name='hears', bash_command='echo heard')
        hears.action_on_event_received(TaskAction.START, '{key}')
"""


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Keys of the events the scheduler's transactions processed."""
    keys: list[str] = []
    process_one = EventProcessor._process_one

    def spy(self, batch, index, event, lookup):  # noqa: ANN001, ANN202
        keys.append(event.key)
        return process_one(self, batch, index, event, lookup)

    monkeypatch.setattr(EventProcessor, "_process_one", spy)
    return keys


def test_events_nobody_expects_are_passed_without_being_read(
    servers: Servers, seen: list[str]
) -> None:
    execution_id = servers.run(LISTENER.format(name="w", key="wanted"), "w")
    servers.wait_tasks(execution_id, {"keeper": ["RUNNING"]})
    servers.client.send_events([("noise", str(i)) for i in range(300)])
    servers.wait_scheduled()  # its offset moved past them all
    assert "noise" not in seen
    servers.client.send_event("wanted", "x")
    servers.wait_tasks(execution_id, {"hears": ["SUCCESS"]})
    assert seen.count("wanted") == 1
    ops.stop_workflow_execution(execution_id)


def test_a_new_execution_hears_its_keys_from_the_moment_it_starts(
    servers: Servers, seen: list[str]
) -> None:
    first = servers.run(LISTENER.format(name="first", key="a"), "first")
    servers.wait_tasks(first, {"keeper": ["RUNNING"]})
    servers.client.send_events([("b", "before")] * 5)  # nobody expects b yet
    servers.wait_scheduled()
    second = servers.run(LISTENER.format(name="second", key="b"), "second")
    servers.client.send_event("b", "after")
    servers.wait_tasks(second, {"hears": ["SUCCESS"]})
    assert servers.statuses(second)["hears"] == ["SUCCESS"]  # once: the five came before
    for execution_id in (first, second):
        ops.stop_workflow_execution(execution_id)


TRIGGERED = """
    from ai_flow.model.action import TaskAction
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='triggered') as workflow:
        BashOperator(name='keeper', bash_command='sleep 60')
        hears = BashOperator(name='hears', bash_command='echo heard')
        hears.action_on_event_received(TaskAction.START, 'then')
"""


def test_an_execution_a_trigger_starts_hears_the_next_event_of_the_same_batch(
    servers: Servers,
) -> None:
    from ai_flow.model.internal.conditions import SingleEventCondition

    servers.upload(TRIGGERED)
    ops.add_workflow_trigger(WorkflowRule(SingleEventCondition("start")), "triggered")
    # One send: both land in one batch of the scheduler, the second after the start.
    servers.client.send_events([("start", "1"), ("then", "2")])
    wait_until(lambda: ops.list_workflow_executions("triggered"), 20, "the triggered run")
    [execution] = ops.list_workflow_executions("triggered")
    servers.wait_tasks(execution.id, {"hears": ["SUCCESS"]})
    ops.stop_workflow_execution(execution.id)
