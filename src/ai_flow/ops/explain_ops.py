"""Why did (or didn't) it run? Reads of the scheduler's decision log, and replay.

Each function returns the server's answer as a dict (JSON types, ISO dates): the same
object the REST API returns (its shape is documented in `ai_flow.app.explain` and
`ai_flow.app.replay`).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ai_flow.ops._client import RPC_TIMEOUT, InvalidArgumentError, build, call
from ai_flow.ops._paging import page
from ai_flow.ops.workflow_ops import read_workflow_file
from ai_flow.proto import aiflow_pb2 as pb

#: A replay evaluates a file and every event of the range: it may take a while.
REPLAY_TIMEOUT = 600.0


def _answer(msg: pb.ExplanationProto) -> dict[str, Any]:
    return dict(json.loads(msg.json))


def explain_task_execution(workflow_execution_id: int, task_name: str) -> dict[str, Any]:
    """The task's runs (what started and stopped each) and, unless it runs, why not."""
    ref = build(pb.TaskRef, workflow_execution_id=workflow_execution_id, task_name=task_name)
    request = build(pb.ExplainTaskExecutionRequest, task=ref)
    return _answer(call(lambda s: s.ExplainTaskExecution(request, timeout=RPC_TIMEOUT)))


def explain_event(offset: int) -> dict[str, Any]:
    """Where the event at `offset` went, or why it went nowhere."""
    request = build(pb.ExplainEventRequest, offset=offset)
    return _answer(call(lambda s: s.ExplainEvent(request, timeout=RPC_TIMEOUT)))


def explain_workflow_execution(
    workflow_execution_id: int, limit: int | None = None, offset: int | None = None
) -> dict[str, Any]:
    """What started the execution, and one page of its decisions, newest first."""
    request = build(
        pb.ExplainWorkflowExecutionRequest, id=workflow_execution_id, page=page(limit, offset)
    )
    return _answer(call(lambda s: s.ExplainWorkflowExecution(request, timeout=RPC_TIMEOUT)))


def _ms(value: int | str | datetime) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidArgumentError(f"{value!r} is not an ISO date and time") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp() * 1000)


def replay_workflow(
    workflow_file_path: str,
    from_offset: int | None = None,
    from_time: int | str | datetime | None = None,
    to_offset: int | None = None,
    workflow: str | None = None,
    namespace: str = "default",
) -> dict[str, Any]:
    """A dry run: what the file's workflow would do over the stored events of
    `namespace` after `from_offset` (or from `from_time`, naive = UTC) up to
    `to_offset`, as if an execution had started at the first of them. Nothing on the
    server changes."""
    path = Path(workflow_file_path)
    source = read_workflow_file(path)
    if (from_offset is None) == (from_time is None):
        raise InvalidArgumentError("give exactly one of from_offset and from_time")
    fields: dict[str, Any] = {
        "file_name": path.name,
        "source": source,
        "workflow": workflow or "",
        "namespace": namespace,
    }
    if from_offset is not None:
        fields["from_offset"] = from_offset
    if from_time is not None:
        fields["from_time"] = _ms(from_time)
    if to_offset is not None:
        fields["to_offset"] = to_offset
    request = build(pb.ReplayWorkflowRequest, **fields)
    return _answer(call(lambda s: s.ReplayWorkflow(request, timeout=REPLAY_TIMEOUT)))
