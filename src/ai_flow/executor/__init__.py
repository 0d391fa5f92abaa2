"""Task executors: how the AIFlow server gets task tries run (plug-in package).

`task_executor` in aiflow_server.yaml selects the backend: ``local``, ``celery``,
``kubernetes``, or ``package.module:Class`` naming a TaskExecutor subclass (built with
the keyword arguments ``home``, ``log_dir`` and ``parallelism``). The built-in remote
backends are imported only when selected and also get ``settings`` (the server's).
"""

from __future__ import annotations

import importlib
from typing import Any

from ai_flow.executor._interface import HandleState, TaskExecutor
from ai_flow.executor._local import LocalTaskExecutor
from ai_flow.executor._memory import MemoryTaskExecutor

__all__ = [
    "ExecutorError",
    "HandleState",
    "LocalTaskExecutor",
    "MemoryTaskExecutor",
    "TaskExecutor",
    "create_task_executor",
]

_BUILTIN = {"local": LocalTaskExecutor}
# Imported only when chosen: their client libraries are optional extras.
_REMOTE = {
    "celery": "ai_flow.executor._celery:CeleryTaskExecutor",
    "kubernetes": "ai_flow.executor._kubernetes:KubernetesTaskExecutor",
}


class ExecutorError(Exception):
    """The configured executor cannot be created; str() is one line for the user."""


def create_task_executor(kind: str, settings: Any = None, **kwargs: Any) -> TaskExecutor:
    """``local``, ``celery``, ``kubernetes``, or ``package.module:ClassName``."""
    name = kind.strip().lower()
    builtin = _BUILTIN.get(name)
    if builtin is not None:
        return builtin(**kwargs)
    if name in _REMOTE:
        kind, kwargs = _REMOTE[name], {**kwargs, "settings": settings}
    module_name, _, class_name = kind.partition(":")
    if not class_name:
        raise ExecutorError(
            f"unknown task_executor {kind!r}: use 'local' or 'package.module:Class'"
        )
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ExecutorError(f"task_executor {kind!r} cannot be imported: {exc}") from None
    if not (isinstance(cls, type) and issubclass(cls, TaskExecutor)):
        raise ExecutorError(f"task_executor {kind!r} is not a TaskExecutor subclass")
    return cls(**kwargs)
