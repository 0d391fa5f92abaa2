"""The README's "Time, triggers, retries" rules that had no test of their own, one test
per rule (its docstring is the rule): the timer loop with a movable clock and no server
(`fire_due` called by the test), status events made by the test for what tasks would
report. Each is named in tests/ai_flow/test_readme_rules.py and killed by a mutant in
tools/mutations.yaml."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scheduler"))

from schedenv import SchedEnv  # noqa: E402

from ai_flow.app import executions, timers, workflows  # noqa: E402
from ai_flow.app.errors import InvalidArgumentError  # noqa: E402
from ai_flow.metadata import read_session  # noqa: E402
from ai_flow.metadata import task_executions as tasks  # noqa: E402
from ai_flow.model.internal.conditions import SingleEventCondition  # noqa: E402
from ai_flow.model.internal.rule_codec import encode_rule  # noqa: E402
from ai_flow.model.rule import WorkflowRule  # noqa: E402
from ai_flow.scheduler import TimerLoop  # noqa: E402
from notification_service.util import clock  # noqa: E402

WORKFLOW = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='p') as workflow:
        every_minute = 'interval@0 0 1 0'
        tick = BashOperator(name='tick', bash_command='true', periodic_expression=every_minute)
        after = BashOperator(name='after', bash_command='true')
        after.start_after(tick)
"""
MINUTE = 60.0


class Rig:
    def __init__(self, env: SchedEnv) -> None:
        self.env = env
        self.now = 3_000_000.0
        clock.set_clock(lambda: self.now)
        self.timers = TimerLoop(
            env.factory,
            env.app.lock,
            env.snapshots,
            on_committed=lambda: None,
            retention=timedelta(days=30),
            aiflow_home=env.home,
            log_dir=env.home / "logs",
        )

    def executions(self, execution_type: str | None = None) -> list:  # noqa: ANN401
        rows, _ = executions.list_executions(self.env.app, "default", "p", None, None)
        return [r for r in rows if execution_type is None or r.execution_type == execution_type]

    def runs(self, execution_id: int, task: str) -> list[str]:
        with read_session(self.env.factory) as s:
            return [r.status for r in tasks.list_task_executions(s, execution_id, task)]

    def report(self, execution_id: int, task: str, status: str) -> None:
        self.env.commit([self.env.status(execution_id, "p", task, status)])

    def status(self, execution_id: int) -> str:
        return executions.get_execution(self.env.app, execution_id)[0].status


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    env = SchedEnv(tmp_path)
    env.upload(WORKFLOW)
    yield Rig(env)
    clock.set_clock(None)
    env.close()


# --- workflow schedules -------------------------------------------------------------


def test_a_malformed_schedule_is_refused_at_add_and_nothing_is_stored(rig: Rig) -> None:
    """A malformed one is refused at `add` with the expected format; nothing is stored."""
    with pytest.raises(InvalidArgumentError, match="Expected 'cron@"):
        timers.add_schedule(rig.env.app, "default", "p", "interval@0 0 0")
    assert timers.list_schedules(rig.env.app, "default", "p", None, None)[0] == []


def test_an_interval_schedule_first_fires_one_interval_from_now(rig: Rig) -> None:
    """`interval@days hours minutes seconds` (first fire one interval from now)."""
    row, _ = timers.add_schedule(rig.env.app, "default", "p", "interval@0 0 1 0")
    assert row.next_fire_time == int((rig.now + MINUTE) * 1000)
    rig.now += MINUTE - 1
    assert rig.timers.fire_due() == 0
    rig.now += 1
    assert rig.timers.fire_due() == 1


def test_a_cron_schedule_is_read_in_utc_or_in_its_time_zone_with_daylight_saving(
    rig: Rig,
) -> None:
    """`cron@<5-field crontab>` (UTC, or a time zone after a second `@`:
    `cron@0 9 * * 1-5@Europe/Berlin`, daylight saving followed)."""

    def first_fire(expression: str, day: str) -> str:
        rig.now = datetime.fromisoformat(f"{day}T00:00:00+00:00").timestamp()
        row, _ = timers.add_schedule(rig.env.app, "default", "p", expression)
        fire = datetime.fromtimestamp(row.next_fire_time / 1000, tz=timezone.utc)
        return fire.strftime("%H:%M")

    assert first_fire("cron@0 9 * * *", "2026-01-15") == "09:00"
    assert first_fire("cron@0 9 * * 1-5@Europe/Berlin", "2026-01-15") == "08:00"  # CET
    assert first_fire("cron@0 9 * * 1-5@Europe/Berlin", "2026-07-15") == "07:00"  # CEST


def test_a_fire_starts_a_periodic_execution(rig: Rig) -> None:
    """A fire starts a PERIODIC execution."""
    row, _ = timers.add_schedule(rig.env.app, "default", "p", "interval@0 0 1 0")
    rig.now += MINUTE
    rig.timers.fire_due()
    [execution] = rig.executions()
    assert execution.execution_type == "PERIODIC"
    assert execution.trigger_info["schedule_id"] == row.id


def test_a_paused_schedule_does_not_fire(rig: Rig) -> None:
    """Pause stops fires."""
    row, _ = timers.add_schedule(rig.env.app, "default", "p", "interval@0 0 1 0")
    timers.set_schedule_paused(rig.env.app, row.id, True)
    rig.now += 10 * MINUTE
    assert rig.timers.fire_due() == 0
    assert rig.executions() == []


def test_a_resumed_schedule_continues_from_now(rig: Rig) -> None:
    """Resume continues from now (the paused period is not caught up)."""
    row, _ = timers.add_schedule(rig.env.app, "default", "p", "interval@0 0 1 0")
    timers.set_schedule_paused(rig.env.app, row.id, True)
    rig.now += 10 * MINUTE
    timers.set_schedule_paused(rig.env.app, row.id, False)
    assert rig.timers.fire_due() == 0
    rig.now += MINUTE
    assert rig.timers.fire_due() == 1


# --- triggers -----------------------------------------------------------------------


def test_a_disabled_workflow_gets_no_executions_from_triggers(rig: Rig) -> None:
    """A disabled workflow gets no executions from triggers or events."""
    rule = encode_rule(WorkflowRule(SingleEventCondition("fire")))
    timers.add_trigger(rig.env.app, "default", "p", rule)
    workflows.set_workflow_enabled(rig.env.app, "default", "p", False)
    rig.env.commit([rig.env.event("fire")])
    assert rig.executions() == []
    workflows.set_workflow_enabled(rig.env.app, "default", "p", True)
    rig.env.commit([rig.env.event("fire")])
    assert [e.execution_type for e in rig.executions()] == ["EVENT"]


# --- periodic tasks -----------------------------------------------------------------


def test_a_periodic_task_first_runs_at_its_first_fire(rig: Rig) -> None:
    """`periodic_expression` on an operator: the task first runs at its first fire."""
    execution_id = rig.env.start("p")
    assert rig.runs(execution_id, "tick") == []
    rig.now += MINUTE
    rig.timers.fire_due()
    assert rig.runs(execution_id, "tick") == ["QUEUED"]


def test_a_periodic_task_runs_on_every_period_while_the_execution_runs(rig: Rig) -> None:
    """Then on every period while the execution runs."""
    execution_id = rig.env.start("p")
    for n in range(1, 4):
        rig.now += MINUTE
        rig.timers.fire_due()
        assert len(rig.runs(execution_id, "tick")) == n
        rig.report(execution_id, "tick", "SUCCESS")
    executions.stop_execution(rig.env.app, execution_id)
    rig.now += MINUTE
    rig.timers.fire_due()
    assert len(rig.runs(execution_id, "tick")) == 3  # not once it was stopped


def test_a_periodic_fire_while_the_previous_run_is_alive_is_skipped(rig: Rig) -> None:
    """A fire while the previous run is alive is skipped (no overlap)."""
    execution_id = rig.env.start("p")
    rig.now += MINUTE
    rig.timers.fire_due()
    rig.report(execution_id, "tick", "RUNNING")
    rig.now += MINUTE
    assert rig.timers.fire_due() == 1  # the fire passes ...
    assert rig.runs(execution_id, "tick") == ["RUNNING"]  # ... without a second run
    rig.report(execution_id, "tick", "SUCCESS")
    rig.now += MINUTE
    rig.timers.fire_due()
    assert rig.runs(execution_id, "tick") == ["SUCCESS", "QUEUED"]


def test_tasks_that_start_after_a_periodic_task_run_after_each_run(rig: Rig) -> None:
    """Tasks that `start_after` it run after each run."""
    execution_id = rig.env.start("p")
    for n in range(1, 3):
        rig.now += MINUTE
        rig.timers.fire_due()
        assert len(rig.runs(execution_id, "after")) == n - 1
        rig.report(execution_id, "tick", "SUCCESS")
        assert rig.runs(execution_id, "after")[-1] == "QUEUED"
        rig.report(execution_id, "after", "SUCCESS")


def test_an_execution_with_a_periodic_task_stays_running_until_stopped(rig: Rig) -> None:
    """Such an execution stays RUNNING until stopped."""
    execution_id = rig.env.start("p")
    rig.now += MINUTE
    rig.timers.fire_due()
    rig.report(execution_id, "tick", "SUCCESS")
    rig.report(execution_id, "after", "SUCCESS")
    assert rig.env.statuses(execution_id) == {"tick": "SUCCESS", "after": "SUCCESS"}
    assert rig.status(execution_id) == "RUNNING"
    executions.stop_execution(rig.env.app, execution_id)
    assert rig.status(execution_id) == "STOPPED"


# --- retries ------------------------------------------------------------------------


def test_retry_delays_back_off_up_to_max_retry_delay_an_hour_by_default() -> None:
    """Operator options `retries`, `retry_delay` (s), `retry_exponential_backoff`,
    `max_retry_delay` (default 3600 s)."""
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name="w"):
        plain = BashOperator(name="plain", bash_command="true", retries=2, retry_delay=7)
        backoff = BashOperator(
            name="backoff", bash_command="true", retry_delay=100, retry_exponential_backoff=True
        )
    assert plain.retries == 2
    assert [plain.retry_delay_of(n) for n in (1, 2, 9)] == [7, 7, 7]
    assert [backoff.retry_delay_of(n) for n in (1, 2, 3, 6, 7, 99)] == [
        100,
        200,
        400,
        3200,
        3600,
        3600,
    ]


def test_a_periodic_fire_listed_before_its_execution_stopped_starts_nothing(rig: Rig) -> None:
    """A periodic task runs on every period while the execution runs: a fire found due
    just before the execution stopped is checked again under the lock, and runs nothing."""
    from ai_flow.metadata import task_schedules

    execution_id = rig.env.start("p")
    rig.now += MINUTE
    with read_session(rig.env.factory) as s:
        [due] = [r.id for r in task_schedules.list_due_task_schedules(s, int(rig.now * 1000))]
    executions.stop_execution(rig.env.app, execution_id)
    fire = rig.timers._fire_task  # noqa: SLF001 - the fire the loop would make next
    assert not rig.timers._fire(fire, due, int(rig.now * 1000))  # noqa: SLF001
    assert rig.runs(execution_id, "tick") == []
