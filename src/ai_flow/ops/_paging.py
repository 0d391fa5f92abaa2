"""Page arguments shared by every list call."""

from __future__ import annotations

from ai_flow.ops._client import InvalidArgumentError, build
from ai_flow.proto import aiflow_pb2 as pb


def page(limit: int | None, offset: int | None) -> pb.Page:
    if limit is not None and limit < 0 or offset is not None and offset < 0:
        raise InvalidArgumentError("limit and offset must not be negative")
    return build(pb.Page, limit=limit or 0, offset=offset or 0)


def ref(workflow_name: str, namespace: str) -> pb.WorkflowRef:
    return build(pb.WorkflowRef, namespace=namespace, name=workflow_name)
