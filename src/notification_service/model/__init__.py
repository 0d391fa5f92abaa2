"""Plain data types shared by the client, the server and storage."""

from notification_service.model.event import DEFAULT_NAMESPACE, MAX_KEY_LENGTH, Event
from notification_service.model.event_filter import ANY_KEY, EventFilter

__all__ = ["ANY_KEY", "DEFAULT_NAMESPACE", "MAX_KEY_LENGTH", "Event", "EventFilter"]
