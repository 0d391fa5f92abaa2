"""The task process (python -m ai_flow.runtime) on its own, without the launcher."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time

from taskenv import read_log, status_events, statuses, wait_for_statuses

from ai_flow.runtime import (
    TaskContext,
    TaskSpec,
    final_status,
    report_final_status,
    status_idempotency_id,
)

WORKFLOW = """
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator
from ai_flow.operators.python import PythonOperator

def boom():
    print("before the error")
    raise ValueError("user code exploded")

with Workflow(name="wf") as wf:
    BashOperator(name="ok", bash_command="echo ok")
    PythonOperator(name="boom", python_callable=boom)
    BashOperator(name="sleep", bash_command="sleep 60")
"""


def run(spec: TaskSpec, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    spec.save()
    return subprocess.run(
        [sys.executable, "-m", "ai_flow.runtime", spec.spec_path],
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_spec_round_trips_through_json(write_workflow, new_spec):
    spec = new_spec(write_workflow(WORKFLOW), "ok")
    assert TaskSpec.from_json(spec.to_json()) == spec
    assert spec.key == (spec.workflow_execution_id, "ok", 1)
    ctx = spec.task_context()
    assert TaskContext.from_json(ctx.to_json()) == ctx
    assert ctx.sender == "wf.ok"
    assert status_idempotency_id(spec, "RUNNING") == f"te:{spec.task_execution_id}:1:RUNNING"


def test_python_task_failure_is_reported_with_traceback(ns_server, write_workflow, new_spec):
    spec = new_spec(write_workflow(WORKFLOW), "boom")
    assert run(spec).returncode == 1
    assert statuses(ns_server.client, spec) == ["RUNNING", "FAILED"]
    log = read_log(spec)
    assert "before the error" in log
    assert "ValueError: user code exploded" in log and "Traceback" in log
    assert final_status(spec).status == "FAILED"


def test_missing_task_fails_clearly(ns_server, write_workflow, new_spec):
    snapshot = write_workflow(WORKFLOW)
    spec = new_spec(snapshot, "nope")
    assert run(spec).returncode == 1
    assert statuses(ns_server.client, spec) == ["FAILED"]
    assert "workflow 'wf' has no task 'nope'" in read_log(spec)
    other = new_spec(snapshot, "ok", workflow="other")
    assert run(other).returncode == 1
    assert f"workflow 'other' is not defined in {snapshot}" in read_log(other)


def test_held_lock_means_a_twin_runs(ns_server, write_workflow, new_spec):
    spec = new_spec(write_workflow(WORKFLOW), "ok")
    os.makedirs(os.path.dirname(spec.lock_path))
    with open(spec.lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert run(spec).returncode == 0
    assert statuses(ns_server.client, spec) == []
    assert not os.path.exists(spec.log_path)


def test_rerun_of_a_finished_try_does_nothing_and_resends_are_deduplicated(
    ns_server, write_workflow, new_spec
):
    spec = new_spec(write_workflow(WORKFLOW), "ok")
    assert run(spec).returncode == 0
    assert run(spec).returncode == 0
    assert read_log(spec).count("ok\n") == 1
    before = status_events(ns_server.client, spec)
    assert [e.value for e in before] == ["RUNNING", "SUCCESS"]
    # Another try of the same execution runs again, with its own idempotency ids.
    retry = TaskSpec.from_json(spec.to_json().replace('"try_number": 1', '"try_number": 2'))
    assert run(retry).returncode == 0
    assert statuses(ns_server.client, retry) == ["RUNNING", "SUCCESS"] * 2
    # Resending a recorded status stores nothing new; a stale try reports nothing.
    assert report_final_status(retry, "FAILED").status == "SUCCESS"
    assert report_final_status(spec, "FAILED").try_number == 2
    assert run(spec).returncode == 0  # a stale launch of try 1 does not run
    assert len(status_events(ns_server.client, spec)) == 4
    assert read_log(spec).count("ok\n") == 2


def test_sigterm_stops_the_task(ns_server, write_workflow, new_spec):
    spec = new_spec(write_workflow(WORKFLOW), "sleep")
    spec.save()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ai_flow.runtime", spec.spec_path], start_new_session=True
    )
    wait_for_statuses(ns_server.client, spec, ["RUNNING"])
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    assert time.monotonic() - started < 5
    assert statuses(ns_server.client, spec) == ["RUNNING", "STOPPED"]
    assert final_status(spec).status == "STOPPED"
    assert "SIGTERM received" in read_log(spec)


def test_task_ignoring_stop_is_ended_after_stop_timeout(ns_server, write_workflow, new_spec):
    snapshot = write_workflow(
        """
        import time
        from ai_flow.model.workflow import Workflow
        from ai_flow.operators.python import PythonOperator

        def stubborn():
            while True:
                time.sleep(0.1)

        with Workflow(name="wf") as wf:
            PythonOperator(name="stubborn", python_callable=stubborn)
        """
    )
    spec = new_spec(snapshot, "stubborn", stop_timeout=0.5)
    spec.save()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ai_flow.runtime", spec.spec_path], start_new_session=True
    )
    wait_for_statuses(ns_server.client, spec, ["RUNNING"])
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    assert statuses(ns_server.client, spec) == ["RUNNING", "STOPPED"]
    assert "did not end within" in read_log(spec)
