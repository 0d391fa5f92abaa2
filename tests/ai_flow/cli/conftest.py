"""Fixtures for in-process tests of the `aiflow` command line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ai_flow import ops
from ai_flow.cli import cli


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated, empty $AIFLOW_HOME (and $NOTIFICATION_HOME beside it)."""
    path = tmp_path / "aiflow_home"
    monkeypatch.setenv("AIFLOW_HOME", str(path))
    monkeypatch.setenv("NOTIFICATION_HOME", str(tmp_path / "ns_home"))
    return path


@pytest.fixture
def invoke(home: Path) -> Iterator[Callable[..., Result]]:
    """Run `aiflow ARGS...` in-process; returns click's Result."""
    runner = CliRunner()

    def _invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    yield _invoke
    ops.set_server_address(None)  # a --server option must not leak into other tests
