"""The AIFlow server: gRPC API, scheduler and executor in one process."""

from ai_flow.server._evaluate import WorkflowFileError, evaluate_workflow_file
from ai_flow.server._server import STARTED_MESSAGE, AIFlowServer, ServerStartError, run_server

__all__ = [
    "STARTED_MESSAGE",
    "AIFlowServer",
    "ServerStartError",
    "WorkflowFileError",
    "evaluate_workflow_file",
    "run_server",
]
