"""The notification gRPC server."""

from notification_service.server._run import run_server
from notification_service.server._server import (
    STARTED_MESSAGE,
    NotificationServer,
    ServerStartError,
)

__all__ = ["STARTED_MESSAGE", "NotificationServer", "ServerStartError", "run_server"]
