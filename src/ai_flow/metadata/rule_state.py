"""Rule state: JSON values that rules keep per workflow execution or per trigger."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ai_flow.metadata._tables import RuleStateRow


def _owner(execution_id: int | None, trigger_id: int | None) -> Any:
    if (execution_id is None) == (trigger_id is None):
        raise ValueError("rule state belongs to exactly one of execution_id or trigger_id")
    if execution_id is not None:
        return RuleStateRow.workflow_execution_id == execution_id
    return RuleStateRow.workflow_trigger_id == trigger_id


def _find(
    session: Session, scope: str, name: str, execution_id: int | None, trigger_id: int | None
) -> RuleStateRow | None:
    stmt = select(RuleStateRow).where(
        _owner(execution_id, trigger_id), RuleStateRow.scope == scope, RuleStateRow.name == name
    )
    return session.scalars(stmt).one_or_none()


def scope_states(
    session: Session, scope: str, *, execution_id: int | None = None, trigger_id: int | None = None
) -> dict[str, Any]:
    """Every value of `scope` (a rule of an execution, or a trigger) by name."""
    stmt = select(RuleStateRow.name, RuleStateRow.value).where(
        _owner(execution_id, trigger_id), RuleStateRow.scope == scope
    )
    return {name: value for name, value in session.execute(stmt)}


def put_state(
    session: Session,
    scope: str,
    name: str,
    value: Any,
    *,
    execution_id: int | None = None,
    trigger_id: int | None = None,
) -> RuleStateRow:
    """Insert or replace a JSON-serialisable value (the scheduler is the single writer)."""
    row = _find(session, scope, name, execution_id, trigger_id)
    if row is None:
        row = RuleStateRow(
            workflow_execution_id=execution_id,
            workflow_trigger_id=trigger_id,
            scope=scope,
            name=name,
        )
        session.add(row)
    row.value = value
    session.flush()
    return row


def count_errors(session: Session, error_name: str) -> int:
    """Rule states holding a condition's error (the evaluator's `error_name` entry)."""
    stmt = select(func.count(RuleStateRow.id)).where(
        RuleStateRow.name == error_name, RuleStateRow.value.is_not(None)
    )
    return int(session.scalar(stmt) or 0)
