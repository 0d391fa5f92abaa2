"""/workflows and their snapshots: upload, list, show, enable, disable, delete, and the
source of each snapshot."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from ai_flow.app import listings, workflows
from ai_flow.metadata import WorkflowRow, WorkflowSnapshotRow
from ai_flow.rest._auth import READ_NAMESPACE, WRITE_NAMESPACE, Caller, owner
from ai_flow.rest._deps import Ctx
from ai_flow.rest._errors import ERRORS, ERRORS_AS_JSON
from ai_flow.rest._inputs import Text
from ai_flow.rest._paging import IdPath, PageArgs, PageOut, page_args
from notification_service.util.auth import PermissionDenied

router = APIRouter(tags=["workflows"], responses=ERRORS)
Page = Annotated[PageArgs, Depends(page_args)]
WORKFLOW = "/namespaces/{namespace}/workflows/{name}"
# A workflow file is source text; anything near this size is not one.
MAX_SOURCE = 4 << 20
SNAPSHOT_READ = owner("snapshot", "snapshot_id")


class WorkflowOut(BaseModel):
    id: int
    namespace: str
    name: str
    is_enabled: bool
    create_time: int
    update_time: int
    latest_snapshot_id: int | None
    description: dict[str, Any] | None = Field(
        None, description="the latest snapshot's workflow (tasks, rules); on show and upload"
    )


class WorkflowList(PageOut):
    workflows: list[WorkflowOut]


class UploadIn(BaseModel):
    file_name: Text = Field(min_length=1, max_length=255, examples=["my_workflow.py"])
    source: Text = Field(max_length=MAX_SOURCE, description="the workflow file's text")


class UploadOut(BaseModel):
    workflows: list[WorkflowOut]


class ArtifactOut(BaseModel):
    name: str
    uri: str
    directory: bool


class SnapshotOut(BaseModel):
    id: int
    workflow_id: int
    file_name: str
    uri: str
    signature: str
    artifacts: list[ArtifactOut]
    create_time: int


class SnapshotList(PageOut):
    snapshots: list[SnapshotOut]


def workflow_out(row: WorkflowRow, description: dict | None = None) -> WorkflowOut:
    return WorkflowOut(
        id=row.id,
        namespace=row.namespace,
        name=row.name,
        is_enabled=row.is_enabled,
        create_time=row.create_time,
        update_time=row.update_time,
        latest_snapshot_id=row.latest_snapshot_id,
        description=description,
    )


def snapshot_out(row: WorkflowSnapshotRow) -> SnapshotOut:
    return SnapshotOut(
        id=row.id,
        workflow_id=row.workflow_id,
        file_name=row.file_name,
        uri=row.uri,
        signature=row.signature,
        artifacts=[
            ArtifactOut(name=a["name"], uri=a["uri"], directory=bool(a.get("directory")))
            for a in row.artifacts or []
        ],
        create_time=row.create_time,
    )


@router.get(
    "/namespaces/{namespace}/workflows", response_model=WorkflowList, dependencies=[READ_NAMESPACE]
)
def list_workflows(ctx: Ctx, namespace: str, page: Page) -> WorkflowList:
    found = listings.workflows_page(ctx.app, namespace, page.limit, page.offset)
    return WorkflowList(
        workflows=[workflow_out(r) for r in found.items],
        total_entries=found.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/workflows", response_model=UploadOut, status_code=201)
def upload_workflows(ctx: Ctx, caller: Caller, body: UploadIn) -> UploadOut:
    """A new snapshot of every workflow the file defines (unless unchanged); the file is
    evaluated on the server, and one that does not evaluate stores nothing (422).
    With auth_tokens: a token that may write some namespace (the file runs, in a child
    process, only for such a token), and write on every namespace the file's workflows
    are in (403 and nothing stored otherwise)."""
    if not caller.writable:
        raise PermissionDenied(f"token '{caller.name}' may not write any namespace")
    uploaded = workflows.upload_workflow_source(ctx.app, body.file_name, body.source, caller)
    return UploadOut(workflows=[workflow_out(row, desc) for row, desc in uploaded])


@router.get(WORKFLOW, response_model=WorkflowOut, dependencies=[READ_NAMESPACE])
def get_workflow(ctx: Ctx, namespace: str, name: str) -> WorkflowOut:
    return workflow_out(*workflows.get_workflow(ctx.app, namespace, name))


@router.post(f"{WORKFLOW}/enable", response_model=WorkflowOut, dependencies=[WRITE_NAMESPACE])
def enable_workflow(ctx: Ctx, namespace: str, name: str) -> WorkflowOut:
    return workflow_out(workflows.set_workflow_enabled(ctx.app, namespace, name, True))


@router.post(f"{WORKFLOW}/disable", response_model=WorkflowOut, dependencies=[WRITE_NAMESPACE])
def disable_workflow(ctx: Ctx, namespace: str, name: str) -> WorkflowOut:
    """No new executions (manual, scheduled, triggered) until enabled again."""
    return workflow_out(workflows.set_workflow_enabled(ctx.app, namespace, name, False))


@router.delete(WORKFLOW, status_code=204, response_class=Response, dependencies=[WRITE_NAMESPACE])
def delete_workflow(ctx: Ctx, namespace: str, name: str) -> Response:
    """With its snapshots, executions, schedules and triggers; refused (409) while an
    execution of it is unfinished."""
    workflows.delete_workflow(ctx.app, namespace, name)
    return Response(status_code=204)


@router.get(f"{WORKFLOW}/snapshots", response_model=SnapshotList, dependencies=[READ_NAMESPACE])
def list_snapshots(ctx: Ctx, namespace: str, name: str, page: Page) -> SnapshotList:
    found = listings.snapshots_page(ctx.app, namespace, name, page.limit, page.offset)
    return SnapshotList(
        snapshots=[snapshot_out(r) for r in found.items],
        total_entries=found.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/snapshots/{snapshot_id}", response_model=SnapshotOut, dependencies=[SNAPSHOT_READ])
def get_snapshot(ctx: Ctx, snapshot_id: IdPath) -> SnapshotOut:
    return snapshot_out(workflows.get_snapshot(ctx.app, snapshot_id))


@router.get(
    "/snapshots/{snapshot_id}/source",
    response_class=PlainTextResponse,
    responses=ERRORS_AS_JSON,
    dependencies=[SNAPSHOT_READ],
)
def get_snapshot_source(ctx: Ctx, snapshot_id: IdPath) -> PlainTextResponse:
    """The workflow file of the snapshot, as uploaded."""
    _row, source = workflows.snapshot_source(ctx.app, snapshot_id)
    return PlainTextResponse(source)


@router.delete(
    "/snapshots/{snapshot_id}",
    status_code=204,
    response_class=Response,
    dependencies=[owner("snapshot", "snapshot_id", write=True)],
)
def delete_snapshot(ctx: Ctx, snapshot_id: IdPath) -> Response:
    """Refused (409) while an execution uses it or it is its workflow's latest."""
    workflows.delete_snapshot(ctx.app, snapshot_id)
    return Response(status_code=204)
