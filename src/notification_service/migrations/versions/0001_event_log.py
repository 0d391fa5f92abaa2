"""event log, offset counter and HA members

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

LongText = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def _binary(length: int) -> sa.String:
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def upgrade() -> None:
    op.create_table(
        "ns_event",
        sa.Column("offset", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("key", _binary(1024), nullable=False),
        sa.Column("value", LongText),
        sa.Column("namespace", _binary(255), nullable=False),
        sa.Column("sender", _binary(255)),
        sa.Column("context", LongText),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_id", _binary(128), unique=True),
    )
    op.create_index(
        "ix_ns_event_key_offset", "ns_event", ["key", "offset"], mysql_length={"key": 255}
    )
    op.create_index(
        "ix_ns_event_namespace_key_offset",
        "ns_event",
        ["namespace", "key", "offset"],
        mysql_length={"key": 255},
    )
    op.create_index("ix_ns_event_create_time", "ns_event", ["create_time"])
    counter = op.create_table(
        "ns_offset_counter",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("last_offset", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(counter, [{"id": 1, "last_offset": 0}])
    op.create_table(
        "ns_member",
        sa.Column("server_uri", sa.String(255), primary_key=True),
        sa.Column("update_time", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ns_member")
    op.drop_table("ns_offset_counter")
    op.drop_index("ix_ns_event_create_time", "ns_event")
    op.drop_index("ix_ns_event_namespace_key_offset", "ns_event")
    op.drop_index("ix_ns_event_key_offset", "ns_event")
    op.drop_table("ns_event")
