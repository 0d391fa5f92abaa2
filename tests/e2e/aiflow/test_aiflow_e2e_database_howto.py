"""The docs' "Set up MySQL as Backend" how-to, word for word, on the real MariaDB (and
the same with PostgreSQL): the database and user it creates, `db_uri` + `db_type` in
aiflow_server.yaml, the documented `mysql+mysqldb://` URI (PyMySQL stands in for
mysqlclient when that is not installed), `db init` for both, then the Quickstart."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from af_e2e_helpers import Stack, set_yaml
from sqlalchemy import create_engine, text

MYSQL_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/test"
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def mysql_howto_database(mysql_uri: str) -> Iterator[tuple[str, str]]:
    """(database, user) made as the how-to says; `mysql_uri` only checks the service."""
    name, user = f"aiflow_{uuid.uuid4().hex[:8]}", f"admin_{uuid.uuid4().hex[:8]}"
    admin = create_engine(MYSQL_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        )
        conn.execute(text(f"CREATE USER '{user}' IDENTIFIED BY 'admin'"))
        conn.execute(text(f"GRANT ALL PRIVILEGES ON {name}.* TO '{user}'"))
    try:
        yield name, user
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            conn.execute(text(f"DROP USER IF EXISTS '{user}'"))
        admin.dispose()


def _quickstart(stack: Stack) -> None:
    stack.start()
    stack.ok("workflow", "upload", str(stack.workflow_file()))
    stack.ok("workflow-execution", "start", "quickstart_workflow", "--namespace", "default")
    assert stack.wait_finished(1)["status"] == "SUCCESS"


@pytest.mark.mysql
def test_the_mysql_howto_verbatim(stack: Stack, mysql_howto_database: tuple[str, str]) -> None:
    name, user = mysql_howto_database
    uri = f"mysql+mysqldb://{user}:admin@127.0.0.1:3306/{name}"
    stack.configure()
    set_yaml(stack.home / "aiflow_server.yaml", db_uri=uri, db_type="MYSQL")
    set_yaml(stack.ns_home / "notification_server.yaml", db_uri=uri)
    # The template's metadata_backend_uri stays, as a user following the how-to leaves it.
    assert "metadata_backend_uri: sqlite" in (stack.home / "aiflow_server.yaml").read_text()
    _quickstart(stack)
    admin = create_engine(MYSQL_ADMIN)
    with admin.connect() as conn:
        tables = {r[0] for r in conn.execute(text(f"SHOW TABLES FROM {name}"))}
    admin.dispose()
    assert "af_task_execution" in tables  # the metadata went to the how-to's database


@pytest.mark.postgres
def test_the_same_with_postgresql_and_no_driver_suffix(stack: Stack, postgres_uri: str) -> None:
    uri = postgres_uri.replace("postgresql+psycopg://", "postgresql://")
    stack.configure()
    set_yaml(stack.home / "aiflow_server.yaml", db_uri=uri, db_type="POSTGRESQL")
    set_yaml(stack.ns_home / "notification_server.yaml", db_uri=uri)
    _quickstart(stack)


def test_a_db_type_that_contradicts_the_uri_is_one_error_line(stack: Stack) -> None:
    stack.configure()
    set_yaml(stack.home / "aiflow_server.yaml", db_type="MYSQL")  # the URI is SQLite
    result = stack.aiflow("db", "init")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.count("Error:") == 1
    assert "db_type MYSQL does not match the database URI (sqlite://...)" in result.stderr


def test_a_missing_database_driver_names_what_to_install(stack: Stack) -> None:
    stack.configure()
    set_yaml(
        stack.home / "aiflow_server.yaml",
        metadata_backend_uri="postgresql+psycopg2://u:secret@127.0.0.1:1/x",
    )
    result = stack.aiflow("db", "init")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "psycopg2" in result.stderr and "pip install" in result.stderr
    assert "secret" not in result.stderr


def test_a_blob_manager_class_that_does_not_import_is_one_error_line(stack: Stack) -> None:
    stack.configure()
    (stack.home / "aiflow_client.yaml").write_text(
        f"server_address: localhost:{stack.af_port}\n"
        "blob_manager:\n  blob_manager_class: nope.Nope\n"
    )
    workflow = stack.tmp / "wf.py"
    workflow.write_text("x = 1\n")
    result = stack.aiflow("workflow", "upload", str(workflow))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "aiflow_client.yaml: blob_manager: cannot import blob manager class 'nope.Nope'" in (
        result.stderr
    )
