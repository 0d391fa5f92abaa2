"""`notification db ...` on a SQLite database in a temporary home."""

from __future__ import annotations

from pathlib import Path

from notification_service.settings import load_settings
from notification_service.storage import (
    NewEvent,
    SqlEventStorage,
    check_schema,
    make_engine,
)


def _add_event(key: str) -> None:
    storage = SqlEventStorage(load_settings().db_uri)
    try:
        storage.add_events([NewEvent(key=key, value="v")])
    finally:
        storage.close()


def _latest_offset() -> int:
    storage = SqlEventStorage(load_settings().db_uri)
    try:
        return storage.latest_offset()
    finally:
        storage.close()


def test_init_upgrade_reset(invoke) -> None:
    invoke("config", "init")
    result = invoke("db", "init")
    assert result.exit_code == 0, result.output
    assert "Initialised database sqlite:///" in result.stdout
    engine = make_engine(load_settings().db_uri)
    check_schema(engine)  # raises if not at head
    engine.dispose()
    assert invoke("db", "init").exit_code == 0  # idempotent
    assert invoke("db", "upgrade").exit_code == 0
    _add_event("k")
    assert _latest_offset() == 1
    result = invoke("db", "reset", "-y")
    assert result.exit_code == 0, result.output
    assert _latest_offset() == 0


def test_reset_declined_changes_nothing(invoke) -> None:
    invoke("config", "init")
    invoke("db", "init")
    _add_event("k")
    result = invoke("db", "reset", input="n\n")
    assert result.exit_code == 1
    assert "Error: aborted" in result.stderr
    assert _latest_offset() == 1
    result = invoke("db", "reset", input="y\n")
    assert result.exit_code == 0, result.output
    assert _latest_offset() == 0


def test_db_without_config(invoke, home: Path) -> None:
    result = invoke("db", "init")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: config file")
    assert not home.exists()


def test_bad_db_uri_is_one_line(invoke, home: Path) -> None:
    home.mkdir()
    (home / "notification_server.yaml").write_text("db_uri: nosuchdriver://x/y\n")
    result = invoke("db", "init")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert len(result.stderr.strip().splitlines()) == 1
