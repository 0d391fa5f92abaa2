"""The docs' online machine learning tutorial, run as a user runs it: its workflow file
uploaded with the dataset directory (`--files DIR`), streaming and batch tasks talking
through events, predictions written, then `stop-all`."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from af_e2e_helpers import ROOT, Stack

from notification_service.util.environment import is_ci

EXAMPLE = ROOT / "examples" / "online_machine_learning"


def test_the_online_machine_learning_tutorial(stack: Stack) -> None:
    if not is_ci():  # scripts/test.sh installs it; only a bare pytest may lack it
        pytest.importorskip("sklearn", reason="the tutorial needs scikit-learn (test extras)")
    stack.configure()
    stack.start()
    dataset = stack.tmp / "dataset"
    subprocess.run(
        [sys.executable, str(EXAMPLE / "prepare_dataset.py"), str(dataset)], check=True, timeout=120
    )
    workflow = stack.workflow_file(EXAMPLE / "online_ml_workflow.py")
    uploaded = stack.ok("workflow", "upload", str(workflow), "--files", str(dataset))
    assert uploaded == "Workflow: default.online_machine_learning, submitted.\n"
    started = stack.ok("workflow-execution", "start", "online_machine_learning")
    assert started == "Workflow execution: 1 submitted.\n"

    # As the docs say: predictions appear under the execution's copy of the workflow.
    results = stack.home / "working_dir" / "online_machine_learning" / "1"
    result = results / "online_ml_workflow" / "tmp" / "predict_result"
    deadline = time.monotonic() + 180
    while not (result.exists() and "predict result" in result.read_text()):
        assert time.monotonic() < deadline, stack.ok("task-execution", "list", "1")
        time.sleep(1)
    assert (results / "online_ml_workflow" / "dataset" / "mnist_train.npz").is_file()
    tasks = {t["task_name"]: t["status"] for t in stack.json("task-execution", "list", "1")}
    assert tasks["training"] == tasks["validating"] == tasks["deploying"] == "SUCCESS"
    assert tasks["pre_processing"] == tasks["predicting"] == "RUNNING"  # streaming tasks

    stopped = stack.aiflow("workflow-execution", "stop-all", "online_machine_learning", input="y\n")
    assert stopped.returncode == 0 and "Stopping 1 execution(s)" in stopped.stdout
    assert stack.wait_finished(1, timeout=60)["status"] == "STOPPED"
    deadline = time.monotonic() + 60
    while True:
        tasks = {t["task_name"]: t["status"] for t in stack.json("task-execution", "list", "1")}
        if tasks["pre_processing"] == tasks["predicting"] == "STOPPED":
            break
        assert time.monotonic() < deadline, tasks
        time.sleep(0.5)
