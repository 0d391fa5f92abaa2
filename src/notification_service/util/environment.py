"""The only reader of process environment variables in both packages."""

from __future__ import annotations

import os
from pathlib import Path


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def home_dir(var: str, default: str) -> Path:
    """A service home: `$var` if set, else `~/<default>`."""
    value = os.environ.get(var)
    return Path(value).expanduser() if value else Path.home() / default


def is_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def notification_token() -> str | None:
    """The notification client's token when none is given: `$NOTIFICATION_TOKEN`."""
    return os.environ.get("NOTIFICATION_TOKEN", "").strip() or None
