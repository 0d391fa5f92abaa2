"""Internal events: how the scheduler tells conditions that a task changed status.

Convention (the scheduler must follow it for ``start_after`` / ``action_on_task_status``
rules to fire):

* Whenever a task execution's status changes, the scheduler first persists the new
  status, then sends an event with
    - ``key``       = ``task_status_event_key(workflow_name, task_name)``, i.e.
      ``"ai_flow.task_status/<workflow_name>/<task_name>"``;
    - ``value``     = the new ``TaskStatus`` value, e.g. ``"SUCCESS"``;
    - ``namespace`` = the workflow's namespace;
    - ``sender``    = ``SCHEDULER_SENDER``;
    - ``context``   = whatever the scheduler uses to route events to one workflow
      execution (opaque here).
  ``new_task_status_event`` builds exactly that.
* When such an event is processed for a workflow execution, each rule whose condition
  expects the key is evaluated with ``rule.trigger(event, context)``; status conditions
  read the status of the task named in the event from the event value and the status of
  every other task from ``Context.get_task_status``.

Names cannot contain '/', so the key splits back unambiguously (``parse_task_status_event_key``).
"""

from __future__ import annotations

from typing import NamedTuple

from ai_flow.model.status import TaskStatus
from notification_service.model.event import Event

TASK_STATUS_EVENT_KEY_PREFIX = "ai_flow.task_status"
SCHEDULER_SENDER = "ai_flow.scheduler"
_SEP = "/"


class TaskStatusEventKey(NamedTuple):
    workflow_name: str
    task_name: str


def task_status_event_key(workflow_name: str, task_name: str) -> str:
    """The key of the events announcing status changes of ``task_name``."""
    return _SEP.join((TASK_STATUS_EVENT_KEY_PREFIX, workflow_name, task_name))


def parse_task_status_event_key(key: str) -> TaskStatusEventKey | None:
    """Split a task-status event key; None if ``key`` is not one."""
    parts = key.split(_SEP)
    if len(parts) != 3 or parts[0] != TASK_STATUS_EVENT_KEY_PREFIX or not all(parts[1:]):
        return None
    return TaskStatusEventKey(parts[1], parts[2])


def is_task_status_event_key(key: str) -> bool:
    return parse_task_status_event_key(key) is not None


def task_status_of(event: Event) -> TaskStatus | None:
    """The status carried by a task-status event, None if the event is not one."""
    if parse_task_status_event_key(event.key) is None:
        return None
    try:
        return TaskStatus(event.value)
    except ValueError:
        return None


def new_task_status_event(
    namespace: str,
    workflow_name: str,
    task_name: str,
    status: TaskStatus | str,
    context: str | None = None,
) -> Event:
    """The event the scheduler sends after ``task_name`` moved to ``status``."""
    return Event(
        key=task_status_event_key(workflow_name, task_name),
        value=TaskStatus(status).value,
        namespace=namespace,
        sender=SCHEDULER_SENDER,
        context=context,
    )
