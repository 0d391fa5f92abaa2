"""Python client of the notification service."""

from notification_service.util import grpc_core

grpc_core.tune()  # before grpc loads: the cheaper native paths (see grpc_core)

from notification_service.client._client import (  # noqa: E402
    EmbeddedNotificationClient,
    NotificationClient,
    to_ms,
)
from notification_service.client._errors import (  # noqa: E402
    AuthenticationError,
    InvalidRequestError,
    NotificationError,
    PermissionDeniedError,
    ServerUnavailableError,
)
from notification_service.client._listener import ListenerProcessor  # noqa: E402
from notification_service.model import Event  # noqa: E402

__all__ = [
    "AuthenticationError",
    "EmbeddedNotificationClient",
    "Event",
    "InvalidRequestError",
    "ListenerProcessor",
    "NotificationClient",
    "NotificationError",
    "PermissionDeniedError",
    "ServerUnavailableError",
    "to_ms",
]
