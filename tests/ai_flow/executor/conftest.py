"""Fixtures shared with the other task tests (see tests/ai_flow/runtime/taskenv.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtime"))

from taskenv import aiflow_home, executor, ns_server, task_env  # noqa: E402

__all__ = ["aiflow_home", "executor", "ns_server", "task_env"]
