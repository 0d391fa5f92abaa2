from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EventProto(_message.Message):
    __slots__ = ("key", "value", "namespace", "sender", "context", "offset", "create_time")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: str
    namespace: str
    sender: str
    context: str
    offset: int
    create_time: int
    def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ..., namespace: _Optional[str] = ..., sender: _Optional[str] = ..., context: _Optional[str] = ..., offset: _Optional[int] = ..., create_time: _Optional[int] = ...) -> None: ...

class SendEventRequest(_message.Message):
    __slots__ = ("key", "value", "namespace", "sender", "context", "idempotency_id", "seq")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: str
    namespace: str
    sender: str
    context: str
    idempotency_id: str
    seq: int
    def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ..., namespace: _Optional[str] = ..., sender: _Optional[str] = ..., context: _Optional[str] = ..., idempotency_id: _Optional[str] = ..., seq: _Optional[int] = ...) -> None: ...

class SendEventResponse(_message.Message):
    __slots__ = ("event", "seq", "error_code", "error_message")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    event: EventProto
    seq: int
    error_code: int
    error_message: str
    def __init__(self, event: _Optional[_Union[EventProto, _Mapping]] = ..., seq: _Optional[int] = ..., error_code: _Optional[int] = ..., error_message: _Optional[str] = ...) -> None: ...

class SendEventsRequest(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[SendEventRequest]
    def __init__(self, events: _Optional[_Iterable[_Union[SendEventRequest, _Mapping]]] = ...) -> None: ...

class SendEventsResponse(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[EventProto]
    def __init__(self, events: _Optional[_Iterable[_Union[EventProto, _Mapping]]] = ...) -> None: ...

class EventFilter(_message.Message):
    __slots__ = ("keys", "namespace", "sender", "begin_offset", "begin_time", "end_offset", "key_prefixes")
    KEYS_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    BEGIN_OFFSET_FIELD_NUMBER: _ClassVar[int]
    BEGIN_TIME_FIELD_NUMBER: _ClassVar[int]
    END_OFFSET_FIELD_NUMBER: _ClassVar[int]
    KEY_PREFIXES_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedScalarFieldContainer[str]
    namespace: str
    sender: str
    begin_offset: int
    begin_time: int
    end_offset: int
    key_prefixes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, keys: _Optional[_Iterable[str]] = ..., namespace: _Optional[str] = ..., sender: _Optional[str] = ..., begin_offset: _Optional[int] = ..., begin_time: _Optional[int] = ..., end_offset: _Optional[int] = ..., key_prefixes: _Optional[_Iterable[str]] = ...) -> None: ...

class ListEventsRequest(_message.Message):
    __slots__ = ("filter", "limit")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    filter: EventFilter
    limit: int
    def __init__(self, filter: _Optional[_Union[EventFilter, _Mapping]] = ..., limit: _Optional[int] = ...) -> None: ...

class ListEventsResponse(_message.Message):
    __slots__ = ("events", "has_more")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[EventProto]
    has_more: bool
    def __init__(self, events: _Optional[_Iterable[_Union[EventProto, _Mapping]]] = ..., has_more: _Optional[bool] = ...) -> None: ...

class CountEventsRequest(_message.Message):
    __slots__ = ("filter",)
    FILTER_FIELD_NUMBER: _ClassVar[int]
    filter: EventFilter
    def __init__(self, filter: _Optional[_Union[EventFilter, _Mapping]] = ...) -> None: ...

class SenderCount(_message.Message):
    __slots__ = ("sender", "count")
    SENDER_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    sender: str
    count: int
    def __init__(self, sender: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class CountEventsResponse(_message.Message):
    __slots__ = ("count", "sender_counts")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    SENDER_COUNTS_FIELD_NUMBER: _ClassVar[int]
    count: int
    sender_counts: _containers.RepeatedCompositeFieldContainer[SenderCount]
    def __init__(self, count: _Optional[int] = ..., sender_counts: _Optional[_Iterable[_Union[SenderCount, _Mapping]]] = ...) -> None: ...

class ListenEventsRequest(_message.Message):
    __slots__ = ("filter", "batch_size", "progress")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    filter: EventFilter
    batch_size: int
    progress: bool
    def __init__(self, filter: _Optional[_Union[EventFilter, _Mapping]] = ..., batch_size: _Optional[int] = ..., progress: _Optional[bool] = ...) -> None: ...

class EventBatch(_message.Message):
    __slots__ = ("events", "scanned_offset")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    SCANNED_OFFSET_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[EventProto]
    scanned_offset: int
    def __init__(self, events: _Optional[_Iterable[_Union[EventProto, _Mapping]]] = ..., scanned_offset: _Optional[int] = ...) -> None: ...

class LatestOffsetRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class OffsetResponse(_message.Message):
    __slots__ = ("offset",)
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    offset: int
    def __init__(self, offset: _Optional[int] = ...) -> None: ...

class TimeToOffsetRequest(_message.Message):
    __slots__ = ("timestamp",)
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    timestamp: int
    def __init__(self, timestamp: _Optional[int] = ...) -> None: ...

class ListMembersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MemberProto(_message.Message):
    __slots__ = ("server_uri", "update_time")
    SERVER_URI_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    server_uri: str
    update_time: int
    def __init__(self, server_uri: _Optional[str] = ..., update_time: _Optional[int] = ...) -> None: ...

class ListMembersResponse(_message.Message):
    __slots__ = ("members",)
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    members: _containers.RepeatedCompositeFieldContainer[MemberProto]
    def __init__(self, members: _Optional[_Iterable[_Union[MemberProto, _Mapping]]] = ...) -> None: ...

class NotifyNewEventsRequest(_message.Message):
    __slots__ = ("offset",)
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    offset: int
    def __init__(self, offset: _Optional[int] = ...) -> None: ...

class Empty(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
