"""The point of the product, run as a user runs it (examples/streaming_and_batch): a
Spark batch job trains a model, a task publishes it as an event, and the Flink streaming
job serving the model RESTARTs on it from the savepoint its stop took. Real CLI, real
daemons, real Spark (local[1]) and a real Flink session cluster."""

from __future__ import annotations

import json
import os
import signal
import time

import psutil
import pytest
from af_e2e_helpers import ROOT, Stack
from engines import FLINK_TERMINAL, FlinkSessionCluster, use_engine_env

pytestmark = pytest.mark.engine

EXAMPLE = ROOT / "examples" / "streaming_and_batch"


def _tasks(stack: Stack) -> dict[tuple[str, int], dict]:
    return {
        (t["task_name"], t["sequence_number"]): t for t in stack.json("task-execution", "list", "1")
    }


def _wait(stack: Stack, what: str, predicate, timeout: float = 300):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while True:
        tasks = _tasks(stack)
        if predicate(tasks):
            return tasks
        assert time.monotonic() < deadline, f"{what}: {tasks}"
        time.sleep(1)


def test_a_batch_result_restarts_the_streaming_job_from_its_savepoint(
    stack: Stack,
    flink_cluster: FlinkSessionCluster,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_engine_env(monkeypatch, flink_cluster.env)
    monkeypatch.setenv("FLINK_REST_ADDRESS", flink_cluster.rest_address)
    monkeypatch.setenv("SPARK_MASTER", "local[1]")
    stack.configure()
    stack.start()
    workflow = stack.workflow_file(EXAMPLE / "streaming_and_batch_workflow.py")
    files = f"{EXAMPLE / 'spark_train.py'},{EXAMPLE / 'flink_serve.py'}"
    assert stack.ok("workflow", "upload", str(workflow), "--files", files) == (
        "Workflow: default.streaming_and_batch, submitted.\n"
    )
    stack.ok("workflow-execution", "start", "streaming_and_batch")

    def restarted(tasks: dict) -> bool:
        first, second = tasks.get(("serve_model", 1)), tasks.get(("serve_model", 2))
        return (
            first is not None
            and first["status"] == "STOPPED"
            and second is not None
            and second["status"] == "RUNNING"
            and bool(second.get("external_job"))
        )

    tasks = _wait(stack, "serve_model restarted on the new model", restarted)
    assert tasks[("train_model", 1)]["status"] == tasks[("publish_model", 1)]["status"] == "SUCCESS"
    first = stack.json("task-execution", "show", str(tasks[("serve_model", 1)]["id"]))
    savepoint = first["savepoint"]
    assert savepoint and "savepoints" in savepoint
    job = json.loads(tasks[("serve_model", 2)]["external_job"])
    flink_cluster.wait_running(job["job_id"], 120)
    restored = flink_cluster.rest(f"/jobs/{job['job_id']}/checkpoints")["latest"]["restored"]
    assert restored["external_path"].rstrip("/") == savepoint.rstrip("/")
    log = stack.home / "logs" / "streaming_and_batch" / "1" / "serve_model" / "2.log"
    assert "serving model version" in log.read_text()

    stopped = stack.aiflow("workflow-execution", "stop-all", "streaming_and_batch", input="y\n")
    assert stopped.returncode == 0, stopped.stderr
    assert stack.wait_finished(1, timeout=180)["status"] == "STOPPED"
    _wait(stack, "serve_model stopped", lambda t: t[("serve_model", 2)]["status"] == "STOPPED")
    live = [j for j in flink_cluster.rest("/jobs")["jobs"] if j["status"] not in FLINK_TERMINAL]
    assert live == []


SERVE_ONLY = """
from ai_flow.model.workflow import Workflow
from ai_flow.operators.flink import FlinkOperator

with Workflow(name='serve_only') as workflow:
    FlinkOperator(name='serve', application={app!r}, command_options={options!r})
"""


def test_a_sigkilled_server_leaves_no_orphaned_job(
    stack: Stack,
    flink_cluster: FlinkSessionCluster,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The task and its job live on while the server is down; back, the server adopts
    the task, and stopping it stops the job: nothing is left on the cluster."""
    use_engine_env(monkeypatch, flink_cluster.env)
    stack.configure()
    stack.start()
    workflow = stack.tmp / "serve_only.py"
    workflow.write_text(
        SERVE_ONLY.format(
            app=str(EXAMPLE / "flink_serve.py"), options=f"-m {flink_cluster.rest_address}"
        )
    )
    stack.ok("workflow", "upload", str(workflow))
    stack.ok("workflow-execution", "start", "serve_only")

    def running(tasks: dict) -> bool:
        serve = tasks.get(("serve", 1))
        return bool(serve and serve["status"] == "RUNNING" and serve.get("external_job"))

    tasks = _wait(stack, "serve RUNNING with its job", running)
    job = json.loads(tasks[("serve", 1)]["external_job"])
    flink_cluster.wait_running(job["job_id"], 120)

    pid = int((stack.home / "aiflow_server.pid").read_text().strip())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the killed server is still there"
        time.sleep(0.2)
    assert flink_cluster.job_state(job["job_id"]) == "RUNNING"  # the task runs on
    started = stack.aiflow("server", "start", "-d")
    assert started.returncode == 0, started.stderr
    tasks = _wait(stack, "serve adopted, still RUNNING", running)
    assert json.loads(tasks[("serve", 1)]["external_job"])["job_id"] == job["job_id"]

    stack.ok("task-execution", "stop", "1", "serve")
    _wait(stack, "serve stopped", lambda t: t[("serve", 1)]["status"] == "STOPPED")
    flink_cluster.wait_job_state(job["job_id"], "CANCELED", 120)
    live = [j for j in flink_cluster.rest("/jobs")["jobs"] if j["status"] not in FLINK_TERMINAL]
    assert live == []
