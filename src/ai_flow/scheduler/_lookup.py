"""How the event processor gets the answers of user conditions.

User conditions run in evaluator processes, before the scheduling transaction opens
(`Speculator`). Inside the transaction the processor looks each answer up and checks
that it was computed from the same inputs it has now: the rule's states and every task
status the condition read. When it was not (e.g. an earlier event of the batch changed a
status the condition looks at), `SpeculationMiss` ends the transaction and the scheduler
commits the events before it, then looks ahead again from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ai_flow.evaluator import EvalItem, EvalResult, EvaluatorPool
from ai_flow.metadata import WorkflowSnapshotRow
from ai_flow.scheduler._batch import Target
from ai_flow.scheduler._plan import RulePlan
from ai_flow.scheduler._snapshots import SnapshotStore, snapshot_files
from notification_service.model import Event


class SpeculationMiss(Exception):
    """No valid answer for a user condition of event `index` of the batch."""

    def __init__(self, index: int) -> None:
        super().__init__(f"no answer for event {index} of the batch")
        self.index = index


def rule_scope(execution_id: int, rule: RulePlan) -> str:
    return f"x{execution_id}/{rule.scope}"


def trigger_scope(trigger_id: int) -> str:
    return f"g{trigger_id}"


def still_valid(result: EvalResult, statuses: Mapping[str, str], states: Mapping[str, Any]) -> bool:
    """Whether `result` was computed from exactly these inputs."""
    return result.before == states and all(
        statuses.get(task) == status for task, status in result.read.items()
    )


class Speculation:
    """Answers computed ahead, by (event offset, scope). With `sync`, a missing or stale
    answer is computed on the spot instead (the scheduler's last resort for one event)."""

    def __init__(
        self,
        results: dict[tuple[int, str], tuple[str | None, EvalResult]],
        pool: EvaluatorPool,
        snapshots: SnapshotStore,
        sync: bool = False,
    ) -> None:
        self._results = results
        self._pool = pool
        self._snapshots = snapshots
        self.sync = sync

    def __len__(self) -> int:
        return len(self._results)

    def _answer(
        self,
        index: int,
        event: Event,
        snapshot: WorkflowSnapshotRow,
        item: EvalItem,
        statuses: Mapping[str, str],
        states: Mapping[str, Any],
    ) -> EvalResult:
        assert event.offset is not None
        found = self._results.get((event.offset, item.scope))
        # The event's value too: a retried FAILED reads RETRYING.
        if (
            found is not None
            and found[0] == event.value
            and still_valid(found[1], statuses, states)
        ):
            return found[1]
        if not self.sync:
            raise SpeculationMiss(index)
        files = snapshot_files(snapshot)
        return self._pool.evaluate(files, [item], {item.scope: dict(states)})[0]

    def task_rule(
        self,
        index: int,
        event: Event,
        target: Target,
        rule: RulePlan,
        statuses: Mapping[str, str],
        states: Mapping[str, Any],
    ) -> EvalResult:
        item = EvalItem(
            rule_scope(target.execution.id, rule),
            event,
            workflow=target.plan.name,
            task=rule.task,
            index=rule.index,
            statuses=dict(statuses),
        )
        return self._answer(index, event, target.snapshot, item, statuses, states)

    def trigger(
        self,
        index: int,
        event: Event,
        trigger_id: int,
        snapshot: WorkflowSnapshotRow,
        text: str,
        states: Mapping[str, Any],
    ) -> EvalResult:
        item = EvalItem(trigger_scope(trigger_id), event, rule=text)
        return self._answer(index, event, snapshot, item, {}, states)
