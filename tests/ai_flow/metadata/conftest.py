"""Fixtures of the metadata tests: a migrated database on each backend and sessions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ai_flow import metadata


@pytest.fixture
def bare_engine(db_uri: str) -> Iterator[Engine]:
    """An engine on an empty database."""
    engine = metadata.make_engine(db_uri)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(bare_engine: Engine) -> Engine:
    metadata.upgrade(bare_engine)
    return bare_engine


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return metadata.session_factory(engine)


@pytest.fixture
def session(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One write transaction, committed at the end of the test."""
    with metadata.write_session(factory) as s:
        yield s


@pytest.fixture
def workflow(session: Session) -> metadata.WorkflowRow:
    return metadata.workflows.create_workflow(session, "default", "wf")


@pytest.fixture
def snapshot(session: Session, workflow: metadata.WorkflowRow) -> metadata.WorkflowSnapshotRow:
    return metadata.snapshots.create_snapshot(
        session,
        workflow.id,
        file_name="wf.py",
        uri="/blob/wf.py",
        signature="sig",
        description={"tasks": ["a"]},
        artifacts=[{"name": "x.jar", "uri": "/blob/x.jar"}],
    )


@pytest.fixture
def execution(
    session: Session, workflow: metadata.WorkflowRow, snapshot: metadata.WorkflowSnapshotRow
) -> metadata.WorkflowExecutionRow:
    return metadata.executions.create_execution(session, workflow.id, snapshot.id, "MANUAL")
