"""Evaluate an uploaded workflow file in a child process, never in the server itself.

The child prints one JSON document: the workflows' descriptions (what the server
schedules from), or an error whose message points at the user's own file and line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EVALUATE_TIMEOUT = 120.0


class WorkflowFileError(Exception):
    """The uploaded file cannot be evaluated; str() names the problem and the user's line."""


def describe_workflow_file(path: Path, timeout: float = EVALUATE_TIMEOUT) -> list[dict]:
    """Descriptions (Workflow.describe()) of every top-level workflow in `path`."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "ai_flow.evaluator._describe", str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=path.parent,
        )
    except subprocess.TimeoutExpired:
        raise WorkflowFileError(
            f"{path.name}: evaluating the file took longer than {timeout:.0f}s"
        ) from None
    lines = proc.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        result = None
    if not isinstance(result, dict):
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise WorkflowFileError(f"{path.name}: evaluation failed: {tail}")
    if "error" in result:
        raise WorkflowFileError(result["error"])
    if not result["workflows"]:
        raise WorkflowFileError(f"{path.name}: no workflow is defined at the top level of the file")
    return list(result["workflows"])


def _main(path: str) -> None:
    # Imported here: the parent only needs subprocess and json.
    from ai_flow.evaluator._errors import user_error_line
    from ai_flow.model.workflow import load_workflows

    out: dict[str, object]
    try:
        out = {"workflows": [w.describe() for w in load_workflows(path)]}
    except BaseException as exc:  # noqa: BLE001 - any failure of user code is reported
        out = {"error": user_error_line(exc, Path(path).name)}
    sys.stdout.write("\n" + json.dumps(out) + "\n")


if __name__ == "__main__":
    _main(sys.argv[1])
