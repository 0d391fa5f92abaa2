"""Which events the scheduler must read: its listen filter.

Task status events always (they update task executions), the keys any running
execution's rules expect, and the keys of every trigger (paused or not, so resuming one
changes nothing). Every change that can add a key bumps the keys version in its own
transaction (a new execution, a new trigger); each scheduling transaction checks it, so
an event is never skipped for a filter that no longer says what is expected.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ai_flow.metadata import executions, offsets, triggers
from ai_flow.model.internal.events import TASK_STATUS_EVENT_KEY_PREFIX
from ai_flow.scheduler._plan import PlanError
from ai_flow.scheduler._snapshots import SnapshotStore
from ai_flow.scheduler._triggers import parse_trigger

STATUS_PREFIX = TASK_STATUS_EVENT_KEY_PREFIX + "/"
#: Beyond this many keys the filter would cost the notification server more than it
#: saves: the scheduler then reads every event.
MAX_FILTER_KEYS = 1000


@dataclass(frozen=True)
class Interest:
    version: int
    #: None means every key.
    keys: frozenset[str] | None
    #: Whether a running execution or a trigger names a user condition: without one,
    #: there is nothing to look ahead for.
    user_code: bool = True

    @property
    def prefixes(self) -> list[str]:
        return [] if self.keys is None else [STATUS_PREFIX]


def interest(session: Session, snapshots: SnapshotStore) -> Interest:
    """The filter as of the version read first (a change after it bumps the version
    again, so the scheduler's next transaction notices)."""
    version = offsets.get_keys_version(session)
    keys: set[str] = set()
    user_code = False
    for _execution, _workflow, snapshot in executions.list_running(session):
        try:
            plan = snapshots.plan(snapshot)
        except PlanError:
            continue  # never scheduled (see targets_of)
        keys |= plan.expected_keys
        user_code = user_code or plan.has_user_rules
    for rule in triggers.list_rules(session):
        stored = parse_trigger(rule)
        keys |= stored.keys
        user_code = user_code or stored.is_user
    if len(keys) > MAX_FILTER_KEYS:
        return Interest(version, None, user_code)
    return Interest(version, frozenset(keys), user_code)
