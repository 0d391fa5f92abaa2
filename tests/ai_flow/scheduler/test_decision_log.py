"""The decision log: written with each batch, fire and user call; bounded by retention
and by its cap. Driven with events made by the test (no notification server, no tasks)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from schedenv import SchedEnv
from sqlalchemy import select, update

from ai_flow.app import executions, workflows
from ai_flow.metadata import (
    DecisionRow,
    TaskExecutionRow,
    TaskScheduleRow,
    WorkflowExecutionRow,
    decisions,
    read_session,
    write_session,
)
from ai_flow.scheduler import TimerLoop
from ai_flow.scheduler._retention import purge_history
from notification_service.model import Event

RULES = """
    from ai_flow.model.action import TaskAction
    from ai_flow.model.condition import Condition
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    class Yes(Condition):
        def is_met(self, event, context):
            return event.value == 'yes'

    with Workflow(name='w') as workflow:
        BashOperator(name='keeper', bash_command='sleep 60')
        t = BashOperator(name='t', bash_command='true')
        t.action_on_event_received(TaskAction.START, 'go')
        t.action_on_event_received(TaskAction.RESTART, 'go')
        u = BashOperator(name='u', bash_command='true')
        u.action_on_condition(TaskAction.START, Yes(['ask']))
        s = BashOperator(name='s', bash_command='true')
        s.action_on_event_received(TaskAction.STOP, 'halt')
"""


@pytest.fixture
def env(tmp_path: Path) -> Iterator[SchedEnv]:
    env = SchedEnv(tmp_path)
    yield env
    env.close()


def rows(env: SchedEnv, execution_id: int | None = None) -> list[DecisionRow]:
    with read_session(env.factory) as s:
        stmt = select(DecisionRow).order_by(DecisionRow.id)
        if execution_id is not None:
            stmt = stmt.where(DecisionRow.workflow_execution_id == execution_id)
        found = list(s.scalars(stmt))
        s.expunge_all()
        return found


def test_each_rule_an_event_reaches_is_recorded_with_its_answer_and_action(
    env: SchedEnv,
) -> None:
    env.upload(RULES)
    execution_id = env.start("w")
    go, again = env.event("go"), env.event("go")
    env.commit([go, again])
    first = [r for r in rows(env, execution_id) if r.event_offset == go.offset]
    assert [(r.task_name, r.rule_index, r.answer, r.taken) for r in first] == [
        ("t", 0, "MET", True),
        ("t", 1, "MET", False),
    ]
    assert first[0].detail == "started run 1" and first[0].started_task_execution_id
    assert first[0].condition == "SingleEventCondition"
    assert first[1].detail == "rule 0 of t was met first"
    assert (first[0].event_key, first[0].namespace, first[0].sender) == ("go", "default", "test")
    second = [r for r in rows(env, execution_id) if r.event_offset == again.offset]
    # START is skipped (the run is alive), so RESTART, also met, is not taken either.
    assert second[0].detail == "START skipped: run 1 of t is QUEUED"
    assert not second[0].taken


def test_user_condition_answers_and_changed_keys_are_recorded(env: SchedEnv) -> None:
    env.upload(RULES)
    execution_id = env.start("w")
    no, yes = env.event("ask", "no"), env.event("ask", "yes")
    env.commit([no, yes])
    answers = [
        (r.event_offset, r.condition, r.answer, r.taken, r.detail)
        for r in rows(env, execution_id)
        if r.task_name == "u"
    ]
    assert answers == [
        (no.offset, "Yes", "NOT_MET", False, "condition not met"),
        (yes.offset, "Yes", "MET", True, "started run 1"),
    ]


def test_consecutive_events_with_the_same_answer_share_a_row(env: SchedEnv) -> None:
    env.upload(RULES)
    execution_id = env.start("w")
    noes = [env.event("ask", "no") for _ in range(5)]
    yes = env.event("ask", "yes")
    after = [env.event("ask", "no") for _ in range(2)]
    env.commit([*noes, yes, *after])
    answers = [
        (r.event_offset, r.last_offset, r.event_count, r.answer, r.taken, r.detail)
        for r in rows(env, execution_id)
        if r.task_name == "u"
    ]
    assert answers == [
        (noes[0].offset, noes[-1].offset, 5, "NOT_MET", False, "condition not met"),
        (yes.offset, None, 1, "MET", True, "started run 1"),
        (after[0].offset, after[1].offset, 2, "NOT_MET", False, "condition not met"),
    ]
    with read_session(env.factory) as s:
        # Every event of a run finds it; the one after the run does not.
        middle = decisions.for_event(s, noes[2].offset)
        assert [(r.task_name, r.event_offset, r.event_count) for r in middle] == [
            ("u", noes[0].offset, 5)
        ]
        assert [r.taken for r in decisions.for_event(s, yes.offset)] == [True]


def test_a_run_ends_where_another_event_or_answer_comes_between(env: SchedEnv) -> None:
    env.upload(RULES)
    execution_id = env.start("w")
    # Another key between two answers (not consecutive: the run could not say which
    # offsets it covers), another sender, another answer.
    a, go, b = env.event("ask", "no"), env.event("go"), env.event("ask", "no")
    c = env.event("ask", "no")
    c.sender = "someone-else"
    env.commit([a, go, b, c])
    answers = [
        (r.event_offset, r.last_offset, r.sender)
        for r in rows(env, execution_id)
        if r.task_name == "u"
    ]
    assert answers == [
        (a.offset, None, "test"),
        (b.offset, None, "test"),
        (c.offset, None, "someone-else"),
    ]
    # The same skipped START twice in a row is a run of two.
    env.commit([env.event("go"), env.event("go")])
    skipped = [r for r in rows(env, execution_id) if r.task_name == "t" and r.rule_index == 0]
    assert [(r.event_count, r.taken) for r in skipped] == [(1, True), (2, False)]


def test_a_stop_says_what_it_stopped_or_why_it_did_not(env: SchedEnv) -> None:
    env.upload(RULES)
    execution_id = env.start("w")
    env.commit([env.event("halt"), env.event("halt")])
    halts = [r for r in rows(env, execution_id) if r.task_name == "s" and r.event_offset]
    assert [(r.taken, r.detail) for r in halts] == [
        (True, "stopping run 1"),
        (False, "STOP skipped: run 1 of s is STOPPING"),
    ]
    assert halts[0].stopped_task_execution_id is not None


def test_events_that_reach_nothing_are_counted_not_stored(env: SchedEnv) -> None:
    env.upload(RULES)
    env.start("w")
    before = len(rows(env))
    env.commit([env.event("nobody-expects-this") for _ in range(5)] + [env.event("go")])
    assert len(rows(env)) == before + 2  # the two rules of `go`
    with read_session(env.factory) as s:
        assert decisions.unreached_events(s) == 5


def test_a_disabled_workflow_records_rules_not_evaluated(env: SchedEnv) -> None:
    env.upload(RULES)
    execution_id = env.start("w")
    workflows.set_workflow_enabled(env.app, "default", "w", False)
    go = env.event("go")
    env.commit([go])
    found = [r for r in rows(env, execution_id) if r.event_offset == go.offset]
    assert {(r.answer, r.detail) for r in found} == {(None, "workflow disabled")}


def test_an_event_of_a_finished_execution_says_it_is_not_running(env: SchedEnv) -> None:
    env.upload(RULES)
    execution_id = env.start("w")
    executions.stop_execution(env.app, execution_id)
    ev = env.event("go", execution_id=execution_id)
    env.commit([ev])
    found = [r for r in rows(env, execution_id) if r.event_offset == ev.offset]
    assert found[0].detail == f"execution {execution_id} is STOPPED, not RUNNING: no rule evaluated"
    sources = [(r.source, r.action, r.detail) for r in rows(env, execution_id)]
    assert ("USER", "STOP_EXECUTION", "stopped by a user") in sources


def test_execution_start_and_initial_tasks_are_recorded(env: SchedEnv) -> None:
    env.upload(RULES)
    execution_id = env.start("w")
    found = rows(env, execution_id)
    assert (found[0].source, found[0].action, found[0].detail) == (
        "USER",
        "START_EXECUTION",
        "started by a user",
    )
    keeper = [r for r in found if r.task_name == "keeper"]
    assert keeper[0].detail == "started run 1: no START rule, it starts with the execution"


def test_user_calls_are_recorded(env: SchedEnv) -> None:
    env.upload(RULES)
    execution_id = env.start("w")
    executions.start_task_execution(env.app, execution_id, "t")
    executions.start_task_execution(env.app, execution_id, "t")
    user = [(r.action, r.taken, r.detail) for r in rows(env, execution_id) if r.task_name == "t"]
    assert user == [
        ("START", True, "user call: started run 1"),
        ("START", False, "user call: START skipped: run 1 of t is QUEUED"),
    ]


TRIGGERED = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='tw') as workflow:
        BashOperator(name='only', bash_command='true')
"""


def test_trigger_answers_and_the_execution_they_start_are_recorded(env: SchedEnv) -> None:
    from ai_flow.app import timers
    from ai_flow.model.internal.conditions import SingleEventCondition
    from ai_flow.model.internal.rule_codec import encode_rule
    from ai_flow.model.rule import WorkflowRule

    env.upload(TRIGGERED)
    trigger, _ = timers.add_trigger(
        env.app, "default", "tw", encode_rule(WorkflowRule(SingleEventCondition("fire")))
    )
    fire = env.event("fire")
    env.commit([fire])
    found = [r for r in rows(env) if r.event_offset == fire.offset]
    answer = [r for r in found if r.workflow_trigger_id == trigger.id and r.answer]
    assert (answer[0].answer, answer[0].taken, answer[0].condition) == (
        "MET",
        True,
        "SingleEventCondition",
    )
    started = [r for r in found if r.action == "START_EXECUTION" and r.workflow_execution_id]
    assert started[0].detail == f"started by trigger {trigger.id} on event {fire.offset} (fire)"


PERIODIC = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='p') as workflow:
        BashOperator(name='keeper', bash_command='sleep 60')
        BashOperator(name='tick', bash_command='true', periodic_expression='interval@0 0 0 1')
"""


def timer_loop(env: SchedEnv) -> TimerLoop:
    return TimerLoop(
        env.factory,
        env.app.lock,
        env.snapshots,
        on_committed=lambda: None,
        retention=timedelta(days=30),
        aiflow_home=env.home,
        log_dir=env.home / "logs",
    )


def fire_now(env: SchedEnv) -> None:
    with write_session(env.factory) as s:
        s.execute(update(TaskScheduleRow).values(next_fire_time=1))
    timer_loop(env).fire_due()


def test_periodic_fires_are_recorded(env: SchedEnv) -> None:
    env.upload(PERIODIC)
    execution_id = env.start("p")
    fire_now(env)
    fire_now(env)
    ticks = [
        (r.source, r.taken, r.detail) for r in rows(env, execution_id) if r.task_name == "tick"
    ]
    assert ticks == [
        ("TIMER", True, "periodic fire (interval@0 0 0 1): started run 1"),
        (
            "TIMER",
            False,
            "periodic fire (interval@0 0 0 1): START skipped: run 1 of tick is QUEUED",
        ),
    ]


def test_decisions_go_with_their_execution_and_are_capped(env: SchedEnv) -> None:
    env.upload(RULES)
    old = env.start("w")
    executions.stop_execution(env.app, old)
    keep = env.start("w")
    env.commit([env.event("go") for _ in range(3)])
    with write_session(env.factory) as s:
        s.execute(
            update(TaskExecutionRow)
            .where(TaskExecutionRow.workflow_execution_id == old)
            .values(status="STOPPED")
        )
        s.execute(
            update(WorkflowExecutionRow).where(WorkflowExecutionRow.id == old).values(end_date=1)
        )
    lock = threading.Lock()
    purge_history(env.factory, lock, timedelta(days=1), env.home, env.home / "logs")
    assert rows(env, old) == [] and rows(env, keep)
    total = len(rows(env))
    purge_history(
        env.factory, lock, timedelta(days=1), env.home, env.home / "logs", max_decisions=3
    )
    left = rows(env)
    assert len(left) == 3 and total > 3
    assert [r.id for r in left] == sorted(r.id for r in left)[-3:]  # the newest stay


def test_no_decision_row_without_an_event_for_unrelated_namespaces(env: SchedEnv) -> None:
    env.upload(RULES)
    env.start("w")
    before = len(rows(env))
    other = Event("go", None, "other", "test", None, 1000, 0)
    env.commit([other])
    assert len(rows(env)) == before


def test_trimming_goes_in_short_transactions(env: SchedEnv) -> None:
    env.upload(RULES)
    env.start("w")
    env.commit([env.event("go") for _ in range(4)])
    total = len(rows(env))
    with write_session(env.factory) as s:
        assert decisions.trim(s, 1, limit=2) == 2  # the two oldest, not all at once
    assert len(rows(env)) == total - 2
