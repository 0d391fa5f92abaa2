"""Namespaces: add, get, list, update, delete."""

from __future__ import annotations

from typing import Any

from ai_flow.app._context import App
from ai_flow.app.errors import InvalidArgumentError
from ai_flow.metadata import NamespaceRow, namespaces
from ai_flow.model.errors import WorkflowDefinitionError
from ai_flow.model.internal.naming import validate_name


def _checked(name: str) -> str:
    # Names end up in paths and event routing, like workflow names.
    try:
        return validate_name("namespace", name)
    except WorkflowDefinitionError as exc:
        raise InvalidArgumentError(str(exc)) from None


def add_namespace(app: App, name: str, properties: dict[str, Any] | None) -> NamespaceRow:
    with app.write() as s:
        return namespaces.create_namespace(s, _checked(name), properties)


def get_namespace(app: App, name: str) -> NamespaceRow:
    with app.read() as s:
        return namespaces.get_namespace(s, name)


def list_namespaces(app: App, limit: int | None, offset: int | None) -> list[NamespaceRow]:
    with app.read() as s:
        return namespaces.list_namespaces(s, limit=limit, offset=offset)


def update_namespace(app: App, name: str, properties: dict[str, Any] | None) -> NamespaceRow:
    with app.write() as s:
        return namespaces.update_namespace(s, name, properties)


def delete_namespace(app: App, name: str) -> None:
    with app.write() as s:
        namespaces.delete_namespace(s, name)
