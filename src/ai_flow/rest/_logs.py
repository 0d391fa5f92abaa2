"""A task execution's log: byte-range reads, and a follow mode as Server-Sent Events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from ai_flow.app import task_logs
from ai_flow.app.errors import NotFoundError
from ai_flow.rest._auth import owner
from ai_flow.rest._context import RestContext
from ai_flow.rest._deps import Ctx
from ai_flow.rest._errors import ERRORS
from ai_flow.rest._paging import MAX_ID, IdPath
from ai_flow.rest._sse import PING_SECONDS

router = APIRouter(
    prefix="/task-executions/{task_execution_id}/log",
    tags=["task logs"],
    dependencies=[owner("task_execution", "task_execution_id")],
)
ByteOffset = Annotated[int, Query(ge=0, le=MAX_ID, description="first byte to read")]
FOLLOW_CHUNK = 64 << 10  # bytes in one follow event
_POLL = 0.5  # seconds between looks at a growing log


class LogOut(BaseModel):
    """`next_offset` is the cursor: read on from it. `finished`: the task execution had
    ended before this read, so once `next_offset` reaches `size` the log is complete."""

    text: str
    offset: int
    next_offset: int
    size: int
    finished: bool


@router.get("", response_model=LogOut, responses=ERRORS)
def read_log(
    ctx: Ctx,
    task_execution_id: IdPath,
    offset: ByteOffset = 0,
    limit: Annotated[
        int, Query(ge=1, le=task_logs.MAX_READ, description="bytes to read at most")
    ] = task_logs.MAX_READ,
) -> LogOut:
    chunk = task_logs.read_log(ctx.app, ctx.log_dir, task_execution_id, offset, limit)
    return LogOut(
        text=chunk.text,
        offset=chunk.offset,
        next_offset=chunk.next_offset,
        size=chunk.size,
        finished=chunk.finished,
    )


async def _follow(ctx: RestContext, task_execution_id: int, offset: int) -> AsyncIterator[Any]:
    while not ctx.closing.is_set():
        try:
            chunk = await run_in_threadpool(
                task_logs.read_log, ctx.app, ctx.log_dir, task_execution_id, offset, FOLLOW_CHUNK
            )
        except NotFoundError:  # no log yet (the try is queued), or the execution is gone
            chunk = None
        if chunk is not None and chunk.next_offset > offset:
            offset = chunk.next_offset
            yield {"id": str(offset), "event": "log", "data": json.dumps({"text": chunk.text})}
            continue  # more may be there already
        if chunk.finished if chunk else await run_in_threadpool(_ended, ctx, task_execution_id):
            break
        await asyncio.sleep(_POLL)
    yield {"event": "end", "data": json.dumps({"next_offset": offset})}


def _ended(ctx: RestContext, task_execution_id: int) -> bool:
    """The task execution has ended (or no longer exists): its log will not grow."""
    try:
        return task_logs.log_path(ctx.app, ctx.log_dir, task_execution_id)[1]
    except NotFoundError:
        return True


@router.get(
    "/follow",
    response_class=EventSourceResponse,
    responses={
        **ERRORS,
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
    },
)
def follow_log(
    ctx: Ctx,
    task_execution_id: IdPath,
    offset: ByteOffset = 0,
    last_event_id: Annotated[int | None, Header(alias="Last-Event-ID", ge=0, le=MAX_ID)] = None,
) -> EventSourceResponse:
    """Server-Sent Events: `log` events (`{"text": ...}`, `id:` the byte offset after
    them) as the log grows, then one `end` event once the task execution has ended and
    its log is read. A reconnect with `Last-Event-ID` resumes at that byte."""
    task_logs.log_path(ctx.app, ctx.log_dir, task_execution_id)  # 404 before streaming
    start = last_event_id if last_event_id is not None else offset
    return EventSourceResponse(_follow(ctx, task_execution_id, start), ping=PING_SECONDS)
