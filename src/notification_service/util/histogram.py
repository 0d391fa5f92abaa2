"""A histogram kept as plain numbers (cheap to update on a hot path), turned into a
Prometheus metric family only when a scrape asks for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Histogram:
    bounds: tuple[float, ...]  # upper bounds of the buckets, ascending
    buckets: list[int] = field(init=False)
    count: int = 0
    sum: float = 0.0

    def __post_init__(self) -> None:
        self.buckets = [0] * len(self.bounds)

    def observe(self, value: float) -> None:
        self.count += 1
        self.sum += value
        for i, bound in enumerate(self.bounds):
            if value <= bound:
                self.buckets[i] += 1
                break

    def family(self, name: str, documentation: str) -> Any:
        """A prometheus_client HistogramMetricFamily (cumulative buckets, +Inf = count)."""
        from prometheus_client.core import HistogramMetricFamily

        cumulative, buckets = 0, []
        for bound, count in zip(self.bounds, self.buckets, strict=True):
            cumulative += count
            buckets.append((str(bound), cumulative))
        buckets.append(("+Inf", self.count))
        return HistogramMetricFamily(name, documentation, buckets=buckets, sum_value=self.sum)
