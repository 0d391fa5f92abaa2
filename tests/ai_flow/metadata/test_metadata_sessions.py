"""Write sessions take the SQLite write lock up front; read sessions do not."""

from __future__ import annotations

from sqlalchemy import event

from ai_flow import metadata


def test_write_session_begins_immediate_on_sqlite(sqlite_uri: str) -> None:
    engine = metadata.make_engine(sqlite_uri)
    metadata.upgrade(engine)
    begins: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        if statement.startswith("BEGIN"):
            begins.append(statement)

    factory = metadata.session_factory(engine)
    with metadata.write_session(factory) as s:
        metadata.offsets.get_offset(s)
    with metadata.read_session(factory) as s:
        metadata.offsets.get_offset(s)
    assert begins == ["BEGIN IMMEDIATE", "BEGIN"]
    engine.dispose()
