"""The scheduler loop: events from the committed offset, one transaction per batch.

Each batch is looked ahead first (user conditions evaluated in their evaluator
processes, outside any transaction), then applied in one transaction with the new
offset. A batch whose look-ahead went stale part-way commits the events before that
point and looks ahead again from there.

The stream is filtered on what anything running expects (`_stream.py`); progress past
events nobody expects moves the offset in a small transaction of its own. Every
transaction checks the keys version first: if the interest changed, nothing is
committed and the stream opens again from the committed offset.

A batch that keeps failing for another reason is retried event by event; an event that
fails every time on its own is skipped: recorded in `af_scheduler_error` with its error,
in the transaction that advances the offset past it. Database outages are never a reason
to skip: they are retried until the database answers.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from ai_flow.metadata import decisions, offsets, read_session, scheduler_errors, write_session
from ai_flow.metadata.lease import LeaseLostError
from ai_flow.scheduler._lookup import Speculation, SpeculationMiss
from ai_flow.scheduler._processor import EventProcessor, execution_id_of
from ai_flow.scheduler._reports import parse_report
from ai_flow.scheduler._snapshots import SnapshotStore
from ai_flow.scheduler._speculation import Speculator
from ai_flow.scheduler._stats import SchedulerStats
from ai_flow.scheduler._stream import EventStream, StreamRefusedError
from notification_service.model import Event
from notification_service.util.clock import now

log = logging.getLogger(__name__)

MAX_BATCH = 500
#: Tries of a failing batch, then of each of its events alone, before an event is skipped.
ATTEMPTS = 3
#: Seconds between attempts to listen while the notification server refuses the token.
REFUSED_RETRY_SECONDS = 10
_TRANSIENT = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)


class _KeysChanged(Exception):
    """The interest changed since the stream was opened: reopen, commit nothing."""


def error_summary(exc: BaseException) -> str:
    """`Type: message` and where it was raised (innermost frames), for the error log."""
    frames = traceback.extract_tb(exc.__traceback__)[-4:]
    where = "; ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in frames)
    return f"{type(exc).__name__}: {exc}"[:3000] + (f" (at {where})" if where else "")


class Scheduler:
    """Consumes the notification stream and hands commands to the executor.

    `lock` serialises scheduling writes with the API's (start/stop requests), so a
    decision such as "start unless alive" never races another writer in this server.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        processor: EventProcessor,
        speculator: Speculator,
        snapshots: SnapshotStore,
        notification_uri: str,
        lock: threading.Lock,
        on_committed: Callable[[], None],
        fence: Callable[[Session], None] | None = None,
        stats: SchedulerStats | None = None,
        notification_token: str | None = None,
    ) -> None:
        self._factory = factory
        self.stats = stats or SchedulerStats()
        # Checks, on the locked offset row, that this server still holds the scheduling
        # lease (HA): a deposed server never commits a decision.
        self._fence = fence or (lambda _session: None)
        self._processor = processor
        self._speculator = speculator
        self._lock = lock
        self._on_committed = on_committed
        self._stream = EventStream(factory, snapshots, notification_uri, notification_token)
        self._reopen = False
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="af-scheduler", daemon=True)
        self.committed_offset = 0

    def start(self) -> None:
        with read_session(self._factory) as session:
            self.committed_offset = offsets.get_offset(session)
        self._stream.open(self.committed_offset)
        self._thread.start()
        log.info("scheduler started from event offset %s", self.committed_offset)

    def stop(self) -> None:
        self._stopped.set()
        self._stream.close()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                self._step()
            except LeaseLostError:
                log.warning("scheduling lease lost: this server stops scheduling")
                self._stopped.set()
            except _TRANSIENT:
                log.exception("the metadata database failed; retrying")
                self._pause(1)
            except StreamRefusedError as exc:
                # A token fixed in either config needs no restart of this server.
                log.error("the notification server refused the scheduler: %s; retrying", exc)
                self._reopen = True
                self._pause(REFUSED_RETRY_SECONDS)

    def _step(self) -> None:
        if self._reopen:
            self._reopen = False
            self._stream.open(self.committed_offset)
        batch, progress = self._stream.next_batch(MAX_BATCH, timeout=0.5)
        # A reopened stream may repeat what is already committed.
        batch = [e for e in batch if e.offset is not None and e.offset > self.committed_offset]
        if batch:
            self.commit(batch)
        if progress is not None and not self._reopen:
            self._advance(progress)

    def _advance(self, offset: int) -> None:
        """Move past events the filter skipped, up to `offset`, without reading them."""
        if offset <= self.committed_offset:
            return
        with self._lock, write_session(self._factory) as session:
            stored, version = offsets.lock_offset(session)
            self._fence(session)
            if version != self._stream.interest.version:
                self._reopen = True
                return
            if offset > stored:
                offsets.set_offset(session, offset)
                # Offsets are dense: every one skipped is an event nothing expected.
                decisions.count_unreached(session, offset - stored)
        self.committed_offset = max(stored, offset)

    # Committing

    def commit(self, events: list[Event]) -> None:
        """Apply `events` (in offset order), retrying until each is applied or skipped."""
        failures = 0  # of the batch; from ATTEMPTS on, events go one by one
        while events and not self._stopped.is_set() and not self._reopen:
            try:
                if failures < ATTEMPTS:
                    done = self._round(events)
                else:
                    done = 1
                    if self._alone(events[0]):
                        failures = 0  # the culprit is out: back to whole batches
            except _KeysChanged:
                self._reopen = True  # the rest comes again through the new filter
                return
            except LeaseLostError:
                raise
            except _TRANSIENT:
                log.exception("the metadata database failed; retrying")
                self._pause(failures)
                continue
            except Exception:  # noqa: BLE001 - retried, then narrowed to one event
                failures += 1
                log.exception("scheduling %d event(s) failed (attempt %d)", len(events), failures)
                self._pause(failures)
                continue
            events = events[done:]
            if failures < ATTEMPTS:
                failures = 0

    def _pause(self, failures: int) -> None:
        self._stopped.wait(min(0.1 * 2 ** min(failures, 6), 5.0))

    def _alone(self, event: Event) -> bool:
        """One event on its own: applied, or skipped after ATTEMPTS failures (True)."""
        error: Exception | None = None
        for attempt in range(ATTEMPTS):
            try:
                self._round([event])
                return False
            except (*_TRANSIENT, _KeysChanged, LeaseLostError):
                raise
            except Exception as exc:  # noqa: BLE001 - the event itself is the suspect
                error = exc
                log.exception("event %s failed on its own (attempt %d)", event.offset, attempt + 1)
                self._pause(attempt)
        assert error is not None
        self._skip(event, error)
        return True

    def _skip(self, event: Event, error: Exception) -> None:
        assert event.offset is not None
        summary = error_summary(error)
        with self._lock, write_session(self._factory) as session:
            stored, version = offsets.lock_offset(session)
            self._fence(session)
            if version != self._stream.interest.version:
                raise _KeysChanged
            if event.offset > stored:
                scheduler_errors.record_error(
                    session,
                    event.offset,
                    event.key,
                    event.namespace,
                    execution_id_of(event),
                    summary,
                )
                offsets.set_offset(session, event.offset)
                self.stats.skipped_events += 1
        self.committed_offset = max(self.committed_offset, event.offset)
        log.error("skipped event %s (key %r): %s", event.offset, event.key, summary)

    def _count(self, events: list[Event], decided: bool) -> None:
        stats = self.stats
        stats.events += len(events)
        stats.batches += 1
        for event in events:
            report = parse_report(event)
            if report is not None:
                stats.task_reports[report.status.value] += 1
        if decided:
            oldest = min((e.create_time for e in events if e.create_time), default=None)
            if oldest is not None:
                stats.latency.observe(max(0.0, now() - oldest / 1000))

    def _look_ahead(self, events: list[Event]) -> Speculation:
        if not self._stream.interest.user_code:
            return self._speculator.empty()  # no user condition anywhere: nothing to ask
        return self._speculator.speculate(events)

    def _round(self, events: list[Event]) -> int:
        """Commit a prefix of `events` (at least one event); returns its length."""
        spec = self._look_ahead(events)
        count = len(events)
        while True:
            try:
                return self._transaction(events[:count], spec)
            except SpeculationMiss as miss:
                if miss.index == 0:
                    break
                count = miss.index  # commit what was foreseen, look ahead from there
        # Stale from the very first event: look ahead again while holding the lock, so
        # no other writer changes what the answers depend on in between.
        locked: list[Speculation] = []

        def under_lock() -> Speculation:
            locked.append(self._speculator.speculate(events[:1]))
            return locked[0]

        try:
            return self._transaction(events[:1], under_lock)
        except SpeculationMiss:
            pass
        # Last resort: an answer depends on what an earlier rule of this same event did;
        # compute the missing answers on the spot, for this one event.
        locked[0].sync = True
        return self._transaction(events[:1], locked[0])

    def _transaction(
        self, events: list[Event], spec: Speculation | Callable[[], Speculation]
    ) -> int:
        with self._lock:
            lookup = spec() if callable(spec) else spec
            with write_session(self._factory) as session:
                stored, version = offsets.lock_offset(session)
                self._fence(session)
                if version != self._stream.interest.version:
                    raise _KeysChanged
                todo = [e for e in events if e.offset is not None and e.offset > stored]
                skipped = len(events) - len(todo)
                done = 0
                decided = False
                if todo:
                    try:
                        done = self._processor.process(session, todo, lookup)
                    except SpeculationMiss as miss:
                        raise SpeculationMiss(miss.index + skipped) from None
                    offsets.set_offset(session, todo[done - 1].offset)  # type: ignore[arg-type]
                decided = bool(session.info.get("commands_added"))
        if todo:
            self._count(todo[:done], decided)
        if done < len(todo):
            self._reopen = True  # a trigger started an execution: read its keys too
        last = (todo[done - 1] if todo else events[-1]).offset or 0
        self.committed_offset = max(stored, last)
        self._on_committed()
        return skipped + done
