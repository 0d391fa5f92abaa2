"""Database URIs as users write them: the docs' driver names resolve to what is
installed, and a missing driver is one line naming what to install."""

from __future__ import annotations

import pytest

from notification_service.storage._engine import resolve_db_uri
from notification_service.util.config_file import ConfigError


@pytest.mark.parametrize(
    ("written", "used"),
    [
        (
            "mysql+mysqldb://admin:admin@db:3306/aiflow",
            "mysql+pymysql://admin:admin@db:3306/aiflow",
        ),
        ("mysql://root@db/aiflow", "mysql+pymysql://root@db/aiflow"),
        ("mysql+pymysql://root@db/aiflow", "mysql+pymysql://root@db/aiflow"),
        ("postgresql://u@db/aiflow", "postgresql+psycopg://u@db/aiflow"),
        ("postgres://u@db/aiflow", "postgresql+psycopg://u@db/aiflow"),
        ("sqlite:///tmp/x.db", "sqlite:///tmp/x.db"),
    ],
)
def test_documented_uris_use_an_installed_driver(written: str, used: str) -> None:
    pytest.importorskip("pymysql")
    pytest.importorskip("psycopg")
    if __import__("importlib").util.find_spec("MySQLdb") is not None:
        pytest.skip("mysqlclient is installed: mysql+mysqldb stays as written")
    assert resolve_db_uri(written).render_as_string(hide_password=False) == used


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("postgresql+psycopg2://u:secret@db/x", "the database driver psycopg2"),
        ("mongodb://u:secret@db/x", "unsupported database 'mongodb'"),
        ("not a uri", "the database URI is not valid"),
    ],
)
def test_bad_uris_are_one_line_without_the_password(uri: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_db_uri(uri)
    assert message in str(info.value) and "secret" not in str(info.value)
    assert "\n" not in str(info.value)
