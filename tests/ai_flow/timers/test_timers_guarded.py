"""The timer loop with a movable clock and no server (fire_due called by the test): a
disabled workflow gets no executions from its schedule and no periodic task runs, its
timers moving on all the same; after downtime one fire covers the whole missed period."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scheduler"))

from schedenv import SchedEnv  # noqa: E402

from ai_flow.app import executions, timers, workflows  # noqa: E402
from ai_flow.metadata import read_session  # noqa: E402
from ai_flow.metadata import task_executions as tasks  # noqa: E402
from ai_flow.scheduler import TimerLoop  # noqa: E402
from notification_service.util import clock  # noqa: E402

WORKFLOW = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='t') as workflow:
        BashOperator(name='keeper', bash_command='sleep 60')
        BashOperator(name='tick', bash_command='true', periodic_expression='interval@0 0 1 0')
"""
MINUTE = 60.0


class Rig:
    def __init__(self, env: SchedEnv) -> None:
        self.env = env
        self.now = 2_000_000.0
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

    def enable(self, enabled: bool) -> None:
        workflows.set_workflow_enabled(self.env.app, "default", "t", enabled)

    def periodic_executions(self) -> int:
        rows, _ = executions.list_executions(self.env.app, "default", "t", None, None)
        return len([r for r in rows if r.execution_type == "PERIODIC"])

    def ticks(self, execution_id: int) -> int:
        with read_session(self.env.factory) as s:
            return len(tasks.list_task_executions(s, execution_id, "tick"))


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    env = SchedEnv(tmp_path)
    env.upload(WORKFLOW)
    yield Rig(env)
    clock.set_clock(None)
    env.close()


def test_a_disabled_workflows_schedule_starts_nothing_and_moves_on(rig: Rig) -> None:
    timers.add_schedule(rig.env.app, "default", "t", "interval@0 0 1 0")
    rig.enable(False)
    rig.now += MINUTE + 1
    assert rig.timers.fire_due() == 1  # the fire passes ...
    assert rig.periodic_executions() == 0  # ... without an execution
    rig.enable(True)
    rig.now += MINUTE
    assert rig.timers.fire_due() == 1
    assert rig.periodic_executions() == 1


def test_one_fire_covers_the_whole_missed_period(rig: Rig) -> None:
    timers.add_schedule(rig.env.app, "default", "t", "interval@0 0 1 0")
    rig.now += 10 * MINUTE + 1  # ten fires missed (the server was down)
    assert rig.timers.fire_due() == 1
    assert rig.timers.fire_due() == 0  # the next fire is ahead of now
    assert rig.periodic_executions() == 1
    rig.now += MINUTE
    rig.timers.fire_due()  # the schedule, and the first execution's periodic task
    assert rig.periodic_executions() == 2


def test_a_disabled_workflows_periodic_task_does_not_run(rig: Rig) -> None:
    execution_id = rig.env.start("t")
    assert rig.ticks(execution_id) == 0  # first run at its first fire
    rig.enable(False)
    rig.now += MINUTE + 1
    rig.timers.fire_due()
    assert rig.ticks(execution_id) == 0
    rig.enable(True)
    rig.now += MINUTE
    rig.timers.fire_due()
    assert rig.ticks(execution_id) == 1
