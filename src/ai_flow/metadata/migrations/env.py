"""Alembic environment: runs on the connection handed in by metadata._migrate."""

from alembic import context

from ai_flow.metadata._migrate import VERSION_TABLE
from ai_flow.metadata._tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
