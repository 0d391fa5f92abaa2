"""Which AIFlow server schedules: the scheduling lease, renewed by a loop.

Every server serves the API; the one holding the lease (metadata/lease.py) also runs
the scheduler, the command relay, the timers and the reaper. The lease is renewed every
third of its time to live in the database's clock; a server that cannot renew in time
stops its duties before the lease can pass to another, and its epoch fences whatever it
still tries to commit. A predecessor on this host whose process is gone is taken over
at once (no wait for its lease to lapse after a crash).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

import psutil
from sqlalchemy.orm import Session, sessionmaker

from ai_flow.metadata import lease, write_session
from ai_flow.metadata.lease import LeaseHolder, LeaseLostError

log = logging.getLogger(__name__)


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _dead_local(owner: str | None) -> bool:
    """The owner ran on this host and its process is gone."""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    return not psutil.pid_exists(int(pid))


class Leadership:
    def __init__(
        self,
        factory: sessionmaker[Session],
        ttl_seconds: float,
        on_elected: Callable[[int], None],
        on_deposed: Callable[[], None],
    ) -> None:
        self._factory = factory
        self.owner = new_owner()
        self.ttl_ms = int(ttl_seconds * 1000)
        self._on_elected = on_elected
        self._on_deposed = on_deposed
        self.epoch: int | None = None
        self._renewed_at = 0.0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="af-lease", daemon=True)

    @property
    def is_leader(self) -> bool:
        return self.epoch is not None

    def try_acquire(self) -> int | None:
        """One attempt; on success the caller is elected (on_elected is not called)."""
        epoch = self._acquire()
        if epoch is not None:
            self.epoch, self._renewed_at = epoch, time.monotonic()
        return epoch

    def _acquire(self) -> int | None:
        """Take or renew the lease, or take it over from a dead owner on this host."""
        with write_session(self._factory) as session:
            epoch = lease.acquire_or_renew(session, self.owner, self.ttl_ms)
            if epoch is None:
                stale = lease.holder(session).owner
                if _dead_local(stale):
                    epoch = lease.take_over(session, stale, self.owner, self.ttl_ms)
        return epoch

    def holder(self) -> LeaseHolder:
        with write_session(self._factory) as session:
            return lease.holder(session)

    def fence(self, session: Session) -> None:
        epoch = self.epoch
        if epoch is None:
            raise LeaseLostError("this server does not hold the scheduling lease")
        lease.fence(session, epoch)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        if self.epoch is not None:
            try:
                with write_session(self._factory) as session:
                    lease.release(session, self.owner)
            except Exception:  # noqa: BLE001 - it lapses on its own
                log.warning("could not release the scheduling lease", exc_info=True)
            self.epoch = None

    def _run(self) -> None:
        interval = self.ttl_ms / 3000
        while not self._stopped.wait(interval):
            try:
                epoch = self._renew()
            except Exception:  # noqa: BLE001 - the database may be away for a moment
                log.warning("renewing the scheduling lease failed", exc_info=True)
                if self.epoch is not None and self._expiring():
                    self._depose("the lease could not be renewed in time")
                continue
            if epoch is not None and self.epoch is None:
                self.epoch = epoch
                log.info("elected to schedule (epoch %s)", epoch)
                self._on_elected(epoch)
            elif epoch is None and self.epoch is not None:
                self._depose("another server holds the lease")

    def _renew(self) -> int | None:
        epoch = self._acquire()
        if epoch is not None:
            if self.epoch is not None and epoch != self.epoch:
                self._depose("the lease passed through another server")
                return epoch
            self._renewed_at = time.monotonic()
        return epoch

    def _expiring(self) -> bool:
        # Stop well before the lease can lapse and pass to another server.
        return time.monotonic() - self._renewed_at > self.ttl_ms / 1000 * 0.7

    def _depose(self, why: str) -> None:
        log.warning("no longer scheduling: %s", why)
        self.epoch = None
        self._on_deposed()
