"""The scheduler's error log: events it skipped because processing them kept failing."""

from __future__ import annotations

from ai_flow.ops._client import RPC_TIMEOUT, build, call
from ai_flow.ops._meta import SchedulerErrorMeta
from ai_flow.ops._paging import page
from ai_flow.proto import aiflow_pb2 as pb


def list_scheduler_errors(
    limit: int | None = None, offset: int | None = None
) -> list[SchedulerErrorMeta]:
    """Newest first, one bounded page."""
    request = build(pb.ListSchedulerErrorsRequest, page=page(limit, offset))
    msg = call(lambda s: s.ListSchedulerErrors(request, timeout=RPC_TIMEOUT))
    return [SchedulerErrorMeta.from_proto(e) for e in msg.errors]
