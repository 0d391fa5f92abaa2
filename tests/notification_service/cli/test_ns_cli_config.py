"""`notification config ...` against a temporary $NOTIFICATION_HOME."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from notification_service.settings import load_settings


def test_init_writes_concrete_file(invoke, home: Path) -> None:
    result = invoke("config", "init")
    assert result.exit_code == 0, result.output
    text = (home / "notification_server.yaml").read_text()
    assert "${NOTIFICATION_HOME}" not in text
    assert f"sqlite:///{home}/ns.db" in text
    assert load_settings().db_uri == f"sqlite:///{home}/ns.db"


def test_init_does_not_overwrite(invoke, home: Path) -> None:
    home.mkdir()
    (home / "notification_server.yaml").write_text("server_port: 1234\n")
    result = invoke("config", "init")
    assert result.exit_code == 0
    assert "already exists" in result.output
    assert (home / "notification_server.yaml").read_text() == "server_port: 1234\n"


def test_get_value(invoke) -> None:
    invoke("config", "init")
    assert invoke("config", "get-value", "server_port").stdout.strip() == "50052"
    assert invoke("config", "get-value", "enable_ha").stdout.strip() == "false"
    # A key left out of the file still has its default.
    assert invoke("config", "get-value", "max_list_limit").stdout.strip() == "10000"


def test_get_value_unknown_key(invoke) -> None:
    invoke("config", "init")
    result = invoke("config", "get-value", "no_such_key")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: unknown config key 'no_such_key'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_list_formats(invoke, home: Path) -> None:
    invoke("config", "init")
    rows = json.loads(invoke("config", "list", "-o", "json").stdout)
    values = {r["key"]: r["value"] for r in rows}
    assert values["server_port"] == 50052
    assert values["enable_ha"] is False
    assert values["wait_for_server_started_timeout"] == 5.0
    assert yaml.safe_load(invoke("config", "list", "-o", "yaml").stdout) == rows
    plain = invoke("config", "list", "-o", "plain").stdout.splitlines()
    assert plain[0] == "key\tvalue"
    assert f"db_uri\tsqlite:///{home}/ns.db" in plain
    assert "server_port" in invoke("config", "list").stdout


def test_missing_config_file(invoke) -> None:
    result = invoke("config", "list")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: config file")
    assert "does not exist" in result.stderr


def test_malformed_config(invoke, home: Path) -> None:
    home.mkdir()
    path = home / "notification_server.yaml"
    path.write_text("server_port: 50052\nbogus: 1\n")
    result = invoke("config", "get-value", "server_port")
    assert result.exit_code == 1
    assert "unknown key 'bogus'" in result.stderr
    path.write_text("server_port: not-a-number\n")
    result = invoke("config", "list")
    assert result.exit_code == 1
    assert "bad value for 'server_port'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
