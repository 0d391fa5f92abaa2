"""Helpers shared by the aiflow sub-commands: options, output and confirmation."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click
import yaml

from notification_service.util.output import FORMATS, render

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
DEFAULT_NAMESPACE = "default"
# The most items the server returns per page (ai_flow.metadata.MAX_LIMIT); a literal so
# client commands need not import the metadata layer.
MAX_LIMIT = 1000
# Record ids are positive int64s (the protocol's); anything else is a usage error (exit 2)
# rather than an overflow deep in the client.
RECORD_ID = click.IntRange(1, 2**63 - 1)


def output_option_of(formats: Sequence[str]) -> Callable[[F], F]:
    """`-o/--output` over `formats` (the first is the default)."""

    def option(fn: F) -> F:
        return click.option(
            "-o",
            "--output",
            "fmt",
            type=click.Choice(list(formats)),
            default=formats[0],
            show_default=True,
            help="Output format.",
        )(fn)

    return option


output_option = output_option_of(FORMATS)


def namespace_option(fn: F) -> F:
    return click.option(
        "-n",
        "--namespace",
        default=DEFAULT_NAMESPACE,
        show_default=True,
        help="Namespace that contains the workflow.",
    )(fn)


def yes_option(fn: F) -> F:
    return click.option(
        "-y", "--yes", is_flag=True, help="Do not prompt to confirm. Use with care!"
    )(fn)


def confirm(yes: bool, question: str) -> None:
    """Ask `question` unless -y; a "no" ends the command with exit 1 and no change."""
    if not yes and not click.confirm(question, default=False):
        raise click.ClickException("aborted; nothing was changed")


def fetch_all(list_page: Callable[..., list[T]], *args: Any) -> list[T]:
    """Every item of a paged ops listing (the server caps a page at MAX_LIMIT)."""
    items: list[T] = []
    while True:
        page = list_page(*args, limit=MAX_LIMIT, offset=len(items))
        items.extend(page)
        if len(page) < MAX_LIMIT:
            return items


def emit_list(
    rows: Iterable[dict[str, Any]],
    fmt: str,
    table_columns: Sequence[str],
    data_columns: Sequence[str] | None = None,
) -> None:
    """Rows as a table/plain text (`table_columns`) or JSON/YAML (`data_columns`)."""
    columns = data_columns if data_columns and fmt in ("json", "yaml") else table_columns
    render(list(rows), fmt, columns, time_columns=())


def emit_one(row: dict[str, Any], fmt: str, table_columns: Sequence[str]) -> None:
    """One record: a single JSON/YAML object (every field), else a one-row table."""
    if fmt == "json":
        click.echo(json.dumps(row, indent=2, ensure_ascii=False, default=str))
    elif fmt == "yaml":
        click.echo(yaml.safe_dump(row, sort_keys=False, allow_unicode=True).rstrip("\n"))
    else:
        render([row], fmt, table_columns, time_columns=())


def parse_properties(text: str | None) -> dict[str, str]:
    """`k1=v1,k2=v2` -> {"k1": "v1", "k2": "v2"}."""
    props: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected key=value, got {part!r}", param_hint="--properties")
        props[key.strip()] = value.strip()
    return props


def not_found(what: str) -> click.ClickException:
    return click.ClickException(f"{what} does not exist")
