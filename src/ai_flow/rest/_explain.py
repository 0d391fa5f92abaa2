"""Why did (or didn't) it run? The decision log's answers, and replay (a dry run).

The bodies are the dicts of `ai_flow.app.explain` and `ai_flow.app.replay`, the same
objects `ai_flow.ops` returns and the gRPC API carries as JSON.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from ai_flow.app import explain, replay
from ai_flow.app import explain_event as event_explanation
from ai_flow.rest._auth import READ_EVERYWHERE, WRITE_NAMESPACE, owner
from ai_flow.rest._deps import Ctx
from ai_flow.rest._errors import ERRORS
from ai_flow.rest._paging import MAX_ID, IdPath, PageArgs, page_args

router = APIRouter(tags=["explain"], responses=ERRORS)
TaskName = Annotated[str, Path(min_length=1, max_length=255)]
Offset = Annotated[int, Path(ge=1, le=MAX_ID)]
EXECUTION_READ = owner("workflow_execution", "execution_id")
#: The largest workflow file a replay takes (as an upload).
MAX_SOURCE = 10 * 2**20


@router.get(
    "/workflow-executions/{execution_id}/tasks/{task_name}/explain",
    dependencies=[EXECUTION_READ],
)
def explain_task_execution(ctx: Ctx, execution_id: IdPath, task_name: TaskName) -> dict[str, Any]:
    """The task's runs, each with what started and what stopped it, and, unless it runs
    now, why not: each rule's last answers and the keys it still waits for."""
    return explain.explain_task_execution(ctx.app, execution_id, task_name, ctx.events)


@router.get("/workflow-executions/{execution_id}/explain", dependencies=[EXECUTION_READ])
def explain_workflow_execution(
    ctx: Ctx, execution_id: IdPath, page: Annotated[PageArgs, Depends(page_args)]
) -> dict[str, Any]:
    """What started the execution, and its decisions newest first (paged)."""
    return explain.explain_workflow_execution(ctx.app, execution_id, page.limit, page.offset)


@router.get("/events/{offset}/explain", dependencies=[READ_EVERYWHERE])
def explain_event(ctx: Ctx, offset: Offset) -> dict[str, Any]:
    """Where the event went (executions, triggers, rules, answers, actions), or why it
    went nowhere. What it reached may be in any namespace: read on all of them."""
    return event_explanation.explain_event(ctx.app, offset, reader=ctx.events)


class ReplayIn(BaseModel):
    file_name: str = Field(min_length=1, max_length=255, examples=["my_workflow.py"])
    source: str = Field(max_length=MAX_SOURCE, description="the workflow file's text")
    workflow: str | None = Field(None, description="which workflow of the file")
    from_offset: int | None = Field(None, ge=0, description="replay the events after it")
    from_time: int | None = Field(None, ge=0, description="or from this time (epoch ms)")
    to_offset: int | None = Field(None, ge=0, description="up to this offset")


@router.post("/namespaces/{namespace}/replay", dependencies=[WRITE_NAMESPACE])
def replay_workflow(ctx: Ctx, namespace: str, body: ReplayIn) -> dict[str, Any]:
    """A dry run of the file over the namespace's stored events, as if an execution had
    started at the first of them; nothing on the server changes. The file runs (in
    child processes), hence write on the namespace."""
    return replay.replay_workflow(
        ctx.app,
        body.file_name,
        body.source,
        namespace,
        body.workflow,
        body.from_offset,
        body.from_time,
        body.to_offset,
        reader=ctx.events,
    )
