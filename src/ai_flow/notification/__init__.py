"""Events for user code: ``ai_flow.notification.notification_client``."""

from ai_flow.notification.notification_client import (
    AIFlowNotificationClient,
    Event,
    ListenerProcessor,
)

__all__ = ["AIFlowNotificationClient", "Event", "ListenerProcessor"]
