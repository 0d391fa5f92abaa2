"""The AIFlow server: gRPC API and internal RPC, scheduler and executor in one process."""

from notification_service.util import grpc_core

grpc_core.tune()  # before grpc loads: the cheaper native paths (see grpc_core)

from ai_flow.server._server import (  # noqa: E402
    STARTED_MESSAGE,
    AIFlowServer,
    ServerStartError,
    run_server,
)

__all__ = [
    "STARTED_MESSAGE",
    "AIFlowServer",
    "ServerStartError",
    "run_server",
]
