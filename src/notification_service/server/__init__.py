"""The notification gRPC server."""

from notification_service.util import grpc_core

grpc_core.tune()  # before grpc loads: the cheaper native paths (see grpc_core)

from notification_service.server._run import run_server  # noqa: E402
from notification_service.server._server import (  # noqa: E402
    STARTED_MESSAGE,
    NotificationServer,
    ServerStartError,
)

__all__ = ["STARTED_MESSAGE", "NotificationServer", "ServerStartError", "run_server"]
