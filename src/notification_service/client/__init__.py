"""Python client of the notification service."""

from notification_service.client._client import (
    EmbeddedNotificationClient,
    NotificationClient,
    to_ms,
)
from notification_service.client._errors import (
    AuthenticationError,
    InvalidRequestError,
    NotificationError,
    PermissionDeniedError,
    ServerUnavailableError,
)
from notification_service.client._listener import ListenerProcessor
from notification_service.model import Event

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
