"""The executor contract, run against every backend (tests/ai_flow/executor/__init__ of
the plug-in point: ai_flow/executor/_interface.py).

Each backend comes with a driver that plays what the backend cannot observe by itself:
how a try ends on its own. The local executor runs the real task runtime (claims through
the real internal RPC); the in-memory executor runs nothing and is ended by the test;
the Celery executor publishes to a real Redis, where a real `aiflow worker` takes the
tries (it learns that a try ended from the metadata database, so its driver also plays
the scheduler that stores the try's final status).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from taskenv import TaskEnv, statuses, wait_until

from ai_flow.executor import LocalTaskExecutor, MemoryTaskExecutor, TaskExecutor
from ai_flow.runtime import TaskSpec

WORKFLOW = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name="contract") as wf:
        # Runs until the file `release` appears in its working directory.
        BashOperator(name="held", bash_command="while [ ! -f release ]; do sleep 0.05; done")
        BashOperator(name="deaf", bash_command="trap '' TERM; sleep 120")
"""


@dataclass
class Backend:
    make: Callable[..., TaskExecutor]
    spec: Callable[[str], TaskSpec]
    release: Callable[[TaskExecutor, str, TaskSpec], None]
    runs: Callable[[TaskSpec], int]  # how many times the try's command really ran
    bounded: bool = True  # capacity() counts live tries (else None: no limit)


def _local(task_env: TaskEnv) -> Backend:
    task_env.upload(WORKFLOW)

    def release(_executor: TaskExecutor, _handle: str, spec: TaskSpec) -> None:
        working = task_env.home / "working_dir" / spec.workflow_name
        (working / str(spec.workflow_execution_id) / "release").touch()

    def runs(spec: TaskSpec) -> int:
        return statuses(task_env.ns.client, spec).count("RUNNING")

    return Backend(
        make=lambda **kw: LocalTaskExecutor(task_env.home, **kw),
        spec=lambda task: task_env.try_of("contract", task),
        release=release,
        runs=runs,
    )


def _memory(tmp_path: Path) -> Backend:
    ids = iter(range(1, 10**6))
    shared = MemoryTaskExecutor()

    def make(parallelism: int | None = None) -> TaskExecutor:
        shared.parallelism = parallelism
        return shared  # "restarting" keeps its memory, as a real backend keeps its tasks

    def spec(task: str) -> TaskSpec:
        from ai_flow.blob_manager import SnapshotFiles

        n = next(ids)
        return TaskSpec(
            n,
            n,
            task,
            1,
            1,
            "contract",
            "default",
            SnapshotFiles(1, "w.py", "u"),
            "ns",
            "af",
            "cls",
        )

    def release(executor: TaskExecutor, handle: str, _spec: TaskSpec) -> None:
        assert isinstance(executor, MemoryTaskExecutor)
        executor.finish(handle)

    def runs(spec: TaskSpec) -> int:
        return sum(1 for _, s in shared.submitted if s.key == spec.key)

    return Backend(make, spec, release, runs)


def _celery(task_env: TaskEnv, workers: Any) -> Backend:
    from ai_flow.executor._celery import CeleryTaskExecutor
    from ai_flow.metadata import task_executions
    from ai_flow.settings import AIFlowServerSettings

    task_env.upload(WORKFLOW)
    worker = workers.start()
    settings = AIFlowServerSettings(
        metadata_backend_uri=f"sqlite:///{task_env.home}/aiflow.db",
        task_heartbeat_interval=1,
        **workers.broker.server_settings(),
    )

    def release(_executor: TaskExecutor, _handle: str, spec: TaskSpec) -> None:
        working = worker.home / "working_dir" / spec.workflow_name / str(spec.workflow_execution_id)
        working.mkdir(parents=True, exist_ok=True)  # the try may still wait in the queue
        (working / "release").touch()
        wait_until(lambda: statuses(task_env.ns.client, spec)[-1:] == ["SUCCESS"])
        with task_env.app.write() as s:  # what the scheduler does with that event
            task_executions.update_task_status(s, spec.task_execution_id, "SUCCESS")

    return Backend(
        make=lambda **_kw: CeleryTaskExecutor(settings=settings),
        spec=lambda task: task_env.try_of("contract", task),
        release=release,
        runs=lambda spec: statuses(task_env.ns.client, spec).count("RUNNING"),
        bounded=False,
    )


@pytest.fixture(params=["local", "memory", "celery"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "local":
        task_env = request.getfixturevalue("task_env")
        yield _local(task_env)
        task_env.kill_leftovers()
    elif request.param == "celery":
        from celery_workers import Broker, Workers, need_service

        workers = Workers(tmp_path / "workers", Broker("redis", need_service("redis")))
        try:
            yield _celery(request.getfixturevalue("task_env"), workers)
        finally:
            workers.close()
    else:
        yield _memory(tmp_path)


def _alive(executor: TaskExecutor, handle: str) -> bool:
    return executor.poll([handle])[handle].alive


def test_a_submitted_try_polls_alive_until_it_ends(backend: Backend) -> None:
    executor = backend.make()
    spec = backend.spec("held")
    handle = executor.submit(spec)
    assert isinstance(handle, str)
    assert _alive(executor, handle)
    backend.release(executor, handle, spec)
    wait_until(lambda: not _alive(executor, handle))
    executor.close()


def test_submitting_a_try_twice_runs_it_once(backend: Backend) -> None:
    executor = backend.make()
    spec = backend.spec("held")
    first = executor.submit(spec)
    wait_until(lambda: backend.runs(spec) == 1)
    second = executor.submit(spec)
    assert _alive(executor, first) and _alive(executor, second)
    backend.release(executor, first, spec)
    wait_until(lambda: not _alive(executor, first) and not _alive(executor, second))
    assert backend.runs(spec) == 1
    executor.close()


def test_a_cancelled_try_polls_dead_once_cancel_returns(backend: Backend) -> None:
    executor = backend.make()
    spec = backend.spec("deaf")  # ignores SIGTERM: only the kill after the grace ends it
    handle = executor.submit(spec)
    wait_until(lambda: backend.runs(spec) == 1)
    executor.cancel(handle, grace=0.5)
    assert not _alive(executor, handle)
    executor.cancel(handle, grace=0.5)  # cancelling again is harmless
    executor.close()


def test_a_restarted_executor_adopts_what_still_runs(backend: Backend) -> None:
    executor = backend.make()
    spec = backend.spec("held")
    handle = executor.submit(spec)
    wait_until(lambda: backend.runs(spec) == 1)
    executor.close()  # the server stops; the try keeps running
    again = backend.make()
    adopted = again.adopt()
    assert len(adopted) == 1 and _alive(again, adopted[0]) and _alive(again, handle)
    backend.release(again, adopted[0], spec)
    wait_until(lambda: not _alive(again, handle))
    assert again.adopt() == []
    again.close()


def test_capacity_counts_live_tries(backend: Backend) -> None:
    executor = backend.make(parallelism=1)
    if not backend.bounded:  # e.g. Celery: the workers' concurrency bounds what runs
        assert executor.capacity() is None
        executor.close()
        return
    assert executor.capacity() == 1
    spec = backend.spec("held")
    handle = executor.submit(spec)
    assert executor.capacity() == 0
    backend.release(executor, handle, spec)
    wait_until(lambda: executor.capacity() == 1)
    executor.close()


def test_the_handle_of_a_finished_try_polls_dead_after_a_restart(backend: Backend) -> None:
    executor = backend.make()
    spec = backend.spec("held")
    handle = executor.submit(spec)
    backend.release(executor, handle, spec)
    wait_until(lambda: not _alive(executor, handle))
    executor.close()
    again = backend.make()
    assert not _alive(again, handle)
    again.close()
