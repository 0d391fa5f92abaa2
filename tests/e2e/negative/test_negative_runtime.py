"""Task-runtime configuration mistakes: the try is FAILED, its status event and its log
say what is wrong in one line, and no traceback is printed for them.

The runtime gets its configuration from the server (the TaskSpec): a blob manager its
host cannot import, a blob store it cannot read. (An unreachable server is not a
mistake the runtime can judge: the claim is retried, as a restarting server needs.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "ai_flow" / "runtime"))

from taskenv import (  # noqa: E402
    TaskEnv,
    aiflow_home,
    ns_server,
    status_events,
    task_env,
)

from ai_flow.runtime import TaskSpec  # noqa: E402

__all__ = ["aiflow_home", "ns_server", "task_env"]

WORKFLOW = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name="wf") as wf:
        BashOperator(name="ok", bash_command="echo ok")
"""


def run(env: TaskEnv, spec: TaskSpec) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ai_flow.runtime", "--home", str(env.home), spec.to_json()],
        timeout=120,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )


CASES = {
    "blob manager class does not import": (
        {"blob_manager_class": "no_such_package.blobs.Manager"},
        "no_such_package.blobs.Manager",
    ),
    "blob manager class is not a class of the module": (
        {"blob_manager_class": "ai_flow.blob_manager.impl.local_blob_manager.Nope"},
        "Nope",
    ),
    "blob store holds no snapshot": (
        {"blob_manager_config": {"root_directory": "/nonexistent/aiflow-blobs"}},
        "/nonexistent/aiflow-blobs",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_runtime_config_mistake_fails_the_try_in_one_line(task_env: TaskEnv, case: str) -> None:
    overrides, named = CASES[case]
    task_env.upload(WORKFLOW)
    spec = task_env.try_of("wf", "ok", **overrides)
    done = run(task_env, spec)
    assert done.returncode == 1, done.stderr
    [failed] = status_events(task_env.ns.client, spec)
    assert failed.value == "FAILED"
    error = json.loads(failed.context)["error"]
    assert named in error and "\n" not in error, error
    log = task_env.log(spec)
    assert "Traceback" not in log + done.stdout + done.stderr, log
    assert error in log, log
