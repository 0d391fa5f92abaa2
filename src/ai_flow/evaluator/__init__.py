"""Where user code runs on behalf of the server: one evaluator process per snapshot.

The AIFlow server never imports a workflow file. Conditions and triggers that name
user classes are evaluated here, in child processes that load the snapshot's file;
`describe_workflow_file` evaluates an uploaded file the same way.
"""

from ai_flow.evaluator._context import ERROR_STATE, RuleContext
from ai_flow.evaluator._describe import WorkflowFileError, describe_workflow_file
from ai_flow.evaluator._pool import EvalItem, EvalResult, EvaluatorPool
from ai_flow.evaluator._process import EvaluatorGone, EvaluatorTimeout

__all__ = [
    "ERROR_STATE",
    "EvalItem",
    "EvalResult",
    "EvaluatorGone",
    "EvaluatorPool",
    "EvaluatorTimeout",
    "RuleContext",
    "WorkflowFileError",
    "describe_workflow_file",
]
