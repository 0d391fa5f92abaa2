"""Events for user code: ``ai_flow.notification.notification_client``."""

import typing

from ai_flow.notification.notification_client import AIFlowNotificationClient, Event

if typing.TYPE_CHECKING:
    from notification_service.client import ListenerProcessor

__all__ = ["AIFlowNotificationClient", "Event", "ListenerProcessor"]


def __getattr__(name: str) -> typing.Any:
    if name == "ListenerProcessor":  # loads the notification client: only when asked
        from ai_flow.notification import notification_client

        return notification_client.ListenerProcessor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
