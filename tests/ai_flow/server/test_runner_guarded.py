"""The command runner against the in-memory executor (no task process, no sleeps): a
RESTART's new run waits until the old run has stopped, a try stopped before it was
launched never runs, a deposed server's relay marks no launch done, and the local
executor's parallelism counts the tries alive now."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scheduler"))

from schedenv import SchedEnv  # noqa: E402

from ai_flow.app import HeartbeatBook, executions  # noqa: E402
from ai_flow.app.task_actions import restart_task_execution  # noqa: E402
from ai_flow.executor import MemoryTaskExecutor  # noqa: E402
from ai_flow.executor._local import LocalTaskExecutor  # noqa: E402
from ai_flow.metadata import commands, read_session, write_session  # noqa: E402
from ai_flow.metadata import task_executions as tasks  # noqa: E402
from ai_flow.metadata.lease import LeaseLostError  # noqa: E402
from ai_flow.model.status import TaskStatus  # noqa: E402
from ai_flow.server._command_runner import CommandRunner  # noqa: E402
from ai_flow.server._tasks import SpecFactory  # noqa: E402
from ai_flow.server._watcher import Watcher  # noqa: E402
from ai_flow.settings import LOCAL_BLOB_MANAGER  # noqa: E402

WORKFLOW = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='w') as workflow:
        BashOperator(name='a', bash_command='sleep 60')
        BashOperator(name='b', bash_command='sleep 60')
"""


class Sink:
    def __init__(self) -> None:
        self.reports: list[tuple[str, int, str]] = []

    def report(self, task, status, error=None) -> bool:  # noqa: ANN001
        self.reports.append((task.task_name, task.sequence_number, status.value))
        return True

    def latest_offset(self) -> int:
        return 0


class Inline:
    def submit(self, fn, *args):  # noqa: ANN001, ANN002, ANN202
        fn(*args)


def runner(env: SchedEnv, executor: MemoryTaskExecutor, sink: Sink, fence=None) -> CommandRunner:  # noqa: ANN001
    specs = SpecFactory(
        env.snapshots, "ns:1", "af:1", LOCAL_BLOB_MANAGER, {}, heartbeat_interval=1, stop_timeout=1
    )
    watcher = Watcher(
        env.factory,
        executor,
        env.snapshots,
        specs,
        sink,  # type: ignore[arg-type]
        HeartbeatBook(),
        committed_offset=lambda: 0,
        stoppers=Inline(),  # type: ignore[arg-type]
    )
    return CommandRunner(
        env.factory,
        executor,
        specs,
        sink,  # type: ignore[arg-type]
        watcher,
        Inline(),  # type: ignore[arg-type]
        fence=fence,
    )


@pytest.fixture
def env(tmp_path: Path) -> Iterator[SchedEnv]:
    env = SchedEnv(tmp_path)
    env.upload(WORKFLOW)
    yield env
    env.close()


def launched(executor: MemoryTaskExecutor) -> list[tuple[str, int]]:
    return [(s.task_name, s.sequence_number) for _, s in executor.submitted]


def test_a_restarts_new_run_waits_until_the_old_run_stopped(env: SchedEnv) -> None:
    executor, sink = MemoryTaskExecutor(), Sink()
    relay = runner(env, executor, sink)
    execution_id = env.start("w")
    relay.run_pending()
    assert launched(executor) == [("a", 1), ("b", 1)]
    restart_task_execution(env.app, execution_id, "a")
    relay.run_pending()  # run 1 is asked to stop; it is still STOPPING
    assert launched(executor) == [("a", 1), ("b", 1)]
    with write_session(env.factory) as s:
        old = tasks.list_task_executions(s, execution_id, "a")[0]
        tasks.update_task_status(s, old.id, TaskStatus.STOPPED)  # as its report would
    relay.run_pending()
    assert launched(executor) == [("a", 1), ("b", 1), ("a", 2)]


def test_a_try_stopped_before_it_was_launched_never_runs(env: SchedEnv) -> None:
    executor, sink = MemoryTaskExecutor(), Sink()
    relay = runner(env, executor, sink)
    execution_id = env.start("w")
    executions.stop_task_execution(env.app, execution_id, "b")  # still QUEUED
    relay.run_pending()
    assert launched(executor) == [("a", 1)]
    assert sink.reports == [("b", 1, "STOPPED")]  # the server says so for it
    with read_session(env.factory) as s:
        assert commands.pending(s) == []


def test_a_stop_of_a_running_try_passes_starts_that_wait_for_room(env: SchedEnv) -> None:
    executor, sink = MemoryTaskExecutor(parallelism=1), Sink()
    relay = runner(env, executor, sink)
    execution_id = env.start("w")
    relay.run_pending()
    assert launched(executor) == [("a", 1)]  # b's START waits for room, ahead of ...
    executions.stop_task_execution(env.app, execution_id, "a")  # ... a's STOP
    relay.run_pending()
    [(handle, _)] = executor.submitted
    assert [h for h, _ in executor.cancelled] == [handle]  # the STOP went through
    relay.run_pending()
    assert launched(executor) == [("a", 1), ("b", 1)]  # a's slot is free for b


def test_a_deposed_relay_marks_no_launch_done(env: SchedEnv) -> None:
    def deposed(session) -> None:  # noqa: ANN001
        raise LeaseLostError("scheduling epoch 1 is over (now 2)")

    executor, sink = MemoryTaskExecutor(), Sink()
    relay = runner(env, executor, sink, fence=deposed)
    execution_id = env.start("w")
    with pytest.raises(LeaseLostError):
        relay.run_pending()
    with read_session(env.factory) as s:
        assert len(commands.pending(s)) == 2  # the new holder launches (idempotently)
        row = tasks.latest_task_execution(s, execution_id, "a")
        assert row is not None and row.handle is None


def test_local_parallelism_counts_the_tries_alive_now(tmp_path: Path) -> None:
    executor = LocalTaskExecutor(tmp_path, parallelism=2, fork_server=False)
    procs = [subprocess.Popen(["sleep", "60"]) for _ in range(2)]
    try:
        handles = [executor._handle(tmp_path / f"{n}.lock", p.pid) for n, p in enumerate(procs)]  # noqa: SLF001
        executor._live.update(handles)  # noqa: SLF001 - as submit records them
        assert executor.capacity() == 0
        procs[0].kill()
        procs[0].wait()
        assert executor.capacity() == 1
    finally:
        for p in procs:
            p.kill()
            p.wait()
