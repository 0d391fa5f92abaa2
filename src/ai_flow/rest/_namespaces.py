"""/namespaces: add, list, show, update, delete.

With auth_tokens the list shows the namespaces the token may read, and a token may add
a namespace it may write (a token for every namespace: any)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Response
from pydantic import BaseModel, Field

from ai_flow.app import access, listings, namespaces
from ai_flow.metadata import MAX_LIMIT, NamespaceRow
from ai_flow.rest._auth import READ_NAMESPACE, WRITE_NAMESPACE, Caller
from ai_flow.rest._deps import Ctx
from ai_flow.rest._errors import ERRORS
from ai_flow.rest._inputs import Text
from ai_flow.rest._paging import PageArgs, PageOut, page_args

router = APIRouter(prefix="/namespaces", tags=["namespaces"], responses=ERRORS)


class NamespaceOut(BaseModel):
    name: str
    properties: dict[str, Any]
    create_time: int


class NamespaceList(PageOut):
    namespaces: list[NamespaceOut]


class NamespaceIn(BaseModel):
    name: Text = Field(min_length=1, max_length=255)
    properties: dict[Text, Text] = Field(default_factory=dict)


class PropertiesIn(BaseModel):
    properties: dict[Text, Text]


def namespace_out(row: NamespaceRow) -> NamespaceOut:
    return NamespaceOut(name=row.name, properties=row.properties or {}, create_time=row.create_time)


@router.get("", response_model=NamespaceList)
def list_namespaces(
    ctx: Ctx, caller: Caller, page: Annotated[PageArgs, Depends(page_args)]
) -> NamespaceList:
    """The namespaces the token may read (all of them without auth_tokens)."""
    if access.visible_namespaces(caller) is None:
        found = listings.namespaces_page(ctx.app, page.limit, page.offset)
        rows, total = found.items, found.total
    else:  # a token names its namespaces: few, so all of them, paged here
        readable = access.list_visible_namespaces(ctx.app, caller, MAX_LIMIT, 0)
        rows, total = readable[page.offset : page.offset + page.limit], len(readable)
    return NamespaceList(
        namespaces=[namespace_out(r) for r in rows],
        total_entries=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("", response_model=NamespaceOut, status_code=201)
def add_namespace(ctx: Ctx, caller: Caller, body: NamespaceIn) -> NamespaceOut:
    """Needs write on the new namespace."""
    access.require_namespace(caller, body.name, write=True)
    return namespace_out(namespaces.add_namespace(ctx.app, body.name, body.properties))


@router.get("/{namespace}", response_model=NamespaceOut, dependencies=[READ_NAMESPACE])
def get_namespace(ctx: Ctx, namespace: str) -> NamespaceOut:
    return namespace_out(namespaces.get_namespace(ctx.app, namespace))


@router.patch("/{namespace}", response_model=NamespaceOut, dependencies=[WRITE_NAMESPACE])
def update_namespace(
    ctx: Ctx, namespace: str, body: Annotated[PropertiesIn, Body()]
) -> NamespaceOut:
    return namespace_out(namespaces.update_namespace(ctx.app, namespace, body.properties))


@router.delete(
    "/{namespace}", status_code=204, response_class=Response, dependencies=[WRITE_NAMESPACE]
)
def delete_namespace(ctx: Ctx, namespace: str) -> Response:
    namespaces.delete_namespace(ctx.app, namespace)
    return Response(status_code=204)
