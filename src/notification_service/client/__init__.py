"""Python client of the notification service."""

from notification_service.client._client import (
    EmbeddedNotificationClient,
    NotificationClient,
    to_ms,
)
from notification_service.client._errors import (
    InvalidRequestError,
    NotificationError,
    ServerUnavailableError,
)
from notification_service.client._listener import ListenerProcessor
from notification_service.model import Event

__all__ = [
    "EmbeddedNotificationClient",
    "Event",
    "InvalidRequestError",
    "ListenerProcessor",
    "NotificationClient",
    "NotificationError",
    "ServerUnavailableError",
    "to_ms",
]
