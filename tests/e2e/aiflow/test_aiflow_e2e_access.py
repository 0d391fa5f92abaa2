"""Access control through the real `aiflow` script and daemons: tokens in
aiflow_server.yaml, the CLI's token from $AIFLOW_TOKEN or aiflow_client.yaml, and a
task whose runtime authenticates with the try token the server gave it."""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

from af_e2e_helpers import Stack, set_yaml

ADMIN = "admin-e2e-token-0123456789"
READER = "reader-e2e-token-0123456789"
TOKENS = f"[{{name: admin, token: {ADMIN}}}, {{name: reader, token: {READER}, read: [default]}}]"
WORKFLOW = """\
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator

with Workflow(name='guarded') as workflow:
    BashOperator(name='hello', bash_command='echo hello from a guarded server')
"""


def _error(result: subprocess.CompletedProcess[str], text: str) -> None:
    assert result.returncode == 1, result.stdout
    assert result.stderr == f"Error: {text}\n", result.stderr


def _json(stack: Stack, *args: str, token: str = ADMIN) -> Any:
    result = stack.aiflow(*args, "-o", "json", AIFLOW_TOKEN=token)
    assert result.returncode == 0, f"aiflow {' '.join(args)}: {result.stderr}"
    return json.loads(result.stdout)


def test_tokens_guard_the_cli_and_tasks_run_with_their_own(stack: Stack) -> None:
    stack.configure()
    set_yaml(stack.home / "aiflow_server.yaml", auth_tokens=TOKENS)
    stack.start()
    log = next((stack.home / "logs").glob("aiflow_server-*.log"), None)
    if log is not None:
        assert "without auth_tokens" not in log.read_text()

    _error(
        stack.aiflow("workflow", "list"),
        "this server requires a token: set AIFLOW_TOKEN / NOTIFICATION_TOKEN or `token` in "
        "the client config (header 'authorization: Bearer <token>')",
    )
    _error(
        stack.aiflow("workflow", "list", AIFLOW_TOKEN="not-a-token-here"),
        "the token is not valid for this server",
    )

    path = stack.tmp / "guarded_workflow.py"
    path.write_text(WORKFLOW)
    # Without a token nothing is uploaded.
    _error(
        stack.aiflow("workflow", "upload", str(path), AIFLOW_TOKEN="not-a-token-here"),
        "the token is not valid for this server",
    )
    result = stack.aiflow("workflow", "upload", str(path), AIFLOW_TOKEN=ADMIN)
    assert result.returncode == 0, result.stderr
    started = stack.aiflow("workflow-execution", "start", "guarded", AIFLOW_TOKEN=ADMIN)
    assert started.returncode == 0, started.stderr
    [execution] = _json(stack, "workflow-execution", "list", "guarded")
    deadline = time.monotonic() + 60
    while True:
        execution = _json(stack, "workflow-execution", "show", str(execution["id"]))
        if execution["status"] in ("SUCCESS", "FAILED", "STOPPED"):
            break
        assert time.monotonic() < deadline, f"execution still {execution['status']}"
        time.sleep(0.5)
    # The runtime claimed its try and reported with the server's try token.
    assert execution["status"] == "SUCCESS", _json(
        stack, "task-execution", "list", str(execution["id"])
    )

    # A read-only token reads, and cannot start anything.
    assert _json(stack, "workflow", "list", token=READER)[0]["name"] == "guarded"
    _error(
        stack.aiflow("workflow-execution", "start", "guarded", AIFLOW_TOKEN=READER),
        "token 'reader' may not write namespace 'default'",
    )
    _error(
        stack.aiflow("namespace", "add", "team", AIFLOW_TOKEN=READER),
        "token 'reader' may not write namespace 'team'",
    )
    assert [n["name"] for n in _json(stack, "namespace", "list", token=READER)] == ["default"]

    # aiflow_client.yaml's `token` serves as well; $AIFLOW_TOKEN wins over it.
    client = stack.home / "aiflow_client.yaml"
    set_yaml(client, token=READER)
    assert stack.aiflow("workflow", "list").returncode == 0
    _error(
        stack.aiflow("workflow-execution", "start", "guarded"),
        "token 'reader' may not write namespace 'default'",
    )
    assert (
        stack.aiflow("workflow-execution", "start", "guarded", AIFLOW_TOKEN=ADMIN).returncode == 0
    )


NS_TOKEN = "notification-e2e-token-0123456789"


def test_both_servers_guarded_with_the_notification_token_in_the_aiflow_config(
    stack: Stack,
) -> None:
    """Tokens on both servers: the AIFlow server presents `notification_token` from its
    config alone (its start-up check, the scheduler's event stream, status sink, REST,
    and its tries' statuses through their specs): the execution ends SUCCESS only if the
    scheduler read the task's status events."""
    stack.configure()
    set_yaml(stack.ns_home / "notification_server.yaml", auth_tokens=f"[{{token: {NS_TOKEN}}}]")
    set_yaml(stack.home / "aiflow_server.yaml", auth_tokens=TOKENS, notification_token=NS_TOKEN)
    for prog in ("notification", "aiflow"):
        for args in (("db", "init"), ("server", "start", "-d")):
            result = stack.run(prog, *args)
            assert result.returncode == 0, f"{prog} {' '.join(args)}: {result.stderr}"
    path = stack.tmp / "guarded_workflow.py"
    path.write_text(WORKFLOW)
    assert stack.aiflow("workflow", "upload", str(path), AIFLOW_TOKEN=ADMIN).returncode == 0
    started = stack.aiflow("workflow-execution", "start", "guarded", AIFLOW_TOKEN=ADMIN)
    assert started.returncode == 0, started.stderr
    [execution] = _json(stack, "workflow-execution", "list", "guarded")
    deadline = time.monotonic() + 60
    while execution["status"] not in ("SUCCESS", "FAILED", "STOPPED"):
        assert time.monotonic() < deadline, f"execution still {execution['status']}"
        time.sleep(0.5)
        execution = _json(stack, "workflow-execution", "show", str(execution["id"]))
    assert execution["status"] == "SUCCESS"
