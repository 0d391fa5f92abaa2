"""`aiflow config ...` and `aiflow db ...` in-process."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from sqlalchemy import create_engine, inspect

from ai_flow.metadata import VERSION_TABLE
from ai_flow.settings import load_client_settings, load_server_settings


def test_config_init_writes_both_files_with_the_home_substituted(invoke, home: Path) -> None:
    result = invoke("config", "init")
    assert result.exit_code == 0, result.output
    for name in ("aiflow_server.yaml", "aiflow_client.yaml"):
        text = (home / name).read_text()
        assert "AIFLOW_HOME" not in text
        assert f"Created config file {home / name}" in result.output
    assert f"sqlite:///{home}/aiflow.db" in (home / "aiflow_server.yaml").read_text()
    assert load_server_settings(home).rpc_port == 50051
    blob = load_client_settings(home, missing_ok=False).blob_manager.blob_manager_config
    assert blob == {"root_directory": f"{home}/blob"}


def test_config_init_leaves_existing_files_alone(invoke, home: Path) -> None:
    home.mkdir()
    (home / "aiflow_server.yaml").write_text("rpc_port: 1234\n")
    result = invoke("config", "init")
    assert result.exit_code == 0
    assert "aiflow_server.yaml already exists; not overwriting it." in result.output
    assert (home / "aiflow_server.yaml").read_text() == "rpc_port: 1234\n"
    assert (home / "aiflow_client.yaml").exists()  # the missing one is still created


def test_config_get_value_and_list(invoke, home: Path) -> None:
    invoke("config", "init")
    assert invoke("config", "get-value", "rpc_port").output == "50051\n"
    assert invoke("config", "get-value", "sql_alchemy_pool_enabled").output == "true\n"
    assert invoke("config", "get-value", "log_dir").output == f"{home}/logs\n"
    assert invoke("config", "get-value", "server_address").output == "localhost:50051\n"
    nested = invoke("config", "get-value", "blob_manager.blob_manager_config.root_directory")
    assert nested.output == f"{home}/blob\n"
    unknown = invoke("config", "get-value", "nope")
    assert unknown.exit_code == 1
    assert unknown.output.startswith("Error: unknown config key 'nope'; known keys: log_dir")

    rows = json.loads(invoke("config", "list", "-o", "json").output)
    values = {r["key"]: r["value"] for r in rows}
    assert values["rpc_port"] == 50051 and values["sql_alchemy_pool_enabled"] is True
    assert values["k8s_executor_config"] is None
    assert values["server_address"] == "localhost:50051"
    plain = invoke("config", "list", "-o", "plain").output.splitlines()
    assert plain[0] == "key\tvalue" and "rpc_port\t50051" in plain


def test_config_commands_without_a_file_name_the_fix(invoke, home: Path) -> None:
    for args in (["config", "list"], ["config", "get-value", "rpc_port"], ["db", "init"]):
        result = invoke(*args)
        assert result.exit_code == 1
        assert result.output == (
            f"Error: config file {home}/aiflow_server.yaml does not exist; "
            "run `aiflow config init` first\n"
        )


def test_malformed_config_is_one_line(invoke, home: Path) -> None:
    invoke("config", "init")
    (home / "aiflow_server.yaml").write_text("rpc_port: [\n")
    result = invoke("db", "init")
    assert result.exit_code == 1
    assert result.output.startswith("Error: config file ") and "not valid YAML" in result.output
    assert result.output.count("\n") == 1
    (home / "aiflow_server.yaml").write_text("rpc_port: many\n")
    assert "bad value for 'rpc_port'" in invoke("config", "list").output


def _tables(home: Path) -> list[str]:
    engine = create_engine(f"sqlite:///{home}/aiflow.db")
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_db_init_upgrade_reset(invoke, home: Path) -> None:
    invoke("config", "init")
    result = invoke("db", "init")
    assert result.exit_code == 0, result.output
    assert result.output == f"Initialised database sqlite:///{home}/aiflow.db\n"
    assert VERSION_TABLE in _tables(home)
    assert invoke("db", "init").exit_code == 0  # idempotent
    assert invoke("db", "upgrade").output.startswith("Upgraded database ")

    refused = invoke("db", "reset", input="n\n")
    assert refused.exit_code == 1
    assert "Error: aborted; the database was not changed" in refused.output
    reset = invoke("db", "reset", "-y")
    assert reset.exit_code == 0 and reset.output.startswith("Reset database ")
    assert VERSION_TABLE in _tables(home)


def test_version(invoke) -> None:
    from ai_flow import __version__

    assert invoke("version").output == f"{__version__}\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_errors_are_one_line(invoke, home: Path) -> None:
    invoke("config", "init")
    # Nothing listens there: the driver's multi-line error must become one line.
    uri = f"postgresql+psycopg://u@127.0.0.1:{free_port()}/aiflow"
    text = (home / "aiflow_server.yaml").read_text()
    (home / "aiflow_server.yaml").write_text(text.replace(f"sqlite:///{home}/aiflow.db", uri, 1))
    result = invoke("db", "init")
    assert result.exit_code == 1
    assert result.output.startswith("Error: database error: ")
    assert result.output.count("\n") == 1
