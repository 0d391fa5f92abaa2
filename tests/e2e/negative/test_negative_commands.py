"""Every command of both command lines, called wrongly (issue 13).

Generated from the click trees (neg_cases.py): missing and ill-typed parameters, unknown
options, ids, names and namespaces, each `-o` format, and the servers stopped. Each case
runs the real console script in its own process; they run a few at a time and each is
reported as its own test. Nothing may be stored by any of them.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from af_e2e_helpers import QUICKSTART_FILE, Stack
from neg_cases import (
    WORKFLOW,
    Case,
    all_commands,
    check,
    run_all,
    server_down_cases,
    tree,
    unknown_cases,
    usage_cases,
)

COMMANDS = all_commands()
CASES = [
    *usage_cases(COMMANDS),
    *unknown_cases(COMMANDS, WORKFLOW, QUICKSTART_FILE),
    *server_down_cases(COMMANDS, QUICKSTART_FILE),
]
Results = dict[str, subprocess.CompletedProcess[str]]


def _state(s: Stack) -> dict[str, Any]:
    """What the servers store, as the command lines show it."""
    counted = s.run("notification", "event", "count", "*", "-o", "json")
    assert counted.returncode == 0, counted.stderr
    return {
        "namespaces": s.json("namespace", "list"),
        "workflows": s.json("workflow", "list"),
        **{
            group: s.json(group, "list", WORKFLOW)
            for group in (
                "workflow-snapshot",
                "workflow-execution",
                "workflow-schedule",
                "workflow-trigger",
            )
        },
        "events": json.loads(counted.stdout),
    }


@pytest.fixture(scope="session")
def outcome(offline: Stack, running: Stack, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run every case once; remember what both homes held before and after."""
    cwd = tmp_path_factory.mktemp("cwd")
    before = {"offline": tree(offline.tmp), "running": _state(running)}
    results = run_all(CASES, {"offline": offline.env, "running": running.env}, cwd)
    after = {"offline": tree(offline.tmp), "running": _state(running)}
    return {"results": results, "before": before, "after": after, "cwd": cwd}


def test_every_command_is_covered() -> None:
    """Each command has its generated cases, and the walk found both trees."""
    names = {c.name for c in COMMANDS}
    assert {"aiflow workflow upload", "notification event send"} <= names
    for cmd in COMMANDS:
        prefix = "-".join(cmd.key) + ":"
        assert any(c.id.startswith(prefix) for c in CASES), cmd.name


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, outcome: dict) -> None:
    check(case, outcome["results"][case.id])


def test_nothing_stored(outcome: dict) -> None:
    """No case changed a record on the running stack or a file in the offline homes."""
    assert outcome["after"]["running"] == outcome["before"]["running"]
    assert outcome["after"]["offline"] == outcome["before"]["offline"]
    assert sorted(p.name for p in Path(outcome["cwd"]).iterdir()) == []
