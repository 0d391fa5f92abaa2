"""Workflow triggers against real servers: evaluation, state, pause, isolation, errors."""

from __future__ import annotations

import runpy
from collections.abc import Callable
from typing import Any

import pytest
from aiflow_servers import Servers, wait_until
from sqlalchemy import select

from ai_flow import ops
from ai_flow.metadata import RuleStateRow, read_session
from ai_flow.model.condition import Condition
from ai_flow.model.internal.conditions import SingleEventCondition
from ai_flow.model.rule import WorkflowRule
from notification_service.client import NotificationClient

# Conditions defined in the workflow file, as users do; the server finds them by name
# in the uploaded snapshot.
TARGET = """
from ai_flow.model.condition import Condition
from ai_flow.model.state import ValueStateDescriptor
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator

class EveryNth(Condition):
    def __init__(self, key, every):
        super().__init__([key])
        self.every = every

    def is_met(self, event, context):
        state = context.get_state(ValueStateDescriptor('count'))
        count = (state.value() or 0) + 1
        state.update(count)
        return count % self.every == 0

class Boom(Condition):
    def is_met(self, event, context):
        raise RuntimeError('boom')

class Hang(Condition):
    def is_met(self, event, context):
        import time
        time.sleep(3)
        return True

with Workflow(name='target', namespace='{namespace}') as w:
    BashOperator(name='task1', bash_command='echo triggered')
    later = BashOperator(name='later', bash_command='echo later')
    later.action_on_event_received(event_key='next', action='START')
"""


def _upload(servers: Servers, namespace: str = "default") -> dict[str, Any]:
    """Upload the target workflow; returns the file's globals as a script would see them."""
    path = servers.write(TARGET.replace("{namespace}", namespace))
    ops.upload_workflows(str(path))
    return runpy.run_path(str(path), run_name="__main__")


def _executions(
    name: str = "target", namespace: str = "default"
) -> list[ops.WorkflowExecutionMeta]:
    return ops.list_workflow_executions(name, namespace)


def _send(servers: Servers, *keys: str, namespace: str | None = None) -> None:
    client = NotificationClient(servers.ns_uri, namespace=namespace)
    try:
        for key in keys:
            client.send_event(key, "v")
    finally:
        client.close()
    servers.wait_scheduled()


def _trigger_states(servers: Servers, trigger_id: int) -> dict[str, Any]:
    with read_session(servers.db()) as session:
        rows = session.execute(
            select(RuleStateRow.name, RuleStateRow.value).where(
                RuleStateRow.workflow_trigger_id == trigger_id
            )
        )
        return dict(rows.all())


def test_a_stateful_user_condition_triggers_on_every_third_event(servers: Servers) -> None:
    script = _upload(servers)
    rule = WorkflowRule(script["EveryNth"]("go", every=3))
    assert type(rule.condition).__module__ == "__main__"
    trigger = ops.add_workflow_trigger(rule, "target")
    assert trigger.condition_class == "__main__:EveryNth"
    assert trigger.expect_event_keys == ["go"] and not trigger.is_paused

    _send(servers, "go", "other", "go", "go", "go", "go")
    runs = _executions()
    assert len(runs) == 1 and runs[0].execution_type == "EVENT"
    _send(servers, "go", "go")
    assert len(_executions()) == 2
    assert _trigger_states(servers, trigger.id) == {"count": 7}
    servers.wait_tasks(runs[0].id, {"task1": ["SUCCESS"]})  # 'later' waits for 'next'


def test_pause_resume_and_delete(servers: Servers) -> None:
    _upload(servers)
    trigger = ops.add_workflow_trigger(WorkflowRule(SingleEventCondition("go")), "target")
    _send(servers, "go")
    assert len(_executions()) == 1
    assert ops.pause_workflow_trigger(trigger.id).is_paused
    _send(servers, "go")
    assert len(_executions()) == 1
    assert not ops.resume_workflow_trigger(trigger.id).is_paused
    _send(servers, "go")
    assert len(_executions()) == 2
    ops.delete_workflow_trigger(trigger.id)
    assert ops.get_workflow_trigger(trigger.id) is None
    _send(servers, "go")
    assert len(_executions()) == 2


def test_events_never_cross_namespaces(servers: Servers) -> None:
    ops.add_namespace("team")
    _upload(servers)
    _upload(servers, "team")
    rule = WorkflowRule(SingleEventCondition("go"))
    ops.add_workflow_trigger(rule, "target")
    ops.add_workflow_trigger(rule, "target", namespace="team")
    _send(servers, "go")
    assert (len(_executions()), len(_executions(namespace="team"))) == (1, 0)
    _send(servers, "go", namespace="team")
    assert (len(_executions()), len(_executions(namespace="team"))) == (1, 1)


def test_a_disabled_workflow_is_not_triggered(servers: Servers) -> None:
    _upload(servers)
    ops.add_workflow_trigger(WorkflowRule(SingleEventCondition("go")), "target")
    ops.disable_workflow("target")
    _send(servers, "go")
    assert _executions() == []
    ops.enable_workflow("target")
    _send(servers, "go")
    assert len(_executions()) == 1


def test_raising_and_hanging_conditions_are_recorded_and_scheduling_goes_on(
    servers_factory: Callable[..., Servers],
) -> None:
    servers = servers_factory(condition_timeout=0.5)
    script = _upload(servers)
    boom = ops.add_workflow_trigger(WorkflowRule(script["Boom"](["go"])), "target")
    hang = ops.add_workflow_trigger(WorkflowRule(script["Hang"](["go"])), "target")
    ops.add_workflow_trigger(WorkflowRule(SingleEventCondition("go")), "target")
    _send(servers, "go")
    _send(servers, "go")
    assert len(_executions()) == 2
    assert "RuntimeError: boom" in _trigger_states(servers, boom.id)["__error__"]
    assert "timed out" in _trigger_states(servers, hang.id)["__error__"]


def test_later_events_of_the_same_batch_reach_the_triggered_execution(servers: Servers) -> None:
    _upload(servers)
    ops.add_workflow_trigger(WorkflowRule(SingleEventCondition("go")), "target")
    servers.client.send_events([("go", "v"), ("next", "v")])  # one append, likely one batch
    servers.wait_scheduled()
    [run] = _executions()
    servers.wait_tasks(run.id, {"task1": ["SUCCESS"], "later": ["SUCCESS"]})


def test_an_event_from_another_workflows_task_triggers(servers: Servers) -> None:
    """The spec's example, in-process: a task of workflow 1 sends the event."""
    sender = f"""
    from ai_flow.model.workflow import Workflow
    from ai_flow.notification.notification_client import AIFlowNotificationClient
    from ai_flow.operators.python import PythonOperator

    def send_event():
        client = AIFlowNotificationClient(server_uri='{servers.ns_uri}')
        client.send_event(key='trigger_workflow', value=None)

    with Workflow(name='sender') as w1:
        PythonOperator(name='event_task', python_callable=send_event)
    """
    servers.upload(sender)
    _upload(servers)
    ops.add_workflow_trigger(WorkflowRule(SingleEventCondition("trigger_workflow")), "target")
    ops.start_workflow_execution("sender")
    [run] = wait_until(_executions, 30, "a triggered execution")
    servers.wait_tasks(run.id, {"task1": ["SUCCESS"]})


def test_refused_rules_store_nothing(servers: Servers) -> None:
    script = _upload(servers)
    with pytest.raises(ops.NotFoundError, match="nope"):
        ops.add_workflow_trigger(WorkflowRule(SingleEventCondition("go")), "nope")
    # Defined in this test module, not in the uploaded workflow file.
    with pytest.raises(ops.InvalidArgumentError, match="Elsewhere .* not defined at the top"):
        ops.add_workflow_trigger(WorkflowRule(Elsewhere(["go"])), "target")
    with pytest.raises(ops.InvalidArgumentError, match=r"EveryNth\.every is a set"):
        ops.add_workflow_trigger(WorkflowRule(script["EveryNth"]("go", every={3})), "target")
    with pytest.raises(ops.InvalidArgumentError, match="expected a WorkflowRule"):
        ops.add_workflow_trigger(SingleEventCondition("go"), "target")  # type: ignore[arg-type]
    assert ops.list_workflow_triggers("target") == []


class Elsewhere(Condition):
    """As if defined in the user's script, but not in the uploaded workflow file."""

    def is_met(self, event, context) -> bool:  # noqa: ANN001
        return True


Elsewhere.__module__ = "__main__"
