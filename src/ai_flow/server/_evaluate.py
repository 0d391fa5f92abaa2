"""Evaluate an uploaded workflow file in a child process, never in the server itself.

The child prints one JSON document: the workflows' descriptions, or an error whose
message points at the user's own file and line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import traceback
from pathlib import Path

EVALUATE_TIMEOUT = 120.0


class WorkflowFileError(Exception):
    """The uploaded file cannot be evaluated; str() names the problem and the user's line."""


def evaluate_workflow_file(path: Path, timeout: float = EVALUATE_TIMEOUT) -> list[dict]:
    """Descriptions (Workflow.describe()) of every top-level workflow in `path`."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "ai_flow.server._evaluate", str(path)],
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
    return result["workflows"]


def _user_frame(exc: BaseException, file_name: str) -> str:
    """`file.py:12: <source line>` of the deepest frame in the user's file."""
    if isinstance(exc, SyntaxError) and exc.filename and exc.filename.endswith(file_name):
        text = (exc.text or "").strip()
        return f"{file_name}:{exc.lineno}: {text}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(file_name)]
    if not frames:
        return file_name
    frame = frames[-1]
    return f"{file_name}:{frame.lineno}: {(frame.line or '').strip()}"


def _main(path: str) -> None:
    # Imported here: the parent only needs subprocess and json.
    from ai_flow.model.workflow import load_workflows

    file_name = Path(path).name
    try:
        workflows = load_workflows(path)
        out = {"workflows": [w.describe() for w in workflows]}
    except BaseException as exc:  # noqa: BLE001 - any failure of user code is reported
        message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if isinstance(exc, SyntaxError):
            message = f"SyntaxError: {exc.msg}"
        out = {"error": f"{_user_frame(exc, file_name)}: {message}"}
    sys.stdout.write("\n" + json.dumps(out) + "\n")


if __name__ == "__main__":
    _main(sys.argv[1])
