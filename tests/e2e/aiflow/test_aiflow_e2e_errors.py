"""Bad input and bad set-ups give one clear `Error:` line and exit 1."""

from __future__ import annotations

from af_e2e_helpers import Stack


def _error(result, *fragments: str) -> None:  # noqa: ANN001
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


def test_setup_errors(stack: Stack) -> None:
    missing = stack.aiflow("server", "start", "-d")
    _error(missing, "aiflow_server.yaml does not exist", "aiflow config init")
    stack.configure()
    _error(stack.aiflow("server", "start", "-d"), "not initialised", "aiflow db init")
    _error(stack.aiflow("server", "start"), "not initialised", "aiflow db init")
    assert stack.aiflow("db", "init").returncode == 0
    # The notification server is not running.
    _error(
        stack.aiflow("server", "start", "-d"),
        f"notification server 127.0.0.1:{stack.ns_port} is not reachable",
    )
    assert not (stack.home / "aiflow_server.pid").exists()
    _error(stack.aiflow("workflow", "list"), f"localhost:{stack.af_port} is unreachable")
    (stack.home / "aiflow_server.yaml").write_text("rpc_port: [\n")
    _error(stack.aiflow("server", "start", "-d"), "not valid YAML")


def test_bad_input(stack: Stack) -> None:
    stack.configure()
    stack.start()
    broken = stack.tmp / "broken_workflow.py"
    broken.write_text(
        "from ai_flow.model.workflow import Workflow\n\nx = 1\nraise RuntimeError('boom')\n"
    )
    _error(stack.aiflow("workflow", "upload", str(broken)), "broken_workflow.py:4", "boom")
    assert stack.json("workflow", "list") == []
    _error(stack.aiflow("workflow", "upload", str(stack.tmp / "missing.py")), "does not exist")

    _error(stack.aiflow("workflow-execution", "start", "nope"), "workflow default.nope")
    _error(stack.aiflow("workflow", "show", "nope", "-n", "other"), "workflow other.nope")
    _error(stack.aiflow("workflow-execution", "show", "42"), "workflow execution 42")
    _error(stack.aiflow("task-execution", "show", "42"), "task execution 42")

    stack.ok("workflow", "upload", str(stack.workflow_file()))
    refused = stack.aiflow("workflow", "delete", "quickstart_workflow", input="n\n")
    _error(refused, "aborted; nothing was changed")
    assert [w["name"] for w in stack.json("workflow", "list")] == ["quickstart_workflow"]
    stack.ok("workflow", "disable", "quickstart_workflow")
    _error(stack.aiflow("workflow-execution", "start", "quickstart_workflow"), "disabled")
    stack.ok("workflow", "enable", "quickstart_workflow")
    stack.ok("workflow", "delete", "quickstart_workflow", "-y")
    assert stack.json("workflow", "list") == []

    stack.ok("namespace", "add", "team", "--properties", "owner=alice")
    assert stack.json("namespace", "show", "team") == {
        "name": "team",
        "properties": {"owner": "alice"},
    }
    _error(stack.aiflow("namespace", "add", "team"), "already exists")
    _error(stack.aiflow("namespace", "delete", "team", input="n\n"), "aborted")
    stack.ok("namespace", "delete", "team", "-y")
    _error(stack.aiflow("namespace", "show", "team"), "namespace team does not exist")
