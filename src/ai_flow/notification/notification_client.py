"""AIFlowNotificationClient: send and listen to events from inside a task.

Inside a task process (the runtime set a task context) events are sent to the workflow's
namespace with sender ``<workflow>.<task>`` and a JSON context naming the workflow
execution, so rules of that execution can react to them; listening covers the workflow's
namespace only. The original documentation says the client "can only be instantiated in
a Task runtime"; this one is more lenient: outside a task it uses namespace ``default``,
no sender and no context, which is handy in scripts and tests.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ai_flow.runtime._context import TaskContext, current_task_context
from notification_service.model import DEFAULT_NAMESPACE, Event

if TYPE_CHECKING:
    from notification_service.client import ListenerProcessor

__all__ = ["AIFlowNotificationClient", "Event", "ListenerProcessor"]


def __getattr__(name: str) -> Any:
    # The notification client (and gRPC) load when a task uses them, not when a workflow
    # file that imports this module is evaluated at upload.
    if name == "ListenerProcessor":
        from notification_service.client import ListenerProcessor

        return ListenerProcessor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class AIFlowNotificationClient:
    """Events of the current task execution. ``server_uri`` defaults to the task's, and
    ``token`` (for a notification server with auth_tokens) to the one the AIFlow server
    gave the task, else $NOTIFICATION_TOKEN."""

    def __init__(self, server_uri: str | None = None, token: str | None = None):
        self.task_context: TaskContext | None = current_task_context()
        ctx = self.task_context
        uri = server_uri or (ctx.notification_server_uri if ctx else None)
        if not uri:
            raise ValueError("server_uri is required outside a task runtime")
        self.namespace = ctx.namespace if ctx else DEFAULT_NAMESPACE
        from notification_service.client import NotificationClient

        self._client = NotificationClient(
            uri,
            namespace=self.namespace,
            sender=ctx.sender if ctx else None,
            token=token or (ctx.notification_token if ctx else None),
        )

    def send_event(self, key: str, value: str | None = None) -> Event:
        """Send an event to the current workflow execution; returns it with its offset."""
        ctx = self.task_context
        return self._client.send_event(key, value, ctx.event_context() if ctx else None)

    def register_listener(
        self,
        listener_processor: ListenerProcessor,
        event_keys: list[str] | None = None,
        begin_time: datetime | None = None,
    ) -> str:
        """Deliver events of this namespace to ``listener_processor`` on a new thread.

        Starts with events sent from now on, or at ``begin_time``. Returns the id to pass
        to ``unregister_listener``.
        """
        return self._client.register_listener(
            listener_processor, event_keys, begin_time=begin_time, namespace=self.namespace
        )

    def unregister_listener(self, listener_id: str) -> None:
        self._client.unregister_listener(listener_id)

    def close(self) -> None:
        """Stop all listeners and release the connection."""
        self._client.close()

    def __enter__(self) -> AIFlowNotificationClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
