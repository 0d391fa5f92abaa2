"""Command factories for records addressed by id (snapshots, schedules, triggers):
show-before-act, confirmation, and one-line results, written once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ai_flow import ops
from ai_flow.cli._common import RECORD_ID, confirm, namespace_option, not_found, yes_option


def getter(fetch: Callable[[int], Any | None], noun: str) -> Callable[[int], Any]:
    """`fetch` by id, or a one-line "<noun> <id> does not exist" error."""

    def get(record_id: int) -> Any:
        meta = fetch(record_id)
        if meta is None:
            raise not_found(f"{noun} {record_id}")
        return meta

    return get


def add_action(
    group: click.Group,
    name: str,
    noun: str,
    get: Callable[[int], Any],
    act: Callable[[int], Any],
    done: str,
    doc: str,
    ask: bool = False,
) -> None:
    """`<group> <name> ID [-y]`: check the record exists, (confirm,) act, report."""
    arg = noun.replace(" ", "_") + "_id"

    def command(yes: bool = True, **kwargs: int) -> None:
        record_id = kwargs[arg]
        get(record_id)
        if ask:
            confirm(yes, f"{name.capitalize()} {noun} {record_id}?")
        act(record_id)
        click.echo(f"{noun.capitalize()}: {record_id}, {done}.")

    command.__doc__ = doc
    command = click.argument(arg, type=RECORD_ID)(command)
    if ask:
        command = yes_option(command)
    group.command(name)(command)


def add_delete_all(
    group: click.Group, plural: str, act: Callable[[str, str], int], doc: str
) -> None:
    """`<group> delete-all WORKFLOW [-n NS] [-y]`."""

    def delete_all(workflow_name: str, namespace: str, yes: bool) -> None:
        if ops.get_workflow(workflow_name, namespace) is None:
            raise not_found(f"workflow {namespace}.{workflow_name}")
        confirm(yes, f"Delete all {plural} of workflow {namespace}.{workflow_name}?")
        count = act(workflow_name, namespace)
        click.echo(f"Deleted {count} {plural[:-1]}(s) of workflow {namespace}.{workflow_name}.")

    delete_all.__doc__ = doc
    group.command("delete-all")(
        click.argument("workflow_name")(namespace_option(yes_option(delete_all)))
    )
