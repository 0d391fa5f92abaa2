"""Set-up mistakes that only show when a server starts or a database is opened (issue
13): one `Error:` line naming the problem and the fix, exit 1, no daemon left behind."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from af_e2e_helpers import Stack, free_port, set_yaml
from neg_cases import Case, check, run_all

from ai_flow import ops

DEAD_PG = "postgresql+psycopg://u@127.0.0.1:{port}/x"
DEAD_MYSQL = "mysql+pymysql://u@127.0.0.1:{port}/x"


def _af(ns: str, **server: object) -> Callable[[Stack], None]:
    """An AIFlow home whose notification server is `ns` ("running" or "dead")."""

    def prepare(s: Stack) -> None:
        s.configure_aiflow_only()
        set_yaml(s.home / "aiflow_server.yaml", **server)
        assert s.aiflow("db", "init").returncode == 0

    return prepare


def _ns(init: bool, **values: object) -> Callable[[Stack], None]:
    def prepare(s: Stack) -> None:
        assert s.run("notification", "config", "init").returncode == 0
        set_yaml(s.ns_home / "notification_server.yaml", server_port=s.ns_port, **values)
        if init:
            assert s.run("notification", "db", "init").returncode == 0

    return prepare


def _no_db(s: Stack) -> None:
    s.configure_aiflow_only()


def _dead_db(s: Stack) -> None:
    s.configure_aiflow_only()
    set_yaml(s.home / "aiflow_server.yaml", metadata_backend_uri=DEAD_PG.format(port=free_port()))


def _bad_blob(s: Stack) -> None:
    s.configure_aiflow_only()
    (s.home / "aiflow_client.yaml").write_text(
        f"server_address: localhost:{s.af_port}\n"
        "blob_manager:\n  blob_manager_class: no_such_module.BlobManager\n"
    )


# name -> (prepare the home, uses the running stack's ports?, command, Error fragments)
SCENARIOS: dict[str, tuple[Callable[[Stack], None], str, tuple[str, ...], tuple[str, ...]]] = {
    "aiflow-db-not-initialised": (
        _no_db,
        "ns",
        ("aiflow", "server", "start", "-d"),
        ("not initialised", "aiflow db init"),
    ),
    "aiflow-db-not-reachable": (
        _dead_db,
        "",
        ("aiflow", "db", "init"),
        ("metadata_backend_uri", "aiflow_server.yaml"),
    ),
    "aiflow-db-not-reachable-start": (
        _dead_db,
        "ns",
        ("aiflow", "server", "start", "-d"),
        ("failed to start", "metadata_backend_uri"),
    ),
    "aiflow-executor-does-not-import": (
        _af("running", task_executor="no_such_module:Executor"),
        "ns",
        ("aiflow", "server", "start", "-d"),
        ("task_executor", "no_such_module"),
    ),
    "aiflow-port-in-use": (
        _af("running"),
        "ns+af",
        ("aiflow", "server", "start", "-d"),
        ("in use",),
    ),
    "aiflow-notification-server-down": (
        _af("dead"),
        "",
        ("aiflow", "server", "start", "-d"),
        ("notification server", "not reachable"),
    ),
    "aiflow-blob-manager-does-not-import": (
        _bad_blob,
        "af",
        ("aiflow", "workflow", "upload", "WORKFLOW_FILE"),
        ("aiflow_client.yaml", "blob_manager", "no_such_module"),
    ),
    "notification-db-not-initialised": (
        _ns(False),
        "",
        ("notification", "server", "start", "-d"),
        ("not initialised", "notification db init"),
    ),
    "notification-db-not-reachable": (
        _ns(False, db_uri=DEAD_MYSQL.format(port=free_port())),
        "",
        ("notification", "db", "init"),
        ("db_uri", "notification_server.yaml"),
    ),
    "notification-db-not-reachable-start": (
        _ns(False, db_uri=DEAD_MYSQL.format(port=free_port())),
        "",
        ("notification", "server", "start", "-d"),
        ("failed to start", "db_uri"),
    ),
    "notification-port-in-use": (
        _ns(True),
        "ns",
        ("notification", "server", "start", "-d"),
        ("in use",),
    ),
}


@pytest.fixture(scope="session")
def outcome(running: Stack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    stacks: dict[str, Stack] = {}
    cases: list[Case] = []
    for name, (prepare, shares, command, fragments) in SCENARIOS.items():
        ns_port = running.ns_port if "ns" in shares else free_port()
        af_port = running.af_port if "af" in shares else free_port()
        s = Stack(tmp_path_factory.mktemp(name), ns_port, af_port)
        prepare(s)
        stacks[name] = s
        args = tuple(str(running.workflow_file()) if a == "WORKFLOW_FILE" else a for a in command)
        cases.append(Case(name, args[0], args[1:], name, 1, fragments[0]))
    results = run_all(cases, {n: s.env for n, s in stacks.items()}, running.tmp)
    return {"results": results, "cases": {c.id: c for c in cases}, "stacks": stacks}


# Known bugs outside the command lines, as strict xfails until fixed.
XFAIL: dict[str, str] = {}  # scenarios whose fix has not landed yet


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason=XFAIL[n], strict=True)) if n in XFAIL else n
        for n in SCENARIOS
    ],
)
def test_setup_mistake(name: str, outcome: dict[str, Any]) -> None:
    result = outcome["results"][name]
    check(outcome["cases"][name], result)
    for fragment in SCENARIOS[name][3]:
        assert fragment in result.stderr, result.stderr
    s: Stack = outcome["stacks"][name]
    # No daemon was left running (and no pid file claims one).
    assert not (s.home / "aiflow_server.pid").exists()
    assert not (s.ns_home / "notification_server.pid").exists()


def test_ops_blob_manager_error_is_typed(
    outcome: dict[str, Any], monkeypatch: pytest.MonkeyPatch, running: Stack
) -> None:
    """ai_flow.ops raises an AIFlowClientError with the command line's message."""
    name = "aiflow-blob-manager-does-not-import"
    s: Stack = outcome["stacks"][name]
    monkeypatch.setenv("AIFLOW_HOME", str(s.home))
    ops.set_server_address(None)
    with pytest.raises(ops.AIFlowClientError) as raised:
        ops.upload_workflows(str(running.workflow_file()))
    line = next(x for x in outcome["results"][name].stderr.splitlines() if x.startswith("Error:"))
    assert line == f"Error: {raised.value}"
    assert not Path(s.home / "blob").exists()
