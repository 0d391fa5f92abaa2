"""The AIFlow server's Prometheus metrics, served at /metrics on rest_port.

Counters come from the scheduler's in-memory stats (they grow on the server that
schedules); gauges are read at scrape time from the database and the notification
server. prometheus_client is imported only when a scrape comes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ai_flow.app import App, health, metrics
from ai_flow.scheduler import SchedulerStats

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class ServerMetrics:
    def __init__(
        self,
        app: App,
        stats: SchedulerStats,
        executor: str,
        latest_offset: Callable[[], int],
        scheduling: Callable[[], bool],
    ) -> None:
        self._app = app
        self._stats = stats
        self._executor = executor
        self._latest_offset = latest_offset
        self._scheduling = scheduling

    def render(self) -> bytes:
        """The exposition text of one scrape."""
        from prometheus_client import CollectorRegistry, generate_latest

        registry = CollectorRegistry(auto_describe=False)
        registry.register(self)
        return generate_latest(registry)

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        s = self._stats
        for name, doc, value in (
            ("aiflow_scheduler_events", "Events applied by the scheduler.", s.events),
            ("aiflow_scheduler_batches", "Scheduling transactions committed.", s.batches),
            ("aiflow_scheduler_skipped_events", "Poison events skipped.", s.skipped_events),
        ):
            yield CounterMetricFamily(name, doc, value=value)
        reports = CounterMetricFamily(
            "aiflow_task_reports", "Task status reports applied, by status.", labels=["status"]
        )
        for status, count in sorted(s.task_reports.items()):
            reports.add_metric([status], count)
        yield reports
        yield s.latency.family(
            "aiflow_event_to_action_seconds",
            "From an event being stored to the scheduler committing the commands it caused.",
        )
        yield GaugeMetricFamily(
            "aiflow_scheduling",
            "1 if this server holds the scheduling lease.",
            value=1 if self._scheduling() else 0,
        )
        state = health.check_health(self._app, self._latest_offset)
        if state.committed_offset is not None:
            yield GaugeMetricFamily(
                "aiflow_scheduler_committed_offset",
                "The last event offset the scheduler committed.",
                value=state.committed_offset,
            )
        if state.scheduler_lag is not None:
            yield GaugeMetricFamily(
                "aiflow_scheduler_lag",
                "Events stored but not yet committed by the scheduler (latest - committed).",
                value=state.scheduler_lag,
            )
        if state.database_error is not None:
            return  # nothing more can be read
        gauges = metrics.scheduler_gauges(self._app)
        yield GaugeMetricFamily(
            "aiflow_commands_pending", "Task commands not yet carried out.", gauges.commands_pending
        )
        tasks = GaugeMetricFamily(
            "aiflow_tasks", "Task executions alive, by status.", labels=["executor", "status"]
        )
        for status, count in gauges.tasks_alive.items():
            tasks.add_metric([self._executor, status], count)
        yield tasks
        yield GaugeMetricFamily(
            "aiflow_rule_errors",
            "Rule states holding a condition error (__error__).",
            gauges.rule_errors,
        )
