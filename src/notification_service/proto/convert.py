"""Conversions between the protobuf messages and the plain model types."""

from __future__ import annotations

from notification_service.model import Event, EventFilter
from notification_service.proto import notification_service_pb2 as pb


def _opt(msg, name: str):  # noqa: ANN001, ANN202
    return getattr(msg, name) if msg.HasField(name) else None


def event_to_proto(event: Event) -> pb.EventProto:
    return pb.EventProto(
        key=event.key,
        value=event.value,
        namespace=event.namespace,
        sender=event.sender,
        context=event.context,
        offset=event.offset or 0,
        create_time=event.create_time or 0,
    )


def event_from_proto(msg: pb.EventProto) -> Event:
    return Event(
        key=msg.key,
        value=_opt(msg, "value"),
        namespace=_opt(msg, "namespace"),
        sender=_opt(msg, "sender"),
        context=_opt(msg, "context"),
        offset=msg.offset,
        create_time=msg.create_time,
    )


def filter_to_proto(flt: EventFilter) -> pb.EventFilter:
    return pb.EventFilter(
        keys=list(flt.keys),
        namespace=flt.namespace,
        sender=flt.sender,
        begin_offset=flt.begin_offset,
        begin_time=flt.begin_time,
        end_offset=flt.end_offset,
        key_prefixes=list(flt.key_prefixes),
    )


def filter_from_proto(msg: pb.EventFilter) -> EventFilter:
    return EventFilter(
        keys=tuple(msg.keys),
        namespace=_opt(msg, "namespace"),
        sender=_opt(msg, "sender"),
        begin_offset=_opt(msg, "begin_offset"),
        begin_time=_opt(msg, "begin_time"),
        end_offset=_opt(msg, "end_offset"),
        key_prefixes=tuple(msg.key_prefixes),
    )
