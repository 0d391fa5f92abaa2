"""`notification event ...`: send, list, count and listen to events."""

from __future__ import annotations

import json
import signal
import threading

import click
import yaml

from notification_service.cli._common import (
    make_client,
    namespace_option,
    output_option,
    parse_time,
    server_uri_option,
    token_option,
)
from notification_service.client import Event, ListenerProcessor, NotificationError
from notification_service.util.output import format_time, render

EVENT_COLUMNS = ["offset", "key", "value", "namespace", "sender", "context", "create_time"]
KEY_HELP = "KEY is the event key; '*' matches every key."
BEGIN_OFFSET_HELP = "Only events after this offset (exclusive); 0 means from the start."
BEGIN_TIME_HELP = "Only events created at or after this ISO 8601 time, e.g. 2024-01-31T12:00."
# Offsets are int64s and a page limit an int32 in the protocol: beyond is a usage error.
OFFSET = click.IntRange(0, 2**63 - 1)
LIMIT = click.IntRange(1, 2**31 - 1)


def _filters(fn):  # noqa: ANN001, ANN202
    """The filter options shared by `list` and `count`."""
    fn = click.option("--sender", default=None, help="Only events from this sender.")(fn)
    fn = click.option(
        "--end-offset", type=OFFSET, default=None, help="Up to this offset (inclusive)."
    )(fn)
    fn = click.option("--begin-time", default=None, help=BEGIN_TIME_HELP)(fn)
    fn = click.option("--begin-offset", type=OFFSET, default=None, help=BEGIN_OFFSET_HELP)(fn)
    return namespace_option(server_uri_option(token_option(fn)))


@click.group("event")
def event_group() -> None:
    """Send and read events."""


@event_group.command("send")
@click.argument("key")
@click.argument("value")
@namespace_option
@click.option("--sender", default=None, help="Sender of the event.")
@click.option("--context", default=None, help="Context of the event.")
@output_option()
@server_uri_option
@token_option
def send(
    key: str,
    value: str,
    namespace: str | None,
    sender: str | None,
    context: str | None,
    fmt: str,
    server_uri: str | None,
    token: str | None,
) -> None:
    """Send an event with KEY and VALUE and print it as stored (with its offset)."""
    with make_client(server_uri, token, namespace=namespace, sender=sender) as client:
        event = client.send_event(key, value, context)
    render([event.to_dict()], fmt, EVENT_COLUMNS)


@event_group.command("list", epilog=KEY_HELP)
@click.argument("key")
@_filters
@click.option(
    "--limit",
    type=LIMIT,
    default=None,
    help="At most this many events (without it: one server page, 1,000 by default).",
)
@output_option()
def list_(
    key: str,
    namespace: str | None,
    server_uri: str | None,
    token: str | None,
    begin_offset: int | None,
    begin_time: str | None,
    end_offset: int | None,
    sender: str | None,
    limit: int | None,
    fmt: str,
) -> None:
    """List events with KEY in offset order."""
    start = parse_time(begin_time, "--begin-time")
    with make_client(server_uri, token) as client:
        events = client.list_events(key, namespace, sender, begin_offset, start, end_offset, limit)
    render([e.to_dict() for e in events], fmt, EVENT_COLUMNS)


@event_group.command("count", epilog=KEY_HELP)
@click.argument("key")
@_filters
@output_option()
def count(
    key: str,
    namespace: str | None,
    server_uri: str | None,
    token: str | None,
    begin_offset: int | None,
    begin_time: str | None,
    end_offset: int | None,
    sender: str | None,
    fmt: str,
) -> None:
    """Count events with KEY: the total and the count per sender."""
    start = parse_time(begin_time, "--begin-time")
    with make_client(server_uri, token) as client:
        total, per_sender = client.count_events(
            key, namespace, sender, begin_offset, start, end_offset
        )
    rows = [{"sender": s, "count": c} for s, c in sorted(per_sender.items(), key=str)]
    if fmt in ("json", "yaml"):
        # One document so scripts get the total and the breakdown together.
        doc = {"total": total, "senders": rows}
        text = json.dumps(doc, indent=2) if fmt == "json" else yaml.safe_dump(doc, sort_keys=False)
        click.echo(text.rstrip("\n"))
        return
    click.echo(f"Total: {total}")
    render(rows, fmt, ["sender", "count"], time_columns=())


class _Printer(ListenerProcessor):
    def __init__(self) -> None:
        self.stopped = threading.Event()
        self.error: NotificationError | None = None

    def failed(self, error: NotificationError) -> None:
        self.error = error  # the command ends with it
        self.stopped.set()

    def process(self, events: list[Event]) -> None:
        for e in events:
            # flush: a pipe reader (or a test) must see each event as it arrives.
            click.echo(
                f"{e.offset}\t{e.key}\t{e.value or ''}\t{e.namespace or ''}\t"
                f"{e.sender or ''}\t{format_time(e.create_time) or ''}",
                nl=True,
            )
            click.get_text_stream("stdout").flush()  # type: ignore[operator]


@event_group.command("listen", epilog=KEY_HELP)
@click.argument("key")
@click.option("--begin-offset", type=OFFSET, default=None, help=BEGIN_OFFSET_HELP)
@click.option("--begin-time", default=None, help=BEGIN_TIME_HELP + " Default: now.")
@namespace_option
@server_uri_option
@token_option
def listen(
    key: str,
    begin_offset: int | None,
    begin_time: str | None,
    namespace: str | None,
    server_uri: str | None,
    token: str | None,
) -> None:
    """Print events with KEY as they arrive (offset, key, value, namespace, sender, time)
    until Ctrl-C. Without --begin-offset/--begin-time only new events are shown."""
    if begin_offset is not None and begin_time is not None:
        raise click.ClickException("give at most one of --begin-offset and --begin-time")
    start = parse_time(begin_time, "--begin-time")
    # Stop cleanly on Ctrl-C and on SIGTERM, even when started from a script that
    # ignores SIGINT for background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    client = make_client(server_uri, token)
    printer = _Printer()
    try:
        # A refused token or namespace is the only line, not after "Listening...".
        client.list_events(key, namespace, begin_offset=client.get_latest_offset(), limit=1)
        client.register_listener(printer, [key], begin_offset, start, namespace)
        click.echo(f"Listening for events with key {key!r}; press Ctrl-C to stop.", err=True)
        printer.stopped.wait()
        if printer.error is not None:
            raise printer.error  # e.g. the token may not read this namespace
    except KeyboardInterrupt:
        pass  # Ctrl-C is the normal way to stop listening
    finally:
        client.close()
