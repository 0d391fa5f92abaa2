"""External jobs: recorded by the claimed try, handed to the next try, cancelled by the
reaper when their try ended without saying the job ended. The "job" here is a real
process in its own session (what a Spark client-mode job is), killed for real."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scheduler"))

from schedenv import SchedEnv  # noqa: E402

from ai_flow.app import external_jobs, task_runtime  # noqa: E402
from ai_flow.app.errors import PreconditionError  # noqa: E402
from ai_flow.engines import PROCESS, ExternalJob, process_identity  # noqa: E402
from ai_flow.metadata import read_session, write_session  # noqa: E402
from ai_flow.metadata import task_executions as tasks  # noqa: E402
from ai_flow.scheduler._actions import retry_task  # noqa: E402
from ai_flow.server._reaper import JobReaper  # noqa: E402

WORKFLOW = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='w') as workflow:
        BashOperator(name='a', bash_command='sleep 60', retries=1)
"""


@pytest.fixture
def env(tmp_path: Path) -> Iterator[SchedEnv]:
    env = SchedEnv(tmp_path)
    env.upload(WORKFLOW)
    yield env
    env.close()


@pytest.fixture
def job_process() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(["sleep", "300"], start_new_session=True)
    yield process
    process.kill()
    process.wait()


def _job(process: subprocess.Popen[bytes]) -> ExternalJob:
    host, created = process_identity(process.pid)
    return ExternalJob(PROCESS, str(process.pid), host=host, pid=process.pid, create_time=created)


def _row(env: SchedEnv, execution_id: int):  # noqa: ANN202
    with read_session(env.factory) as s:
        return tasks.latest_task_execution(s, execution_id, "a")


def test_only_the_claimed_try_records_and_the_next_try_gets_the_job(
    env: SchedEnv, job_process: subprocess.Popen[bytes]
) -> None:
    execution_id = env.start("w")
    a = _row(env, execution_id)
    assert task_runtime.claim_task(env.app, a.id, 1, "tok", "h", 1).ok
    job = _job(job_process)
    with pytest.raises(PreconditionError):
        task_runtime.record_external_job(env.app, a.id, 1, "other", external_job=job.to_json())
    task_runtime.record_external_job(env.app, a.id, 1, "tok", external_job=job.to_json())
    row = _row(env, execution_id)
    assert (row.external_job_active, row.external_job_try) == (True, 1)
    assert ExternalJob.from_json(row.external_job) == job
    # The try dies and is retried: the retry's claim hands it the job to cancel first.
    with write_session(env.factory) as s:
        retry_task(s, tasks.latest_task_execution(s, execution_id, "a"), 0, "try 1 died")
    answer = task_runtime.claim_task(env.app, a.id, 2, "tok2", "h", 2)
    assert answer.ok and answer.previous_external_job == job.to_json()
    task_runtime.record_external_job(env.app, a.id, 2, "tok2", previous_cancelled=True)
    assert not _row(env, execution_id).external_job_active


def test_the_reaper_kills_the_job_of_a_try_that_died(
    env: SchedEnv, job_process: subprocess.Popen[bytes]
) -> None:
    execution_id = env.start("w")
    a = _row(env, execution_id)
    assert task_runtime.claim_task(env.app, a.id, 1, "tok", "h", 1).ok
    task_runtime.record_external_job(
        env.app, a.id, 1, "tok", external_job=_job(job_process).to_json()
    )
    reaper = JobReaper(env.app)
    assert external_jobs.orphaned_jobs(env.app) == []  # its try still runs
    with write_session(env.factory) as s:
        tasks.update_task_status(s, a.id, "FAILED")
    [orphan] = external_jobs.orphaned_jobs(env.app)
    reaper._reap(orphan)  # noqa: SLF001 - one pass, inline
    assert job_process.wait(15) is not None  # killed (our child: wait reaps it)
    assert external_jobs.orphaned_jobs(env.app) == []
    reaper.stop()


def test_a_job_the_try_saw_end_is_not_reaped(
    env: SchedEnv, job_process: subprocess.Popen[bytes]
) -> None:
    execution_id = env.start("w")
    a = _row(env, execution_id)
    assert task_runtime.claim_task(env.app, a.id, 1, "tok", "h", 1).ok
    job = _job(job_process).to_json()
    task_runtime.record_external_job(env.app, a.id, 1, "tok", external_job=job)
    task_runtime.record_external_job(env.app, a.id, 1, "tok", job_ended=True)
    with write_session(env.factory) as s:
        tasks.update_task_status(s, a.id, "SUCCESS")
    assert external_jobs.orphaned_jobs(env.app) == []
    assert job_process.poll() is None


def test_the_last_savepoint_reaches_the_next_run_of_the_task(env: SchedEnv) -> None:
    execution_id = env.start("w")
    a = _row(env, execution_id)
    assert task_runtime.claim_task(env.app, a.id, 1, "tok", "h", 1).ok
    assert task_runtime.claim_task(env.app, a.id, 1, "tok", "h", 1).last_savepoint is None
    task_runtime.record_external_job(env.app, a.id, 1, "tok", savepoint="file:/sp/savepoint-1")
    assert _row(env, execution_id).savepoint == "file:/sp/savepoint-1"
    with read_session(env.factory) as s:
        assert tasks.last_savepoint(s, execution_id, "a", 2) == "file:/sp/savepoint-1"
        assert tasks.last_savepoint(s, execution_id, "other", 2) is None
