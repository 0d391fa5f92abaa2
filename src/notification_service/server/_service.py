"""The gRPC servicer: validates requests and hands them to storage and the writer."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace

import grpc

from notification_service.model import DEFAULT_NAMESPACE, MAX_KEY_LENGTH, Event
from notification_service.proto import notification_service_pb2 as pb
from notification_service.proto import notification_service_pb2_grpc as pb_grpc
from notification_service.proto.convert import event_to_proto, filter_from_proto
from notification_service.server._ha import HaMembership
from notification_service.server._notifier import OffsetNotifier
from notification_service.server._writer import GroupCommitWriter
from notification_service.storage import EventStorage, NewEvent

log = logging.getLogger(__name__)

DEFAULT_LIST_LIMIT = 1000
DEFAULT_LISTEN_BATCH = 500
# Keep a list response well under gRPC's 4 MiB default message limit.
MAX_RESPONSE_BYTES = 3 * 1024 * 1024
LISTEN_RECHECK_SECONDS = 1.0


class NotificationServicer(pb_grpc.NotificationServiceServicer):
    def __init__(
        self,
        storage: EventStorage,
        writer: GroupCommitWriter,
        notifier: OffsetNotifier,
        ha: HaMembership | None,
        max_value_bytes: int,
        max_list_limit: int,
    ) -> None:
        self._storage = storage
        self._writer = writer
        self._notifier = notifier
        self._ha = ha
        self._max_value_bytes = max_value_bytes
        self._max_list_limit = max_list_limit

    def SendEvent(self, request: pb.SendEventRequest, context: grpc.ServicerContext):  # noqa: N802
        (stored,) = self._store([request], context)
        return pb.SendEventResponse(event=event_to_proto(stored))

    def SendEvents(self, request: pb.SendEventsRequest, context: grpc.ServicerContext):  # noqa: N802
        if not request.events:
            return pb.SendEventsResponse()
        stored = self._store(list(request.events), context)
        return pb.SendEventsResponse(events=[event_to_proto(e) for e in stored])

    def _store(self, requests: list[pb.SendEventRequest], context: grpc.ServicerContext):
        batch = [_new_event(r) for r in requests]
        for i, new in enumerate(batch):
            problem = self._invalid(new)
            if problem:
                where = f"event {i + 1}: " if len(batch) > 1 else ""
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, where + problem)
        try:
            return self._writer.submit(batch).result()
        except Exception as exc:  # noqa: BLE001 - reported to the client as a status
            log.error("storing events failed: %s", exc)
            context.abort(grpc.StatusCode.UNAVAILABLE, f"could not store the event: {exc}")

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

    def ListenEvents(  # noqa: N802
        self, request: pb.ListenEventsRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.EventBatch]:
        flt = filter_from_proto(request.filter)
        batch_size = min(request.batch_size or DEFAULT_LISTEN_BATCH, self._max_list_limit)
        cursor = flt.begin_offset or 0
        if flt.begin_time is not None:
            # A time start becomes an offset start so later polls stay on the primary key.
            cursor = max(cursor, self._storage.time_to_offset(flt.begin_time - 1))
            flt = replace(flt, begin_time=None)
        while context.is_active():
            known = self._notifier.latest
            if known > cursor:
                events = self._storage.list_events(
                    replace(flt, begin_offset=cursor, end_offset=known), batch_size
                )
                fit = _fitting(events)
                if events:
                    yield pb.EventBatch(events=[event_to_proto(e) for e in events[:fit]])
                if fit < len(events):
                    # Big events: the rest goes in the next message, not over the limit.
                    cursor = events[fit - 1].offset
                    continue
                # A short page means nothing else matches up to `known`: skip past it.
                cursor = events[-1].offset if len(events) == batch_size else known
                continue
            if self._notifier.stopped:
                return  # shutting down: end the stream instead of spinning
            self._notifier.wait_beyond(cursor, LISTEN_RECHECK_SECONDS)

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

    def NotifyNewEvents(self, request: pb.NotifyNewEventsRequest, context):  # noqa: N802, ANN001
        self._notifier.advance(request.offset)
        return pb.Empty()


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
