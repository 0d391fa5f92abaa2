"""What the scheduler did, as plain counters for /metrics (read at scrape time).

Counted after each transaction commits, so a retried batch is counted once; kept by the
server across scheduling terms, so the counters only grow.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from notification_service.util.histogram import Histogram

#: Upper bounds (seconds) of the event -> action latency histogram's buckets.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass
class SchedulerStats:
    events: int = 0  # events applied in scheduling transactions
    batches: int = 0
    skipped_events: int = 0  # poison events, recorded as scheduler errors
    task_reports: Counter[str] = field(default_factory=Counter)  # by reported status
    #: Transactions that queued commands: seconds from the batch's oldest event being
    #: stored to the decision committed.
    latency: Histogram = field(default_factory=lambda: Histogram(LATENCY_BUCKETS))
