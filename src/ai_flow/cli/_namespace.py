"""`aiflow namespace ...`: add, list, show, update and delete namespaces."""

from __future__ import annotations

import click

from ai_flow import ops
from ai_flow.cli._common import (
    confirm,
    emit_list,
    emit_one,
    fetch_all,
    not_found,
    output_option,
    parse_properties,
    yes_option,
)

COLUMNS = ["name", "properties"]


def _row(meta: ops.NamespaceMeta, fmt: str) -> dict:
    row = meta.to_dict()
    if fmt in ("table", "plain"):
        # k=v,k2=v2: the same spelling --properties takes.
        row["properties"] = ",".join(f"{k}={v}" for k, v in sorted(meta.properties.items()))
    return row


def _properties_option(required: bool):  # noqa: ANN202
    return click.option(
        "--properties",
        required=required,
        default=None,
        metavar="K=V[,K=V...]",
        help="Properties of the namespace, e.g. owner=alice,team=ml.",
    )


@click.group("namespace")
def namespace_group() -> None:
    """Namespace related operations."""


@namespace_group.command("add")
@click.argument("namespace_name")
@_properties_option(required=False)
def add(namespace_name: str, properties: str | None) -> None:
    """Create the namespace NAMESPACE_NAME."""
    ops.add_namespace(namespace_name, parse_properties(properties))
    click.echo(f"Namespace: {namespace_name}, added.")


@namespace_group.command("list")
@output_option
def list_(fmt: str) -> None:
    """List all namespaces."""
    emit_list([_row(n, fmt) for n in fetch_all(ops.list_namespaces)], fmt, COLUMNS)


@namespace_group.command("show")
@click.argument("namespace_name")
@output_option
def show(namespace_name: str, fmt: str) -> None:
    """Show the namespace NAMESPACE_NAME."""
    meta = ops.get_namespace(namespace_name)
    if meta is None:
        raise not_found(f"namespace {namespace_name}")
    emit_one(_row(meta, fmt), fmt, COLUMNS)


@namespace_group.command("update")
@click.argument("namespace_name")
@_properties_option(required=True)
def update(namespace_name: str, properties: str) -> None:
    """Replace the properties of the namespace NAMESPACE_NAME."""
    ops.update_namespace(namespace_name, parse_properties(properties))
    click.echo(f"Namespace: {namespace_name}, updated.")


@namespace_group.command("delete")
@click.argument("namespace_name")
@yes_option
def delete(namespace_name: str, yes: bool) -> None:
    """Delete the namespace NAMESPACE_NAME."""
    if ops.get_namespace(namespace_name) is None:
        raise not_found(f"namespace {namespace_name}")
    confirm(yes, f"Delete namespace {namespace_name!r}?")
    ops.delete_namespace(namespace_name)
    click.echo(f"Namespace: {namespace_name}, deleted.")
