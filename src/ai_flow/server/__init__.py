"""The AIFlow server: gRPC API and internal RPC, scheduler and executor in one process."""

from ai_flow.server._server import STARTED_MESSAGE, AIFlowServer, ServerStartError, run_server

__all__ = [
    "STARTED_MESSAGE",
    "AIFlowServer",
    "ServerStartError",
    "run_server",
]
