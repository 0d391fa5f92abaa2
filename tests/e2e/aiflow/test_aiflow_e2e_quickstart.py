"""The spec's Quickstart step by step through the real console scripts."""

from __future__ import annotations

from datetime import datetime

from af_e2e_helpers import Stack

DEFAULT_NS = ("--namespace", "default")
TASK_FIELDS = {
    "id",
    "workflow_execution_id",
    "task_name",
    "sequence_number",
    "try_number",
    "execution_type",
    "begin_date",
    "end_date",
    "status",
    "error",
    "host",
    "pid",
    "stop_reason",
    "external_job",
    "savepoint",
}


def test_quickstart_flow(stack: Stack) -> None:
    stack.configure()
    stack.start()
    logs = list((stack.home / "logs").glob("aiflow_server-*.log"))
    assert len(logs) == 1 and "AIFlow server started." in logs[0].read_text()
    status = stack.aiflow("server", "status")
    assert status.returncode == 0 and str(stack.af_port) in status.stdout

    uploaded = stack.ok("workflow", "upload", str(stack.workflow_file()))
    assert uploaded == "Workflow: default.quickstart_workflow, submitted.\n"
    assert "quickstart_workflow" in stack.ok("workflow", "list", "--namespace", "default")

    started = stack.ok("workflow-execution", "start", "quickstart_workflow", *DEFAULT_NS)
    assert started == "Workflow execution: 1 submitted.\n"
    running = stack.json("task-execution", "list", "1")
    for task in running:
        assert set(task) == TASK_FIELDS
        if task["status"] != "SUCCESS":
            assert task["end_date"] is None

    execution = stack.wait_finished(1)
    assert execution["status"] == "SUCCESS", stack.ok("task-execution", "list", "1")
    datetime.fromisoformat(execution["end_date"])
    table = stack.ok("task-execution", "list", "1")
    assert table.count("SUCCESS") == 4
    tasks = stack.json("task-execution", "list", "1")
    assert sorted(t["task_name"] for t in tasks) == ["task1", "task2", "task3", "task4"]
    for task in tasks:
        assert task["workflow_execution_id"] == 1 and task["sequence_number"] == 1
        assert datetime.fromisoformat(task["begin_date"]) <= datetime.fromisoformat(
            task["end_date"]
        )
    listed = stack.json("workflow-execution", "list", "quickstart_workflow", *DEFAULT_NS)
    assert [(e["id"], e["status"], e["workflow_id"]) for e in listed] == [(1, "SUCCESS", 1)]
    log = stack.home / "logs" / "quickstart_workflow" / "1" / "task1" / "1.log"
    assert "I am the 1st task." in log.read_text()

    shown = stack.json("task-execution", "show", str(tasks[0]["id"]))
    assert shown["try_number"] == 1
    refused = stack.aiflow("workflow-execution", "delete", "1", input="n\n")
    assert refused.returncode == 1 and "aborted" in refused.stderr
    assert stack.json("workflow-execution", "show", "1")["id"] == 1

    snapshots = stack.json("workflow-snapshot", "list", "quickstart_workflow")
    assert [s["workflow_id"] for s in snapshots] == [1]
    assert stack.ok("workflow-execution", "delete", "1", "-y") == (
        "Workflow execution: 1, deleted.\n"
    )
    assert stack.aiflow("workflow-execution", "show", "1").returncode == 1

    stopped = stack.aiflow("server", "stop")
    assert stopped.returncode == 0 and "AIFlow server stopped" in stopped.stdout
    assert stack.aiflow("server", "status").returncode == 3
    assert not (stack.home / "aiflow_server.pid").exists()
