"""Workflow executions: start, stop, list, show, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from ai_flow.app import executions, listings
from ai_flow.app.access import token_name
from ai_flow.metadata import WorkflowExecutionRow, WorkflowRow
from ai_flow.rest._auth import READ_NAMESPACE, WRITE_NAMESPACE, Caller, owner
from ai_flow.rest._deps import Ctx
from ai_flow.rest._errors import ERRORS
from ai_flow.rest._paging import IdPath, PageArgs, PageOut, page_args

router = APIRouter(tags=["workflow executions"], responses=ERRORS)
EXECUTIONS = "/namespaces/{namespace}/workflows/{name}/executions"
BY_ID = "/workflow-executions/{execution_id}"


class WorkflowExecutionOut(BaseModel):
    id: int
    workflow_id: int
    namespace: str
    workflow_name: str
    snapshot_id: int
    execution_type: str
    status: str
    begin_date: int
    end_date: int | None


class WorkflowExecutionList(PageOut):
    workflow_executions: list[WorkflowExecutionOut]


class CountOut(BaseModel):
    count: int


def execution_out(row: WorkflowExecutionRow, wf: WorkflowRow) -> WorkflowExecutionOut:
    return WorkflowExecutionOut(
        id=row.id,
        workflow_id=row.workflow_id,
        namespace=wf.namespace,
        workflow_name=wf.name,
        snapshot_id=row.snapshot_id,
        execution_type=row.execution_type,
        status=row.status,
        begin_date=row.begin_date,
        end_date=row.end_date,
    )


@router.get(EXECUTIONS, response_model=WorkflowExecutionList, dependencies=[READ_NAMESPACE])
def list_workflow_executions(
    ctx: Ctx, namespace: str, name: str, page: Annotated[PageArgs, Depends(page_args)]
) -> WorkflowExecutionList:
    """Newest first."""
    found = listings.executions_page(ctx.app, namespace, name, page.limit, page.offset)
    return WorkflowExecutionList(
        workflow_executions=[execution_out(r, found.workflow) for r in found.items],
        total_entries=found.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    EXECUTIONS,
    response_model=WorkflowExecutionOut,
    status_code=201,
    dependencies=[WRITE_NAMESPACE],
)
def start_workflow_execution(
    ctx: Ctx, caller: Caller, namespace: str, name: str
) -> WorkflowExecutionOut:
    """A manual execution of the workflow's latest snapshot (409 if it is disabled)."""
    by = token_name(caller)
    return execution_out(*executions.start_execution(ctx.app, namespace, name, by))


@router.post(
    f"{EXECUTIONS}/stop", response_model=CountOut, status_code=202, dependencies=[WRITE_NAMESPACE]
)
def stop_workflow_executions(ctx: Ctx, caller: Caller, namespace: str, name: str) -> CountOut:
    """Stop every unfinished execution of the workflow; the count asked to stop."""
    count = executions.stop_executions(ctx.app, namespace, name, token_name(caller))
    return CountOut(count=count)


@router.get(
    BY_ID,
    response_model=WorkflowExecutionOut,
    dependencies=[owner("workflow_execution", "execution_id")],
)
def get_workflow_execution(ctx: Ctx, execution_id: IdPath) -> WorkflowExecutionOut:
    return execution_out(*executions.get_execution(ctx.app, execution_id))


@router.post(
    f"{BY_ID}/stop",
    status_code=202,
    response_class=Response,
    dependencies=[owner("workflow_execution", "execution_id", write=True)],
)
def stop_workflow_execution(ctx: Ctx, caller: Caller, execution_id: IdPath) -> Response:
    """Asynchronous: the execution is STOPPED once its tasks have stopped."""
    executions.stop_execution(ctx.app, execution_id, token_name(caller))
    return Response(status_code=202)


@router.delete(
    BY_ID,
    status_code=204,
    response_class=Response,
    dependencies=[owner("workflow_execution", "execution_id", write=True)],
)
def delete_workflow_execution(ctx: Ctx, execution_id: IdPath) -> Response:
    """Refused (409) while it is unfinished."""
    executions.delete_execution(ctx.app, execution_id)
    return Response(status_code=204)
