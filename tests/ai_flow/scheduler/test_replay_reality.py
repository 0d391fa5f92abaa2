"""Replay and reality agree: a workflow runs live (real servers, real task processes)
over a stream of events; replaying the same file over the same offsets makes the same
START/STOP/RESTART decisions as the live decision log recorded."""

from __future__ import annotations

from aiflow_servers import Servers, wait_until

from ai_flow import ops
from ai_flow.metadata import decisions, read_session
from notification_service.client import NotificationClient

WORKFLOW = """
    from ai_flow.model.action import TaskAction
    from ai_flow.model.condition import Condition
    from ai_flow.model.state import ValueStateDescriptor
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    class Third(Condition):
        def is_met(self, event, context):
            state = context.get_state(ValueStateDescriptor('n'))
            n = (state.value() or 0) + 1
            state.update(n)
            return n % 3 == 0

    with Workflow(name='agree') as workflow:
        BashOperator(name='keeper', bash_command='sleep 600')
        t = BashOperator(name='t', bash_command='sleep 600')
        t.action_on_event_received(TaskAction.START, 'go')
        t.action_on_event_received(TaskAction.STOP, 'halt')
        t.action_on_event_received(TaskAction.RESTART, 'again')
        u = BashOperator(name='u', bash_command='true')
        u.action_on_condition(TaskAction.START, Third(['count']))
        v = BashOperator(name='v', bash_command='true')
        v.start_after(u)
"""


def live_actions(servers: Servers, execution_id: int) -> list[tuple]:
    with read_session(servers.db()) as s:
        rows = reversed(decisions.for_execution(s, execution_id, limit=1000))
        return [
            (r.task_name, r.action, r.event_offset, r.detail)
            for r in rows
            if r.source == "EVENT" and r.taken and r.action in ("START", "STOP", "RESTART")
        ]


def test_replay_makes_the_decisions_the_live_run_made(servers: Servers) -> None:
    assert servers.aiflow is not None
    servers.aiflow.app.events = NotificationClient(servers.ns_uri)  # the lead wires this
    path = servers.write(WORKFLOW, "agree.py")
    ops.upload_workflows(str(path))
    # The replay starts its execution before the first event, as the live one did.
    begin = servers.client.get_latest_offset()
    execution_id = ops.start_workflow_execution("agree")
    servers.wait_tasks(execution_id, {"keeper": ["RUNNING"]}, timeout=60)
    producer = NotificationClient(servers.ns_uri, namespace="default", sender="producer")

    def send(key: str) -> None:
        producer.send_event(key, "x")
        servers.wait_scheduled()

    def runs_are(task: str, statuses: list[str]) -> None:
        wait_until(lambda: servers.statuses(execution_id).get(task) == statuses, 60, statuses)

    send("go")
    runs_are("t", ["RUNNING"])
    send("go")  # skipped: t is alive
    for _ in range(3):
        producer.send_event("count", "1")
    runs_are("v", ["SUCCESS"])
    producer.send_event("again", "x")
    runs_are("t", ["STOPPED", "RUNNING"])
    producer.send_event("halt", "x")
    runs_are("t", ["STOPPED", "STOPPED"])
    producer.send_event("go", "x")
    runs_are("t", ["STOPPED", "STOPPED", "RUNNING"])
    servers.wait_scheduled()
    end = servers.client.get_latest_offset()
    producer.close()

    live = live_actions(servers, execution_id)
    assert [(task, action) for task, action, _o, _d in live] == [
        ("t", "START"),
        ("u", "START"),
        ("v", "START"),
        ("t", "RESTART"),
        ("t", "STOP"),
        ("t", "START"),
    ]
    out = ops.replay_workflow(str(path), from_offset=begin, to_offset=end)
    assert (out["statuses_from_log"], out["statuses_assumed_success"]) == (
        ["keeper", "t", "u", "v"],
        [],
    )
    replayed = [
        (a["task"], a["action"], a["event_offset"], a["detail"])
        for a in out["actions"]
        if a["source"] == "EVENT"
    ]
    assert replayed == live
    assert out["rule_state"] == {"u#0": {"n": 3}}
    ops.stop_workflow_execution(execution_id)
