"""Event, EventFilter and their protobuf conversions."""

from __future__ import annotations

from notification_service.model import ANY_KEY, DEFAULT_NAMESPACE, Event, EventFilter
from notification_service.proto.convert import (
    event_from_proto,
    event_to_proto,
    filter_from_proto,
    filter_to_proto,
)


def _event(**kw: object) -> Event:
    base = dict(key="k", value="v", namespace="ns", sender="s", offset=5, create_time=1000)
    return Event(**{**base, **kw})


def test_filter_matches() -> None:
    event = _event()
    assert EventFilter().matches(event)
    assert EventFilter(keys=(ANY_KEY,)).matches(event)
    assert EventFilter(keys=("x", "k")).matches(event)
    assert not EventFilter(keys=("x",)).matches(event)
    assert not EventFilter(namespace="other").matches(event)
    assert not EventFilter(sender="other").matches(event)
    assert EventFilter(begin_offset=4).matches(event)
    assert not EventFilter(begin_offset=5).matches(event)  # exclusive
    assert EventFilter(end_offset=5).matches(event)  # inclusive
    assert not EventFilter(end_offset=4).matches(event)
    assert EventFilter(begin_time=1000).matches(event)  # inclusive
    assert not EventFilter(begin_time=1001).matches(event)


def test_event_dict_and_str() -> None:
    event = _event(context="c")
    assert event.to_dict() == {
        "key": "k",
        "value": "v",
        "namespace": "ns",
        "sender": "s",
        "context": "c",
        "offset": 5,
        "create_time": 1000,
    }
    assert "offset=5" in str(event) and "'k'" in str(event)
    assert DEFAULT_NAMESPACE == "default"


def test_event_proto_roundtrip_keeps_none_apart_from_empty() -> None:
    for event in [
        _event(context="ctx"),
        Event(key="k", offset=1, create_time=2),
        _event(value="", sender="", context=""),
        _event(key="ключ", value="🚀"),
    ]:
        assert event_from_proto(event_to_proto(event)) == event


def test_filter_proto_roundtrip() -> None:
    for flt in [
        EventFilter(),
        EventFilter(keys=("a", "b"), namespace="n", sender="s", begin_offset=0),
        EventFilter(begin_offset=3, begin_time=4, end_offset=5),
        EventFilter(namespace=""),
    ]:
        assert filter_from_proto(filter_to_proto(flt)) == flt
