"""Snapshots as the server sees them: their stored plans, and their files on local disk
for the evaluator processes (the server itself never runs a workflow file).

An execution always runs the snapshot it started with: files are fetched per snapshot
id and never overwritten, and plans are cached by snapshot id (a snapshot never changes).
"""

from __future__ import annotations

import threading
from pathlib import Path

from ai_flow.blob_manager import Artifact, BlobManager, SnapshotFiles, fetch_snapshot
from ai_flow.metadata import WorkflowSnapshotRow
from ai_flow.scheduler._plan import WorkflowPlan

_MAX_PLANS = 4096


def snapshot_files(row: WorkflowSnapshotRow) -> SnapshotFiles:
    return SnapshotFiles(
        snapshot_id=row.id,
        file_name=row.file_name,
        uri=row.uri,
        artifacts=tuple(Artifact.from_dict(a) for a in row.artifacts or []),
    )


class SnapshotStore:
    def __init__(self, root: Path, blob_manager: BlobManager) -> None:
        self._root = root
        self.blobs = blob_manager
        self._lock = threading.Lock()
        self._plans: dict[int, WorkflowPlan] = {}
        self._reported: set[int] = set()

    def directory(self, files: SnapshotFiles) -> Path:
        """The local directory holding the snapshot's files (fetched on first use)."""
        target = self._root / str(files.snapshot_id)
        fetch_snapshot(self.blobs, files, target)
        return target

    def first_report(self, snapshot_id: int) -> bool:
        """True the first time a problem with this snapshot is reported (log it once)."""
        with self._lock:
            if snapshot_id in self._reported:
                return False
            self._reported.add(snapshot_id)
            return True

    def plan(self, snapshot: WorkflowSnapshotRow) -> WorkflowPlan:
        """The plan stored with the snapshot; raises PlanError if it has none."""
        plan = self._plans.get(snapshot.id)
        if plan is None:
            plan = WorkflowPlan(snapshot.description)
            with self._lock:
                if len(self._plans) >= _MAX_PLANS:
                    self._plans.clear()
                self._plans[snapshot.id] = plan
        return plan
