"""Namespaces group workflows; `default` is created by the first migration."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ai_flow.metadata._tables import NamespaceRow, WorkflowRow
from ai_flow.metadata._util import page
from ai_flow.metadata.errors import AlreadyExistsError, ConflictError, NotFoundError
from notification_service.util.clock import now_ms

DEFAULT_NAMESPACE = "default"


def create_namespace(
    session: Session, name: str, properties: dict[str, Any] | None = None
) -> NamespaceRow:
    if session.get(NamespaceRow, name) is not None:
        raise AlreadyExistsError(f"namespace {name} already exists")
    row = NamespaceRow(name=name, properties=properties, create_time=now_ms())
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        # A concurrent writer created it between our check and insert.
        raise AlreadyExistsError(f"namespace {name} already exists") from None
    return row


def get_namespace(session: Session, name: str) -> NamespaceRow:
    row = session.get(NamespaceRow, name)
    if row is None:
        raise NotFoundError(f"namespace {name} does not exist")
    return row


def list_namespaces(
    session: Session, limit: int | None = None, offset: int | None = None
) -> list[NamespaceRow]:
    stmt = page(select(NamespaceRow).order_by(NamespaceRow.name), limit, offset)
    return list(session.scalars(stmt))


def update_namespace(
    session: Session, name: str, properties: dict[str, Any] | None
) -> NamespaceRow:
    row = get_namespace(session, name)
    row.properties = properties
    session.flush()
    return row


def delete_namespace(session: Session, name: str, force: bool = False) -> None:
    """Delete a namespace; one that holds workflows needs `force` (which deletes them)."""
    get_namespace(session, name)
    count = session.scalar(
        select(func.count()).select_from(WorkflowRow).where(WorkflowRow.namespace == name)
    )
    if count and not force:
        raise ConflictError(f"namespace {name} still has {count} workflow(s); delete them first")
    session.execute(delete(NamespaceRow).where(NamespaceRow.name == name))
    # Rows removed by ON DELETE CASCADE may still sit in the identity map.
    session.expire_all()
