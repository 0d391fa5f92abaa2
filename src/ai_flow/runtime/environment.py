"""The task-process boundary: the only place ai_flow reads or writes environment variables.

The launcher passes the task context to the task process (and, through inheritance, to
anything the task spawns, e.g. a Python script run by a BashOperator) in
``AIFLOW_TASK_CONTEXT`` as JSON.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

#: JSON of ``ai_flow.runtime.TaskContext``; set for task processes and their children.
AIFLOW_TASK_CONTEXT = "AIFLOW_TASK_CONTEXT"
#: Set so Python output of the task (and of Python children) reaches the log promptly.
PYTHONUNBUFFERED = "PYTHONUNBUFFERED"


def read_task_context_json() -> str | None:
    """The raw task context of this process, None outside a task."""
    return os.environ.get(AIFLOW_TASK_CONTEXT) or None


def export_task_context_json(context_json: str) -> None:
    """Make the task context visible to processes this one spawns."""
    os.environ[AIFLOW_TASK_CONTEXT] = context_json


def child_environment(context_json: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a task process: ours, plus the task context."""
    env = dict(os.environ)
    env.update(extra or {})
    env[AIFLOW_TASK_CONTEXT] = context_json
    env[PYTHONUNBUFFERED] = "1"
    return env
