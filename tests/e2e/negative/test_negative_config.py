"""Every key of every config file, mutated (issue 13).

Generated from the settings models: for each key a value of the wrong type and, where
the field has bounds, one beyond them; an unknown key beside them; and the whole file
unreadable, not YAML or not a mapping. The commands that read the file must each print
one `Error:` line naming the file and the key, exit 1 and store nothing (no database,
no pid file). ai_flow.ops raises a typed exception with the same message. Last, the
set-up mistakes that only show when a server starts: a port in use, a database that is
not initialised or not reachable, a task executor that does not import, the
notification server down.
"""

from __future__ import annotations

import subprocess
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import annotated_types
import pytest
import yaml
from af_e2e_helpers import Stack, free_port
from neg_cases import Case, check, run_all, tree
from pydantic import BaseModel

from ai_flow import ops
from ai_flow.settings import AIFlowClientSettings, AIFlowServerSettings
from notification_service.settings import NotificationServerSettings

AIFLOW = "aiflow_home"
NS = "ns_home"
# file -> (its home, its model, the commands that read it). The first two read every
# mutation; the others (the same loader behind them) the unknown key and broken files.
FILES: dict[str, tuple[str, type[BaseModel], list[tuple[str, ...]]]] = {
    "aiflow_server.yaml": (
        AIFLOW,
        AIFlowServerSettings,
        [
            ("aiflow", "db", "init"),
            ("aiflow", "server", "start", "-d"),
            ("aiflow", "config", "list"),
        ],
    ),
    "aiflow_client.yaml": (
        AIFLOW,
        AIFlowClientSettings,
        [("aiflow", "workflow", "list"), ("aiflow", "config", "list")],
    ),
    "notification_server.yaml": (
        NS,
        NotificationServerSettings,
        [
            ("notification", "db", "init"),
            ("notification", "server", "start", "-d"),
            ("notification", "event", "list", "k"),
        ],
    ),
}
EVERY_MUTATION = 2
# Values a validator refuses though their type is right (not derivable from the model).
BAD_VALUES: dict[str, list[object]] = {
    "history_retention": ["forever", "0d"],
    "task_executor": ["no such executor"],
    # A token under 8 characters; an entry with no token; an unknown key in an entry.
    "auth_tokens": [
        [{"token": "short"}],
        [{"name": "nobody"}],
        [{"token": "long-enough-token", "scope": "all"}],
    ],
}
# Whole-file mistakes: (label, how to make the file).
BROKEN_FILES = {
    "directory": "a directory in place of the file",
    "invalid-yaml": "key: [\n",
    "not-a-mapping": "- 1\n- 2\n",
    "binary": "\udcff\udcfe",
}


def _wrong_type(annotation: Any) -> object:
    """A YAML value that `annotation` does not accept."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return _wrong_type(args[0])
    origin = typing.get_origin(annotation) or annotation
    if origin is bool:
        return "maybe"
    if origin in (int, float):
        return "abc"
    if origin is str:
        return [1, 2]
    if origin is list:
        return "abc"
    if origin is dict or isinstance(origin, type) and issubclass(origin, BaseModel):
        return "abc"
    raise AssertionError(f"no wrong value for {annotation!r}; extend _wrong_type")


def _out_of_range(metadata: list[object]) -> Iterator[tuple[str, object]]:
    for m in metadata:
        if isinstance(m, annotated_types.Ge):
            yield "below-min", m.ge - 1
        elif isinstance(m, annotated_types.Gt):
            yield "at-open-min", m.gt
        elif isinstance(m, annotated_types.Le):
            yield "above-max", m.le + 1
        elif isinstance(m, annotated_types.Lt):
            yield "at-open-max", m.lt


def mutations(
    model: type[BaseModel], prefix: tuple[str, ...] = ()
) -> Iterator[tuple[str, tuple[str, ...], object]]:
    """(label, key path, value) for every key of `model` and its nested models."""
    yield "unknown-key", (*prefix, "no_such_key"), 1
    for name, info in model.model_fields.items():
        path = (*prefix, name)
        annotation = info.annotation
        yield "wrong-type", path, _wrong_type(annotation)
        for label, value in _out_of_range(info.metadata):
            yield label, path, value
        for i, value in enumerate(BAD_VALUES.get(name, [])):
            yield f"bad-value{i}", path, value
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from mutations(annotation, path)


def _set(data: dict[str, Any], path: tuple[str, ...], value: object) -> None:
    for part in path[:-1]:
        if not isinstance(data.get(part), dict):
            data[part] = {}
        data = data[part]
    data[path[-1]] = value


@pytest.fixture(scope="session")
def base(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    """Both homes configured on free ports (their files are the ones mutated)."""
    s = Stack(tmp_path_factory.mktemp("config_base"), free_port(), free_port())
    s.configure()
    return s


def _cases() -> Iterator[tuple[Case, str, str | None]]:
    """(case, config file, key) for every mutation and every command that reads it."""
    for file, (_home, model, readers) in FILES.items():
        muts: list[tuple[str, tuple[str, ...] | None, object]] = [*mutations(model)]
        muts += [(label, None, text) for label, text in BROKEN_FILES.items()]
        for label, path, _value in muts:
            key = ".".join(path) if path else None
            some = path is None or label == "unknown-key"
            for reader in readers if some else readers[:EVERY_MUTATION]:
                name = f"{file}:{key or 'file'}={label}:{'-'.join(reader)}"
                yield Case(name, reader[0], reader[1:], name, 1, file), file, key


CASES = list(_cases())


def _prepare(base: Stack, root: Path) -> dict[str, tuple[dict[str, str], Path]]:
    """A home pair per mutation, its file mutated; returns case id -> (env, file)."""
    prepared: dict[str, tuple[dict[str, str], Path]] = {}
    done: dict[tuple[str, str | None, str], tuple[dict[str, str], Path]] = {}
    for file, (home, model, _readers) in FILES.items():
        muts: list[tuple[str, tuple[str, ...] | None, object]] = [*mutations(model)]
        muts += [(label, None, text) for label, text in BROKEN_FILES.items()]
        for label, path, value in muts:
            key = ".".join(path) if path else None
            where = root / f"{file}-{key or 'file'}-{label}"
            for name in (AIFLOW, NS):  # the files name their own home: rewrite it
                (where / name).mkdir(parents=True)
                for src in (base.tmp / name).glob("*.yaml"):
                    text = src.read_text().replace(str(base.tmp), str(where))
                    (where / name / src.name).write_text(text)
            target = where / home / file
            if path is not None:
                data = yaml.safe_load(target.read_text()) or {}
                _set(data, path, value)
                target.write_text(yaml.safe_dump(data))
            elif label == "directory":
                target.unlink()
                target.mkdir()
            elif label == "binary":
                target.write_bytes(b"\xff\xfe\x00")
            else:
                target.write_text(str(value))
            env = {
                **base.env,
                "AIFLOW_HOME": str(where / AIFLOW),
                "NOTIFICATION_HOME": str(where / NS),
            }
            done[(file, key, label)] = (env, target)
    for case, file, key in CASES:
        label = case.id.split("=", 1)[1].split(":", 1)[0]
        prepared[case.id] = done[(file, key, label)]
    return prepared


@pytest.fixture(scope="session")
def outcome(base: Stack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("mutated")
    prepared = _prepare(base, root)
    envs = {cid: env for cid, (env, _file) in prepared.items()}
    before = {cid: tree(Path(env["AIFLOW_HOME"]).parent) for cid, (env, _f) in prepared.items()}
    results = run_all([c for c, _f, _k in CASES], envs, root)
    after = {cid: tree(Path(env["AIFLOW_HOME"]).parent) for cid, (env, _f) in prepared.items()}
    return {"results": results, "prepared": prepared, "before": before, "after": after}


@pytest.mark.parametrize(("case", "file", "key"), CASES, ids=[c.id for c, _f, _k in CASES])
def test_config_mistake(case: Case, file: str, key: str | None, outcome: dict[str, Any]) -> None:
    result: subprocess.CompletedProcess[str] = outcome["results"][case.id]
    check(case, result)
    line = next(x for x in result.stderr.splitlines() if x.startswith("Error:"))
    _env, target = outcome["prepared"][case.id]
    assert str(target) in line, line
    if key is not None:
        assert key in line, line
    # Nothing stored: no database, no pid file; a daemon may only have logged why.
    made = set(outcome["after"][case.id]) - set(outcome["before"][case.id])
    assert {p for p in made if "/logs" not in f"/{p}"} == set(), made


CLIENT_CASES = [
    (c, k) for c, f, k in CASES if f == "aiflow_client.yaml" and c.args[0] == "workflow"
]


@pytest.mark.parametrize(("case", "key"), CLIENT_CASES, ids=[c.id for c, _k in CLIENT_CASES])
def test_ops_raises_the_same_message(
    case: Case, key: str | None, outcome: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    env, _target = outcome["prepared"][case.id]
    monkeypatch.setenv("AIFLOW_HOME", env["AIFLOW_HOME"])
    ops.set_server_address(None)
    with pytest.raises(ops.AIFlowClientError) as raised:
        ops.list_workflows()
    assert isinstance(raised.value, ops.ClientConfigError)
    line = next(
        x for x in outcome["results"][case.id].stderr.splitlines() if x.startswith("Error:")
    )
    assert line == f"Error: {raised.value}"
