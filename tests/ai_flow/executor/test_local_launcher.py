"""LocalTaskLauncher with real task processes and a real notification server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from taskenv import read_log, status_events, statuses, wait_for_statuses, wait_until

from ai_flow.executor import LocalTaskLauncher, task_paths
from ai_flow.executor._process import alive, descendants, kill_all
from ai_flow.model.internal.events import task_status_event_key
from ai_flow.runtime import TASK_RUNTIME_SENDER, final_status

BASH_WORKFLOW = """
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator

with Workflow(name="wf", namespace="team") as wf:
    BashOperator(name="hello", bash_command="echo hello from $(pwd)")
    BashOperator(name="fail", bash_command="echo about to fail; exit 3")
    BashOperator(name="sleep", bash_command="sleep 60")
    BashOperator(name="short", bash_command="sleep 1.5; echo done")
"""


def test_task_paths_layout(tmp_path: Path) -> None:
    p = task_paths(tmp_path, "wf", 7, "t.x", 2)
    assert p.log_path == f"{tmp_path}/logs/wf/7/t.x/2.log"
    assert p.working_dir == f"{tmp_path}/working_dir/wf/7"
    assert p.lock_path == f"{tmp_path}/working_dir/wf/7/.aiflow/t.x.2.lock"
    assert p.heartbeat_path.endswith(".aiflow/t.x.2.heartbeat")
    assert p.status_path.endswith(".aiflow/t.x.2.status")
    assert p.spec_path.endswith(".aiflow/t.x.2.json")


def test_bash_task_reports_running_then_success(ns_server, launcher, write_workflow, new_spec):
    spec = new_spec(write_workflow(BASH_WORKFLOW), "hello", namespace="team")
    pid = launcher.launch(spec)
    assert pid > 0
    wait_for_statuses(ns_server.client, spec, ["RUNNING", "SUCCESS"])
    events = status_events(ns_server.client, spec)
    for event in events:
        assert event.key == task_status_event_key("wf", "hello")
        assert event.namespace == "team"
        assert event.sender == TASK_RUNTIME_SENDER
        assert json.loads(event.context) == {
            "workflow_execution_id": spec.workflow_execution_id,
            "task_execution_id": spec.task_execution_id,
            "task_name": "hello",
            "sequence_number": 1,
            "try_number": 1,
        }
    wait_until(lambda: not launcher.is_alive(spec))
    assert f"hello from {spec.working_dir}" in read_log(spec)
    assert os.path.isdir(spec.working_dir)
    assert final_status(spec).status == "SUCCESS" and final_status(spec).reported
    assert launcher.last_heartbeat(spec) is not None
    assert launcher.find_dead([spec]) == []


def test_launch_is_idempotent(ns_server, launcher, write_workflow, new_spec):
    spec = new_spec(write_workflow(BASH_WORKFLOW), "short", namespace="team")
    pid = launcher.launch(spec)
    assert launcher.launch(spec) == pid  # same launcher
    wait_for_statuses(ns_server.client, spec, ["RUNNING"])
    assert LocalTaskLauncher().launch(spec) == pid  # a fresh launcher (server restart)
    # A twin started behind the launcher's back finds the lock held and leaves quietly.
    twin = subprocess.run([sys.executable, "-m", "ai_flow.runtime", spec.spec_path], timeout=30)
    assert twin.returncode == 0
    wait_for_statuses(ns_server.client, spec, ["RUNNING", "SUCCESS"])
    wait_until(lambda: not launcher.is_alive(spec))
    # Relaunching a try that already ran does not run it again.
    assert launcher.launch(spec) == pid
    time.sleep(0.5)
    assert not launcher.is_alive(spec)
    assert statuses(ns_server.client, spec) == ["RUNNING", "SUCCESS"]
    assert read_log(spec).count("done") == 1


def test_failing_command_reports_failed(ns_server, launcher, write_workflow, new_spec):
    spec = new_spec(write_workflow(BASH_WORKFLOW), "fail", namespace="team")
    launcher.launch(spec)
    wait_for_statuses(ns_server.client, spec, ["RUNNING", "FAILED"])
    log = read_log(spec)
    assert "about to fail" in log and "BashCommandError" in log


def test_stop_reports_stopped_and_ends_process_group(ns_server, launcher, write_workflow, new_spec):
    spec = new_spec(write_workflow(BASH_WORKFLOW), "sleep", namespace="team")
    pid = launcher.launch(spec)
    wait_for_statuses(ns_server.client, spec, ["RUNNING"])
    children = descendants(pid)
    assert children, "bash should be running"
    assert launcher.stop(spec, grace_seconds=15) is False  # ended on SIGTERM
    wait_for_statuses(ns_server.client, spec, ["RUNNING", "STOPPED"])
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    assert not any(alive(c) for c in children)
    assert not launcher.is_alive(spec)


def test_stop_kills_a_task_that_ignores_sigterm(ns_server, launcher, write_workflow, new_spec):
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
    spec = new_spec(snapshot, "stubborn", stop_timeout=60)
    launcher.launch(spec)
    wait_for_statuses(ns_server.client, spec, ["RUNNING"])
    assert launcher.stop(spec, grace_seconds=0.5) is True
    wait_for_statuses(ns_server.client, spec, ["RUNNING", "STOPPED"])
    assert launcher.stop(spec, grace_seconds=0.5) is False  # nothing left to stop
    assert statuses(ns_server.client, spec) == ["RUNNING", "STOPPED"]


def test_sigkilled_task_is_found_dead_and_failed_once(
    ns_server, launcher, write_workflow, new_spec
):
    spec = new_spec(write_workflow(BASH_WORKFLOW), "sleep", namespace="team")
    pid = launcher.launch(spec)
    wait_for_statuses(ns_server.client, spec, ["RUNNING"])
    children = descendants(pid)
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not launcher.is_alive(spec))
    kill_all(children)  # the orphaned bash session
    assert launcher.find_dead([spec]) == [spec]
    assert launcher.report_dead(spec) == "FAILED"
    assert launcher.report_dead(spec) == "FAILED"  # a resend stores nothing new
    assert LocalTaskLauncher().report_dead(spec, "STOPPED") == "FAILED"  # first one wins
    assert statuses(ns_server.client, spec) == ["RUNNING", "FAILED"]
    assert launcher.find_dead([spec]) == []


def test_never_started_task_is_dead_after_start_timeout(aiflow_home, write_workflow, new_spec):
    spec = new_spec(write_workflow(BASH_WORKFLOW), "hello")
    spec.save()  # as if the launcher crashed between writing the spec and spawning
    assert LocalTaskLauncher(start_timeout=60).find_dead([spec]) == []
    assert LocalTaskLauncher(start_timeout=0).find_dead([spec]) == [spec]


def test_a_try_stopped_before_it_started_never_runs(ns_server, launcher, write_workflow, new_spec):
    spec = new_spec(write_workflow(BASH_WORKFLOW), "hello", namespace="team")
    assert launcher.report_dead(spec, "STOPPED") == "STOPPED"
    assert launcher.launch(spec) == 0
    spec.save()
    assert subprocess.run([sys.executable, "-m", "ai_flow.runtime", spec.spec_path]).returncode == 0
    assert statuses(ns_server.client, spec) == ["STOPPED"]
    assert "hello from" not in read_log(spec)


def test_task_survives_the_death_of_its_launcher(ns_server, write_workflow, new_spec):
    spec = new_spec(write_workflow(BASH_WORKFLOW), "short", namespace="team")
    script = textwrap.dedent(
        """
        import sys, time
        from ai_flow.executor import LocalTaskLauncher
        from ai_flow.runtime import TaskSpec
        print(LocalTaskLauncher().launch(TaskSpec.load(sys.argv[1])), flush=True)
        time.sleep(60)
        """
    )
    spec.save()
    server = subprocess.Popen(
        [sys.executable, "-c", script, spec.spec_path], stdout=subprocess.PIPE, text=True
    )
    try:
        pid = int(server.stdout.readline())
        wait_for_statuses(ns_server.client, spec, ["RUNNING"])
        server.kill()  # the "AIFlow server" dies with SIGKILL
        server.wait()
        assert alive(pid)
        wait_for_statuses(ns_server.client, spec, ["RUNNING", "SUCCESS"])
        assert "done" in read_log(spec)
    finally:
        server.kill()
        server.stdout.close()


def test_parallelism_bounds_live_tasks(ns_server, write_workflow, new_spec):
    launcher = LocalTaskLauncher(parallelism=1)
    snapshot = write_workflow(BASH_WORKFLOW)
    assert launcher.can_launch()
    spec = new_spec(snapshot, "short", namespace="team")
    launcher.launch(spec)
    assert launcher.live_count() == 1
    assert not launcher.can_launch()
    wait_for_statuses(ns_server.client, spec, ["RUNNING", "SUCCESS"])
    wait_until(launcher.can_launch)
