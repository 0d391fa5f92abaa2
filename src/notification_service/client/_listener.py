"""Listener threads: a server stream that resumes from its last offset after failover."""

from __future__ import annotations

import abc
import logging
import threading
from dataclasses import replace

import grpc

from notification_service.client._channel import RETRYABLE, FailoverChannel
from notification_service.client._errors import NotificationError, error_for
from notification_service.model import Event, EventFilter
from notification_service.proto import notification_service_pb2 as pb
from notification_service.proto.convert import event_from_proto, filter_to_proto

log = logging.getLogger(__name__)
# Not retried: the same request gets the same answer (a bad filter, a refused token).
FINAL = (
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.PERMISSION_DENIED,
)


class ListenerProcessor(abc.ABC):
    """Receives events in offset order, in batches, on the listener's own thread."""

    @abc.abstractmethod
    def process(self, events: list[Event]) -> None: ...

    def progress(self, offset: int) -> None:  # noqa: B027 - optional hook
        """Nothing else matched the listener's filter up to `offset` (in order with
        `process`). A processor that overrides this gets told as the server scans."""

    def failed(self, error: NotificationError) -> None:
        """The listener stopped for good: the server refused its filter or its token
        (InvalidRequestError, AuthenticationError, PermissionDeniedError). Called once,
        on the listener's thread; by default the error is logged."""
        log.error("listener stopped: %s", error)


def wants_progress(processor: ListenerProcessor) -> bool:
    return type(processor).progress is not ListenerProcessor.progress


class ListenerThread(threading.Thread):
    def __init__(
        self, channel: FailoverChannel, processor: ListenerProcessor, flt: EventFilter
    ) -> None:
        super().__init__(name="ns-listener", daemon=True)
        self._channel = channel
        self._processor = processor
        self._filter = flt
        self._stopping = threading.Event()
        self._call: grpc.Future | None = None
        self._lock = threading.Lock()
        self.last_offset = flt.begin_offset or 0
        #: Why the listener stopped on its own (see ListenerProcessor.failed), if it did.
        self.error: NotificationError | None = None

    def run(self) -> None:
        delay = 0.05
        while not self._stopping.is_set():
            stub, uri = self._channel.stub()
            flt = replace(self._filter, begin_offset=self.last_offset)
            if self.last_offset:
                flt = replace(flt, begin_time=None)
            with self._lock:
                if self._stopping.is_set():
                    return
                request = pb.ListenEventsRequest(
                    filter=filter_to_proto(flt), progress=wants_progress(self._processor)
                )
                self._call = stub.ListenEvents(request, metadata=self._channel.metadata)
            try:
                for batch in self._call:
                    if batch.events:
                        events = [event_from_proto(e) for e in batch.events]
                        self._deliver(events)
                        self.last_offset = events[-1].offset or self.last_offset
                    if batch.scanned_offset > self.last_offset:
                        self.last_offset = batch.scanned_offset
                        self._tell(batch.scanned_offset)
                    delay = 0.05
            except grpc.RpcError as err:
                if self._stopping.is_set() or err.code() == grpc.StatusCode.CANCELLED:
                    return
                if err.code() in FINAL:
                    self._fail(error_for(err.code(), err.details() or "", uri))
                    return
                if err.code() in RETRYABLE:
                    self._channel.rotate(uri)
                else:
                    # A server-side failure (e.g. its database): a listener such as the
                    # scheduler's must not go quiet for good, so keep trying.
                    log.error("listen stream failed (%s); retrying", err.details())
                    delay = max(delay, 1.0)
                self._stopping.wait(delay)
                delay = min(delay * 2, 5.0 if err.code() not in RETRYABLE else 1.0)

    def _deliver(self, events: list[Event]) -> None:
        try:
            self._processor.process(events)
        except Exception:  # noqa: BLE001 - a faulty processor must not end the stream
            log.exception(
                "listener processor failed on events %s..%s", events[0].offset, events[-1].offset
            )

    def _fail(self, error: NotificationError) -> None:
        self.error = error
        try:
            self._processor.failed(error)
        except Exception:  # noqa: BLE001 - the thread ends either way
            log.exception("listener processor failed on its error: %s", error)

    def _tell(self, offset: int) -> None:
        try:
            self._processor.progress(offset)
        except Exception:  # noqa: BLE001 - a faulty processor must not end the stream
            log.exception("listener processor failed on progress %s", offset)

    def stop(self) -> None:
        with self._lock:
            self._stopping.set()
            if self._call is not None:
                self._call.cancel()
        if threading.current_thread() is not self:
            self.join(timeout=5)
