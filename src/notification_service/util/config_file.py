"""Load a YAML config file into a pydantic model with one-line errors."""

from __future__ import annotations

from pathlib import Path
from string import Template
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class ConfigError(Exception):
    """A config file is missing, unreadable or invalid; str() is one user-facing line."""


def load_config(path: Path, model: type[M], variables: dict[str, str]) -> M:
    """Parse `path`, expand ${VARS} from `variables` in string values, validate."""
    if not path.exists():
        raise ConfigError(f"config file {path} does not exist; run `config init` first")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {_one_line(exc)}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"config file {path} must be a mapping of keys to values")
    expanded = {k: _expand(v, variables) for k, v in raw.items()}
    try:
        return model.model_validate(expanded)
    except ValidationError as exc:
        raise ConfigError(f"config file {path}: {describe_validation_error(exc)}") from None


def describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(root)"
        if err["type"] == "extra_forbidden":
            parts.append(f"unknown key '{loc}' (remove it, or check its spelling)")
        elif not err["loc"]:  # a check across keys: its message names them
            parts.append(str(err["msg"]).removeprefix("Value error, "))
        else:
            parts.append(f"bad value for '{loc}': {err['msg']} (got {err.get('input')!r})")
    return "; ".join(parts)


def _expand(value: object, variables: dict[str, str]) -> object:
    if isinstance(value, str):
        return Template(value).safe_substitute(variables)
    if isinstance(value, dict):
        return {k: _expand(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, variables) for v in value]
    return value


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
