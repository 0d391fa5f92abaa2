"""Who may call which RPC: one rule per method of the API and of the internal RPC.

With `auth_tokens` in aiflow_server.yaml every call presents `authorization: Bearer
<token>`; `AccessInterceptor` turns it into a `Principal` and checks the method's rule
against the request before the servicer runs. A method without a rule is refused (and
tests/ai_flow/server/test_server_access.py fails), so a new RPC cannot slip through
unguarded. Without tokens no interceptor is installed: nothing is checked and nothing
is paid.

What a rule checks:

- a namespace the request names (an empty one is ``default``, as the servicer reads it),
- the namespace of the row the request names by id (`require_owner`),
- every namespace (`GLOBAL_READ`),
- a token that may write somewhere (`UPLOAD`: the use case then checks each namespace
  the uploaded file lands in, before storing; `REPLAY`: and read on the namespace
  replayed), or just a valid one (`LISTED`: the servicer shows only what it may read),
- a task try (`TRY`, the internal RPC): a configured token with write on the try's
  namespace, or the try's own token (`Authenticator.try_token`) for that try only.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import grpc

from ai_flow.app import App
from ai_flow.app.access import Kind, require_namespace, require_owner
from ai_flow.server._errors import abort
from notification_service.util.auth import (
    ANYONE,
    Authenticator,
    PermissionDenied,
    Principal,
    metadata_token,
)

READ = False
WRITE = True

#: Checks `principal` against one request; raises AuthError (or a domain error).
Check = Callable[[App, Principal, Any], None]


@dataclass(frozen=True)
class Rule:
    """What a method needs; `what` names it for docs and test output."""

    what: str
    check: Check


def _ns(namespace: str) -> str:
    return namespace or "default"


def namespace(write: bool, get: Callable[[Any], str]) -> Rule:
    """Read (write) on the namespace `get(request)` names."""

    def check(app: App, principal: Principal, request: Any) -> None:
        require_namespace(principal, _ns(get(request)), write)

    return Rule(f"{'write' if write else 'read'} on the named namespace", check)


def owner(write: bool, kind: Kind, get: Callable[[Any], int]) -> Rule:
    """Read (write) on the namespace of the `kind` row `get(request)`."""

    def check(app: App, principal: Principal, request: Any) -> None:
        require_owner(app, principal, kind, get(request), write)

    return Rule(f"{'write' if write else 'read'} on the {kind}'s namespace", check)


def _everywhere(write: bool) -> Rule:
    def check(app: App, principal: Principal, request: Any) -> None:
        require_namespace(principal, None, write)

    return Rule(f"{'write' if write else 'read'} on every namespace", check)


def _listed(app: App, principal: Principal, request: Any) -> None:
    """Any valid token; the listing is filtered to what it may read."""


def _upload(app: App, principal: Principal, request: Any) -> None:
    # Evaluating a file runs user code: only a token that may write somewhere gets that
    # far; the use case then checks every namespace the file's workflows land in.
    if not principal.writable:
        raise PermissionDenied(f"token '{principal.name}' may not write any namespace")


def _replay(app: App, principal: Principal, request: Any) -> None:
    # A dry run evaluates the file (user code, as an upload does) and reads the events
    # of the namespace it replays (empty: default, as the servicer reads it).
    _upload(app, principal, request)
    require_namespace(principal, _ns(request.namespace), READ)


def _task_try(app: App, principal: Principal, request: Any) -> None:
    te_id = request.task_execution_id
    if principal.task_execution_id is not None:
        if principal.task_execution_id != te_id:
            raise PermissionDenied(
                f"the token of task execution {principal.task_execution_id} may not act "
                f"for task execution {te_id}"
            )
        return
    require_owner(app, principal, "task_execution", te_id, WRITE)


GLOBAL_READ = _everywhere(READ)
LISTED = Rule("any token; shows the namespaces it may read", _listed)
UPLOAD = Rule("write on every namespace the file's workflows are in", _upload)
REPLAY = Rule("write somewhere, and read on the replayed namespace", _replay)
TRY = Rule("the try's own token, or write on its namespace", _task_try)


def _name(r: Any) -> str:
    return str(r.name)


def _ns_name(r: Any) -> str:
    return str(r.namespace.name)


def _field_ns(r: Any) -> str:
    return str(r.namespace)


def _ref_ns(r: Any) -> str:
    return str(r.workflow.namespace)


def _id(r: Any) -> int:
    return int(r.id)


def _we_id(r: Any) -> int:
    return int(r.workflow_execution_id)


def _task_we_id(r: Any) -> int:
    return int(r.task.workflow_execution_id)


#: Method name -> its rule, for AIFlowService and AIFlowInternalService.
RULES: dict[str, Rule] = {
    # Namespaces
    "AddNamespace": namespace(WRITE, _ns_name),
    "GetNamespace": namespace(READ, _name),
    "ListNamespaces": LISTED,
    "UpdateNamespace": namespace(WRITE, _ns_name),
    "DeleteNamespace": namespace(WRITE, _name),
    # Workflows
    "UploadWorkflows": UPLOAD,
    "GetWorkflow": namespace(READ, _field_ns),
    "ListWorkflows": namespace(READ, _field_ns),
    "DeleteWorkflow": namespace(WRITE, _field_ns),
    "DisableWorkflow": namespace(WRITE, _field_ns),
    "EnableWorkflow": namespace(WRITE, _field_ns),
    # Snapshots
    "GetWorkflowSnapshot": owner(READ, "snapshot", _id),
    "ListWorkflowSnapshots": namespace(READ, _ref_ns),
    "DeleteWorkflowSnapshot": owner(WRITE, "snapshot", _id),
    "DeleteWorkflowSnapshots": namespace(WRITE, _field_ns),
    # Workflow executions
    "StartWorkflowExecution": namespace(WRITE, _field_ns),
    "StopWorkflowExecution": owner(WRITE, "workflow_execution", _id),
    "StopWorkflowExecutions": namespace(WRITE, _field_ns),
    "GetWorkflowExecution": owner(READ, "workflow_execution", _id),
    "ListWorkflowExecutions": namespace(READ, _ref_ns),
    "DeleteWorkflowExecution": owner(WRITE, "workflow_execution", _id),
    # Task executions
    "GetTaskExecution": owner(READ, "task_execution", _id),
    "ListTaskExecutions": owner(READ, "workflow_execution", _we_id),
    "StartTaskExecution": owner(WRITE, "workflow_execution", _we_id),
    "StopTaskExecution": owner(WRITE, "workflow_execution", _we_id),
    # Schedules
    "AddWorkflowSchedule": namespace(WRITE, _ref_ns),
    "GetWorkflowSchedule": owner(READ, "schedule", _id),
    "ListWorkflowSchedules": namespace(READ, _ref_ns),
    "PauseWorkflowSchedule": owner(WRITE, "schedule", _id),
    "ResumeWorkflowSchedule": owner(WRITE, "schedule", _id),
    "DeleteWorkflowSchedule": owner(WRITE, "schedule", _id),
    "DeleteWorkflowSchedules": namespace(WRITE, _field_ns),
    # Triggers
    "AddWorkflowTrigger": namespace(WRITE, _ref_ns),
    "GetWorkflowTrigger": owner(READ, "trigger", _id),
    "ListWorkflowTriggers": namespace(READ, _ref_ns),
    "PauseWorkflowTrigger": owner(WRITE, "trigger", _id),
    "ResumeWorkflowTrigger": owner(WRITE, "trigger", _id),
    "DeleteWorkflowTrigger": owner(WRITE, "trigger", _id),
    "DeleteWorkflowTriggers": namespace(WRITE, _field_ns),
    # Scheduler: its errors name events of any namespace.
    "ListSchedulerErrors": GLOBAL_READ,
    # Explanations of the decision log; an event's spans every namespace it could match.
    "ExplainTaskExecution": owner(READ, "workflow_execution", _task_we_id),
    "ExplainEvent": GLOBAL_READ,
    "ExplainWorkflowExecution": owner(READ, "workflow_execution", _id),
    "ReplayWorkflow": REPLAY,
    # Internal RPC (task runtimes)
    "ClaimTask": TRY,
    "TaskHeartbeat": TRY,
    "RecordExternalJob": TRY,
}

_principal: ContextVar[Principal] = ContextVar("aiflow_principal", default=ANYONE)


def current_principal() -> Principal:
    """Who the RPC being served is from (ANYONE without auth_tokens)."""
    return _principal.get()


class AccessInterceptor(grpc.ServerInterceptor):
    """Authenticates every call and checks its method's rule before the servicer runs."""

    def __init__(self, app: App, authenticator: Authenticator) -> None:
        self._app = app
        self._auth = authenticator

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        if handler is None:
            return None  # UNIMPLEMENTED
        method = handler_call_details.method.rpartition("/")[2]
        rule = RULES.get(method)
        inner = handler.unary_unary
        if rule is None or inner is None:
            return _refused(method, handler)
        authorization = metadata_token(handler_call_details.invocation_metadata)
        app, auth = self._app, self._auth

        def guarded(request: Any, context: grpc.ServicerContext) -> Any:
            try:
                principal = auth.authenticate(authorization)
                rule.check(app, principal, request)
            except Exception as exc:  # noqa: BLE001 - abort() maps it to a status
                abort(context, exc, method)
            reset = _principal.set(principal)
            try:
                return inner(request, context)
            finally:
                _principal.reset(reset)

        return grpc.unary_unary_rpc_method_handler(
            guarded,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


def _refused(method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    """A method nobody wrote a rule for: refused, whoever asks."""

    def refuse(request: Any, context: grpc.ServicerContext) -> Any:
        context.abort(grpc.StatusCode.PERMISSION_DENIED, f"{method} has no access rule")

    return grpc.unary_unary_rpc_method_handler(
        refuse,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )
