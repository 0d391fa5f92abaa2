"""Sessions over a metadata engine; writers take the SQLite write lock up front."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from notification_service.storage._engine import WRITE


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose rows stay readable after commit (they are handed to the API)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def write_session(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One write transaction: committed on exit, rolled back on error.

    On SQLite it starts with BEGIN IMMEDIATE, so a read-then-write cannot fail with
    SQLITE_BUSY half-way; other backends ignore the option.
    """
    engine: Engine = factory.kw["bind"]
    with factory(bind=engine.execution_options(**WRITE)) as session, session.begin():
        yield session


@contextmanager
def read_session(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A read-only session; its transaction is rolled back on exit."""
    with factory() as session:
        yield session
