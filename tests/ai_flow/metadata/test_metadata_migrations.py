"""Schema lifecycle on every backend: init from empty, check, reset, no ORM drift."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from ai_flow import metadata

TABLES = {
    "af_namespace",
    "af_workflow",
    "af_workflow_snapshot",
    "af_workflow_execution",
    "af_task_execution",
    "af_workflow_schedule",
    "af_workflow_trigger",
    "af_rule_state",
    "af_scheduler_offset",
    "af_task_command",
    "af_scheduler_error",
}


def test_check_schema_on_empty_database_says_run_init(bare_engine: Engine) -> None:
    with pytest.raises(metadata.SchemaError, match=r"run `aiflow db init`"):
        metadata.check_schema(bare_engine)


def test_upgrade_from_empty_creates_tables_and_seed_rows(bare_engine: Engine) -> None:
    metadata.upgrade(bare_engine)
    metadata.check_schema(bare_engine)
    names = set(inspect(bare_engine).get_table_names())
    assert TABLES | {metadata.VERSION_TABLE} <= names
    assert "alembic_version" not in names
    assert metadata.current_revision(bare_engine) == metadata.head_revision()
    factory = metadata.session_factory(bare_engine)
    with metadata.read_session(factory) as s:
        assert [n.name for n in metadata.namespaces.list_namespaces(s)] == ["default"]
        assert metadata.offsets.get_offset(s) == 0


def test_upgrade_twice_is_a_no_op(engine: Engine) -> None:
    metadata.upgrade(engine)
    metadata.check_schema(engine)


def test_check_schema_at_other_revision_says_run_upgrade(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {metadata.VERSION_TABLE} SET version_num = 'old'"))
    with pytest.raises(metadata.SchemaError, match=r"revision old.*run `aiflow db upgrade`"):
        metadata.check_schema(engine)


def test_reset_drops_data_and_recreates(engine: Engine) -> None:
    factory = metadata.session_factory(engine)
    with metadata.write_session(factory) as s:
        metadata.namespaces.create_namespace(s, "team")
        metadata.offsets.set_offset(s, 42)
    metadata.reset(engine)
    metadata.check_schema(engine)
    with metadata.read_session(factory) as s:
        assert [n.name for n in metadata.namespaces.list_namespaces(s)] == ["default"]
        assert metadata.offsets.get_offset(s) == 0


def test_migration_matches_table_declarations(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = [
            d
            for d in compare_metadata(ctx, metadata.Base.metadata)
            # The version table is alembic's, not declared by the ORM.
            if not (d[0] == "remove_table" and d[1].name == metadata.VERSION_TABLE)
        ]
    assert diff == []


@pytest.mark.parametrize(
    "schema",
    ["ai_flow.metadata._migrate:SCHEMA", "notification_service.storage._migrate:SCHEMA"],
)
def test_the_start_up_checks_head_is_the_migrations_newest(schema: str) -> None:
    # Servers check against the constant (no Alembic import at start-up); a new
    # migration must bump it.
    import importlib

    module, _, name = schema.partition(":")
    found = getattr(importlib.import_module(module), name)
    assert found.head == found.head_revision()
