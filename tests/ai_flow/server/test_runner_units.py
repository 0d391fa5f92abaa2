"""The command runner and its watch pass against the in-memory executor and a movable
clock: no task process, no sleeps. The statuses the server would send for dead tries
are recorded instead of sent (RecordingSink)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scheduler"))

from schedenv import SchedEnv  # noqa: E402

from ai_flow.app import HeartbeatBook, executions, task_runtime  # noqa: E402
from ai_flow.executor import MemoryTaskExecutor  # noqa: E402
from ai_flow.metadata import commands, read_session, write_session  # noqa: E402
from ai_flow.metadata import task_executions as tasks  # noqa: E402
from ai_flow.scheduler._actions import retry_task  # noqa: E402
from ai_flow.server._command_runner import CommandRunner  # noqa: E402
from ai_flow.server._tasks import SpecFactory  # noqa: E402
from ai_flow.server._watcher import Watcher  # noqa: E402
from ai_flow.settings import LOCAL_BLOB_MANAGER  # noqa: E402
from notification_service.util import clock  # noqa: E402

WORKFLOW = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='w') as workflow:
        BashOperator(name='a', bash_command='sleep 60', stop_timeout=3)
        BashOperator(name='b', bash_command='sleep 60', execution_timeout=5)
"""


class RecordingSink:
    def __init__(self) -> None:
        self.reports: list[tuple[str, int, str, str | None]] = []
        self.latest = 0

    def report(self, task, status, error=None) -> bool:  # noqa: ANN001
        self.reports.append((task.task_name, task.try_number, status.value, error))
        return True

    def latest_offset(self) -> int:
        return self.latest


class Inline:
    """Runs what would go to the stopper threads at once."""

    def submit(self, fn, *args):  # noqa: ANN001, ANN002, ANN202
        fn(*args)


class Rig:
    def __init__(self, env: SchedEnv, parallelism: int | None = None) -> None:
        self.env = env
        self.now = 1_000_000.0
        clock.set_clock(lambda: self.now)
        self.executor = MemoryTaskExecutor(parallelism)
        self.sink = RecordingSink()
        self.committed = 0
        self.heartbeats = HeartbeatBook()
        env.app.heartbeats = self.heartbeats
        specs = SpecFactory(
            env.snapshots,
            "ns:1",
            "af:1",
            LOCAL_BLOB_MANAGER,
            {},
            heartbeat_interval=1,
            stop_timeout=10,
        )
        self.watcher = Watcher(
            env.factory,
            self.executor,
            env.snapshots,
            specs,
            self.sink,  # type: ignore[arg-type]
            self.heartbeats,
            committed_offset=lambda: self.committed,
            stoppers=Inline(),  # type: ignore[arg-type]
            heartbeat_timeout=60,
            heartbeat_check_interval=0,
        )
        self.runner = CommandRunner(
            env.factory,
            self.executor,
            specs,
            self.sink,
            self.watcher,
            Inline(),  # type: ignore[arg-type]
        )

    def handle(self, task: str) -> str:
        return next(h for h, spec in self.executor.submitted if spec.task_name == task)

    def row(self, execution_id: int, task: str):  # noqa: ANN201
        with read_session(self.env.factory) as s:
            return tasks.latest_task_execution(s, execution_id, task)

    def pending(self) -> int:
        with read_session(self.env.factory) as s:
            return len(commands.pending(s))


@pytest.fixture
def env(tmp_path: Path) -> Iterator[SchedEnv]:
    env = SchedEnv(tmp_path)
    env.upload(WORKFLOW)
    yield env
    clock.set_clock(None)
    env.close()


def test_a_stop_is_not_held_behind_starts_that_wait_for_capacity(env: SchedEnv) -> None:
    rig = Rig(env, parallelism=1)
    execution_id = env.start("w")
    rig.runner.run_pending()
    assert [s.task_name for _, s in rig.executor.submitted] == ["a"]  # b waits for room
    executions.stop_task_execution(env.app, execution_id, "b")
    rig.runner.run_pending()
    assert rig.sink.reports == [("b", 1, "STOPPED", None)]  # never launched: stopped now
    assert [s.task_name for _, s in rig.executor.submitted] == ["a"]
    assert rig.pending() == 0


def test_a_stop_cancels_the_running_try_with_its_stop_timeout(env: SchedEnv) -> None:
    rig = Rig(env)
    execution_id = env.start("w")
    rig.runner.run_pending()
    executions.stop_task_execution(env.app, execution_id, "a")
    rig.runner.run_pending()
    assert rig.executor.cancelled == [(rig.handle("a"), 3 + 5)]  # its stop_timeout + margin
    # It ended without a word: the watch pass says STOPPED for it.
    rig.watcher.watch()
    assert ("a", 1, "STOPPED", None) in rig.sink.reports


def test_a_retry_waits_for_the_failed_tries_process(env: SchedEnv) -> None:
    rig = Rig(env)
    execution_id = env.start("w")
    rig.runner.run_pending()
    first = rig.handle("a")
    with write_session(env.factory) as s:
        row = tasks.latest_task_execution(s, execution_id, "a")
        retry_task(s, row, 0, "try 1 failed")
    rig.runner.run_pending()
    assert len(rig.executor.submitted) == 2  # only a and b: try 1's process still runs
    rig.executor.finish(first)
    rig.runner.run_pending()
    assert [(s.task_name, s.try_number) for _, s in rig.executor.submitted][-1] == ("a", 2)
    assert rig.row(execution_id, "a").handle_try == 2


def test_a_dead_try_is_failed_once_the_scheduler_caught_up(env: SchedEnv) -> None:
    rig = Rig(env)
    execution_id = env.start("w")
    rig.runner.run_pending()
    rig.executor.finish(rig.handle("a"), "exit code 137")
    rig.sink.latest, rig.committed = 10, 9  # its own report may still be on the way
    rig.watcher.watch()
    assert rig.sink.reports == []
    rig.committed = 10
    rig.watcher.watch()
    [(task, try_number, status, error)] = rig.sink.reports
    assert (task, try_number, status) == ("a", 1, "FAILED")
    assert error == "the task process died without reporting a status (exit code 137)"
    assert rig.row(execution_id, "a").status == "QUEUED"  # the scheduler decides, not us


def test_no_heartbeat_for_the_timeout_fails_then_cancels(env: SchedEnv) -> None:
    rig = Rig(env)
    execution_id = env.start("w")
    rig.runner.run_pending()
    a = rig.row(execution_id, "a")
    assert task_runtime.claim_task(env.app, a.id, 1, "tok", "host", 42).ok
    rig.now += 59
    rig.watcher.watch()
    assert rig.sink.reports == []
    rig.now += 2
    rig.watcher.watch()
    [(task, _, status, error)] = rig.sink.reports
    assert (task, status) == ("a", "FAILED") and error.startswith("no heartbeat for 61s")
    assert rig.executor.cancelled[0][0] == rig.handle("a")
    # The try is told why, at its next heartbeat.
    answer = task_runtime.heartbeat(env.app, a.id, 1, "tok")
    assert (answer.ok, answer.reason) == (False, "HEARTBEAT")


def test_heartbeats_after_a_restart_count_from_the_servers_start(env: SchedEnv) -> None:
    rig = Rig(env)
    execution_id = env.start("w")
    rig.runner.run_pending()
    a = rig.row(execution_id, "a")
    assert task_runtime.claim_task(env.app, a.id, 1, "tok", "host", 42).ok
    rig.now += 500  # the server was down for a long time, the task ran on
    rig.watcher._heartbeats = HeartbeatBook()  # noqa: SLF001 - a restarted server's memory
    rig.now += 30
    rig.watcher.watch()
    assert rig.sink.reports == []


def test_an_execution_timeout_counts_from_the_claim(env: SchedEnv) -> None:
    rig = Rig(env)
    execution_id = env.start("w")
    rig.runner.run_pending()
    b = rig.row(execution_id, "b")
    rig.now += 100  # queued for long: not yet running, no timeout
    rig.watcher.watch()
    assert task_runtime.claim_task(env.app, b.id, 1, "tok", "host", 42).ok
    rig.now += 4
    task_runtime.heartbeat(env.app, b.id, 1, "tok")
    rig.watcher.watch()
    assert rig.sink.reports == []
    rig.now += 2
    rig.watcher.watch()
    assert rig.sink.reports == [("b", 1, "FAILED", "timed out after 5s")]


def test_a_try_is_claimed_once(env: SchedEnv) -> None:
    Rig(env)
    execution_id = env.start("w")
    with read_session(env.factory) as s:
        a = tasks.latest_task_execution(s, execution_id, "a")
    claim = task_runtime.claim_task
    assert claim(env.app, a.id, 1, "first", "h", 1).ok
    assert claim(env.app, a.id, 1, "first", "h", 1).ok  # its own claim, asked again
    refused = claim(env.app, a.id, 1, "second", "h", 2)
    assert not refused.ok and refused.reason == "try 1 already runs (pid 1 on h)"
    assert claim(env.app, a.id, 2, "third", "h", 3).reason == "try 2 was superseded by try 1"
    assert (
        claim(env.app, 10**9, 1, "x", "h", 4).reason == "task execution 1000000000 does not exist"
    )
    executions.stop_task_execution(env.app, execution_id, "b")
    with read_session(env.factory) as s:
        b = tasks.latest_task_execution(s, execution_id, "b")
    assert claim(env.app, b.id, 1, "t", "h", 5).reason == "the task execution is STOPPING"
