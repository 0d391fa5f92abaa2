"""Task executors: run task executions as processes (plug-in package)."""

from __future__ import annotations

import importlib
from typing import Any

from ai_flow.executor._interface import TaskExecutor
from ai_flow.executor._local import LocalTaskLauncher
from ai_flow.executor._paths import TaskPaths, make_task_spec, task_paths

__all__ = [
    "LocalTaskLauncher",
    "TaskExecutor",
    "TaskPaths",
    "create_task_executor",
    "make_task_spec",
    "task_paths",
]


def create_task_executor(kind: str, **kwargs: Any) -> TaskExecutor:
    """``local``, or ``package.module:ClassName`` of a TaskExecutor subclass."""
    if kind == "local":
        return LocalTaskLauncher(**kwargs)
    module_name, _, class_name = kind.partition(":")
    if not class_name:
        raise ValueError(f"unknown task executor {kind!r}: use 'local' or 'module:Class'")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, TaskExecutor)):
        raise TypeError(f"{kind} is not a TaskExecutor")
    return cls(**kwargs)
