"""Scheduler semantics end to end: rules fire on real events, tasks are real processes."""

from __future__ import annotations

import json

from aiflow_servers import Servers

from ai_flow import ops
from notification_service.client import NotificationClient

STATUS_RULE = """
    from ai_flow.model.action import TaskAction
    from ai_flow.model.status import TaskStatus
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='my_workflow') as workflow:
        task1 = BashOperator(name='task_1', bash_command='sleep 0.5')
        task2 = BashOperator(name='task_2', bash_command='sleep 1')
        task3 = BashOperator(name='task_3', bash_command='sleep 100')
        task3.action_on_task_status(action=TaskAction.STOP,
                                    upstream_task_status_dict={
                                        task1: TaskStatus.SUCCESS,
                                        task2: TaskStatus.SUCCESS
                                    })
"""


def test_status_rule_stops_a_task_once_both_upstream_tasks_succeeded(servers: Servers) -> None:
    execution_id = servers.run(STATUS_RULE, "my_workflow")
    servers.wait_tasks(
        execution_id,
        {"task_1": ["SUCCESS"], "task_2": ["SUCCESS"], "task_3": ["STOPPED"]},
        timeout=20,
    )
    runs = {t.task_name: t for t in servers.tasks(execution_id)}
    # task_3 was stopped after (not before) the later of its upstream tasks finished.
    assert runs["task_3"].end_date >= runs["task_2"].end_date
    assert (runs["task_3"].end_date - runs["task_3"].begin_date).total_seconds() < 30
    # Every task ran and none failed: the stopped one does not fail the execution.
    servers.wait_execution(execution_id, "SUCCESS")


NUM_CONDITION = """
    from ai_flow.model.action import TaskAction
    from ai_flow.model.condition import Condition
    from ai_flow.model.context import Context
    from ai_flow.model.state import ValueState, ValueStateDescriptor
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator
    from notification_service.model.event import Event

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

    with Workflow(name='condition_workflow') as workflow:
        keeper = BashOperator(name='keeper', bash_command='sleep 60')
        task2 = BashOperator(name='consumer', bash_command='echo Got 100 records.')
        task2.action_on_condition(action=TaskAction.START,
                                  condition=NumCondition(expect_event_keys=['num_event']))
"""


def test_num_condition_starts_the_consumer_once_the_sum_reaches_the_threshold(
    servers: Servers,
) -> None:
    execution_id = servers.run(NUM_CONDITION, "condition_workflow")
    producer = NotificationClient(servers.ns_uri, namespace="default")
    try:
        for _ in range(9):
            producer.send_event("num_event", "10")
        producer.send_event("other_event", "50")  # not expected by the condition
        servers.wait_scheduled()
        assert "consumer" not in servers.statuses(execution_id)
        assert servers.rule_states(execution_id)[("consumer#0", "num_state")] == 90

        producer.send_event("num_event", "10")  # 100: met
        servers.wait_tasks(execution_id, {"consumer": ["SUCCESS"]})
        # Smaller numbers afterwards stay below the threshold: no second run.
        producer.send_event("num_event", "1")
        producer.send_event("num_event", "2")
        servers.wait_scheduled()
    finally:
        producer.close()
    assert servers.statuses(execution_id)["consumer"] == ["SUCCESS"]
    assert servers.rule_states(execution_id)[("consumer#0", "num_state")] == 93
    [consumer] = [t for t in servers.tasks(execution_id) if t.task_name == "consumer"]
    assert consumer.execution_type == "EVENT"
    ops.stop_workflow_execution(execution_id)
    servers.wait_tasks(execution_id, {"keeper": ["STOPPED"]})


EVENT_ACTIONS = """
    from ai_flow.model.action import TaskAction
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='actions') as workflow:
        sleeper = BashOperator(name='sleeper', bash_command='sleep 30')
        sleeper.action_on_event_received(action=TaskAction.RESTART, event_key='restart')
        sleeper.action_on_event_received(action=TaskAction.STOP, event_key='halt')
"""


def test_restart_and_stop_actions_on_events(servers: Servers) -> None:
    execution_id = servers.run(EVENT_ACTIONS, "actions")
    servers.wait_tasks(execution_id, {"sleeper": ["RUNNING"]})
    first_pid = servers.task_row(servers.tasks(execution_id)[0].id).pid

    # The same key in another namespace is not this workflow's event.
    other = NotificationClient(servers.ns_uri, namespace="elsewhere")
    try:
        other.send_event("restart", "x")
        other.send_event("halt", "x")
    finally:
        other.close()
    servers.wait_scheduled()
    assert servers.statuses(execution_id) == {"sleeper": ["RUNNING"]}

    servers.client.send_event("restart", "now")
    servers.wait_tasks(execution_id, {"sleeper": ["STOPPED", "RUNNING"]})
    first, second = servers.tasks(execution_id)
    assert (first.sequence_number, second.sequence_number) == (1, 2)
    assert second.execution_type == "EVENT"
    assert servers.task_row(second.id).pid != first_pid

    servers.client.send_event("halt", "now")
    servers.wait_tasks(execution_id, {"sleeper": ["STOPPED", "STOPPED"]})
    servers.wait_execution(execution_id, "SUCCESS")


def test_an_event_tagged_with_an_execution_affects_only_that_one(servers: Servers) -> None:
    servers.upload(EVENT_ACTIONS)
    tagged = ops.start_workflow_execution("actions")
    untouched = ops.start_workflow_execution("actions")
    for execution_id in (tagged, untouched):
        servers.wait_tasks(execution_id, {"sleeper": ["RUNNING"]})

    servers.client.send_event("halt", "x", json.dumps({"workflow_execution_id": tagged}))
    servers.wait_tasks(tagged, {"sleeper": ["STOPPED"]})
    servers.wait_scheduled()
    assert servers.statuses(untouched) == {"sleeper": ["RUNNING"]}
    assert ops.get_workflow_execution(untouched).status == "RUNNING"

    # Untagged, it reaches every running execution of the namespace.
    servers.client.send_event("restart", "x")
    servers.wait_tasks(untouched, {"sleeper": ["STOPPED", "RUNNING"]})
    assert servers.statuses(tagged) == {"sleeper": ["STOPPED"]}  # no longer running
    ops.stop_workflow_execution(untouched)
    servers.wait_tasks(untouched, {"sleeper": ["STOPPED", "STOPPED"]})


BAD_CONDITIONS = """
    import time

    from ai_flow.model.action import TaskAction
    from ai_flow.model.condition import Condition
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    class Raising(Condition):
        def is_met(self, event, context):
            raise RuntimeError('user bug for ' + event.value)

    class Hanging(Condition):
        def is_met(self, event, context):
            time.sleep(3)
            return True

    class Exiting(Condition):
        def is_met(self, event, context):
            raise SystemExit(3)

    with Workflow(name='guarded') as workflow:
        keeper = BashOperator(name='keeper', bash_command='sleep 60')
        bad = BashOperator(name='bad', bash_command='echo never')
        bad.action_on_condition(TaskAction.START, Raising(['go']))
        slow = BashOperator(name='slow', bash_command='echo never')
        slow.action_on_condition(TaskAction.START, Hanging(['go']))
        exiting = BashOperator(name='exiting', bash_command='echo never')
        exiting.action_on_condition(TaskAction.START, Exiting(['go']))
        good = BashOperator(name='good', bash_command='echo fine')
        good.action_on_event_received(TaskAction.START, 'go')
"""


def test_failing_and_hanging_conditions_do_not_stop_the_scheduler(
    servers_factory,  # noqa: ANN001
) -> None:
    servers: Servers = servers_factory(condition_timeout=0.5)
    execution_id = servers.run(BAD_CONDITIONS, "guarded")
    servers.wait_tasks(execution_id, {"keeper": ["RUNNING"]})

    servers.client.send_event("go", "first")
    servers.wait_tasks(execution_id, {"good": ["SUCCESS"]})
    states = servers.rule_states(execution_id)
    # One line, pointing at the user's own file and line.
    error = states[("bad#0", "__error__")]
    assert error.startswith("condition raised workflow.py:") and "raise RuntimeError(" in error
    assert error.endswith("RuntimeError: user bug for first")
    assert "timed out after 0.5s" in states[("slow#0", "__error__")]
    assert "SystemExit" in states[("exiting#0", "__error__")]

    # The scheduler keeps going: the next event is processed like the first.
    servers.client.send_event("go", "second")
    servers.wait_tasks(execution_id, {"good": ["SUCCESS", "SUCCESS"]})
    assert servers.rule_states(execution_id)[("bad#0", "__error__")].endswith("second")
    statuses = servers.statuses(execution_id)
    assert "bad" not in statuses and "slow" not in statuses and "exiting" not in statuses
    ops.stop_workflow_execution(execution_id)
    servers.wait_tasks(execution_id, {"keeper": ["STOPPED"]})


STATUS_RULES = """
    from ai_flow.model.action import TaskAction
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='flow') as workflow:
        first = BashOperator(name='first', bash_command='echo first')
        second = BashOperator(name='second', bash_command='{second}')
        second.start_after(first)
        later = BashOperator(name='later', bash_command='echo later')
        later.action_on_event_received(TaskAction.START, 'go_on')
"""


def test_workflow_execution_status_follows_its_tasks(servers: Servers) -> None:
    # RUNNING while a task never ran, even though nothing is alive.
    ok = servers.run(STATUS_RULES.format(second="echo second"), "flow")
    servers.wait_tasks(ok, {"first": ["SUCCESS"], "second": ["SUCCESS"]})
    servers.wait_scheduled()
    assert ops.get_workflow_execution(ok).status == "RUNNING"
    # SUCCESS once every task ran and succeeded.
    servers.client.send_event("go_on", "")
    servers.wait_tasks(ok, {"later": ["SUCCESS"]})
    servers.wait_execution(ok, "SUCCESS")
    assert ops.get_workflow_execution(ok).end_date is not None

    # FAILED when a task's last run failed (even with a task that never ran).
    failing = servers.run(STATUS_RULES.format(second="exit 3"), "flow")
    servers.wait_tasks(failing, {"first": ["SUCCESS"], "second": ["FAILED"]})
    servers.wait_execution(failing, "FAILED")
    assert "later" not in servers.statuses(failing)

    # STOPPED after a stop, and it stays STOPPED when its tasks report in.
    stopped = ops.start_workflow_execution("flow")
    ops.stop_workflow_execution(stopped)
    assert ops.get_workflow_execution(stopped).status == "STOPPED"
    servers.wait_scheduled()
    assert ops.get_workflow_execution(stopped).status == "STOPPED"
    assert "second" not in servers.statuses(stopped)


def test_a_disabled_workflow_schedules_nothing_new_but_its_runs_finish(servers: Servers) -> None:
    execution_id = servers.run(EVENT_ACTIONS, "actions")
    servers.wait_tasks(execution_id, {"sleeper": ["RUNNING"]})
    ops.disable_workflow("actions")
    servers.client.send_event("restart", "now")
    servers.wait_scheduled()
    assert servers.statuses(execution_id) == {"sleeper": ["RUNNING"]}  # no RESTART

    ops.enable_workflow("actions")
    servers.client.send_event("restart", "again")
    servers.wait_tasks(execution_id, {"sleeper": ["STOPPED", "RUNNING"]})
    ops.disable_workflow("actions")
    ops.stop_task_execution(execution_id, "sleeper")  # a user's request still works
    servers.wait_tasks(execution_id, {"sleeper": ["STOPPED", "STOPPED"]})
    servers.wait_execution(execution_id, "SUCCESS")  # its runs still finish and count
