"""Records of schedules and triggers, as the ops API returns them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ai_flow.ops._meta import _date, _Record
from ai_flow.proto import aiflow_pb2 as pb


@dataclass
class WorkflowScheduleMeta(_Record):
    id: int
    workflow_id: int
    namespace: str
    workflow_name: str
    expression: str
    is_paused: bool
    create_time: datetime | None
    last_fire_time: datetime | None = None
    next_fire_time: datetime | None = None

    @classmethod
    def from_proto(cls, msg: pb.WorkflowScheduleProto) -> WorkflowScheduleMeta:
        return cls(
            id=msg.id,
            workflow_id=msg.workflow_id,
            namespace=msg.namespace,
            workflow_name=msg.workflow_name,
            expression=msg.expression,
            is_paused=msg.is_paused,
            create_time=_date(msg, "create_time"),
            last_fire_time=_date(msg, "last_fire_time"),
            next_fire_time=_date(msg, "next_fire_time"),
        )


@dataclass
class WorkflowTriggerMeta(_Record):
    """`rule` is the stored (JSON) form of the WorkflowRule; see rule_codec."""

    id: int
    workflow_id: int
    namespace: str
    workflow_name: str
    rule: dict[str, Any]
    is_paused: bool
    create_time: datetime | None

    @property
    def condition_class(self) -> str:
        return str(self.rule.get("condition", {}).get("class", ""))

    @property
    def expect_event_keys(self) -> list[str]:
        return list(self.rule.get("expect_event_keys", []))

    def to_dict(self) -> dict[str, Any]:
        """With the condition class and expected keys up front, for listings."""
        out = super().to_dict()
        extra = {"condition": self.condition_class, "expect_event_keys": self.expect_event_keys}
        return {**{k: v for k, v in out.items() if k != "rule"}, **extra, "rule": out["rule"]}

    @classmethod
    def from_proto(cls, msg: pb.WorkflowTriggerProto) -> WorkflowTriggerMeta:
        try:
            rule = json.loads(msg.rule) if msg.rule else {}
        except ValueError:
            rule = {"raw": msg.rule}
        return cls(
            id=msg.id,
            workflow_id=msg.workflow_id,
            namespace=msg.namespace,
            workflow_name=msg.workflow_name,
            rule=rule if isinstance(rule, dict) else {"raw": rule},
            is_paused=msg.is_paused,
            create_time=_date(msg, "create_time"),
        )


# The name the spec's API reference uses.
WorkflowEventTriggerMeta = WorkflowTriggerMeta
