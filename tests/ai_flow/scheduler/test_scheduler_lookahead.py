"""The scheduler's look-ahead and its poison-event handling, driven with events made by
the test (no notification server, no tasks): user conditions run in real evaluator
processes before each transaction; their answers are used only if still valid."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from schedenv import SchedEnv
from sqlalchemy.exc import OperationalError

from ai_flow.scheduler import EventProcessor

COUNTING = """
    from ai_flow.model.action import TaskAction
    from ai_flow.model.condition import Condition
    from ai_flow.model.state import ValueStateDescriptor
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    class Count(Condition):
        def is_met(self, event, context):
            state = context.get_state(ValueStateDescriptor('n'))
            n = (state.value() or 0) + 1
            state.update(n)
            return n == 40

    class SeesQueued(Condition):
        def is_met(self, event, context):
            return context.get_task_status('first') == 'QUEUED'

    class SeesRunning(Condition):
        def is_met(self, event, context):
            return context.get_task_status('first') == 'RUNNING'

    with Workflow(name='w') as workflow:
        BashOperator(name='keeper', bash_command='sleep 60')
        counted = BashOperator(name='counted', bash_command='true')
        counted.action_on_condition(TaskAction.START, Count(['count']))
        first = BashOperator(name='first', bash_command='true')
        first.action_on_event_received(TaskAction.START, 'go')
        second = BashOperator(name='second', bash_command='true')
        second.action_on_condition(TaskAction.START, SeesQueued(['go', 'check']))
        third = BashOperator(name='third', bash_command='true')
        third.action_on_condition(TaskAction.START, SeesRunning(['check_running']))
"""


@pytest.fixture
def env(tmp_path: Path) -> Iterator[SchedEnv]:
    env = SchedEnv(tmp_path)
    yield env
    env.close()


def test_answers_computed_ahead_serve_a_whole_batch(env: SchedEnv) -> None:
    env.upload(COUNTING)
    execution_id = env.start("w")
    events = [env.event("count", str(i)) for i in range(50)]
    env.commit(events)
    assert env.requests == [50]  # one request for the batch, before its transaction
    assert env.state(execution_id, "counted#0") == {"n": 50}
    assert env.statuses(execution_id)["counted"] == "QUEUED"  # started at 40, once
    assert env.offset() == events[-1].offset


def test_a_stale_answer_splits_the_batch_and_is_computed_again(env: SchedEnv) -> None:
    env.upload(COUNTING)
    execution_id = env.start("w")
    # `go` starts `first` (a built-in rule) ahead of `second`'s condition on `check`, which
    # looks at `first`: computed ahead of the batch, its answer saw `first` never run.
    events = [env.event("count"), env.event("go"), env.event("check"), env.event("count")]
    env.commit(events)
    assert env.statuses(execution_id)["second"] == "QUEUED"
    assert env.state(execution_id, "counted#0") == {"n": 2}  # every event counted once
    assert env.offset() == events[-1].offset
    # Ahead of the batch: count, go, check, count; the rest again from `check`.
    assert env.requests[0] == 4 and sum(env.requests[1:]) >= 2


def test_an_answer_depending_on_this_very_event_is_computed_on_the_spot(env: SchedEnv) -> None:
    env.upload(COUNTING)
    execution_id = env.start("w")
    # One event: `first` is started by the rule before `second`'s, which sees it QUEUED.
    env.commit([env.event("go")])
    assert env.statuses(execution_id)["first"] == "QUEUED"
    assert env.statuses(execution_id)["second"] == "QUEUED"


def test_the_look_ahead_applies_status_events_as_the_transaction_will(env: SchedEnv) -> None:
    env.upload(COUNTING)
    execution_id = env.start("w")
    env.commit([env.event("go")])
    env.requests.clear()
    batch = [env.status(execution_id, "w", "first", "RUNNING"), env.event("check_running")]
    env.commit(batch)
    # The condition on `check_running` saw `first` RUNNING, as reported just before it in
    # the same batch, and the answer computed ahead was right: no second request.
    assert env.statuses(execution_id)["first"] == "RUNNING"
    assert env.statuses(execution_id)["third"] == "QUEUED"
    assert env.requests == [1]


def test_a_poison_event_is_skipped_and_recorded_and_the_rest_goes_on(
    env: SchedEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.upload(COUNTING)
    execution_id = env.start("w")
    process_one = EventProcessor._process_one

    def failing(self, batch, index, event, lookup):  # noqa: ANN001, ANN202
        if event.key == "poison":
            raise RuntimeError("cannot digest this")
        return process_one(self, batch, index, event, lookup)

    monkeypatch.setattr(EventProcessor, "_process_one", failing)
    monkeypatch.setattr(env.scheduler, "_pause", lambda failures: None)
    events = [env.event("count"), env.event("poison"), env.event("count"), env.event("go")]
    env.commit(events)
    assert env.offset() == events[-1].offset
    assert env.state(execution_id, "counted#0") == {"n": 2}  # before and after the poison
    assert env.statuses(execution_id)["first"] == "QUEUED"
    [error] = env.errors()
    assert (error.event_offset, error.event_key) == (events[1].offset, "poison")
    assert error.error.startswith("RuntimeError: cannot digest this (at ")
    env.commit([env.event("count")])  # later batches are whole again
    assert env.state(execution_id, "counted#0") == {"n": 3}


def test_a_database_outage_is_waited_out_never_skipped(
    env: SchedEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.upload(COUNTING)
    execution_id = env.start("w")
    process_one = EventProcessor._process_one
    failures = iter(range(5))

    def flaky(self, batch, index, event, lookup):  # noqa: ANN001, ANN202
        if next(failures, None) is not None:
            raise OperationalError("SELECT 1", {}, Exception("database is locked"))
        return process_one(self, batch, index, event, lookup)

    monkeypatch.setattr(EventProcessor, "_process_one", flaky)
    monkeypatch.setattr(env.scheduler, "_pause", lambda failures: None)
    env.commit([env.event("count")])
    assert env.state(execution_id, "counted#0") == {"n": 1}
    assert env.errors() == []
