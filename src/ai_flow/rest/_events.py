"""/events: list and count with the notification service's filters, and a live stream."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from pydantic import BaseModel
from sse_starlette import EventSourceResponse

from ai_flow.metadata import DEFAULT_LIMIT, MAX_LIMIT
from ai_flow.rest._auth import READ_NAMESPACE
from ai_flow.rest._deps import Ctx
from ai_flow.rest._errors import ERRORS, ErrorOut
from ai_flow.rest._paging import MAX_ID
from ai_flow.rest._sse import PING_SECONDS, live_events
from notification_service.client import Event
from notification_service.model import MAX_KEY_LENGTH

# 503: the notification server, which keeps the events, is unreachable. With
# auth_tokens, reading the events of a namespace (`namespace=`) needs read on it, and
# reading every namespace's (no `namespace=`) a token that may read them all.
router = APIRouter(
    prefix="/events",
    tags=["events"],
    responses={**ERRORS, 503: {"model": ErrorOut}},
    dependencies=[READ_NAMESPACE],
)
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
MAX_KEYS = 100


class EventOut(BaseModel):
    offset: int
    key: str
    value: str | None
    namespace: str | None
    sender: str | None
    context: str | None
    create_time: int


class EventPage(BaseModel):
    """`next_after` is the cursor: pass it as `after` for the next page."""

    events: list[EventOut]
    next_after: int
    has_more: bool


class SenderCount(BaseModel):
    sender: str | None
    count: int


class EventCount(BaseModel):
    count: int
    senders: list[SenderCount]


class Filter(BaseModel):
    keys: list[str]
    key_prefixes: list[str]
    namespace: str | None
    sender: str | None


def _filter(
    key: Annotated[
        list[str],
        Query(max_length=MAX_KEYS, description="event keys (repeatable); none: every key"),
    ] = [],  # noqa: B006 - FastAPI copies defaults
    key_prefix: Annotated[
        list[str], Query(max_length=MAX_KEYS, description="keys starting with (repeatable)")
    ] = [],  # noqa: B006
    namespace: Annotated[str | None, Query(max_length=255)] = None,
    sender: Annotated[str | None, Query(max_length=255)] = None,
) -> Filter:
    too_long = [k for k in key + key_prefix if len(k) > MAX_KEY_LENGTH]
    if too_long:
        raise ValueError(f"an event key has at most {MAX_KEY_LENGTH} characters")
    return Filter(keys=key, key_prefixes=key_prefix, namespace=namespace, sender=sender)


Matching = Annotated[Filter, Depends(_filter)]


def event_out(event: Event) -> EventOut:
    return EventOut(
        offset=event.offset or 0,
        key=event.key,
        value=event.value,
        namespace=event.namespace,
        sender=event.sender,
        context=event.context,
        create_time=event.create_time or 0,
    )


@router.get("", response_model=EventPage)
def list_events(
    ctx: Ctx,
    flt: Matching,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="events after this offset")] = 0,
    end_offset: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    begin_time: Annotated[int | None, Query(ge=0, le=MAX_ID, description="epoch ms")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> EventPage:
    """In offset order, paged by cursor: offsets are the log's own order, so a page
    never shifts when new events arrive."""
    found = ctx.events.list_events(
        key=flt.keys or None,
        namespace=flt.namespace,
        sender=flt.sender,
        begin_offset=after,
        begin_time=begin_time,
        end_offset=end_offset,
        limit=limit + 1,
        key_prefixes=flt.key_prefixes or None,
    )
    page = found[:limit]
    return EventPage(
        events=[event_out(e) for e in page],
        next_after=(page[-1].offset or after) if page else after,
        has_more=len(found) > limit,
    )


@router.get("/count", response_model=EventCount)
def count_events(
    ctx: Ctx,
    flt: Matching,
    after: Offset = 0,
    end_offset: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    begin_time: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
) -> EventCount:
    if flt.key_prefixes:
        raise ValueError("count takes event keys, not key prefixes")
    total, senders = ctx.events.count_events(
        key=flt.keys or None,
        namespace=flt.namespace,
        sender=flt.sender,
        begin_offset=after,
        begin_time=begin_time,
        end_offset=end_offset,
    )
    return EventCount(
        count=total, senders=[SenderCount(sender=s, count=n) for s, n in senders.items()]
    )


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
def stream_events(
    ctx: Ctx,
    flt: Matching,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="start after this offset; none: now")
    ] = None,
    last_event_id: Annotated[int | None, Header(alias="Last-Event-ID", ge=0, le=MAX_ID)] = None,
) -> EventSourceResponse:
    """Server-Sent Events, one `event` per stored event, `id:` its offset; a reconnect
    with `Last-Event-ID` resumes right after it (it wins over `after`)."""
    start = last_event_id if last_event_id is not None else after
    if start is None:
        # Asked before the stream starts, so an unreachable notification server is a 503.
        start = ctx.events.get_latest_offset()

    def keep(event: Event) -> bool:
        return flt.sender is None or event.sender == flt.sender

    stream = live_events(ctx, start, flt.keys, flt.key_prefixes, flt.namespace, keep)
    return EventSourceResponse(stream, ping=PING_SECONDS)
