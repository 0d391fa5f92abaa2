"""Workflow schedules and triggers: add, list, show, pause, resume, delete."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from ai_flow.app import listings, timers
from ai_flow.metadata import WorkflowRow, WorkflowScheduleRow, WorkflowTriggerRow
from ai_flow.rest._auth import READ_NAMESPACE, WRITE_NAMESPACE, owner
from ai_flow.rest._deps import Ctx
from ai_flow.rest._errors import ERRORS
from ai_flow.rest._inputs import Text
from ai_flow.rest._paging import IdPath, PageArgs, PageOut, page_args

router = APIRouter(responses=ERRORS)
Page = Annotated[PageArgs, Depends(page_args)]
WORKFLOW = "/namespaces/{namespace}/workflows/{name}"
SCHEDULES: list[str | Enum] = ["schedules"]
TRIGGERS: list[str | Enum] = ["triggers"]
SCHEDULE_WRITE = owner("schedule", "schedule_id", write=True)
TRIGGER_WRITE = owner("trigger", "trigger_id", write=True)


class ScheduleOut(BaseModel):
    id: int
    workflow_id: int
    namespace: str
    workflow_name: str
    expression: str
    is_paused: bool
    create_time: int
    last_fire_time: int | None
    next_fire_time: int | None


class ScheduleList(PageOut):
    schedules: list[ScheduleOut]


class ScheduleIn(BaseModel):
    expression: Text = Field(
        min_length=1,
        max_length=255,
        description="cron@<cron expression> or interval@<days,hours,minutes,seconds>",
        examples=["cron@*/5 * * * *"],
    )


class TriggerOut(BaseModel):
    id: int
    workflow_id: int
    namespace: str
    workflow_name: str
    rule: str
    is_paused: bool
    create_time: int


class TriggerList(PageOut):
    triggers: list[TriggerOut]


class TriggerIn(BaseModel):
    rule: Text = Field(min_length=1, max_length=1 << 20, description="a serialised WorkflowRule")


def schedule_out(row: WorkflowScheduleRow, wf: WorkflowRow) -> ScheduleOut:
    return ScheduleOut(
        id=row.id,
        workflow_id=row.workflow_id,
        namespace=wf.namespace,
        workflow_name=wf.name,
        expression=row.expression,
        is_paused=row.is_paused,
        create_time=row.create_time,
        last_fire_time=row.last_fire_time,
        next_fire_time=row.next_fire_time,
    )


def trigger_out(row: WorkflowTriggerRow, wf: WorkflowRow) -> TriggerOut:
    return TriggerOut(
        id=row.id,
        workflow_id=row.workflow_id,
        namespace=wf.namespace,
        workflow_name=wf.name,
        rule=row.rule,
        is_paused=row.is_paused,
        create_time=row.create_time,
    )


# Schedules


@router.get(
    f"{WORKFLOW}/schedules",
    response_model=ScheduleList,
    tags=SCHEDULES,
    dependencies=[READ_NAMESPACE],
)
def list_schedules(ctx: Ctx, namespace: str, name: str, page: Page) -> ScheduleList:
    found = listings.schedules_page(ctx.app, namespace, name, page.limit, page.offset)
    return ScheduleList(
        schedules=[schedule_out(r, found.workflow) for r in found.items],
        total_entries=found.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    f"{WORKFLOW}/schedules",
    response_model=ScheduleOut,
    status_code=201,
    tags=SCHEDULES,
    dependencies=[WRITE_NAMESPACE],
)
def add_schedule(ctx: Ctx, namespace: str, name: str, body: ScheduleIn) -> ScheduleOut:
    return schedule_out(*timers.add_schedule(ctx.app, namespace, name, body.expression))


@router.get(
    "/schedules/{schedule_id}",
    response_model=ScheduleOut,
    tags=SCHEDULES,
    dependencies=[owner("schedule", "schedule_id")],
)
def get_schedule(ctx: Ctx, schedule_id: IdPath) -> ScheduleOut:
    return schedule_out(*timers.get_schedule(ctx.app, schedule_id))


@router.post(
    "/schedules/{schedule_id}/pause",
    response_model=ScheduleOut,
    tags=SCHEDULES,
    dependencies=[SCHEDULE_WRITE],
)
def pause_schedule(ctx: Ctx, schedule_id: IdPath) -> ScheduleOut:
    return schedule_out(*timers.set_schedule_paused(ctx.app, schedule_id, True))


@router.post(
    "/schedules/{schedule_id}/resume",
    response_model=ScheduleOut,
    tags=SCHEDULES,
    dependencies=[SCHEDULE_WRITE],
)
def resume_schedule(ctx: Ctx, schedule_id: IdPath) -> ScheduleOut:
    return schedule_out(*timers.set_schedule_paused(ctx.app, schedule_id, False))


@router.delete(
    "/schedules/{schedule_id}",
    status_code=204,
    response_class=Response,
    tags=SCHEDULES,
    dependencies=[SCHEDULE_WRITE],
)
def delete_schedule(ctx: Ctx, schedule_id: IdPath) -> Response:
    timers.delete_schedule(ctx.app, schedule_id)
    return Response(status_code=204)


# Triggers


@router.get(
    f"{WORKFLOW}/triggers", response_model=TriggerList, tags=TRIGGERS, dependencies=[READ_NAMESPACE]
)
def list_triggers(ctx: Ctx, namespace: str, name: str, page: Page) -> TriggerList:
    found = listings.triggers_page(ctx.app, namespace, name, page.limit, page.offset)
    return TriggerList(
        triggers=[trigger_out(r, found.workflow) for r in found.items],
        total_entries=found.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    f"{WORKFLOW}/triggers",
    response_model=TriggerOut,
    status_code=201,
    tags=TRIGGERS,
    dependencies=[WRITE_NAMESPACE],
)
def add_trigger(ctx: Ctx, namespace: str, name: str, body: TriggerIn) -> TriggerOut:
    """Refused (422) when the rule cannot be restored against the latest snapshot."""
    return trigger_out(*timers.add_trigger(ctx.app, namespace, name, body.rule))


@router.get(
    "/triggers/{trigger_id}",
    response_model=TriggerOut,
    tags=TRIGGERS,
    dependencies=[owner("trigger", "trigger_id")],
)
def get_trigger(ctx: Ctx, trigger_id: IdPath) -> TriggerOut:
    return trigger_out(*timers.get_trigger(ctx.app, trigger_id))


@router.post(
    "/triggers/{trigger_id}/pause",
    response_model=TriggerOut,
    tags=TRIGGERS,
    dependencies=[TRIGGER_WRITE],
)
def pause_trigger(ctx: Ctx, trigger_id: IdPath) -> TriggerOut:
    return trigger_out(*timers.set_trigger_paused(ctx.app, trigger_id, True))


@router.post(
    "/triggers/{trigger_id}/resume",
    response_model=TriggerOut,
    tags=TRIGGERS,
    dependencies=[TRIGGER_WRITE],
)
def resume_trigger(ctx: Ctx, trigger_id: IdPath) -> TriggerOut:
    return trigger_out(*timers.set_trigger_paused(ctx.app, trigger_id, False))


@router.delete(
    "/triggers/{trigger_id}",
    status_code=204,
    response_class=Response,
    tags=TRIGGERS,
    dependencies=[TRIGGER_WRITE],
)
def delete_trigger(ctx: Ctx, trigger_id: IdPath) -> Response:
    timers.delete_trigger(ctx.app, trigger_id)
    return Response(status_code=204)
