"""Fixtures for in-process tests of the `notification` command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from notification_service.cli import cli


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated, empty $NOTIFICATION_HOME."""
    path = tmp_path / "ns_home"
    monkeypatch.setenv("NOTIFICATION_HOME", str(path))
    return path


@pytest.fixture
def invoke(home: Path) -> Callable[..., Result]:
    """Run `notification ARGS...` in-process; returns click's Result."""
    runner = CliRunner()

    def _invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return _invoke
