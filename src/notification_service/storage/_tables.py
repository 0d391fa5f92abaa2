"""Table declarations of the event log (behaviour lives in _sql.py)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# MySQL's TEXT holds 64 KiB; values go up to the configured limit (1 MiB default).
LongText = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def BinaryString(length: int) -> String:  # noqa: N802 - reads like a column type
    """Keys compare byte for byte: MySQL's default collation would match 'Key' to 'key'."""
    return String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


class Base(DeclarativeBase):
    pass


class EventRow(Base):
    __tablename__ = "ns_event"

    offset: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(BinaryString(1024), nullable=False)
    value: Mapped[str | None] = mapped_column(LongText)
    namespace: Mapped[str] = mapped_column(BinaryString(255), nullable=False)
    sender: Mapped[str | None] = mapped_column(BinaryString(255))
    context: Mapped[str | None] = mapped_column(LongText)
    create_time: Mapped[int] = mapped_column(BigInteger, nullable=False)
    idempotency_id: Mapped[str | None] = mapped_column(BinaryString(128), unique=True)

    __table_args__ = (
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


class OffsetCounterRow(Base):
    """One row; locking it serialises writers so offsets commit in order."""

    __tablename__ = "ns_offset_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_offset: Mapped[int] = mapped_column(BigInteger, nullable=False)


class MemberRow(Base):
    __tablename__ = "ns_member"

    server_uri: Mapped[str] = mapped_column(String(255), primary_key=True)
    update_time: Mapped[int] = mapped_column(BigInteger, nullable=False)
