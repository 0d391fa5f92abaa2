"""The docs' Concepts examples, run through the real CLI against real server daemons."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from af_e2e_helpers import Stack

STATUS_RULES = """
from ai_flow.model.action import TaskAction
from ai_flow.model.status import TaskStatus
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator
with Workflow(name='my_workflow') as workflow:
    task1 = BashOperator(name='task_1', bash_command='sleep 1')
    task2 = BashOperator(name='task_2', bash_command='sleep 2')
    task3 = BashOperator(name='task_3', bash_command='sleep 100')
    task3.action_on_task_status(action=TaskAction.STOP,
                                upstream_task_status_dict={
                                    task1: TaskStatus.SUCCESS,
                                    task2: TaskStatus.SUCCESS
                                })
"""

# The docs' NumCondition example; the producer sends fixed numbers (not random) and
# stops once past the threshold, so the test can tell exactly when the consumer must run.
NUM_CONDITION = """
import time
from notification_service.model.event import Event
from ai_flow.model.action import TaskAction
from ai_flow.model.condition import Condition
from ai_flow.model.context import Context
from ai_flow.model.state import ValueState, ValueStateDescriptor
from ai_flow.model.workflow import Workflow
from ai_flow.notification.notification_client import AIFlowNotificationClient
from ai_flow.operators.bash import BashOperator
from ai_flow.operators.python import PythonOperator
class NumCondition(Condition):
    def is_met(self, event: Event, context: Context) -> bool:
        state: ValueState = context.get_state(ValueStateDescriptor(name='num_state'))
        num = 0 if state.value() is None else int(state.value())
        num += int(event.value)
        if num >= 100:
            return True
        else:
            state.update(num)
            return False
def produce():
    notification_client = AIFlowNotificationClient(server_uri='localhost:NS_PORT')
    for _ in range(12):
        notification_client.send_event(key='num_event', value='9')
        time.sleep(0.05)
with Workflow(name='condition_workflow') as workflow:
    task1 = PythonOperator(name='producer', python_callable=produce)
    task2 = BashOperator(name='consumer', bash_command='echo Got 100 records.')
    task2.action_on_condition(action=TaskAction.START,
                              condition=NumCondition(expect_event_keys=['num_event']))
"""

LISTENER = """
import time
from typing import List
from ai_flow.model.action import TaskAction
from ai_flow.model.workflow import Workflow
from ai_flow.notification.notification_client import (
    AIFlowNotificationClient, ListenerProcessor, Event)
from ai_flow.operators.python import PythonOperator
class Counter(ListenerProcessor):
    def __init__(self):
        self.values = []
    def process(self, events: List[Event]):
        self.values.extend(e.value for e in events)
def listen():
    counter = Counter()
    client = AIFlowNotificationClient("localhost:NS_PORT")
    listener_id = client.register_listener(listener_processor=counter,
                                           event_keys=['expect_key'])
    client.send_event(key='listener_ready', value='')
    deadline = time.time() + 30
    while len(counter.values) < 3 and time.time() < deadline:
        time.sleep(0.05)
    client.unregister_listener(listener_id)
    print("heard:", ",".join(counter.values))
    assert counter.values == ['a', 'b', 'c'], counter.values
def speak():
    client = AIFlowNotificationClient("localhost:NS_PORT")
    for value in 'abc':
        client.send_event(key='expect_key', value=value)
with Workflow(name='listener_workflow') as workflow:
    listener = PythonOperator(name='listener', python_callable=listen)
    speaker = PythonOperator(name='speaker', python_callable=speak)
    speaker.action_on_event_received(action=TaskAction.START, event_key='listener_ready')
"""


@pytest.fixture
def running(stack: Stack) -> Stack:
    stack.configure()
    stack.start()
    return stack


def _run(stack: Stack, source: str, name: str, timeout: float = 90) -> tuple[dict, list[dict]]:
    path = stack.tmp / f"{name}.py"
    path.write_text(source.replace("NS_PORT", str(stack.ns_port)))
    out = stack.ok("workflow", "upload", str(path))
    assert f"Workflow: default.{name}, submitted." in out
    started = stack.ok("workflow-execution", "start", name, "--namespace", "default")
    execution_id = int(started.split(":")[1].split()[0])
    execution = stack.wait_finished(execution_id, timeout)
    return execution, stack.json("task-execution", "list", str(execution_id))


def test_status_rule_stops_task_3_once_task_1_and_2_succeed(running: Stack) -> None:
    start = time.monotonic()
    execution, tasks = _run(running, STATUS_RULES, "my_workflow")
    status = {t["task_name"]: t["status"] for t in tasks}
    assert status == {"task_1": "SUCCESS", "task_2": "SUCCESS", "task_3": "STOPPED"}
    assert time.monotonic() - start < 60  # task_3 (sleep 100) did not run to its end
    assert execution["status"] == "SUCCESS"


def test_num_condition_starts_consumer_once_at_100(running: Stack) -> None:
    execution, tasks = _run(running, NUM_CONDITION, "condition_workflow")
    consumer = [t for t in tasks if t["task_name"] == "consumer"]
    assert [t["status"] for t in consumer] == ["SUCCESS"]  # 12 x 9 = 108 crosses 100 once
    assert execution["status"] == "SUCCESS"
    log = running.home / "logs" / "condition_workflow" / str(execution["id"]) / "consumer" / "1.log"
    assert "Got 100 records." in log.read_text()


def test_listener_inside_a_task_hears_events_of_its_namespace(running: Stack) -> None:
    execution, tasks = _run(running, LISTENER, "listener_workflow")
    assert {t["task_name"]: t["status"] for t in tasks} == {
        "listener": "SUCCESS",
        "speaker": "SUCCESS",
    }
    log = Path(running.home / "logs" / "listener_workflow" / str(execution["id"]) / "listener")
    assert "heard: a,b,c" in (log / "1.log").read_text()
    events = json.loads(
        running.run(
            "notification",
            "event",
            "list",
            "expect_key",
            "-s",
            f"localhost:{running.ns_port}",
            "-o",
            "json",
        ).stdout
    )
    assert [e["namespace"] for e in events] == ["default"] * 3
    assert all(e["sender"] == "listener_workflow.speaker" for e in events)
