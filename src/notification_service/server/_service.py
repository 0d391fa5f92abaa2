"""The gRPC servicer: validates requests and hands them to storage and the writer.

Sends are coroutines on the server's event loop (the writer commits them there); the
other calls block on the database, so gRPC runs them on its thread pool.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import grpc

from notification_service.model import DEFAULT_NAMESPACE, MAX_KEY_LENGTH, Event, EventFilter
from notification_service.proto import notification_service_pb2 as pb
from notification_service.proto import notification_service_pb2_grpc as pb_grpc
from notification_service.proto.convert import event_to_proto, filter_from_proto
from notification_service.server._ha import HaMembership
from notification_service.server._metrics import ServerStats
from notification_service.server._notifier import OffsetNotifier
from notification_service.server._recent import RecentEvents
from notification_service.server._writer import GroupCommitWriter
from notification_service.storage import EventStorage, NewEvent

log = logging.getLogger(__name__)

DEFAULT_LIST_LIMIT = 1000
DEFAULT_LISTEN_BATCH = 500
# Keep a list response well under gRPC's 4 MiB default message limit.
MAX_RESPONSE_BYTES = 3 * 1024 * 1024
LISTEN_RECHECK_SECONDS = 1.0
# At most this often a listener that asked for it hears how far its filter skipped.
PROGRESS_SECONDS = 0.2
INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT.value[0]
PERMISSION_DENIED = grpc.StatusCode.PERMISSION_DENIED.value[0]
UNAVAILABLE = grpc.StatusCode.UNAVAILABLE.value[0]
#: A send stream's answer to a request it does not store: (status code, message).
Refused = tuple[int, str]


class NotificationServicer(pb_grpc.NotificationServiceServicer):
    def __init__(
        self,
        storage: EventStorage,
        writer: GroupCommitWriter,
        notifier: OffsetNotifier,
        recent: RecentEvents,
        ha: HaMembership | None,
        max_value_bytes: int,
        max_list_limit: int,
        stats: ServerStats | None = None,
    ) -> None:
        self._stats = stats or ServerStats()
        self._storage = storage
        self._writer = writer
        self._notifier = notifier
        self._recent = recent
        self._ha = ha
        self._max_value_bytes = max_value_bytes
        self._max_list_limit = max_list_limit

    async def SendEvent(self, request: pb.SendEventRequest, context: grpc.aio.ServicerContext):  # noqa: N802
        (stored,) = await self._store([request], context)
        return pb.SendEventResponse(event=event_to_proto(stored))

    async def SendEvents(self, request: pb.SendEventsRequest, context: grpc.aio.ServicerContext):  # noqa: N802
        if not request.events:
            return pb.SendEventsResponse()
        stored = await self._store(list(request.events), context)
        return pb.SendEventsResponse(events=[event_to_proto(e) for e in stored])

    async def SendEventStream(  # noqa: N802
        self,
        request_iterator: AsyncIterator[pb.SendEventRequest],
        context: grpc.aio.ServicerContext,
        refuse: Callable[[pb.SendEventRequest], str | None] | None = None,
    ) -> None:
        """Each request is answered (by seq) once committed; a bad one fails alone.

        Reading does not wait for commits, so several in-flight sends of one stream (or
        of many) share a transaction; a second task writes the answers in order.
        `refuse` (access control, server/_auth.py) says why a request is not allowed.
        """
        answers: asyncio.Queue[tuple[int, asyncio.Future[list[Event]] | Refused] | None]
        answers = asyncio.Queue()
        responder = asyncio.ensure_future(_respond(answers, context))
        try:
            async for request in request_iterator:
                denied = refuse(request) if refuse is not None else None
                if denied is not None:
                    answers.put_nowait((request.seq, (PERMISSION_DENIED, denied)))
                    continue
                new = _new_event(request)
                problem = self._invalid(new)
                answer = (INVALID_ARGUMENT, problem) if problem else self._writer.submit([new])
                answers.put_nowait((request.seq, answer))
            answers.put_nowait(None)
            await responder
        finally:
            responder.cancel()

    async def _store(
        self, requests: list[pb.SendEventRequest], context: grpc.aio.ServicerContext
    ) -> list[Event]:
        batch = [_new_event(r) for r in requests]
        for i, new in enumerate(batch):
            problem = self._invalid(new)
            if problem:
                where = f"event {i + 1}: " if len(batch) > 1 else ""
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, where + problem)
        try:
            return await self._writer.submit(batch)
        except Exception as exc:  # noqa: BLE001 - reported to the client as a status
            problem = f"could not store the event: {exc}"
        log.error("storing events failed: %s", problem)
        await context.abort(grpc.StatusCode.UNAVAILABLE, problem)
        raise AssertionError("abort returned")  # abort always raises

    def _invalid(self, new: NewEvent) -> str | None:
        if not new.key or not new.key.strip():
            return "event key must not be empty"
        if len(new.key) > MAX_KEY_LENGTH:
            return f"event key is {len(new.key)} characters; the limit is {MAX_KEY_LENGTH}"
        if new.value is not None:
            size = len(new.value.encode())
            if size > self._max_value_bytes:
                return (
                    f"event value is {size} bytes; the limit is {self._max_value_bytes} bytes "
                    "(max_event_value_bytes)"
                )
        if len(new.namespace) > 255 or (new.sender and len(new.sender) > 255):
            return "namespace and sender must be at most 255 characters"
        if new.idempotency_id and len(new.idempotency_id) > 128:
            return "idempotency id must be at most 128 characters"
        return None

    def ListEvents(self, request: pb.ListEventsRequest, context: grpc.ServicerContext):  # noqa: N802
        if request.limit < 0:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "limit must not be negative")
        limit = min(request.limit or DEFAULT_LIST_LIMIT, self._max_list_limit)
        flt = filter_from_proto(request.filter)
        events = self._storage.list_events(flt, limit + 1)
        has_more = len(events) > limit
        fit = _fitting(events[:limit])
        has_more = has_more or fit < min(limit, len(events))
        self._stats.list_requests += 1
        self._stats.events_listed += fit
        return pb.ListEventsResponse(
            events=[event_to_proto(e) for e in events[:fit]], has_more=has_more
        )

    def CountEvents(self, request: pb.CountEventsRequest, context: grpc.ServicerContext):  # noqa: N802
        counts = self._storage.count_events(filter_from_proto(request.filter))
        return pb.CountEventsResponse(
            count=sum(counts.values()),
            sender_counts=[
                pb.SenderCount(sender=s or "", count=c) for s, c in sorted(counts.items(), key=str)
            ],
        )

    async def ListenEvents(  # noqa: N802
        self, request: pb.ListenEventsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.EventBatch]:
        """Runs on the loop (a client going away cancels it at its next await); only
        reads the in-memory recent events miss go to the database, on a thread."""
        flt = filter_from_proto(request.filter)
        batch_size = min(request.batch_size or DEFAULT_LISTEN_BATCH, self._max_list_limit)
        cursor = flt.begin_offset or 0
        if flt.begin_time is not None:
            # A time start becomes an offset start so later polls stay on the primary key.
            start = await asyncio.to_thread(self._storage.time_to_offset, flt.begin_time - 1)
            cursor = max(cursor, start)
            flt = replace(flt, begin_time=None)
        self._stats.listeners += 1
        try:
            told, told_at = cursor, 0.0  # the last progress sent, and when
            notifier = self._notifier
            while True:
                known = notifier.latest
                if known > cursor:
                    events = self._recent_matching(flt, cursor, known, batch_size)
                    if events is None:
                        events = await asyncio.to_thread(
                            self._storage.list_events,
                            replace(flt, begin_offset=cursor, end_offset=known),
                            batch_size,
                        )
                    fit = _fitting(events)
                    if events:
                        yield pb.EventBatch(events=[event_to_proto(e) for e in events[:fit]])
                        told = events[fit - 1].offset or told
                    if fit < len(events):
                        # Big events: the rest goes in the next message, not over the limit.
                        cursor = events[fit - 1].offset or cursor
                        continue
                    # A short page means nothing else matches up to `known`: skip past it.
                    cursor = (events[-1].offset or cursor) if len(events) == batch_size else known
                    continue
                if (
                    request.progress
                    and cursor > told
                    and time.monotonic() - told_at >= PROGRESS_SECONDS
                ):
                    # What the filter skipped: the listener may move past it without reading it.
                    yield pb.EventBatch(scanned_offset=cursor)
                    told, told_at = cursor, time.monotonic()
                if notifier.stopped:
                    return  # shutting down: end the stream instead of spinning
                await notifier.wait_beyond(cursor, LISTEN_RECHECK_SECONDS)
        finally:
            self._stats.listeners -= 1

    def _recent_matching(
        self, flt: EventFilter, after: int, upto: int, limit: int
    ) -> list[Event] | None:
        """The first `limit` events after `after` up to `upto` that match, when this
        server committed them all lately; None when the database must answer."""
        recent = self._recent.between(after, upto)
        if recent is None:
            return None
        found: list[Event] = []
        for event in recent:
            if flt.matches(event):
                found.append(event)
                if len(found) == limit:
                    break
        return found

    def GetLatestOffset(self, request, context):  # noqa: N802, ANN001
        return pb.OffsetResponse(offset=self._storage.latest_offset())

    def TimeToOffset(self, request: pb.TimeToOffsetRequest, context):  # noqa: N802, ANN001
        return pb.OffsetResponse(offset=self._storage.time_to_offset(request.timestamp))

    def ListMembers(self, request, context):  # noqa: N802, ANN001
        members = self._ha.members() if self._ha else []
        return pb.ListMembersResponse(
            members=[
                pb.MemberProto(server_uri=m.server_uri, update_time=m.update_time) for m in members
            ]
        )

    async def NotifyNewEvents(self, request: pb.NotifyNewEventsRequest, context):  # noqa: N802, ANN001
        self._notifier.advance(request.offset)
        return pb.Empty()


async def _respond(
    answers: asyncio.Queue[tuple[int, asyncio.Future[list[Event]] | Refused] | None],
    context: grpc.aio.ServicerContext,
) -> None:
    """Write the answers of one send stream in the order its requests came."""
    while True:
        item = await answers.get()
        if item is None:
            return
        seq, answer = item
        if isinstance(answer, tuple):
            code, message = answer
            resp = pb.SendEventResponse(seq=seq, error_code=code, error_message=message)
        else:
            try:
                (stored,) = await answer
                resp = pb.SendEventResponse(event=event_to_proto(stored), seq=seq)
            except Exception as exc:  # noqa: BLE001 - the client retries with the same id
                log.error("storing events failed: %s", exc)
                resp = pb.SendEventResponse(
                    seq=seq,
                    error_code=UNAVAILABLE,
                    error_message=f"could not store the event: {exc}",
                )
        await context.write(resp)


def _fitting(events: list[Event]) -> int:
    """How many leading events fit in one response message (always at least one)."""
    size = 0
    for i, event in enumerate(events):
        size += len(event.value or "") + len(event.context or "") + len(event.key)
        if i and size > MAX_RESPONSE_BYTES:
            return i
    return len(events)


def _new_event(request: pb.SendEventRequest) -> NewEvent:
    return NewEvent(
        key=request.key,
        value=request.value if request.HasField("value") else None,
        namespace=request.namespace or DEFAULT_NAMESPACE,
        sender=request.sender if request.HasField("sender") else None,
        context=request.context if request.HasField("context") else None,
        idempotency_id=request.idempotency_id or None,
    )
