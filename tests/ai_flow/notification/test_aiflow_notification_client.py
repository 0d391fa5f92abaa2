"""AIFlowNotificationClient inside real task processes and outside any task."""

from __future__ import annotations

import json
import threading

import pytest
from taskenv import TaskEnv, wait_for_statuses, wait_until

from ai_flow.notification.notification_client import (
    AIFlowNotificationClient,
    Event,
    ListenerProcessor,
)
from ai_flow.runtime.environment import AIFLOW_TASK_CONTEXT
from notification_service.client import NotificationClient

SENDER_WORKFLOW = """
import sys
from ai_flow.model.workflow import Workflow
from ai_flow.notification.notification_client import AIFlowNotificationClient
from ai_flow.operators.bash import BashOperator
from ai_flow.operators.python import PythonOperator

def send():
    client = AIFlowNotificationClient("{uri}")
    client.send_event(key="model_ready", value="v1")
    client.close()

SCRIPT = (
    "from ai_flow.notification.notification_client import AIFlowNotificationClient as C; "
    "C().send_event('from_bash', 'hi')"
)

with Workflow(name="producer_wf", namespace="team") as wf:
    PythonOperator(name="producer", python_callable=send)
    BashOperator(name="script", bash_command=f'{{sys.executable}} -c "{{SCRIPT}}"')
"""

LISTENER_WORKFLOW = """
import threading
from ai_flow.model.workflow import Workflow
from ai_flow.notification.notification_client import (
    AIFlowNotificationClient, Event, ListenerProcessor,
)
from ai_flow.operators.python import PythonOperator

class Waiter(ListenerProcessor):
    def __init__(self):
        self.events = []
        self.got = threading.Event()

    def process(self, events):
        self.events.extend(events)
        self.got.set()

def listen():
    client = AIFlowNotificationClient("{uri}")
    waiter = Waiter()
    listener_id = client.register_listener(waiter, event_keys=["ping"])
    client.send_event("listening", None)
    assert waiter.got.wait(30), "no ping received"
    seen = [(e.namespace, e.value) for e in waiter.events]
    client.unregister_listener(listener_id)
    client.send_event("pong", repr(seen))
    client.close()

with Workflow(name="listener_wf", namespace="team") as wf:
    PythonOperator(name="listener", python_callable=listen)
"""


def test_task_events_carry_namespace_sender_and_context(task_env: TaskEnv, executor) -> None:  # noqa: ANN001
    ns_server = task_env.ns
    task_env.upload(SENDER_WORKFLOW.format(uri=ns_server.uri), namespace="team")
    spec = task_env.try_of("producer_wf", "producer", namespace="team")
    executor.submit(spec)
    wait_for_statuses(task_env, spec, ["RUNNING", "SUCCESS"])
    [event] = ns_server.client.list_events("model_ready")
    assert event.value == "v1"
    assert event.namespace == "team"
    assert event.sender == "producer_wf.producer"
    context = json.loads(event.context)
    assert context["workflow_execution_id"] == spec.workflow_execution_id
    assert context["task_execution_id"] == spec.task_execution_id


def test_processes_spawned_by_a_task_inherit_its_context(task_env: TaskEnv, executor) -> None:  # noqa: ANN001
    ns_server = task_env.ns
    task_env.upload(SENDER_WORKFLOW.format(uri=ns_server.uri), namespace="team")
    spec = task_env.try_of("producer_wf", "script", namespace="team")
    executor.submit(spec)
    wait_for_statuses(task_env, spec, ["RUNNING", "SUCCESS"])
    [event] = ns_server.client.list_events("from_bash")
    assert (event.namespace, event.sender) == ("team", "producer_wf.script")
    assert json.loads(event.context)["workflow_execution_id"] == spec.workflow_execution_id


def test_listener_inside_a_task_hears_its_namespace_only(task_env: TaskEnv, executor) -> None:  # noqa: ANN001
    ns_server = task_env.ns
    task_env.upload(LISTENER_WORKFLOW.format(uri=ns_server.uri), namespace="team")
    spec = task_env.try_of("listener_wf", "listener", namespace="team")
    executor.submit(spec)
    wait_until(lambda: ns_server.client.list_events("listening"), timeout=30)
    with NotificationClient(ns_server.uri, namespace="elsewhere") as other:
        other.send_event("ping", "not for us")
    with NotificationClient(ns_server.uri, namespace="team") as team:
        team.send_event("ping", "hello")
    wait_for_statuses(task_env, spec, ["RUNNING", "SUCCESS"])
    [pong] = ns_server.client.list_events("pong")
    assert pong.value == repr([("team", "hello")]), task_env.log(spec)


class Collector(ListenerProcessor):
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.got = threading.Event()

    def process(self, events: list[Event]) -> None:
        self.events.extend(events)
        self.got.set()


def test_outside_a_task_the_default_namespace_is_used(ns_server, monkeypatch):
    monkeypatch.delenv(AIFLOW_TASK_CONTEXT, raising=False)
    with AIFlowNotificationClient(ns_server.uri) as client:
        collector = Collector()
        listener_id = client.register_listener(collector, event_keys=["k"])
        event = client.send_event("k", "v")
        assert (event.namespace, event.sender, event.context) == ("default", None, None)
        assert collector.got.wait(10)
        assert [e.value for e in collector.events] == ["v"]
        client.unregister_listener(listener_id)


def test_server_uri_is_required_outside_a_task(monkeypatch):
    monkeypatch.delenv(AIFLOW_TASK_CONTEXT, raising=False)
    with pytest.raises(ValueError, match="server_uri"):
        AIFlowNotificationClient()
