"""The gRPC servicer: validates requests and hands them to storage and the writer."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import grpc

from notification_service.model import DEFAULT_NAMESPACE, MAX_KEY_LENGTH, Event, EventFilter
from notification_service.proto import notification_service_pb2 as pb
from notification_service.proto import notification_service_pb2_grpc as pb_grpc
from notification_service.proto.convert import event_to_proto, filter_from_proto
from notification_service.server._ha import HaMembership
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
    ) -> None:
        self._storage = storage
        self._writer = writer
        self._notifier = notifier
        self._recent = recent
        self._ha = ha
        self._max_value_bytes = max_value_bytes
        self._max_list_limit = max_list_limit

    def SendEvent(self, request: pb.SendEventRequest, context: grpc.ServicerContext):  # noqa: N802
        (stored,) = self._store([request], context)
        return pb.SendEventResponse(event=event_to_proto(stored))

    def SendEventStream(  # noqa: N802
        self, request_iterator: Iterator[pb.SendEventRequest], context: grpc.ServicerContext
    ) -> Iterator[pb.SendEventResponse]:
        """Each request is answered (by seq) once committed; a bad one fails alone.

        A reader thread hands requests to the writer without waiting for commits, so
        several in-flight sends of one stream share a transaction; this thread only
        writes responses.
        """
        out: queue.SimpleQueue[pb.SendEventResponse | None] = queue.SimpleQueue()
        state = _StreamState()
        reader = threading.Thread(
            target=self._read_stream,
            args=(request_iterator, out, state),
            name="ns-send-stream",
            daemon=True,
        )
        reader.start()
        while True:
            try:
                item = out.get(timeout=LISTEN_RECHECK_SECONDS)
            except queue.Empty:
                if not context.is_active():
                    return
                continue
            if item is None:
                return
            yield item

    def _read_stream(
        self,
        requests: Iterator[pb.SendEventRequest],
        out: queue.SimpleQueue,
        state: _StreamState,
    ) -> None:
        try:
            for request in requests:
                seq = request.seq
                new = _new_event(request)
                problem = self._invalid(new)
                if problem:
                    out.put(
                        pb.SendEventResponse(
                            seq=seq, error_code=INVALID_ARGUMENT, error_message=problem
                        )
                    )
                    continue
                with state.lock:
                    state.pending += 1
                    alone = state.pending == 1
                reply = _StreamReply(seq, out, state)
                if alone:
                    # Nothing else of this stream in flight: commit here, skip a hand-off.
                    self._writer.commit_or_submit([new], reply)
                else:
                    self._writer.submit_callback([new], reply)
        except Exception:  # noqa: BLE001 - client gone or cancelled: the stream ends
            log.debug("send stream ended", exc_info=True)
        finally:
            with state.lock:
                state.reading = False
                if state.pending == 0:
                    out.put(None)

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
        told, told_at = cursor, 0.0  # the last progress sent, and when
        while context.is_active():
            known = self._notifier.latest
            if known > cursor:
                events = self._matching(flt, cursor, known, batch_size)
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
            if self._notifier.stopped:
                return  # shutting down: end the stream instead of spinning
            self._notifier.wait_beyond(cursor, LISTEN_RECHECK_SECONDS)

    def _matching(self, flt: EventFilter, after: int, upto: int, limit: int) -> list[Event]:
        """The first `limit` events after `after` up to `upto` that match: from memory
        when this server committed them all lately, else from the database."""
        recent = self._recent.between(after, upto)
        if recent is None:
            return self._storage.list_events(
                replace(flt, begin_offset=after, end_offset=upto), limit
            )
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

    def NotifyNewEvents(self, request: pb.NotifyNewEventsRequest, context):  # noqa: N802, ANN001
        self._notifier.advance(request.offset)
        return pb.Empty()


INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT.value[0]
UNAVAILABLE = grpc.StatusCode.UNAVAILABLE.value[0]


class _StreamState:
    """Commits still owed to one send stream; it ends when the reader is done and none are."""

    __slots__ = ("lock", "pending", "reading")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending = 0
        self.reading = True


class _StreamReply:
    """Writer callback of one streamed send: queue its response, end the stream if last."""

    __slots__ = ("seq", "out", "state")

    def __init__(self, seq: int, out: queue.SimpleQueue, state: _StreamState) -> None:
        self.seq, self.out, self.state = seq, out, state

    def __call__(self, stored: list[Event] | None, exc: BaseException | None) -> None:
        if exc is None:
            resp = pb.SendEventResponse(event=event_to_proto(stored[0]), seq=self.seq)  # type: ignore[index]
        else:
            log.error("storing events failed: %s", exc)
            resp = pb.SendEventResponse(
                seq=self.seq,
                error_code=UNAVAILABLE,
                error_message=f"could not store the event: {exc}",
            )
        out, state = self.out, self.state
        out.put(resp)
        with state.lock:
            state.pending -= 1
            if not state.reading and state.pending == 0:
                out.put(None)


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
