"""The trigger rule format: JSON of class paths and instance state, never pickle."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

import pytest

from ai_flow.model.condition import Condition
from ai_flow.model.internal.conditions import (
    AllOfCondition,
    SingleEventCondition,
    TaskStatusCondition,
)
from ai_flow.model.internal.rule_codec import RuleCodecError, decode_rule, encode_rule
from ai_flow.model.rule import WorkflowRule
from ai_flow.model.status import TaskStatus


class Color(Enum):
    RED = "red"


class Stateful(Condition):
    def __init__(self, key: str, threshold: Any = 3) -> None:
        super().__init__([key])
        self.threshold = threshold
        self.inits = 1

    def is_met(self, event, context) -> bool:  # noqa: ANN001
        return True


class WithProtocol(Condition):
    """Keeps a set (not JSON) and so brings its own to_dict/from_dict."""

    def __init__(self, keys: set[str]) -> None:
        super().__init__(sorted(keys))
        self.keys = set(keys)

    def is_met(self, event, context) -> bool:  # noqa: ANN001
        return True

    def to_dict(self) -> dict:
        return {"keys": sorted(self.keys)}

    @classmethod
    def from_dict(cls, data: dict) -> WithProtocol:
        return cls(set(data["keys"]))


def _by_import(module: str, qualname: str) -> Any:
    import importlib

    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _roundtrip(condition: Condition) -> Condition:
    text = encode_rule(WorkflowRule(condition))
    assert "pickle" not in text
    return decode_rule(text, _by_import).condition


def test_builtin_conditions_round_trip_with_nested_conditions_and_enums() -> None:
    rule = WorkflowRule(
        AllOfCondition(
            [SingleEventCondition("a"), TaskStatusCondition("wf", {"t": TaskStatus.SUCCESS})]
        )
    )
    data = json.loads(encode_rule(rule))
    assert data["version"] == 1
    assert data["condition"]["class"] == "ai_flow.model.internal.conditions:AllOfCondition"
    assert data["expect_event_keys"] == rule.condition.expect_event_keys
    restored = decode_rule(encode_rule(rule), _by_import).condition
    assert isinstance(restored, AllOfCondition)
    assert [type(c) for c in restored.conditions] == [SingleEventCondition, TaskStatusCondition]
    assert restored.conditions[1].upstream_task_status == {"t": TaskStatus.SUCCESS}
    assert restored.expect_event_keys == rule.condition.expect_event_keys


def test_state_is_restored_without_calling_init() -> None:
    original = Stateful("k", threshold=(1, Color.RED, {"x": [1.5, None]}))
    original.inits = 7
    restored = _roundtrip(original)
    assert type(restored) is Stateful
    assert restored.threshold == (1, Color.RED, {"x": [1.5, None]})
    assert restored.inits == 7  # __init__ would have reset it to 1


def test_to_dict_from_dict_protocol() -> None:
    restored = _roundtrip(WithProtocol({"b", "a"}))
    assert isinstance(restored, WithProtocol) and restored.keys == {"a", "b"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({1, 2}, r"Stateful\.threshold is a set"),
        (object(), r"Stateful\.threshold is a object"),
        ({"a": [1, lambda: 0]}, r"Stateful\.threshold\['a'\]\[1\] is a function"),
        (float("nan"), "nan, which JSON cannot hold"),
        ({1: "x"}, "keys must be strings"),
        ({"__aiflow__": "x"}, "keys must be strings"),
    ],
)
def test_state_that_is_not_json_is_refused_naming_the_attribute(value: Any, message: str) -> None:
    with pytest.raises(RuleCodecError, match=message):
        encode_rule(WorkflowRule(Stateful("k", threshold=value)))


def test_a_class_defined_in_a_function_is_refused() -> None:
    class Local(Condition):
        def is_met(self, event, context) -> bool:  # noqa: ANN001
            return True

    with pytest.raises(RuleCodecError, match="inside a function"):
        encode_rule(WorkflowRule(Local(["k"])))


def test_only_condition_and_enum_classes_are_ever_created() -> None:
    text = encode_rule(WorkflowRule(SingleEventCondition("k")))
    evil = text.replace("ai_flow.model.internal.conditions:SingleEventCondition", "os:system")
    with pytest.raises(RuleCodecError, match="os:system is not a Condition class"):
        decode_rule(evil, _by_import)
    with pytest.raises(RuleCodecError, match="not JSON"):
        decode_rule("\x80garbage", _by_import)
    with pytest.raises(RuleCodecError, match="unsupported rule format"):
        decode_rule(json.dumps({"version": 99}), _by_import)


def test_encode_rejects_what_is_not_a_workflow_rule() -> None:
    with pytest.raises(RuleCodecError, match="expected a WorkflowRule"):
        encode_rule(SingleEventCondition("k"))  # type: ignore[arg-type]
