"""Namespaces: add, get, list, update, delete."""

from __future__ import annotations

from ai_flow.ops._client import RPC_TIMEOUT, NotFoundError, build, call
from ai_flow.ops._meta import NamespaceMeta
from ai_flow.ops._paging import page
from ai_flow.proto import aiflow_pb2 as pb


def add_namespace(name: str, properties: dict | None = None) -> NamespaceMeta:
    ns = build(
        pb.NamespaceProto, name=name, properties={k: str(v) for k, v in (properties or {}).items()}
    )
    msg = call(
        lambda s: s.AddNamespace(build(pb.NamespaceRequest, namespace=ns), timeout=RPC_TIMEOUT)
    )
    return NamespaceMeta.from_proto(msg)


def get_namespace(name: str) -> NamespaceMeta | None:
    try:
        msg = call(lambda s: s.GetNamespace(build(pb.NameRequest, name=name), timeout=RPC_TIMEOUT))
    except NotFoundError:
        return None
    return NamespaceMeta.from_proto(msg)


def list_namespaces(limit: int | None = None, offset: int | None = None) -> list[NamespaceMeta]:
    request = build(pb.ListNamespacesRequest, page=page(limit, offset))
    msg = call(lambda s: s.ListNamespaces(request, timeout=RPC_TIMEOUT))
    return [NamespaceMeta.from_proto(n) for n in msg.namespaces]


def update_namespace(name: str, properties: dict) -> NamespaceMeta | None:
    ns = build(pb.NamespaceProto, name=name, properties={k: str(v) for k, v in properties.items()})
    msg = call(
        lambda s: s.UpdateNamespace(build(pb.NamespaceRequest, namespace=ns), timeout=RPC_TIMEOUT)
    )
    return NamespaceMeta.from_proto(msg)


def delete_namespace(name: str) -> None:
    call(lambda s: s.DeleteNamespace(build(pb.NameRequest, name=name), timeout=RPC_TIMEOUT))
