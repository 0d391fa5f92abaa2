"""FlinkOperator on a real Flink (see tests/engines.py): a streaming job's whole life in
a workflow: RUNNING while its job runs, RESTART by an event with a savepoint it resumes
from, STOP with a savepoint; a SIGKILLed task process never leaves its job behind."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from aiflow_servers import Servers, wait_until  # noqa: E402
from engine_rig import (  # noqa: E402
    ENGINE_TIMEOUT,
    sigkill_task_process,
    task,
    use_engine_env,
    wait_job_recorded,
    wait_try,
)
from engines import (  # noqa: E402
    FLINK_TERMINAL,
    Engines,
    FlinkSessionCluster,
    flink_batch_job,
    flink_local_env,
    flink_streaming_job,
    read_flink_csv,
)

from ai_flow import ops  # noqa: E402

pytestmark = pytest.mark.engine

STREAM = """
    from ai_flow.model.action import TaskAction
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.flink import FlinkOperator

    with Workflow(name='streaming') as workflow:
        stream = FlinkOperator(
            name='stream',
            application={app!r},
            executable_path={flink!r},
            command_options={options!r},
            stop_with_savepoint={savepoint},
            resume_from_savepoint=True,
            stop_timeout=120,
            retries={retries},
        )
        stream.action_on_event_received(TaskAction.RESTART, 'new_model')
        stream.action_on_event_received(TaskAction.STOP, 'halt')
"""


def _stream_workflow(
    tmp_path: Path, cluster: FlinkSessionCluster, savepoint: bool = True, retries: int = 0
) -> str:
    app = flink_streaming_job(tmp_path / "stream.py")
    options = f"-m {cluster.rest_address} -Dexecution.checkpointing.savepoint-dir=file://{cluster.savepoint_dir}"
    return STREAM.format(
        app=str(app),
        flink=str(cluster.engines.flink),
        options=options,
        savepoint=savepoint,
        retries=retries,
    )


def _live_jobs(cluster: FlinkSessionCluster) -> list[str]:
    return [j["id"] for j in cluster.rest("/jobs")["jobs"] if j["status"] not in FLINK_TERMINAL]


def test_a_streaming_job_restarts_from_its_savepoint_and_stops_with_one(
    flink_cluster: FlinkSessionCluster,
    servers_factory,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    use_engine_env(monkeypatch, flink_cluster.env)
    servers: Servers = servers_factory()
    execution_id = servers.run(_stream_workflow(tmp_path, flink_cluster), "streaming")
    first = wait_job_recorded(servers, execution_id, "stream")
    assert first["kind"] == "flink" and first["address"] == flink_cluster.rest_address
    flink_cluster.wait_running(first["job_id"], ENGINE_TIMEOUT)
    servers.wait_tasks(execution_id, {"stream": ["RUNNING"]}, ENGINE_TIMEOUT)

    servers.client.send_event("new_model", "v2")  # RESTART: stop with a savepoint, resume
    servers.wait_tasks(execution_id, {"stream": ["STOPPED", "RUNNING"]}, ENGINE_TIMEOUT)
    assert flink_cluster.job_state(first["job_id"]) == "FINISHED"  # stopped, not cancelled
    savepoint = task(servers, execution_id, "stream", 1).savepoint
    assert savepoint and Path(savepoint.removeprefix("file:")).exists()
    second = wait_job_recorded(servers, execution_id, "stream", 2)
    assert second["job_id"] != first["job_id"]
    flink_cluster.wait_running(second["job_id"], ENGINE_TIMEOUT)
    restored = flink_cluster.rest(f"/jobs/{second['job_id']}/checkpoints")["latest"]["restored"]
    assert restored["external_path"].rstrip("/") == savepoint.rstrip("/")

    servers.client.send_event("halt", "")  # STOP with a savepoint
    servers.wait_tasks(execution_id, {"stream": ["STOPPED", "STOPPED"]}, ENGINE_TIMEOUT)
    assert flink_cluster.job_state(second["job_id"]) == "FINISHED"
    assert task(servers, execution_id, "stream", 2).savepoint not in (None, savepoint)
    assert _live_jobs(flink_cluster) == []


def test_a_killed_task_process_is_retried_with_one_job_only(
    flink_cluster: FlinkSessionCluster,
    servers_factory,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    use_engine_env(monkeypatch, flink_cluster.env)
    servers: Servers = servers_factory()
    source = _stream_workflow(tmp_path, flink_cluster, savepoint=False, retries=1)
    execution_id = servers.run(source, "streaming")
    first = wait_job_recorded(servers, execution_id, "stream")
    flink_cluster.wait_running(first["job_id"], ENGINE_TIMEOUT)
    servers.wait_tasks(execution_id, {"stream": ["RUNNING"]}, ENGINE_TIMEOUT)

    sigkill_task_process(servers, execution_id, "stream")
    wait_try(servers, execution_id, "stream", 2)
    flink_cluster.wait_job_state(first["job_id"], "CANCELED", ENGINE_TIMEOUT)

    def second_job() -> str | None:
        meta = task(servers, execution_id, "stream")
        job = meta.external_job or ""
        return job if first["job_id"] not in job and meta.status == "RUNNING" else None

    wait_until(second_job, ENGINE_TIMEOUT, "the retry's own job")
    live = _live_jobs(flink_cluster)
    assert len(live) == 1 and live[0] != first["job_id"]  # never two copies

    ops.stop_task_execution(execution_id, "stream")
    servers.wait_tasks(execution_id, {"stream": ["STOPPED"]}, ENGINE_TIMEOUT)
    wait_until(lambda: _live_jobs(flink_cluster) == [], ENGINE_TIMEOUT, "no job left")


def test_a_killed_task_process_without_retries_has_its_job_cancelled(
    flink_cluster: FlinkSessionCluster,
    servers_factory,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    use_engine_env(monkeypatch, flink_cluster.env)
    servers: Servers = servers_factory()
    source = _stream_workflow(tmp_path, flink_cluster, savepoint=False)
    execution_id = servers.run(source, "streaming")
    job = wait_job_recorded(servers, execution_id, "stream")
    flink_cluster.wait_running(job["job_id"], ENGINE_TIMEOUT)
    sigkill_task_process(servers, execution_id, "stream")
    servers.wait_tasks(execution_id, {"stream": ["FAILED"]}, ENGINE_TIMEOUT)
    flink_cluster.wait_job_state(job["job_id"], "CANCELED", ENGINE_TIMEOUT)  # by the reaper
    row = servers.task_row(task(servers, execution_id, "stream").id)
    assert not row.external_job_active


BATCH = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.flink.flink_operator import FlinkOperator

    with Workflow(name='batch') as workflow:
        FlinkOperator(name='count', application={app!r}, target='local',
                      executable_path={flink!r}, application_args=[{out!r}])
        FlinkOperator(name='broken', application={broken!r}, target='local',
                      executable_path={flink!r})
"""


def test_a_batch_job_on_the_local_target_succeeds_and_a_broken_one_fails(
    engines: Engines,
    servers_factory,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    use_engine_env(monkeypatch, flink_local_env(engines, tmp_path))
    servers: Servers = servers_factory()
    out = tmp_path / "counts"
    broken = tmp_path / "broken.py"
    broken.write_text("raise SystemExit('no such table')\n")
    source = BATCH.format(
        app=str(flink_batch_job(tmp_path / "batch.py")),
        flink=str(engines.flink),
        out=str(out),
        broken=str(broken),
    )
    execution_id = servers.run(source, "batch")
    servers.wait_tasks(execution_id, {"count": ["SUCCESS"], "broken": ["FAILED"]}, ENGINE_TIMEOUT)
    assert read_flink_csv(out) == ["a,2", "b,1"]
    assert "flink run exited with code" in (task(servers, execution_id, "broken").error or "")
    assert task(servers, execution_id, "count").external_job  # the client, as a process job


def test_the_operator_alone_stops_before_awaiting_and_reports_metrics(
    flink_cluster: FlinkSessionCluster, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The original's stop() failed unless await_termination() had run first."""
    from ai_flow.model.internal.memory_context import MemoryContext
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.flink import FlinkOperator

    use_engine_env(monkeypatch, flink_cluster.env)
    with Workflow(name="alone"):
        operator = FlinkOperator(
            name="stream",
            application=str(flink_streaming_job(tmp_path / "stream.py")),
            executable_path=str(flink_cluster.engines.flink),
            command_options=f"-m {flink_cluster.rest_address}",
        )
    context = MemoryContext()
    operator.start(context)
    job_id = operator.get_metrics(context)["job_id"]
    flink_cluster.wait_running(job_id, ENGINE_TIMEOUT)
    metrics = operator.get_metrics(context)
    assert metrics["state"] == "RUNNING" and metrics["vertices"]
    operator.stop(context)
    operator.await_termination(context, timeout=60)  # a stopped job ends the wait
    assert flink_cluster.job_state(job_id) == "CANCELED"
