"""Render rows as a table, JSON, YAML or tab-separated text for the command lines."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TextIO

import yaml
from rich.console import Console
from rich.table import Table
from rich.text import Text

FORMATS = ("table", "json", "yaml", "plain")
# Wide enough that rich never wraps or truncates a cell when output is piped.
UNLIMITED_WIDTH = 1_000_000


def format_time(value: Any) -> str | None:
    """Epoch milliseconds or a datetime -> ISO 8601 in local time; 0/None -> None."""
    if value is None or value == 0:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return datetime.fromtimestamp(value / 1000).astimezone().isoformat(timespec="milliseconds")


def _prepare(
    rows: Iterable[dict[str, Any]], columns: Sequence[str], time_columns: Iterable[str]
) -> list[dict[str, Any]]:
    times = set(time_columns)
    out = []
    for row in rows:
        item = {}
        for col in columns:
            value = row.get(col)
            if col in times or isinstance(value, datetime):
                value = format_time(value)
            item[col] = value
        out.append(item)
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def render(
    rows: Iterable[dict[str, Any]],
    fmt: str,
    columns: Sequence[str],
    time_columns: Iterable[str] = ("create_time",),
    stream: TextIO | None = None,
) -> None:
    """Write `rows` (only `columns`, in that order) to `stream` (stdout) in `fmt`.

    Values in `time_columns` are epoch milliseconds and are shown as ISO 8601.
    """
    stream = stream or sys.stdout
    data = _prepare(rows, columns, time_columns)
    if fmt == "json":
        stream.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    elif fmt == "yaml":
        stream.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    elif fmt == "plain":
        stream.write(plain_text(data, columns))
    elif fmt == "table":
        _table(data, columns, stream)
    else:
        raise ValueError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")


def plain_text(data: list[dict[str, Any]], columns: Sequence[str]) -> str:
    """Tab-separated lines with a header; tabs and newlines in values are escaped."""

    def esc(value: Any) -> str:
        text = _cell(value)
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

    lines = ["\t".join(columns)]
    lines += ["\t".join(esc(row[c]) for c in columns) for row in data]
    return "\n".join(lines) + "\n"


def _table(data: list[dict[str, Any]], columns: Sequence[str], stream: TextIO) -> None:
    tty = stream.isatty()
    console = Console(
        file=stream,
        width=None if tty else UNLIMITED_WIDTH,
        highlight=False,
        soft_wrap=not tty,
    )
    table = Table(*columns, show_lines=False, highlight=False)
    for row in data:
        # Text() cells so values such as "[bold]" are shown literally, not as markup.
        table.add_row(*(Text(_cell(row[c])) for c in columns))
    console.print(table)
