"""The task runtime (python -m ai_flow.runtime) on its own: claims through the real
internal RPC, statuses through a real notification server, no executor."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from taskenv import TaskEnv, status_events, statuses, wait_for_statuses, wait_until

from ai_flow.runtime import TaskContext, TaskSpec, status_idempotency_id, try_lock

WORKFLOW = """
    import time
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator
    from ai_flow.operators.python import PythonOperator

    def boom():
        print("before the error")
        raise ValueError("user code exploded")

    def stubborn():
        while True:
            time.sleep(0.1)

    class Recording(BashOperator):
        def stop(self, context):
            print("stop reason:", context.stop_reason, flush=True)
            super().stop(context)

    with Workflow(name="wf") as wf:
        BashOperator(name="ok", bash_command="echo ok from $(pwd)")
        PythonOperator(name="boom", python_callable=boom)
        BashOperator(name="sleep", bash_command="sleep 60")
        PythonOperator(name="stubborn", python_callable=stubborn, stop_timeout=0.5)
        Recording(name="recording", bash_command="sleep 60")
"""


def runtime(env: TaskEnv, spec: TaskSpec, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "ai_flow.runtime",
        "--home",
        str(env.home),
        *extra,
        spec.to_json(),
    ]


def run(env: TaskEnv, spec: TaskSpec, *extra: str, timeout: float = 60) -> int:
    return subprocess.run(
        runtime(env, spec, *extra), timeout=timeout, stdin=subprocess.DEVNULL
    ).returncode


def start(env: TaskEnv, spec: TaskSpec) -> subprocess.Popen[bytes]:
    return subprocess.Popen(runtime(env, spec), start_new_session=True, stdin=subprocess.DEVNULL)


def test_the_spec_names_no_path_of_the_server(task_env: TaskEnv) -> None:
    task_env.upload(WORKFLOW)
    spec = task_env.try_of("wf", "ok")
    assert TaskSpec.from_json(spec.to_json()) == spec
    assert str(task_env.home) not in spec.to_json().replace(
        spec.blob_manager_config["root_directory"], ""
    )
    assert spec.key == (spec.task_execution_id, 1)
    assert spec.snapshot.file_name == "workflow.py"
    ctx = spec.task_context()
    assert TaskContext.from_json(ctx.to_json()) == ctx and ctx.sender == "wf.ok"
    assert status_idempotency_id(ctx, "RUNNING") == f"te:{spec.task_execution_id}:1:RUNNING"


def test_a_try_runs_in_the_hosts_working_dir_and_reports(task_env: TaskEnv) -> None:
    task_env.upload(WORKFLOW)
    spec = task_env.try_of("wf", "ok")
    assert run(task_env, spec) == 0
    assert statuses(task_env.ns.client, spec) == ["RUNNING", "SUCCESS"]
    working_dir = task_env.home / "working_dir" / "wf" / str(spec.workflow_execution_id)
    assert f"ok from {working_dir}" in task_env.log(spec)
    # The snapshot was fetched through the blob manager, beside the working dir.
    assert (working_dir / "workflow" / "workflow.py").is_file()
    row = task_env.row(spec)
    assert row.claimed_try == 1 and row.pid and row.host
    event = status_events(task_env.ns.client, spec)[-1]
    assert json.loads(event.context)["try_number"] == 1


def test_python_task_failure_is_reported_with_its_traceback(task_env: TaskEnv) -> None:
    task_env.upload(WORKFLOW)
    spec = task_env.try_of("wf", "boom")
    assert run(task_env, spec) == 1
    [running, failed] = status_events(task_env.ns.client, spec)
    assert (running.value, failed.value) == ("RUNNING", "FAILED")
    assert json.loads(failed.context)["error"] == "ValueError: user code exploded"
    log = task_env.log(spec)
    assert "before the error" in log and "Traceback" in log


def test_a_second_process_for_the_same_try_does_not_run(task_env: TaskEnv) -> None:
    task_env.upload(WORKFLOW)
    spec = task_env.try_of("wf", "sleep")
    first = start(task_env, spec)
    try:
        wait_for_statuses(task_env, spec, ["RUNNING"])
        # Its claim is refused: it leaves at once, without running or reporting.
        assert run(task_env, spec, timeout=30) == 0
        assert "already runs" in task_env.log(spec)
        assert statuses(task_env.ns.client, spec) == ["RUNNING"]
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(30)
    assert statuses(task_env.ns.client, spec) == ["RUNNING", "STOPPED"]


def test_a_finished_try_is_never_run_again_but_its_retry_is(task_env: TaskEnv) -> None:
    task_env.upload(WORKFLOW)
    spec = task_env.try_of("wf", "ok")
    assert run(task_env, spec) == 0
    assert run(task_env, spec) == 0  # a replayed launch
    assert task_env.log(spec).count("ok from") == 1
    retry = task_env.retry(spec)
    assert retry.try_number == 2
    assert run(task_env, spec) == 0  # a stale launch of try 1: superseded
    assert "superseded by try 2" in task_env.log(spec)
    assert run(task_env, retry) == 0
    assert statuses(task_env.ns.client, retry) == ["RUNNING", "SUCCESS"]
    assert task_env.log(spec).count("ok from") == 2


def test_a_try_stopped_before_it_started_never_runs(task_env: TaskEnv) -> None:
    task_env.upload(WORKFLOW)
    spec = task_env.try_of("wf", "ok")
    task_env.stop(spec)
    assert run(task_env, spec) == 0
    assert statuses(task_env.ns.client, spec) == []
    assert "ok from" not in task_env.log(spec)
    assert "the task execution is STOPPING" in task_env.log(spec)


def test_a_held_lock_means_a_twin_runs(task_env: TaskEnv) -> None:
    task_env.upload(WORKFLOW)
    spec = task_env.try_of("wf", "ok")
    lock = task_env.home / "ok.lock"
    fd = try_lock(str(lock))
    assert fd is not None
    assert run(task_env, spec, "--lock", str(lock)) == 0
    assert statuses(task_env.ns.client, spec) == []
    assert task_env.row(spec).claimed_try is None  # it never even asked


def test_sigterm_stops_the_task_and_the_operator_learns_why(task_env: TaskEnv) -> None:
    task_env.upload(WORKFLOW)
    spec = task_env.try_of("wf", "recording")
    proc = start(task_env, spec)
    wait_for_statuses(task_env, spec, ["RUNNING"])
    task_env.stop(spec, "RULE")  # what the scheduler records before the executor signals
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    assert time.monotonic() - started < 5
    assert statuses(task_env.ns.client, spec) == ["RUNNING", "STOPPED"]
    assert "stop reason: RULE" in task_env.log(spec)


def test_a_task_ignoring_its_stop_is_ended_after_its_stop_timeout(task_env: TaskEnv) -> None:
    task_env.upload(WORKFLOW)
    spec = task_env.try_of("wf", "stubborn")
    assert spec.stop_timeout == 0.5  # the operator's own, not the server's default
    proc = start(task_env, spec)
    wait_for_statuses(task_env, spec, ["RUNNING"])
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    assert statuses(task_env.ns.client, spec) == ["RUNNING", "STOPPED"]
    assert "did not end within" in task_env.log(spec)


def test_a_heartbeat_answer_stops_the_task(task_env: TaskEnv) -> None:
    task_env.upload(WORKFLOW)
    spec = task_env.try_of("wf", "recording")
    proc = start(task_env, spec)
    wait_for_statuses(task_env, spec, ["RUNNING"])
    task_env.stop(spec, "USER")  # no signal: the next heartbeat carries the request
    assert proc.wait(20) == 0
    assert statuses(task_env.ns.client, spec) == ["RUNNING", "STOPPED"]
    assert "stop reason: USER" in task_env.log(spec)


def test_a_missing_task_fails_clearly(task_env: TaskEnv) -> None:
    task_env.upload(WORKFLOW)
    spec = task_env.try_of("wf", "ok")
    bogus = TaskSpec.from_json(spec.to_json().replace('"task_name": "ok"', '"task_name": "nope"'))
    assert run(task_env, bogus) == 1
    [failed] = status_events(task_env.ns.client, bogus)
    assert (
        json.loads(failed.context)["error"] == "TaskNotFoundError: workflow 'wf' has no task 'nope'"
    )


def test_the_runtime_waits_for_the_server_to_claim(task_env: TaskEnv) -> None:
    task_env.upload(WORKFLOW)
    spec = task_env.try_of("wf", "ok")
    task_env.stop_internal_rpc()
    proc = start(task_env, spec)
    try:
        wait_until(lambda: "unreachable; retrying the claim" in task_env.log(spec))
        assert proc.poll() is None and statuses(task_env.ns.client, spec) == []
    finally:
        proc.kill()
        proc.wait()
