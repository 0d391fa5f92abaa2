"""task executions: the external job a try runs on an engine, and the last savepoint

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

LongText = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def upgrade() -> None:
    with op.batch_alter_table("af_task_execution") as batch:
        batch.add_column(sa.Column("external_job", LongText))
        batch.add_column(sa.Column("external_job_try", sa.Integer()))
        batch.add_column(
            sa.Column(
                "external_job_active", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(sa.Column("savepoint", LongText))
        batch.create_index("ix_af_task_execution_external", ["external_job_active"])


def downgrade() -> None:
    with op.batch_alter_table("af_task_execution") as batch:
        batch.drop_index("ix_af_task_execution_external")
        batch.drop_column("savepoint")
        batch.drop_column("external_job_active")
        batch.drop_column("external_job_try")
        batch.drop_column("external_job")
