"""Shared fixtures: database URIs for every backend, isolated service homes."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from notification_service.util.environment import is_ci

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MYSQL_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/test"


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _need_service(name: str, port: int) -> None:
    """Skip with a reason on a laptop without the service; fail on CI (CI=true)."""
    if _reachable(port):
        return
    message = f"{name} is not reachable on 127.0.0.1:{port}"
    if is_ci():
        pytest.fail(message + " (required when CI=true)")
    pytest.skip(message)


@pytest.fixture
def postgres_uri() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    _need_service("PostgreSQL", 5432)
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def mysql_uri() -> Iterator[str]:
    """A fresh, empty MariaDB/MySQL database, dropped afterwards."""
    _need_service("MariaDB", 3306)
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(MYSQL_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    yield f"mysql+pymysql://root@127.0.0.1:3306/{name}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    admin.dispose()


@pytest.fixture
def sqlite_uri(tmp_path) -> str:  # noqa: ANN001
    return f"sqlite:///{tmp_path}/test.db"


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def db_uri(request) -> str:  # noqa: ANN001
    """The same test on each of the three supported backends."""
    return request.getfixturevalue(f"{request.param}_uri")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
