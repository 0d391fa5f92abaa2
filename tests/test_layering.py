"""The architecture's layering, checked: the DSL imports no server code, only the
metadata layer speaks SQL, `import ai_flow` has no side effects, and the public packages
say what they export."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import types
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# What the DSL (workflow files, operators) must never pull in, even lazily.
SERVER_SIDE = (
    "ai_flow.app",
    "ai_flow.evaluator",
    "ai_flow.executor",
    "ai_flow.metadata",
    "ai_flow.ops",
    "ai_flow.plugin_interface",
    "ai_flow.proto",
    "ai_flow.rest",
    "ai_flow.scheduler",
    "ai_flow.server",
    "fastapi",
    "grpc",
    "sqlalchemy",
    "alembic",
)
SQL_NAMES = {"select", "insert", "update", "delete", "text", "func", "or_", "and_"}
PUBLIC_PACKAGES = [
    "ai_flow.app",
    "ai_flow.blob_manager",
    "ai_flow.engines",
    "ai_flow.evaluator",
    "ai_flow.executor",
    "ai_flow.metadata",
    "ai_flow.ops",
    "ai_flow.rest",
    "ai_flow.runtime",
    "ai_flow.scheduler",
    "ai_flow.server",
    "ai_flow.web",
    "notification_service.client",
    "notification_service.model",
    "notification_service.server",
    "notification_service.storage",
]


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import in the file, wherever it stands."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def _files(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (SRC / package).rglob("*.py"))


@pytest.mark.parametrize("path", _files("ai_flow/model", "ai_flow/operators"), ids=str)
def test_the_dsl_imports_no_server_side_module(path: Path) -> None:
    for module, _names in _imports(path):
        assert not module.startswith(SERVER_SIDE), f"{path.name} imports {module}"


def test_only_the_storage_layers_speak_sql() -> None:
    allowed = ("ai_flow/metadata/", "notification_service/storage/", "notification_service/util/")
    for path in _files("ai_flow", "notification_service"):
        relative = path.relative_to(SRC).as_posix()
        if relative.startswith(allowed) or "/migrations/" in relative:
            continue
        for module, names in _imports(path):
            if module.startswith("sqlalchemy"):
                assert not SQL_NAMES & set(names), f"{relative} builds SQL ({module})"


def test_importing_the_dsl_loads_nothing_of_the_server() -> None:
    code = (
        "import sys, ai_flow; before = set(sys.modules);"
        "import ai_flow.model.workflow, ai_flow.operators.bash, ai_flow.operators.python;"
        "import ai_flow.model.action, ai_flow.model.condition, ai_flow.model.status;"
        "print(sorted(m for m in before if m.startswith('ai_flow')));"
        f"print(sorted(m for m in sys.modules if m.startswith({SERVER_SIDE!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, second = out.stdout.splitlines()
    assert first == "['ai_flow']"  # `import ai_flow` has no side effects
    assert second == "[]"


@pytest.mark.parametrize("name", PUBLIC_PACKAGES)
def test_public_packages_declare_what_they_export(name: str) -> None:
    package = importlib.import_module(name)
    exported = getattr(package, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert len(set(exported)) == len(exported), f"{name}.__all__ repeats a name"
    for item in exported:
        assert hasattr(package, item), f"{name}.__all__ names {item}, which it lacks"
    public = {
        attr
        for attr, value in vars(package).items()
        if not attr.startswith("_")
        and attr != "annotations"
        and not isinstance(value, types.ModuleType)  # sub-modules are reached by name
        and getattr(value, "__module__", name).startswith(name)
    }
    missing = public - set(exported)
    assert not missing, f"{name} defines {sorted(missing)} without exporting them"


def test_the_web_ui_reads_and_acts_through_the_application_layer() -> None:
    """Like the other transports: from the metadata layer it takes row types and
    constants only, never the concept modules that query; nothing of the scheduler or
    the server."""
    import ai_flow.metadata as md

    for path in _files("ai_flow/web"):
        for module, names in _imports(path):
            assert not module.startswith(("ai_flow.scheduler", "ai_flow.server", "sqlalchemy"))
            assert not module.startswith("ai_flow.metadata."), f"{path.name} imports {module}"
            if module == "ai_flow.metadata":
                queries = [n for n in names if isinstance(getattr(md, n), types.ModuleType)]
                assert not queries, f"{path.name} imports {queries} from ai_flow.metadata"
