"""The command lines import only what the command runs, so they answer fast: a client
command never loads SQLAlchemy or Alembic, `version` not even gRPC. (Issue: `aiflow
version` took 0.5 s and `notification version` 0.9 s when every command imported all.)"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "alembic", "grpc", "ai_flow.server", "ai_flow.scheduler")
# The REST API's stack: the AIFlow server loads it on a thread once gRPC serves.
# The web UI (Jinja2 templates) comes with it. ai_flow.rest stays last.
WEB = ("fastapi", "uvicorn", "starlette", "sse_starlette", "jinja2", "ai_flow.web", "ai_flow.rest")


def _loaded(module: str, *args: str) -> set[str]:
    """The top-level (and ai_flow.*) modules loaded by running the command's --help or
    the command itself, in a fresh interpreter."""
    code = (
        "import sys, json\n"
        f"sys.argv = {[module, *args]!r}\n"
        "try:\n"
        f"    import runpy; runpy.run_module({module!r}, run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    ("module", "args", "forbidden"),
    [
        ("ai_flow.cli", ["version"], HEAVY + WEB),
        ("notification_service.cli", ["version"], HEAVY + WEB),
        ("notification_service.cli", ["event", "send", "--help"], HEAVY[:2] + WEB),
        ("ai_flow.cli", ["workflow", "upload", "--help"], HEAVY[:2] + HEAVY[3:] + WEB),
        ("ai_flow.cli", ["task-execution", "list", "--help"], HEAVY[:2] + HEAVY[3:] + WEB),
        ("ai_flow.cli", ["event", "explain", "--help"], HEAVY[:2] + HEAVY[3:] + WEB),
        ("ai_flow.cli", ["server", "--help"], WEB),
    ],
)
def test_commands_import_only_what_they_run(
    module: str, args: list[str], forbidden: tuple[str, ...]
) -> None:
    loaded = _loaded(module, *args)
    assert "click" in loaded  # the command really ran
    heavy = sorted(m for m in loaded if m.split(".")[0] in forbidden or m in forbidden)
    assert not [m for m in heavy if m.startswith(forbidden)], heavy[:10]


def test_the_daemon_ready_lines_are_the_servers_own() -> None:
    from ai_flow.cli import _server as af_cli
    from ai_flow.server import STARTED_MESSAGE as AF
    from notification_service.cli import _server as ns_cli
    from notification_service.server import STARTED_MESSAGE as NS

    assert (af_cli.STARTED_MESSAGE, ns_cli.STARTED_MESSAGE) == (AF, NS)


@pytest.mark.parametrize("module", ["ai_flow.ops", "ai_flow.server", "ai_flow.rest"])
def test_the_python_api_and_the_server_module_load_no_web_stack(module: str) -> None:
    """`ai_flow.rest` itself holds only the server's handle: FastAPI comes with the app."""
    code = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    loaded = json.loads(done.stdout)
    web = [m for m in loaded if m.split(".")[0] in WEB[:-1]]
    assert not web, web[:10]


def test_evaluating_a_workflow_file_loads_no_client_stack() -> None:
    """The Quickstart's file imports AIFlowNotificationClient at the top: evaluating it at
    upload must not load gRPC, pydantic or the engines' HTTP clients (they made uploads
    0.15 s slower); a task that uses the client loads them then."""
    code = (
        "import sys, json\n"
        "from ai_flow.notification.notification_client import AIFlowNotificationClient\n"
        "import ai_flow.notification\n"
        "from ai_flow.operators.bash import BashOperator\n"
        "from ai_flow.model.workflow import Workflow\n"
        "print(json.dumps(sorted(sys.modules)))\n"
        "from ai_flow.notification import ListenerProcessor\n"
        "from ai_flow.runtime import send_status_event\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    before, after = (set(json.loads(line)) for line in done.stdout.splitlines())
    heavy = ("grpc", "pydantic", "notification_service.client", "ai_flow.engines", "sqlalchemy")
    assert not sorted(m for m in before if m.startswith(heavy)), "loaded at evaluation"
    assert {"grpc", "notification_service.client"} <= after  # loaded when used
