"""History retention: finished executions older than `history_retention` are purged.

An execution is purged when it finished (SUCCESS, FAILED, STOPPED), ended more than
the retention ago, and has no unfinished task run. It is deleted with everything
under it (task executions, rule state, commands, task schedules: ON DELETE CASCADE),
in batches of PURGE_BATCH per transaction; then its log and working directories are
removed. A crash between the two leaves only files behind. Decisions go with their
execution; those of no execution (trigger answers) older than the retention, and the
oldest beyond `max_decisions` rows, are deleted after.
"""

from __future__ import annotations

import logging
import shutil
import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ai_flow.metadata import decisions, executions, workflows, write_session
from notification_service.util.clock import now_ms

log = logging.getLogger(__name__)

PURGE_BATCH = 100
DECISION_LOG_MAX_ROWS = 1_000_000
TRIM_BATCH = 10_000


def purge_history(
    factory: sessionmaker[Session],
    lock: threading.Lock,
    retention: timedelta,
    aiflow_home: Path,
    log_dir: Path,
    batch: int = PURGE_BATCH,
    max_decisions: int = DECISION_LOG_MAX_ROWS,
) -> int:
    """Purge executions past the retention; returns how many were deleted."""
    cutoff = now_ms() - int(retention.total_seconds() * 1000)
    total = 0
    while True:
        with lock, write_session(factory) as session:
            rows = executions.list_expired_executions(session, cutoff, batch)
            doomed = [
                (r.id, workflows.get_workflow_by_id(session, r.workflow_id).name) for r in rows
            ]
            executions.delete_executions(session, [i for i, _ in doomed])
        for execution_id, name in doomed:
            for directory in (
                log_dir / name / str(execution_id),
                aiflow_home / "working_dir" / name / str(execution_id),
            ):
                shutil.rmtree(directory, ignore_errors=True)
        total += len(doomed)
        if len(doomed) < batch:
            break
    with lock, write_session(factory) as session:
        dropped = decisions.purge_unowned(session, cutoff)
    dropped += trim_decisions(factory, lock, max_decisions)
    if dropped:
        log.info("dropped %d decision log rows (retention, cap %d)", dropped, max_decisions)
    if total:
        log.info("purged %d workflow executions that ended before %s ago", total, retention)
    return total


def trim_decisions(factory: sessionmaker[Session], lock: threading.Lock, max_decisions: int) -> int:
    """Keep the newest `max_decisions` rows of the decision log, deleting the others in
    short transactions (the scheduler waits for the lock meanwhile)."""
    total = 0
    while True:
        with lock, write_session(factory) as session:
            dropped = decisions.trim(session, max_decisions, TRIM_BATCH)
        total += dropped
        if dropped < TRIM_BATCH:
            return total
