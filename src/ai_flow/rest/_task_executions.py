"""Task executions: list, show, start, stop; with the engine job each one runs and its
last savepoint."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, Field

from ai_flow.app import executions, listings
from ai_flow.app.access import token_name
from ai_flow.metadata import TaskExecutionRow
from ai_flow.rest._auth import Caller, owner
from ai_flow.rest._deps import Ctx
from ai_flow.rest._errors import ERRORS
from ai_flow.rest._paging import IdPath, PageArgs, PageOut, page_args

router = APIRouter(tags=["task executions"], responses=ERRORS)
TaskName = Annotated[str, Path(min_length=1, max_length=255)]
TASK = "/workflow-executions/{execution_id}/tasks/{task_name}"
EXECUTION_WRITE = owner("workflow_execution", "execution_id", write=True)


class TaskExecutionOut(BaseModel):
    id: int
    workflow_execution_id: int
    task_name: str
    sequence_number: int
    try_number: int
    execution_type: str
    status: str
    begin_date: int | None
    end_date: int | None
    error: str | None
    host: str | None
    pid: int | None
    stop_reason: str | None
    external_job: dict[str, Any] | None = Field(
        description="the engine job (Flink, Spark, ...) the task runs or ran: kind, job_id, ..."
    )
    external_job_try: int | None
    external_job_active: bool = Field(description="the job may still run on its engine")
    savepoint: str | None = Field(description="the last savepoint taken, resumed by a retry")


class TryOut(BaseModel):
    try_number: int
    status: str
    begin_date: int | None = Field(description="when its process claimed the try")
    end_date: int | None
    host: str | None
    pid: int | None
    error: str | None
    current: bool = Field(description="the try the task execution is at now")


class TryHistory(BaseModel):
    task_execution_id: int
    tries: list[TryOut]


class TaskExecutionList(PageOut):
    task_executions: list[TaskExecutionOut]


def _job(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        job = json.loads(text)
    except ValueError:
        return {"raw": text}  # recorded by an older runtime: still worth showing
    return job if isinstance(job, dict) else {"raw": text}


def task_execution_out(row: TaskExecutionRow) -> TaskExecutionOut:
    return TaskExecutionOut(
        id=row.id,
        workflow_execution_id=row.workflow_execution_id,
        task_name=row.task_name,
        sequence_number=row.sequence_number,
        try_number=row.try_number,
        execution_type=row.execution_type,
        status=row.status,
        begin_date=row.begin_date,
        end_date=row.end_date,
        error=row.error,
        host=row.host,
        pid=row.pid,
        stop_reason=row.stop_reason,
        external_job=_job(row.external_job),
        external_job_try=row.external_job_try,
        external_job_active=bool(row.external_job_active),
        savepoint=row.savepoint,
    )


@router.get(
    "/workflow-executions/{execution_id}/task-executions",
    response_model=TaskExecutionList,
    dependencies=[owner("workflow_execution", "execution_id")],
)
def list_task_executions(
    ctx: Ctx, execution_id: IdPath, page: Annotated[PageArgs, Depends(page_args)]
) -> TaskExecutionList:
    """In creation order: every run of every task (a task re-run has a new sequence
    number; a retry of the same run a new try number on the same entry)."""
    found = listings.task_executions_page(ctx.app, execution_id, page.limit, page.offset)
    return TaskExecutionList(
        task_executions=[task_execution_out(r) for r in found.items],
        total_entries=found.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/task-executions/{task_execution_id}",
    response_model=TaskExecutionOut,
    dependencies=[owner("task_execution", "task_execution_id")],
)
def get_task_execution(ctx: Ctx, task_execution_id: IdPath) -> TaskExecutionOut:
    return task_execution_out(executions.get_task_execution(ctx.app, task_execution_id))


@router.get(
    "/task-executions/{task_execution_id}/tries",
    response_model=TryHistory,
    dependencies=[owner("task_execution", "task_execution_id")],
)
def list_tries(ctx: Ctx, task_execution_id: IdPath) -> TryHistory:
    """Every try of the task execution, oldest first: those that failed and were
    retried, then the current one."""
    row, ended = executions.list_tries(ctx.app, task_execution_id)
    tries = [
        TryOut(
            try_number=t.try_number,
            status=t.status,
            begin_date=t.begin_date,
            end_date=t.end_date,
            host=t.host,
            pid=t.pid,
            error=t.error,
            current=False,
        )
        for t in ended
    ]
    claimed = row.claimed_try == row.try_number
    tries.append(
        TryOut(
            try_number=row.try_number,
            status=row.status,
            begin_date=row.try_start_time if claimed else None,
            end_date=row.end_date,
            host=row.host if claimed else None,
            pid=row.pid if claimed else None,
            error=row.error if row.status == "FAILED" else None,
            current=True,
        )
    )
    return TryHistory(task_execution_id=row.id, tries=tries)


@router.post(
    f"{TASK}/start",
    response_model=TaskExecutionOut,
    status_code=201,
    dependencies=[EXECUTION_WRITE],
)
def start_task_execution(
    ctx: Ctx, caller: Caller, execution_id: IdPath, task_name: TaskName
) -> TaskExecutionOut:
    """A new run of the task unless one is alive (then that one)."""
    row = executions.start_task_execution(ctx.app, execution_id, task_name, token_name(caller))
    return task_execution_out(row)


@router.post(
    f"{TASK}/stop", status_code=202, response_class=Response, dependencies=[EXECUTION_WRITE]
)
def stop_task_execution(
    ctx: Ctx, caller: Caller, execution_id: IdPath, task_name: TaskName
) -> Response:
    """Asynchronous; 409 when the task has no running execution."""
    executions.stop_task_execution(ctx.app, execution_id, task_name, token_name(caller))
    return Response(status_code=202)
