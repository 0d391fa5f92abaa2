"""The in-memory run of recently committed events that listen streams match against."""

from __future__ import annotations

from notification_service.model import Event
from notification_service.server._recent import RecentEvents


def _events(*offsets: int, size: int = 0) -> list[Event]:
    return [Event(f"k{o}", "v" * size, offset=o) for o in offsets]


def test_it_serves_a_range_only_when_it_holds_all_of_it() -> None:
    recent = RecentEvents()
    assert recent.between(0, 1) is None
    recent.add(_events(5, 6, 7))
    assert [e.offset for e in recent.between(4, 7)] == [5, 6, 7]
    assert [e.offset for e in recent.between(5, 6)] == [6]
    assert recent.between(4, 8) is None  # 8 was not committed here
    assert recent.between(3, 7) is None  # 4 is not here


def test_repeats_are_skipped_and_a_gap_starts_afresh() -> None:
    recent = RecentEvents()
    recent.add(_events(1, 2))
    recent.add(_events(2, 3))  # an idempotent resend returned 2 again
    assert [e.offset for e in recent.between(0, 3)] == [1, 2, 3]
    recent.add(_events(6))  # 4 and 5 were committed by another server
    assert recent.between(0, 6) is None and recent.between(3, 6) is None
    assert [e.offset for e in recent.between(5, 6)] == [6]


def test_it_stays_within_its_bounds() -> None:
    recent = RecentEvents(max_events=100, max_bytes=1 << 30)
    recent.add(_events(*range(1, 1001)))
    assert recent.between(999, 1000) is not None and recent.between(800, 1000) is None
    big = RecentEvents(max_events=10**6, max_bytes=100_000)
    big.add(_events(*range(1, 101), size=10_000))
    assert big.between(99, 100) is not None and big.between(80, 100) is None
