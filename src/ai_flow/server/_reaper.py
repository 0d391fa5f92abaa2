"""The reaper: cancels engine jobs that outlived their try.

A try records its Flink or Spark job as soon as it knows it, and says when the job
ended. When a try is over without that (its process was killed, it timed out, the host
died, or a retry replaced it), the job may still run on the cluster; this loop finds
such records and cancels the jobs through the engines' REST APIs. Cancelling is
idempotent, so a record is retried until the engine confirms the job is gone.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ai_flow.app import App, external_jobs
from ai_flow.app.external_jobs import OrphanedJob
from ai_flow.engines import EngineError, ExternalJob, cancel_external_job

log = logging.getLogger(__name__)


class JobReaper:
    def __init__(self, app: App, interval: float = 2.0, max_backoff: float = 60.0) -> None:
        self._app = app
        self.interval = interval
        self.max_backoff = max_backoff
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="af-reaper")
        self._busy: set[tuple[int, int]] = set()
        self._retry_at: dict[tuple[int, int], tuple[float, float]] = {}  # (when, backoff)
        self._stopped = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="af-reaper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def reap_once(self) -> int:
        """Hand each orphaned job not already in hand to the pool; returns how many."""
        now = time.monotonic()
        handed = 0
        for job in external_jobs.orphaned_jobs(self._app):
            key = (job.task_execution_id, job.try_number)
            if key in self._busy or self._retry_at.get(key, (0.0, 0.0))[0] > now:
                continue
            self._busy.add(key)  # before submitting: _reap discards it when done
            self._pool.submit(self._reap, job)
            handed += 1
        return handed

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                self.reap_once()
            except Exception:  # noqa: BLE001 - the database may be briefly away
                log.exception("reaper pass failed")
            self._wake.wait(self.interval)
            self._wake.clear()

    def _reap(self, job: OrphanedJob) -> None:
        key = (job.task_execution_id, job.try_number)
        try:
            self._cancel(job, key)
        finally:
            self._busy.discard(key)

    def _cancel(self, job: OrphanedJob, key: tuple[int, int]) -> None:
        try:
            external = ExternalJob.from_json(job.external_job)
        except (ValueError, KeyError, TypeError):
            log.error("task execution %s: unreadable external job record", key[0])
            external_jobs.mark_reaped(self._app, job)
            return
        try:
            outcome = cancel_external_job(external)
        except EngineError as exc:
            _, backoff = self._retry_at.get(key, (0.0, self.interval))
            backoff = min(backoff * 2, self.max_backoff)
            self._retry_at[key] = (time.monotonic() + backoff, backoff)
            log.warning(
                "task execution %s: cannot cancel %s yet (retry in %.0fs): %s",
                key[0],
                external.describe(),
                backoff,
                exc,
            )
            return
        self._retry_at.pop(key, None)
        if external_jobs.mark_reaped(self._app, job):
            log.info(
                "task execution %s try %s: %s %s", key[0], key[1], external.describe(), outcome
            )
