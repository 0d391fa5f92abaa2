"""/health: the database, the notification server, the scheduler's lag, who schedules."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ai_flow.app import health
from ai_flow.rest._deps import Ctx

router = APIRouter(tags=["health"])


class PartOut(BaseModel):
    status: str = Field(description="healthy or unhealthy")
    error: str | None = None


class SchedulerOut(BaseModel):
    committed_offset: int | None
    latest_offset: int | None
    lag: int | None = Field(description="events stored but not yet committed by the scheduler")
    lease_holder: str | None = Field(description="the server that schedules (host:pid:id)")
    lease_epoch: int | None
    lease_live: bool


class HealthOut(BaseModel):
    status: str
    database: PartOut
    notification_server: PartOut
    scheduler: SchedulerOut


def _part(error: str | None) -> PartOut:
    return PartOut(status="unhealthy" if error else "healthy", error=error)


@router.get("/health", response_model=HealthOut, responses={503: {"model": HealthOut}})
def get_health(ctx: Ctx) -> JSONResponse:
    """200 when healthy, 503 (with the same body) when a part is not."""
    found = health.check_health(ctx.app, ctx.events.get_latest_offset)
    body = HealthOut(
        status="healthy" if found.healthy else "unhealthy",
        database=_part(found.database_error),
        notification_server=_part(found.notification_error),
        scheduler=SchedulerOut(
            committed_offset=found.committed_offset,
            latest_offset=found.latest_offset,
            lag=found.scheduler_lag,
            lease_holder=found.lease_owner,
            lease_epoch=found.lease_epoch,
            lease_live=found.lease_live,
        ),
    )
    return JSONResponse(body.model_dump(), status_code=200 if found.healthy else 503)
