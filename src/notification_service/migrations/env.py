"""Alembic environment: runs on the connection handed in by storage._migrate."""

from alembic import context

from notification_service.storage._tables import metadata

VERSION_TABLE = "ns_alembic_version"

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
