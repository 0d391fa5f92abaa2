"""Table declarations of the event log (behaviour lives in _sql.py).

SQLAlchemy Core tables, not ORM classes: the server never maps rows to objects, and
the ORM would cost every server process about 6 MB.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.dialects import mysql

# MySQL's TEXT holds 64 KiB; values go up to the configured limit (1 MiB default).
LongText = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def BinaryString(length: int) -> String:  # noqa: N802 - reads like a column type
    """Keys compare byte for byte: MySQL's default collation would match 'Key' to 'key'."""
    return String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


metadata = MetaData()

events = Table(
    "ns_event",
    metadata,
    Column("offset", BigInteger, primary_key=True, autoincrement=False),
    Column("key", BinaryString(1024), nullable=False),
    Column("value", LongText),
    Column("namespace", BinaryString(255), nullable=False),
    Column("sender", BinaryString(255)),
    Column("context", LongText),
    Column("create_time", BigInteger, nullable=False),
    Column("idempotency_id", BinaryString(128), unique=True),
    Index("ix_ns_event_key_offset", "key", "offset", mysql_length={"key": 255}),
    Index(
        "ix_ns_event_namespace_key_offset",
        "namespace",
        "key",
        "offset",
        mysql_length={"key": 255},
    ),
    Index("ix_ns_event_create_time", "create_time"),
)

# One row; locking it serialises writers so offsets commit in order.
offset_counter = Table(
    "ns_offset_counter",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_offset", BigInteger, nullable=False),
)

members = Table(
    "ns_member",
    metadata,
    Column("server_uri", String(255), primary_key=True),
    Column("update_time", BigInteger, nullable=False),
)
