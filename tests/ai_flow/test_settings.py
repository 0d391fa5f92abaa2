"""AIFlow server and client settings: defaults, home expansion, one-line errors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ai_flow import settings
from ai_flow.settings import (
    AIFlowClientSettings,
    AIFlowServerSettings,
    load_client_settings,
    load_server_settings,
    parse_duration,
)
from notification_service.util.config_file import ConfigError


def _write_server(home: Path, text: str) -> None:
    (home / settings.SERVER_CONFIG_FILE_NAME).write_text(text)


def test_server_defaults() -> None:
    s = AIFlowServerSettings()
    assert (s.rpc_port, s.internal_rpc_port, s.rest_port) == (50051, 50000, 8000)
    assert s.host == "127.0.0.1"
    assert s.metadata_backend_uri == s.state_backend_uri == "sqlite:///${AIFLOW_HOME}/aiflow.db"
    assert s.log_dir == "${AIFLOW_HOME}/logs"
    assert s.sql_alchemy_pool_enabled is True
    assert (s.sql_alchemy_pool_size, s.sql_alchemy_max_overflow) == (5, 10)
    assert s.history_retention == "30d" and s.history_retention_delta == timedelta(days=30)
    assert s.notification_server_uri == "127.0.0.1:50052"
    assert s.task_executor == "Local"
    assert s.task_executor_heartbeat_check_interval == 10
    assert (s.task_heartbeat_interval, s.task_heartbeat_timeout) == (10, 60)
    assert s.local_executor_parallelism == 10
    assert s.k8s_executor_config is None
    assert s.wait_for_server_started_timeout == 5.0


def test_templates_load_to_the_defaults(tmp_path: Path) -> None:
    _write_server(tmp_path, settings.DEFAULT_SERVER_CONFIG_TEMPLATE)
    (tmp_path / settings.CLIENT_CONFIG_FILE_NAME).write_text(
        settings.DEFAULT_CLIENT_CONFIG_TEMPLATE
    )
    home = str(tmp_path)
    assert load_server_settings(tmp_path) == settings.resolve_home(AIFlowServerSettings(), tmp_path)
    server = load_server_settings(tmp_path)
    assert server.log_dir == f"{home}/logs"
    assert server.metadata_backend_uri == f"sqlite:///{home}/aiflow.db"
    client = load_client_settings(tmp_path)
    assert client == settings.resolve_home(AIFlowClientSettings(), tmp_path)
    assert client.server_address == "localhost:50051"
    assert client.blob_manager.blob_manager_class == settings.LOCAL_BLOB_MANAGER
    assert client.blob_manager.blob_manager_config == {"root_directory": f"{home}/blob"}


def test_missing_keys_take_defaults_with_home_expanded(tmp_path: Path) -> None:
    _write_server(tmp_path, "rpc_port: 6000\n")
    s = load_server_settings(tmp_path)
    assert s.rpc_port == 6000
    assert s.state_backend_uri == f"sqlite:///{tmp_path}/aiflow.db"


def test_both_home_forms_are_expanded(tmp_path: Path) -> None:
    _write_server(
        tmp_path,
        "log_dir: '{AIFLOW_HOME}/l'\n"
        "metadata_backend_uri: sqlite:///{AIFLOW_HOME}/m.db\n"
        "state_backend_uri: sqlite:///${AIFLOW_HOME}/s.db\n",
    )
    s = load_server_settings(tmp_path)
    assert s.log_dir == f"{tmp_path}/l"
    assert s.metadata_backend_uri == f"sqlite:///{tmp_path}/m.db"
    assert s.state_backend_uri == f"sqlite:///{tmp_path}/s.db"


def test_unquoted_bare_home_gets_a_hint(tmp_path: Path) -> None:
    _write_server(tmp_path, "log_dir: {AIFLOW_HOME}/logs\n")
    with pytest.raises(ConfigError, match=r"must be written"):
        load_server_settings(tmp_path)


def test_home_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIFLOW_HOME", str(tmp_path))
    assert settings.aiflow_home() == tmp_path
    _write_server(tmp_path, "")
    assert load_server_settings().log_dir == f"{tmp_path}/logs"
    monkeypatch.delenv("AIFLOW_HOME")
    assert settings.aiflow_home() == Path.home() / "aiflow"


def test_unknown_key_is_one_line(tmp_path: Path) -> None:
    _write_server(tmp_path, "rpc_prot: 1\n")
    with pytest.raises(ConfigError) as info:
        load_server_settings(tmp_path)
    assert "unknown key 'rpc_prot'" in str(info.value) and "\n" not in str(info.value)


def test_unknown_nested_client_key(tmp_path: Path) -> None:
    (tmp_path / settings.CLIENT_CONFIG_FILE_NAME).write_text("blob_manager:\n  klass: x\n")
    with pytest.raises(ConfigError, match=r"unknown key 'blob_manager\.klass'"):
        load_client_settings(tmp_path)


def test_bad_value_is_one_line(tmp_path: Path) -> None:
    _write_server(tmp_path, "rpc_port: 70000\n")
    with pytest.raises(ConfigError, match=r"bad value for 'rpc_port'.*\(got 70000\)") as info:
        load_server_settings(tmp_path)
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_server_settings(tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_client_settings(tmp_path, missing_ok=False)
    client = load_client_settings(tmp_path)
    assert client.blob_manager.blob_manager_config == {"root_directory": f"{tmp_path}/blob"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        ("90m", timedelta(minutes=90)),
        ("3600s", timedelta(seconds=3600)),
        ("1d12h", timedelta(days=1, hours=12)),
        (" 7d ", timedelta(days=7)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["30", "d", "30 days", "1w", "-1d", "0d", ""])
def test_bad_history_retention(text: str, tmp_path: Path) -> None:
    _write_server(tmp_path, f"history_retention: '{text}'\n")
    with pytest.raises(ConfigError, match=r"bad value for 'history_retention'"):
        load_server_settings(tmp_path)


@pytest.mark.parametrize("value", ["local", "LOCAL", "Local"])
def test_task_executor_local_any_case(value: str) -> None:
    assert AIFlowServerSettings(task_executor=value).task_executor == "Local"


def test_task_executor_names_the_built_in_backends(tmp_path: Path) -> None:
    _write_server(tmp_path, "task_executor: Kubernetes\nk8s_executor_config:\n  image_tag: x\n")
    assert load_server_settings(tmp_path).task_executor == "kubernetes"
    _write_server(tmp_path, "task_executor: celery\ncelery_broker_url: redis://127.0.0.1:6379/0\n")
    assert load_server_settings(tmp_path).celery_broker_url == "redis://127.0.0.1:6379/0"
    _write_server(tmp_path, "task_executor: slurm\n")
    with pytest.raises(ConfigError, match="unknown task executor 'slurm'"):
        load_server_settings(tmp_path)


def test_task_executor_may_name_a_class() -> None:
    # Imported only when the server starts (tests/ai_flow/server/test_server_executors.py).
    value = "my_company.executors:GridExecutor"
    assert AIFlowServerSettings(task_executor=value).task_executor == value


def test_k8s_config_is_accepted_and_kept(tmp_path: Path) -> None:
    _write_server(tmp_path, "k8s_executor_config:\n  namespace: ns\n  in_cluster: false\n")
    s = load_server_settings(tmp_path)
    assert s.k8s_executor_config == {"namespace": "ns", "in_cluster": False}


def test_settings_are_frozen() -> None:
    with pytest.raises(ValueError):
        AIFlowServerSettings().rpc_port = 1  # type: ignore[misc]


def test_client_blob_config_may_be_empty(tmp_path: Path) -> None:
    (tmp_path / settings.CLIENT_CONFIG_FILE_NAME).write_text(
        "blob_manager:\n  blob_manager_class: my.Blob\n  blob_manager_config:\n"
    )
    client = load_client_settings(tmp_path)
    assert client.blob_manager.blob_manager_class == "my.Blob"
    assert client.blob_manager.blob_manager_config == {}


def test_the_docs_db_uri_and_db_type_spellings() -> None:
    from ai_flow.settings import AIFlowServerSettings

    s = AIFlowServerSettings.model_validate(
        {"db_uri": "mysql+mysqldb://a:b@h/d", "db_type": "MYSQL"}
    )
    assert s.metadata_backend_uri == "mysql+mysqldb://a:b@h/d"
    beside = AIFlowServerSettings.model_validate(
        {"metadata_backend_uri": "sqlite:///x", "db_uri": "mysql://a@h/d"}
    )
    assert beside.metadata_backend_uri == "mysql://a@h/d"  # the how-to's key wins
    for bad, message in (
        ({"db_uri": "sqlite:///x", "db_type": "MYSQL"}, "db_type MYSQL does not match"),
        ({"db_type": "ORACLE"}, "db_type must be one of MYSQL, SQLITE, POSTGRESQL"),
    ):
        with pytest.raises(ValueError, match=message):
            AIFlowServerSettings.model_validate(bad)
