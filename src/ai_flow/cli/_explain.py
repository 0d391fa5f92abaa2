"""Output of the `explain` and `replay` commands: JSON/YAML as the server answered, or
a table (`ai_flow.explain_text`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import click
import yaml

from ai_flow.cli._common import output_option_of
from ai_flow.explain_text import event_lines, execution_lines, replay_lines, task_lines

# Explanations are nested documents: no one-value-per-line `plain` form.
explain_output_option = output_option_of(("table", "json", "yaml"))


def emit(data: dict[str, Any], fmt: str, text: Callable[[dict[str, Any]], Iterator[str]]) -> None:
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif fmt == "yaml":
        click.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True).rstrip("\n"))
    else:
        for line in text(data):
            click.echo(line)


__all__ = [
    "emit",
    "event_lines",
    "execution_lines",
    "explain_output_option",
    "replay_lines",
    "task_lines",
]
