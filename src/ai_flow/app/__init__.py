"""The application layer: the use cases every transport (gRPC, the internal RPC, later
REST) adapts. Each takes the `App` context, runs in its own sessions and raises domain
errors (`ai_flow.app.errors`); none of it knows about protobuf or HTTP."""

from ai_flow.app import (
    access,
    errors,
    executions,
    explain,
    explain_event,
    external_jobs,
    health,
    listings,
    metrics,
    namespaces,
    replay,
    scheduler_errors,
    task_logs,
    task_runtime,
    timers,
    workflows,
)
from ai_flow.app._context import App
from ai_flow.app._heartbeats import HeartbeatBook

__all__ = [
    "App",
    "HeartbeatBook",
    "access",
    "errors",
    "executions",
    "explain",
    "explain_event",
    "external_jobs",
    "health",
    "listings",
    "metrics",
    "namespaces",
    "replay",
    "scheduler_errors",
    "task_logs",
    "task_runtime",
    "timers",
    "workflows",
]
