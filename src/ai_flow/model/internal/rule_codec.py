"""WorkflowRule <-> JSON, without pickle: classes by import path, state as plain JSON.

A rule is stored as::

    {"version": 1,
     "expect_event_keys": [...],            # informative (listings); not used to decode
     "condition": {"__aiflow__": "condition",
                   "class": "<module>:<qualname>",
                   "state": {...}}}          # the instance's __dict__, encoded

Values inside ``state`` are JSON scalars, lists, dicts with string keys, or tagged
objects: nested conditions (as above), enums (``{"__aiflow__": "enum", "class": ...,
"value": ...}``) and tuples (``{"__aiflow__": "tuple", "items": [...]}``). A condition
class may instead define ``to_dict() -> dict`` and a classmethod ``from_dict(dict)``;
then ``"dict"`` replaces ``"state"``. Decoding never calls ``__init__`` (the state is
restored as is) and only ever creates Condition and Enum subclasses, so a stored rule
cannot run arbitrary code; which class a name denotes is up to the caller's resolver.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from enum import Enum
from typing import Any

from ai_flow.model.condition import Condition
from ai_flow.model.rule import WorkflowRule

VERSION = 1
TAG = "__aiflow__"
#: Packages whose classes are ours: rules made only of them may be run by the server.
BUILTIN_PACKAGES = ("ai_flow", "notification_service")
Resolver = Callable[[str, str], Any]  # (module, qualname) -> the class


class RuleCodecError(ValueError):
    """A rule cannot be serialised or restored; str() is one line for the user."""


def class_path(cls: type) -> str:
    if "<locals>" in cls.__qualname__:
        raise RuleCodecError(
            f"{cls.__qualname__} is defined inside a function; define condition classes at "
            "the top level of the workflow file or of an importable module"
        )
    return f"{cls.__module__}:{cls.__qualname__}"


def _encode(value: Any, where: str) -> Any:
    if value is None or isinstance(value, (bool, int, str)) and not isinstance(value, Enum):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RuleCodecError(f"{where} is {value}, which JSON cannot hold")
        return value
    if isinstance(value, Condition):
        return encode_condition(value)
    if isinstance(value, Enum):
        value_json = _encode(value.value, f"{where}.value")
        return {TAG: "enum", "class": class_path(type(value)), "value": value_json}
    if isinstance(value, list):
        return [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, tuple):
        return {TAG: "tuple", "items": [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str) or key == TAG:
                raise RuleCodecError(f"{where} has the key {key!r}; keys must be strings")
            out[key] = _encode(item, f"{where}[{key!r}]")
        return out
    raise RuleCodecError(
        f"{where} is a {type(value).__name__}, which cannot be stored: a condition's "
        "attributes may hold JSON values (str, int, float, bool, None, lists, dicts with "
        "string keys), tuples, enums and conditions; or give the class to_dict()/from_dict()"
    )


def encode_condition(condition: Condition) -> dict[str, Any]:
    cls = type(condition)
    out: dict[str, Any] = {TAG: "condition", "class": class_path(cls)}
    if callable(getattr(cls, "to_dict", None)) and callable(getattr(cls, "from_dict", None)):
        to_dict: Any = getattr(condition, "to_dict")  # noqa: B009 - optional protocol
        out["dict"] = _encode(to_dict(), f"{cls.__name__}.to_dict()")
    elif hasattr(condition, "__dict__"):
        out["state"] = {
            name: _encode(value, f"{cls.__name__}.{name}")
            for name, value in vars(condition).items()
        }
    else:
        raise RuleCodecError(f"{cls.__name__} has no __dict__; give it to_dict()/from_dict()")
    return out


def _classes(value: Any) -> list[str]:
    if isinstance(value, list):
        return [c for v in value for c in _classes(v)]
    if not isinstance(value, dict):
        return []
    found = [str(value["class"])] if value.get(TAG) in ("condition", "enum") else []
    return found + [c for v in value.values() for c in _classes(v)]


def is_builtin(encoded: Any) -> bool:
    """True if every class an encoded condition (or rule) names is one of ours."""
    return all(c.split(".")[0].split(":")[0] in BUILTIN_PACKAGES for c in _classes(encoded))


def encode_builtin(condition: Condition) -> dict[str, Any] | None:
    """The condition encoded, if it is made of built-in classes only (else None: it is
    user code and must be evaluated where user code runs)."""
    try:
        encoded = encode_condition(condition)
    except RuleCodecError:
        return None
    return encoded if is_builtin(encoded) else None


def import_builtin(module: str, qualname: str) -> Any:
    """A resolver for ``decode_*`` that imports built-in classes and refuses the rest."""
    import importlib

    if module.split(".")[0] not in BUILTIN_PACKAGES:
        raise RuleCodecError(f"{module}:{qualname} is not a built-in class")
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part, None)
        if found is None:
            raise RuleCodecError(f"{module} has no {qualname}")
    return found


def rule_to_dict(rule: WorkflowRule) -> dict[str, Any]:
    if not isinstance(rule, WorkflowRule):
        raise RuleCodecError(f"expected a WorkflowRule, got {type(rule).__name__}")
    return {
        "version": VERSION,
        "expect_event_keys": list(rule.condition.expect_event_keys),
        "condition": encode_condition(rule.condition),
    }


def encode_rule(rule: WorkflowRule) -> str:
    return json.dumps(rule_to_dict(rule), sort_keys=True)


def _resolve(resolve: Resolver, path: Any, base: type) -> type:
    module, sep, qualname = str(path).partition(":")
    if not sep or not module or not qualname:
        raise RuleCodecError(f"malformed class path {path!r}")
    cls = resolve(module, qualname)
    if not isinstance(cls, type) or not issubclass(cls, base):
        raise RuleCodecError(f"{path} is not a {base.__name__} class")
    return cls


def _decode(value: Any, resolve: Resolver) -> Any:
    if isinstance(value, list):
        return [_decode(v, resolve) for v in value]
    if not isinstance(value, dict):
        return value
    kind = value.get(TAG)
    if kind is None:
        return {k: _decode(v, resolve) for k, v in value.items()}
    if kind == "condition":
        return decode_condition(value, resolve)
    if kind == "enum":
        return _resolve(resolve, value.get("class"), Enum)(_decode(value.get("value"), resolve))
    if kind == "tuple":
        return tuple(_decode(v, resolve) for v in value.get("items", []))
    raise RuleCodecError(f"unknown stored value kind {kind!r}")


def decode_condition(data: dict[str, Any], resolve: Resolver) -> Condition:
    cls: Any = _resolve(resolve, data.get("class"), Condition)
    if "dict" in data:
        made = cls.from_dict(_decode(data["dict"], resolve))
        if not isinstance(made, cls):
            raise RuleCodecError(f"{cls.__name__}.from_dict did not return a {cls.__name__}")
        return made
    condition: Condition = cls.__new__(cls)
    condition.__dict__.update(_decode(data.get("state") or {}, resolve))
    return condition


def decode_rule(text: str, resolve: Resolver) -> WorkflowRule:
    """Rebuild a WorkflowRule; `resolve` maps (module, qualname) to a class."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise RuleCodecError(f"a stored rule is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise RuleCodecError(f"unsupported rule format (expected version {VERSION})")
    try:
        return WorkflowRule(decode_condition(data.get("condition") or {}, resolve))
    except RuleCodecError:
        raise
    except Exception as exc:  # noqa: BLE001 - from_dict/enum lookups are user code
        raise RuleCodecError(f"cannot restore the rule: {type(exc).__name__}: {exc}") from None
