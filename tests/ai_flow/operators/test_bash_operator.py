"""BashOperator runs real subprocesses; stop really kills the whole process group."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import psutil
import pytest

from ai_flow.model.errors import TaskExecutionError, WorkflowDefinitionError
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashCommandError, BashOperator


def make(command: str, **kwargs) -> BashOperator:
    with Workflow(name="wf"):
        return BashOperator(name="task", bash_command=command, **kwargs)


def is_gone(pid: int) -> bool:
    # A killed child may linger as a zombie until someone reaps it: that counts as gone.
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_for_file(path: Path, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.02)
    raise AssertionError(f"{path} was not written")


def test_runs_in_the_current_directory_and_inherits_stdout(tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    op = make("pwd > where.txt; echo hello from bash; echo oops >&2")
    op.start(None)
    op.await_termination(None)
    assert (tmp_path / "where.txt").read_text().strip() == str(tmp_path)
    out, err = capfd.readouterr()
    assert "hello from bash" in out and "oops" in err
    assert op.get_metrics(None)["returncode"] == 0


def test_non_zero_exit_raises_with_the_code():
    op = make("exit 3")
    op.start(None)
    with pytest.raises(BashCommandError, match="exited with code 3: exit 3") as info:
        op.await_termination(None)
    assert info.value.returncode == 3 and isinstance(info.value, TaskExecutionError)


def test_timeout_then_stop_kills_the_process_group(tmp_path):
    pid_file = tmp_path / "child.pid"
    op = make(f"sleep 60 & echo $! > {pid_file}; wait")
    op.start(None)
    child_pid = int(wait_for_file(pid_file))
    bash_pid = op.get_metrics(None)["pid"]
    with pytest.raises(TimeoutError, match="still running after 0.2 seconds"):
        op.await_termination(None, timeout=0.2)
    assert not is_gone(child_pid)

    started = time.monotonic()
    op.stop(None)
    assert time.monotonic() - started < 5  # SIGTERM was enough
    assert is_gone(bash_pid)
    deadline = time.monotonic() + 5
    while not is_gone(child_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert is_gone(child_pid), "the backgrounded child survived stop()"
    op.await_termination(None)  # a stopped task does not count as failed


def test_stop_escalates_to_sigkill(tmp_path):
    ready = tmp_path / "ready"
    op = make(f"trap '' TERM; echo yes > {ready}; sleep 60")
    op.kill_timeout = 0.3
    op.start(None)
    wait_for_file(ready)
    op.stop(None)
    assert op.get_metrics(None)["returncode"] == -9


def test_start_twice_and_await_before_start():
    op = make("sleep 5")
    with pytest.raises(RuntimeError, match="has not been started"):
        op.await_termination(None)
    op.stop(None)  # nothing to stop: no error
    op.start(None)
    try:
        with pytest.raises(RuntimeError, match="already running"):
            op.start(None)
    finally:
        op.stop(None)


def test_can_run_again_after_finishing(tmp_path):
    out = tmp_path / "count"
    op = make(f"echo x >> {out}")
    for _ in range(2):
        op.start(None)
        op.await_termination(None)
    assert out.read_text().count("x") == 2


def test_definition_errors_and_description():
    with Workflow(name="wf"), pytest.raises(WorkflowDefinitionError, match="non-empty string"):
        BashOperator(name="t", bash_command="   ")
    op = make("echo hi", retries=1)
    d = json.loads(json.dumps(op.describe()))
    assert d["bash_command"] == "echo hi" and d["operator"].endswith("bash.BashOperator")
    assert os.environ.get("PATH")  # the subprocess relies on the inherited environment
