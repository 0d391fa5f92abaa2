"""What the server and an evaluator process exchange: one JSON document per line.

Requests: ``{"op": "eval", "items": [...]}`` (answered by one result line per item, in
order, each written as soon as it is known), ``{"op": "decode_trigger", "rule": text}``
and ``{"op": "ping"}``. The process first writes ``{"ready": true}`` or
``{"load_error": "..."}`` once the workflow file is loaded.

An item is a rule evaluation: ``k`` ``"r"`` (task rule: ``w`` workflow, ``t`` task,
``i`` rule index, ``ts`` task statuses) or ``"g"`` (trigger: ``rule`` its stored
text), ``s`` its state scope, ``e`` the event, and ``st`` the scope's states when the
item is the first of its scope in the request (later items of a scope continue from
the previous item's result). A result: ``m`` met, ``c`` changed state names with
``st`` the new states when ``c`` is not empty, ``rd`` the task statuses read, or
``err`` the one-line reason the evaluation failed.
"""

from __future__ import annotations

from typing import Any

from notification_service.model import Event


def event_to_wire(event: Event) -> dict[str, Any]:
    return {
        "key": event.key,
        "value": event.value,
        "namespace": event.namespace,
        "sender": event.sender,
        "context": event.context,
        "offset": event.offset,
        "create_time": event.create_time,
    }


def event_from_wire(data: dict[str, Any]) -> Event:
    return Event(
        key=data["key"],
        value=data.get("value"),
        namespace=data.get("namespace"),
        sender=data.get("sender"),
        context=data.get("context"),
        offset=data.get("offset"),
        create_time=data.get("create_time"),
    )
