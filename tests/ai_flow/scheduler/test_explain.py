"""`explain`: why a task ran or did not, where an event went, what started an execution.
The scheduler is driven with events made by the test (see schedenv.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from schedenv import SchedEnv
from test_decision_log import PERIODIC, fire_now

from ai_flow.app import executions
from ai_flow.app.explain import explain_task_execution, explain_workflow_execution
from ai_flow.app.explain_event import explain_event
from ai_flow.explain_text import task_lines
from ai_flow.model.internal.events import task_status_event_key
from notification_service.model import Event

WORKFLOW = """
    from ai_flow.model.action import TaskAction
    from ai_flow.model.condition import Condition
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    class Yes(Condition):
        def is_met(self, event, context):
            return event.value == 'yes'

    with Workflow(name='w') as workflow:
        a = BashOperator(name='a', bash_command='true')
        b = BashOperator(name='b', bash_command='true')
        b.start_after(a)
        t = BashOperator(name='t', bash_command='true')
        t.action_on_event_received(TaskAction.START, 'go')
        u = BashOperator(name='u', bash_command='true')
        u.action_on_condition(TaskAction.START, Yes(['ask']))
        m = BashOperator(name='m', bash_command='true')
        m.action_on_event_received(TaskAction.START, 'manual')
"""


@pytest.fixture
def env(tmp_path: Path) -> Iterator[SchedEnv]:
    env = SchedEnv(tmp_path)
    env.upload(WORKFLOW)
    yield env
    env.close()


def test_started_by_an_event(env: SchedEnv) -> None:
    execution_id = env.start("w")
    go = env.event("go")
    env.commit([go])
    out = explain_task_execution(env.app, execution_id, "t")
    assert out["running"] is True and out["why_not_running"] is None
    started = out["runs"][0]["started_by"]
    assert (started["source"], started["event"]["offset"], started["event"]["key"]) == (
        "EVENT",
        go.offset,
        "go",
    )
    assert (started["rule_index"], started["answer"], started["detail"]) == (
        0,
        "MET",
        "started run 1",
    )
    json.dumps(out)  # JSON-able as it is


def test_started_by_a_status_rule_and_stopped_by_its_status(env: SchedEnv) -> None:
    execution_id = env.start("w")
    env.commit([env.status(execution_id, "w", "a", "RUNNING")])
    env.commit([env.status(execution_id, "w", "a", "SUCCESS")])
    b = explain_task_execution(env.app, execution_id, "b")["runs"][0]["started_by"]
    assert b["event"]["key"] == task_status_event_key("w", "a")
    assert (b["condition"], b["answer"], b["detail"]) == (
        "TaskStatusCondition",
        "MET",
        "started run 1",
    )
    a = explain_task_execution(env.app, execution_id, "a")
    assert a["runs"][0]["started_by"]["detail"].startswith("started run 1: no START rule")
    assert a["runs"][0]["stopped_by"] == {"source": "STATUS", "detail": "the run ended SUCCESS"}
    assert a["why_not_running"]["reasons"] == ["no rule: it ran once, with the execution"]


def test_started_by_a_timer(env: SchedEnv) -> None:
    env.upload(PERIODIC)
    execution_id = env.start("p")
    fire_now(env)
    started = explain_task_execution(env.app, execution_id, "tick")["runs"][0]["started_by"]
    assert (started["source"], started["event"]) == ("TIMER", None)
    assert started["detail"] == "periodic fire (interval@0 0 0 1): started run 1"


def test_started_and_stopped_by_a_user(env: SchedEnv) -> None:
    execution_id = env.start("w")
    executions.start_task_execution(env.app, execution_id, "m")
    executions.stop_task_execution(env.app, execution_id, "m")
    run = explain_task_execution(env.app, execution_id, "m")["runs"][0]
    assert (run["started_by"]["source"], run["started_by"]["detail"]) == (
        "USER",
        "user call: started run 1",
    )
    assert run["stopped_by"]["detail"] == "user call: stopping run 1"
    start = explain_workflow_execution(env.app, execution_id)["started_by"]
    assert (start["source"], start["action"]) == ("USER", "START_EXECUTION")


def test_not_started_because_the_condition_is_false(env: SchedEnv) -> None:
    execution_id = env.start("w")
    no = env.event("ask", "no")
    env.commit([no])
    out = explain_task_execution(env.app, execution_id, "u")
    assert out["running"] is False and out["runs"] == []
    rule = out["why_not_running"]["rules"][0]
    assert rule["last_answers"][0]["answer"] == "NOT_MET"
    assert out["why_not_running"]["reasons"] == [
        f"rule 0 (Yes): NOT_MET on event {no.offset} (ask): condition not met"
    ]


def test_a_run_of_the_same_answer_is_explained_as_one(env: SchedEnv) -> None:
    execution_id = env.start("w")
    noes = [env.event("ask", "no") for _ in range(3)]
    env.commit(noes)
    out = explain_task_execution(env.app, execution_id, "u")
    last = out["why_not_running"]["rules"][0]["last_answers"]
    assert len(last) == 1
    assert (last[0]["event"]["offset"], last[0]["event"]["last_offset"]) == (
        noes[0].offset,
        noes[-1].offset,
    )
    assert out["why_not_running"]["reasons"] == [
        f"rule 0 (Yes): NOT_MET on event {noes[-1].offset} (ask): condition not met"
    ]
    text = "\n".join(task_lines(out))
    assert f"events {noes[0].offset}..{noes[-1].offset} (3 alike) (ask, default)" in text
    where = explain_event(env.app, noes[1].offset)
    assert [d["task_name"] for d in where["decisions"]] == ["u"]
    assert where["event"]["key"] == "ask"


def test_not_started_because_the_key_never_came(env: SchedEnv) -> None:
    execution_id = env.start("w")
    env.commit([env.event("ask", "no")])
    out = explain_task_execution(env.app, execution_id, "t")
    waits = out["why_not_running"]["rules"][0]["waiting_for"]
    assert waits == [
        {
            "key": "go",
            "namespace": "default",
            "message": "no event with key go in namespace default since the execution "
            "started reached this rule",
        }
    ]


def test_not_started_because_the_namespace_differs(env: SchedEnv) -> None:
    execution_id = env.start("w")
    other = Event("go", None, "other", "me", None, 500, 0)
    env.commit([other])
    out = explain_event(env.app, 500, event=other)
    assert out["decisions"] == [] and out["processed"] is True
    assert out["reasons"] == [
        "no running execution in namespace other expects key go",
        f"execution {execution_id} of default.w expects key go, but in namespace default: "
        "events never cross namespaces",
    ]
    # Without the event itself, the count of such events is all there is.
    assert "reached no rule nor trigger" in explain_event(env.app, 500)["reasons"][0]


def test_not_started_because_the_task_was_alive(env: SchedEnv) -> None:
    execution_id = env.start("w")
    first, second = env.event("go"), env.event("go")
    env.commit([first, second])
    out = explain_event(env.app, second.offset)
    assert out["event"] == {"key": "go", "namespace": "default", "sender": "test"}
    assert out["reasons"] == [
        f"execution {execution_id} task t rule 0 (SingleEventCondition): MET: "
        "START skipped: run 1 of t is QUEUED"
    ]


def test_an_event_not_processed_yet(env: SchedEnv) -> None:
    env.start("w")
    assert explain_event(env.app, 10_000)["reasons"] == [
        "not processed yet: the scheduler is at offset 0"
    ]


def test_the_decisions_of_an_execution_newest_first_and_paged(env: SchedEnv) -> None:
    execution_id = env.start("w")
    env.commit([env.event("go"), env.event("ask", "no"), env.event("ask", "yes")])
    out = explain_workflow_execution(env.app, execution_id, limit=2)
    assert out["total_decisions"] > 2 and len(out["decisions"]) == 2
    assert [d["task_name"] for d in out["decisions"]] == ["u", "u"]
    assert out["decisions"][0]["id"] > out["decisions"][1]["id"]
    rest = explain_workflow_execution(env.app, execution_id, limit=2, offset=2)["decisions"]
    assert rest[0]["task_name"] == "t"


def test_an_execution_started_by_a_schedule_fire(env: SchedEnv) -> None:
    from sqlalchemy import update
    from test_decision_log import timer_loop

    from ai_flow.app import timers
    from ai_flow.metadata import WorkflowScheduleRow, write_session

    schedule, _ = timers.add_schedule(env.app, "default", "w", "interval@0 1 0 0")
    with write_session(env.factory) as s:
        s.execute(update(WorkflowScheduleRow).values(next_fire_time=1))
    timer_loop(env).fire_due()
    execution_id = executions.list_executions(env.app, "default", "w", None, None)[0][0].id
    start = explain_workflow_execution(env.app, execution_id)["started_by"]
    assert (start["source"], start["action"]) == ("TIMER", "START_EXECUTION")
    assert start["detail"].startswith(f"started by schedule {schedule.id} (interval@0 1 0 0)")
    a = explain_task_execution(env.app, execution_id, "a")["runs"][0]["started_by"]
    assert a["source"] == "TIMER" and a["detail"].startswith("started run 1: no START rule")


def test_an_execution_started_by_a_trigger_names_the_trigger_and_event(env: SchedEnv) -> None:
    from ai_flow.app import timers
    from ai_flow.model.internal.conditions import SingleEventCondition
    from ai_flow.model.internal.rule_codec import encode_rule
    from ai_flow.model.rule import WorkflowRule

    rule = encode_rule(WorkflowRule(SingleEventCondition("fire")))
    trigger, _ = timers.add_trigger(env.app, "default", "w", rule)
    fire = env.event("fire")
    env.commit([fire])
    execution_id = executions.list_executions(env.app, "default", "w", None, None)[0][0].id
    start = explain_workflow_execution(env.app, execution_id)["started_by"]
    assert (start["source"], start["workflow_trigger_id"], start["event"]["offset"]) == (
        "TRIGGER",
        trigger.id,
        fire.offset,
    )
    where = explain_event(env.app, fire.offset)["reasons"]
    assert f"trigger {trigger.id}: MET: started execution {execution_id} of default.w" in where
