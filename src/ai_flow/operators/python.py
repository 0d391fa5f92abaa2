"""PythonOperator: call a Python function."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ai_flow.model.context import Context
from ai_flow.model.errors import WorkflowDefinitionError
from ai_flow.model.internal.jsonable import to_jsonable
from ai_flow.model.operator import AIFlowOperator


class PythonOperator(AIFlowOperator):
    """Calls ``python_callable(*op_args, **op_kwargs)``; the task fails if it raises.

    ``start`` runs the call to completion and keeps the return value in ``result``.
    The callable must be defined in (or importable from) the workflow file, because the
    file is re-executed wherever the task runs.
    """

    def __init__(
        self,
        name: str,
        python_callable: Callable[..., Any],
        op_args: Sequence[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ):
        if not callable(python_callable):
            raise WorkflowDefinitionError(
                f"PythonOperator {name!r}: python_callable must be callable, "
                f"got {type(python_callable).__name__}"
            )
        if op_args is not None and (isinstance(op_args, str) or not isinstance(op_args, Sequence)):
            raise WorkflowDefinitionError(f"PythonOperator {name!r}: op_args must be a list")
        if op_kwargs is not None and not isinstance(op_kwargs, Mapping):
            raise WorkflowDefinitionError(f"PythonOperator {name!r}: op_kwargs must be a dict")
        super().__init__(name, **kwargs)
        self.python_callable = python_callable
        self.op_args = list(op_args or [])
        self.op_kwargs = dict(op_kwargs or {})
        self.result: Any = None
        self.stop_requested = False

    def start(self, context: Context) -> None:
        self.stop_requested = False
        self.result = self.python_callable(*self.op_args, **self.op_kwargs)

    def stop(self, context: Context) -> None:
        # A running Python call cannot be interrupted safely from outside; the flag lets
        # cooperative callables notice, and the runtime ends the task process if needed.
        self.stop_requested = True

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "python_callable": to_jsonable(self.python_callable),
            "op_args": to_jsonable(self.op_args),
            "op_kwargs": to_jsonable(self.op_kwargs),
        }
