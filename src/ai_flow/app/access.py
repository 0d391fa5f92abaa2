"""Access checks the transports share: who may touch which namespace.

The transports authenticate (a bearer token becomes a `Principal`); these use cases
decide what a principal may do with a row it names by id, so gRPC, REST and the UI
refuse the same calls with the same words.
"""

from __future__ import annotations

from ai_flow.app._context import App
from ai_flow.app.errors import InvalidArgumentError, NotFoundError
from ai_flow.metadata import DEFAULT_LIMIT, MAX_LIMIT, NamespaceRow, namespaces, owners
from ai_flow.metadata.owners import Kind
from notification_service.util.auth import ANYONE, Principal

__all__ = [
    "Kind",
    "list_visible_namespaces",
    "require_namespace",
    "require_owner",
    "token_name",
    "visible_namespaces",
]


def token_name(principal: Principal) -> str | None:
    """Who to record with a user call: the token's name (None without auth_tokens)."""
    return None if principal is ANYONE else principal.name


def require_namespace(principal: Principal, namespace: str | None, write: bool) -> None:
    """PermissionDenied unless `principal` may read (write) `namespace` (None: all)."""
    principal.require(namespace, write)


def require_owner(app: App, principal: Principal, kind: Kind, row_id: int, write: bool) -> None:
    """PermissionDenied unless `principal` may read (write) the namespace of the `kind`
    row `row_id`. A row that does not exist passes: the call itself then says 404, the
    same answer a principal allowed everywhere gets (ids are not secrets)."""
    if principal is ANYONE or principal.can(None, write):
        return
    with app.read() as session:
        namespace = owners.namespace_of(session, kind, row_id)
    if namespace is not None:
        principal.require(namespace, write)


def visible_namespaces(principal: Principal) -> frozenset[str] | None:
    """The namespaces a listing may show `principal`; None: all."""
    return principal.readable_namespaces()


def list_visible_namespaces(
    app: App, principal: Principal, limit: int | None, offset: int | None
) -> list[NamespaceRow]:
    """A page of the namespaces `principal` may read, by name (all for a '*' token).

    A scoped token names its namespaces in the config, so they are few: they are looked
    up one by one and paged here."""
    visible = visible_namespaces(principal)
    with app.read() as session:
        if visible is None:
            return namespaces.list_namespaces(session, limit=limit, offset=offset)
        rows = []
        for name in sorted(visible):
            try:
                rows.append(namespaces.get_namespace(session, name))
            except NotFoundError:
                continue
    if (limit is not None and limit <= 0) or (offset or 0) < 0:
        raise InvalidArgumentError(
            f"limit must be positive and offset not negative (got {limit}, {offset})"
        )
    start = offset or 0
    return rows[start : start + min(limit or DEFAULT_LIMIT, MAX_LIMIT)]
