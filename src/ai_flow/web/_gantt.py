"""An execution's task executions on one time axis: a bar per run, from its first try
to its end (or now, while alive), the earlier tries shaded. Positions are percentages
of the axis, so the chart is plain HTML that scales with the page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ai_flow.metadata import TaskExecutionRow, WorkflowExecutionRow
from ai_flow.web._format import ALIVE


@dataclass(frozen=True)
class Bar:
    run: TaskExecutionRow
    left: float  # % of the axis
    width: float
    retry_width: float  # % of the axis taken by the tries before the current one


@dataclass(frozen=True)
class Tick:
    left: float
    label: str


@dataclass(frozen=True)
class Gantt:
    bars: list[Bar]
    ticks: list[Tick]
    pending: list[TaskExecutionRow]  # runs that have not begun yet


def _label(ms: float) -> str:
    seconds = ms / 1000
    if seconds < 120:
        return f"+{seconds:.0f}s" if seconds >= 10 or seconds == 0 else f"+{seconds:.1f}s"
    return f"+{seconds / 60:.0f}m"


def build_gantt(
    execution: WorkflowExecutionRow, runs: Sequence[TaskExecutionRow], now: int
) -> Gantt:
    start = execution.begin_date
    ends = [r.end_date or (now if r.status in ALIVE else r.begin_date or start) for r in runs]
    end = max([execution.end_date or now, *ends])
    span = max(end - start, 1)

    def pct(ms: int) -> float:
        return round(100 * min(max(ms - start, 0), span) / span, 3)

    bars, pending = [], []
    for run, run_end in zip(runs, ends, strict=True):
        if run.begin_date is None:
            pending.append(run)
            continue
        left = pct(run.begin_date)
        width = max(pct(run_end) - left, 0.4)  # a run of a few ms still shows
        retry = 0.0
        if run.try_number > 1 and run.try_start_time is not None:
            retry = min(max(pct(run.try_start_time) - left, 0), width)
        bars.append(Bar(run, left, width, retry))
    ticks = [Tick(i * 25.0, _label(span * i / 4)) for i in range(5)]
    return Gantt(bars, ticks, pending)
