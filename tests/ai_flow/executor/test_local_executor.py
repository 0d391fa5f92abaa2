"""LocalTaskExecutor with real task runtimes, the real internal RPC and a real
notification server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

from taskenv import TaskEnv, status_events, wait_for_statuses, wait_until

from ai_flow.executor import LocalTaskExecutor
from ai_flow.executor._process import alive, descendants
from ai_flow.model.internal.events import task_status_event_key
from ai_flow.runtime import TASK_RUNTIME_SENDER, read_lock_record

BASH_WORKFLOW = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name="wf", namespace="team") as wf:
        BashOperator(name="hello", bash_command="echo hello from $(pwd) in $AIFLOW_TASK_CONTEXT")
        BashOperator(name="fail", bash_command="echo about to fail; exit 3")
        BashOperator(name="sleep", bash_command="sleep 60")
        BashOperator(name="short", bash_command="sleep 1.5; echo done")
"""


def _pid(executor: LocalTaskExecutor, handle: str) -> int:
    record = read_lock_record(json.loads(handle)["lock"])
    assert record is not None
    return record.pid


def test_bash_task_reports_running_then_success(task_env: TaskEnv, executor) -> None:  # noqa: ANN001
    task_env.upload(BASH_WORKFLOW, namespace="team")
    spec = task_env.try_of("wf", "hello", namespace="team")
    handle = executor.submit(spec)
    wait_for_statuses(task_env, spec, ["RUNNING", "SUCCESS"])
    for event in status_events(task_env.ns.client, spec):
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
    wait_until(lambda: not executor.poll([handle])[handle].alive)
    log = task_env.log(spec)
    working_dir = task_env.home / "working_dir" / "wf" / str(spec.workflow_execution_id)
    assert f"hello from {working_dir}" in log
    assert f'"task_execution_id": {spec.task_execution_id}' in log  # the context, inherited


def test_failing_command_reports_failed(task_env: TaskEnv, executor) -> None:  # noqa: ANN001
    task_env.upload(BASH_WORKFLOW, namespace="team")
    spec = task_env.try_of("wf", "fail", namespace="team")
    executor.submit(spec)
    wait_for_statuses(task_env, spec, ["RUNNING", "FAILED"])
    log = task_env.log(spec)
    assert "about to fail" in log and "BashCommandError" in log


def test_cancel_reports_stopped_and_ends_the_process_group(task_env: TaskEnv, executor) -> None:  # noqa: ANN001
    task_env.upload(BASH_WORKFLOW, namespace="team")
    spec = task_env.try_of("wf", "sleep", namespace="team")
    handle = executor.submit(spec)
    wait_for_statuses(task_env, spec, ["RUNNING"])
    pid = _pid(executor, handle)
    # RUNNING is reported just before the operator starts bash: wait for the child.
    wait_until(lambda: descendants(pid), 30)
    children = descendants(pid)
    executor.cancel(handle, grace=15)
    wait_for_statuses(task_env, spec, ["RUNNING", "STOPPED"])
    assert not alive(pid) and not any(alive(c) for c in children)


def test_a_sigkilled_task_polls_dead(task_env: TaskEnv, executor) -> None:  # noqa: ANN001
    task_env.upload(BASH_WORKFLOW, namespace="team")
    spec = task_env.try_of("wf", "sleep", namespace="team")
    handle = executor.submit(spec)
    wait_for_statuses(task_env, spec, ["RUNNING"])
    pid = _pid(executor, handle)
    children = descendants(pid)
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not executor.poll([handle])[handle].alive)
    assert executor.poll([handle])[handle].detail == "the task process exited"
    for child in children:  # the orphaned bash session (the server kills it on a stop)
        os.kill(child, signal.SIGKILL)


def test_the_task_survives_the_death_of_the_server(task_env: TaskEnv) -> None:
    task_env.upload(BASH_WORKFLOW, namespace="team")
    spec = task_env.try_of("wf", "short", namespace="team")
    script = textwrap.dedent(
        """
        import sys, time
        from ai_flow.executor import LocalTaskExecutor
        from ai_flow.runtime import TaskSpec
        executor = LocalTaskExecutor(sys.argv[1])
        print(executor.submit(TaskSpec.from_json(sys.stdin.readline())), flush=True)
        time.sleep(60)
        """
    )
    server = subprocess.Popen(
        [sys.executable, "-c", script, str(task_env.home)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        server.stdin.write(spec.to_json() + "\n")
        server.stdin.flush()
        handle = server.stdout.readline().strip()
        wait_for_statuses(task_env, spec, ["RUNNING"])
        server.kill()  # the "AIFlow server" dies with SIGKILL
        server.wait()
        again = LocalTaskExecutor(task_env.home, fork_server=False)
        assert again.poll([handle])[handle].alive
        wait_for_statuses(task_env, spec, ["RUNNING", "SUCCESS"])
        assert "done" in task_env.log(spec)
    finally:
        server.kill()
        server.stdin.close()
        server.stdout.close()
