"""'Using Blob Manager in a Workflow': the blob manager user code gets, in a task (as the
runtime installs it from the TaskSpec) and outside one (the client's configuration)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ai_flow.blob_manager import (
    BlobManagerError,
    current_blob_manager,
    current_blob_settings,
    set_current_blob_manager,
)
from ai_flow.blob_manager.impl.local_blob_manager import LocalBlobManager
from ai_flow.blob_manager.impl.memory_blob_manager import MemoryBlobManager
from ai_flow.plugin_interface import blob_manager_interface as documented
from ai_flow.settings import LOCAL_BLOB_MANAGER

MEMORY = "ai_flow.blob_manager.impl.memory_blob_manager.MemoryBlobManager"


@pytest.fixture(autouse=True)
def _no_current_manager(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("AIFLOW_HOME", str(tmp_path / "home"))
    set_current_blob_manager(None)
    yield
    set_current_blob_manager(None)


def test_in_a_task_it_is_the_one_the_spec_names(tmp_path: Path) -> None:
    # What the task runtime does with its TaskSpec's blob_manager_class/_config.
    config = {"root_directory": str(tmp_path / "store")}
    set_current_blob_manager(LOCAL_BLOB_MANAGER, config)
    manager = current_blob_manager()
    assert isinstance(manager, LocalBlobManager) and manager.config == config
    assert current_blob_manager() is manager  # created once
    assert current_blob_settings() == (LOCAL_BLOB_MANAGER, config)

    # User code stores its own file; another task (another process) reads it back.
    (tmp_path / "model.pkl").write_bytes(b"weights")
    uri = current_blob_manager().upload(str(tmp_path / "model.pkl"))
    other = LocalBlobManager(config)
    assert other.read_bytes(uri) == b"weights"


def test_an_instance_can_be_installed() -> None:
    manager = MemoryBlobManager({"root_directory": "/current-test"})
    set_current_blob_manager(manager)
    assert current_blob_manager() is manager
    assert current_blob_settings() == (MEMORY, {"root_directory": "/current-test"})


def test_a_bad_class_fails_when_asked_for_not_when_installed() -> None:
    set_current_blob_manager("nope.module.Blob", {})
    with pytest.raises(BlobManagerError, match="cannot import blob manager class"):
        current_blob_manager()


def test_outside_a_task_it_is_the_clients(tmp_path: Path) -> None:
    home = tmp_path / "home"
    manager = current_blob_manager()  # no aiflow_client.yaml: the defaults, on one host
    assert isinstance(manager, LocalBlobManager)
    assert manager.root == (home / "blob").resolve()

    home.mkdir(exist_ok=True)
    (home / "aiflow_client.yaml").write_text(
        "server_address: localhost:50051\n"
        "blob_manager:\n"
        f"  blob_manager_class: {MEMORY}\n"
        "  blob_manager_config:\n"
        "    root_directory: ${AIFLOW_HOME}/mem\n"
    )
    manager = current_blob_manager()
    assert isinstance(manager, MemoryBlobManager)
    assert manager.config == {"root_directory": f"{home}/mem"}


def test_an_unreadable_client_config_is_a_clear_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "aiflow_client.yaml").write_text("blob_manager: [not, a, mapping\n")
    with pytest.raises(BlobManagerError) as err:
        current_blob_manager()
    message = str(err.value)
    assert message.startswith(f"no blob manager: not in a task, and {home / 'aiflow_client.yaml'}")
    assert "\n" not in message


def test_the_documented_snippet(tmp_path: Path) -> None:
    """The docs' BlobConfig / BlobManagerFactory calls, with a `blob` section."""
    section: dict[str, Any] = {
        "blob_manager_class": LOCAL_BLOB_MANAGER,
        "blob_manager_config": {"root_directory": str(tmp_path / "blob")},
    }
    blob_config = documented.BlobConfig(section)
    blob_manager = documented.BlobManagerFactory.create_blob_manager(
        blob_config.blob_manager_class(), blob_config.blob_manager_config()
    )
    (tmp_path / "file").write_text("data")
    uri = blob_manager.upload(local_file_path=str(tmp_path / "file"))
    assert blob_manager.read_bytes(uri) == b"data"
    assert documented.BlobManager is type(blob_manager).__mro__[1]

    # Without a section: the current one (a task's, here as a runtime would set it).
    set_current_blob_manager(MEMORY, {"root_directory": "/snippet"})
    current = documented.BlobConfig()
    assert current.blob_manager_class() == MEMORY
    assert current.blob_manager_config() == {"root_directory": "/snippet"}
    assert documented.BlobManagerFactory.get_default_blob_manager() is current_blob_manager()
    with pytest.raises(BlobManagerError, match="needs 'blob_manager_class'"):
        documented.BlobConfig({"blob_manager_config": {}})


class Documented(documented.BlobManager):
    """'Customizing Blob Manager': a subclass of the documented interface class."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.inner = MemoryBlobManager(config)

    def upload(self, local_file_path: str) -> str:
        return self.inner.upload(local_file_path)

    def download(self, remote_file_path: str, local_dir: str) -> str:
        return self.inner.download(remote_file_path, local_dir)


def test_a_custom_subclass_of_the_documented_interface(tmp_path: Path) -> None:
    set_current_blob_manager(f"{__name__}.Documented", {"root_directory": "/custom"})
    manager = current_blob_manager()
    assert isinstance(manager, Documented)
    uri = manager.upload_bytes("n.txt", b"n")
    assert Path(manager.download(uri, str(tmp_path))).read_bytes() == b"n"
