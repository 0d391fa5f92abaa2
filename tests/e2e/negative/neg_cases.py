"""Generate the negative cases of issue 13 from the click command trees, run them as
the console scripts run (fork_runner.py; NEGATIVE_SUITE_EXEC=1: the installed scripts),
and check each: no traceback, the exit code, exactly one `Error:` line.

Nothing here names a command one by one: a new command, option or config key is covered
by the walk. What cannot be derived (the value a parameter of a given name takes, which
commands succeed on unknown names) is in the tables below; a parameter missing from
them fails the suite with a message saying which table to extend.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import yaml
from af_e2e_helpers import exe

UNKNOWN_ID = "999999"
# More than a signed 64-bit id or offset can hold (the protobuf fields are int64).
OVERFLOW = str(2**64)
NO_NAMESPACE = "no_such_namespace"
# The workflow the running stack has (examples/quickstart_workflow.py).
WORKFLOW = "quickstart_workflow"
# Commands that own a home (databases, daemons): never run against a shared stack; their
# own cases are the config mutations and the set-up tests.
LOCAL_GROUPS = {"db", "server", "standalone", "worker"}

# The value each parameter takes when it should name something that does not exist.
UNKNOWN_VALUES = {
    "workflow_name": "no_such_workflow",
    "namespace_name": NO_NAMESPACE,
    "task_name": "no_such_task",
    "expression": "interval@0 0 1 0",  # valid: the unknown workflow is the error
    "file_path": "no_such_workflow_file.py",
    "key": "no_such_key",
    "value": "v",
    "properties": "a=b",
    "offset": "999999999",  # `aiflow event explain`: no such event
}

# Values of string parameters that click must refuse (exit 2), by parameter name.
BAD_STRINGS = {
    "server_address": ["localhost:99999", "localhost", ""],
    "server_uri": ["localhost:0", "localhost:99999,localhost:1", "no-port"],
}

# Commands that do not fail on unknown names (exit 0), and what they do instead.
SUCCEEDS_ON_UNKNOWN = {
    ("aiflow", "config", "init"): "says the files already exist",
    ("aiflow", "config", "list"): "lists the keys",
    ("aiflow", "namespace", "list"): "lists the namespaces",
    ("aiflow", "scheduler", "errors"): "lists the skipped events",
    ("aiflow", "version"): "prints the version",
    ("aiflow", "workflow", "list"): "lists the workflows of the default namespace",
    ("notification", "config", "init"): "says the file already exists",
    ("notification", "config", "list"): "lists the keys",
    ("notification", "event", "count"): "counts no events",
    ("notification", "event", "list"): "lists no events",
    ("notification", "version"): "prints the version",
}
# Commands that store on unknown names, or never return: only their server-down case.
NOT_RUN_ON_UNKNOWN = {
    ("aiflow", "namespace", "add"): "creates the namespace",
    ("notification", "event", "send"): "stores the event (any key is valid)",
    ("notification", "event", "listen"): "waits for events until Ctrl-C",
}
# Options a command needs one of (click cannot mark either required): always given.
ONE_OF = {
    ("aiflow", "workflow", "replay"): {"from_offset": "0"},
}
# What an unknown name says, when it is not "... does not exist".
UNKNOWN_ERRORS = {
    ("aiflow", "workflow", "replay"): "no_such_workflow_file.py does not exist",
    ("aiflow", "config", "get-value"): "unknown config key 'no_such_key'",
    ("notification", "config", "get-value"): "unknown config key 'no_such_key'",
    ("aiflow", "workflow", "upload"): "no_such_workflow_file.py does not exist",
}


@dataclass(frozen=True)
class Case:
    """One invocation and what it must do: `error` is a fragment of the one `Error:`
    line, or None for a success (no `Error:` line at all)."""

    id: str
    prog: str
    args: tuple[str, ...]
    # The environment to run in: "offline" (configured, nothing running), "running" (the
    # shared stack), or a case's own homes (config mutations, set-up mistakes).
    where: str
    exit: int | tuple[int, ...]
    error: str | None
    fmt: str | None = None  # json/yaml output of a success must parse
    input: str | None = "n\n"  # a confirmation prompt is answered "no"
    env: tuple[tuple[str, str], ...] = ()


@dataclass
class Command:
    prog: str
    path: tuple[str, ...]
    command: click.Command
    params: list[click.Parameter] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, ...]:
        return (self.prog, *self.path)

    @property
    def name(self) -> str:
        return " ".join(self.key)

    @property
    def local(self) -> bool:
        return bool(self.path) and self.path[0] in LOCAL_GROUPS


def walk(prog: str, group: click.Group, path: tuple[str, ...] = ()) -> Iterator[Command]:
    """Every command of the tree (LazyGroup imports each on get_command); a group that
    runs without a sub-command (`aiflow standalone`) is a command too."""
    ctx = click.Context(group, info_name=prog)
    if not path or group.invoke_without_command:  # the root: its options (--server)
        yield Command(prog, path, group, [p for p in group.params if p.name != "help"])
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None, f"{prog} {' '.join(path)} lists {name} but cannot load it"
        if isinstance(cmd, click.Group):
            yield from walk(prog, cmd, (*path, name))
        else:
            yield Command(prog, (*path, name), cmd, [p for p in cmd.params if p.name != "help"])


def all_commands() -> list[Command]:
    from ai_flow.cli import cli as aiflow_cli
    from notification_service.cli import cli as notification_cli

    return [*walk("aiflow", aiflow_cli), *walk("notification", notification_cli)]


def _is_int(param: click.Parameter) -> bool:
    return isinstance(param.type, click.types.IntParamType)


def _is_float(param: click.Parameter) -> bool:
    return isinstance(param.type, click.types.FloatParamType)


def _value(cmd: Command, param: click.Parameter) -> str:
    """A value of `param` that names nothing that exists (valid, but unknown)."""
    assert param.name is not None
    if _is_int(param) and param.name.endswith("_id"):
        return UNKNOWN_ID
    if param.name in UNKNOWN_VALUES:
        return UNKNOWN_VALUES[param.name]
    raise AssertionError(
        f"{cmd.name}: no value for the parameter {param.name!r}; add one to UNKNOWN_VALUES "
        "in tests/e2e/negative/neg_cases.py"
    )


def _opt(param: click.Parameter) -> str:
    assert isinstance(param, click.Option)
    return max(param.opts, key=len)


def _argv(cmd: Command, override: dict[str, str] | None = None) -> tuple[str, ...]:
    """The command line with every required parameter (and those in `override`, by
    name) set; the others take unknown-but-valid values."""
    override = {**ONE_OF.get(cmd.key, {}), **(override or {})}
    opts: list[str] = []
    args: list[str] = []
    for p in cmd.params:
        if p.name in override:
            value = override[p.name]
        elif p.required:
            value = _value(cmd, p)
        else:
            continue
        if isinstance(p, click.Argument):
            args.append(value)
        else:
            opts += [_opt(p), value]
    dashes = ["--"] if any(a.startswith("-") for a in args) else []
    return (*cmd.path, *opts, *dashes, *args)


def _bad_values(param: click.Parameter) -> Iterator[tuple[str, str]]:
    """(label, value) pairs click must refuse for `param` (exit 2)."""
    t = param.type
    if _is_int(param):
        yield "not-an-int", "abc"
        yield "overflow", OVERFLOW
    elif _is_float(param):
        yield "not-a-number", "abc"
    if isinstance(t, click.types._NumberRangeBase):
        step = 1 if _is_int(param) else 0.5
        if t.min is not None:
            yield "below-min", str(t.min if t.min_open else t.min - step)
        if t.max is not None:
            yield "above-max", str(t.max if t.max_open else t.max + step)
    if isinstance(t, click.Choice):
        yield "bad-choice", "no_such_choice"
    for i, value in enumerate(BAD_STRINGS.get(str(param.name), [])):
        yield f"bad-value{i}", value


def usage_cases(commands: Iterable[Command]) -> Iterator[Case]:
    """Click-level mistakes: run offline, they must fail before anything runs (exit 2)."""
    for cmd in commands:
        name = "-".join(cmd.key)
        yield Case(f"{name}:help", cmd.prog, (*cmd.path, "--help"), "offline", 0, None)
        if any(p.required for p in cmd.params):
            yield Case(f"{name}:no-args", cmd.prog, cmd.path, "offline", 2, "Missing ")
        for p in cmd.params:
            for label, value in _bad_values(p):
                # A daemon's huge (unbounded) count fails later, on the config: still one line.
                code: int | tuple[int, ...] = (1, 2) if label == "overflow" and cmd.local else 2
                error = "Error" if code != 2 else "Invalid value"
                argv = _argv(cmd, {str(p.name): value})
                yield Case(f"{name}:{p.name}={label}", cmd.prog, argv, "offline", code, error)
        yield Case(
            f"{name}:unknown-option",
            cmd.prog,
            (*cmd.path, "--no-such-option"),
            "offline",
            2,
            "No such option",
        )


def _formats(cmd: Command) -> list[str]:
    for p in cmd.params:
        if isinstance(p, click.Option) and "-o" in p.opts and isinstance(p.type, click.Choice):
            return [str(c) for c in p.type.choices]
    return []


def _namespace_option(cmd: Command) -> click.Option | None:
    for p in cmd.params:
        if isinstance(p, click.Option) and "-n" in p.opts:
            return p
    return None


# Commands taking a workflow file: a real one where the file is not the mistake.
TAKES_A_FILE = {("aiflow", "workflow", "upload"), ("aiflow", "workflow", "replay")}


def _real_file(args: tuple[str, ...], workflow_file: Path) -> tuple[str, ...]:
    unknown = UNKNOWN_VALUES["file_path"]
    return tuple(str(workflow_file) if a == unknown else a for a in args)


def unknown_cases(
    commands: Iterable[Command], workflow: str, workflow_file: Path
) -> Iterator[Case]:
    """Unknown ids, names and namespaces against the running stack, in every format."""
    for cmd in commands:
        if not cmd.path or cmd.local or cmd.key in NOT_RUN_ON_UNKNOWN:
            continue
        name = "-".join(cmd.key)
        args = _argv(cmd)
        ok = cmd.key in SUCCEEDS_ON_UNKNOWN
        error = None if ok else UNKNOWN_ERRORS.get(cmd.key, "does not exist")
        yes = ("-y",) if any(p.name == "yes" for p in cmd.params) else ()
        yield Case(f"{name}:unknown", cmd.prog, args, "running", 0 if ok else 1, error)
        if yes:  # past the confirmation, too
            yield Case(
                f"{name}:unknown-y", cmd.prog, (*args, *yes), "running", 0 if ok else 1, error
            )
        for fmt in _formats(cmd):
            yield Case(
                f"{name}:unknown-o-{fmt}",
                cmd.prog,
                (*args, "-o", fmt),
                "running",
                0 if ok else 1,
                error,
                fmt=fmt,
            )
        ns = _namespace_option(cmd)
        if cmd.prog == "aiflow" and ns is not None:
            # An existing workflow name in a namespace that does not exist.
            named = tuple(workflow if a == UNKNOWN_VALUES["workflow_name"] else a for a in args)
            if cmd.key in TAKES_A_FILE:
                named = _real_file(named, workflow_file)
            yield Case(
                f"{name}:unknown-namespace",
                cmd.prog,
                (*named, "-n", NO_NAMESPACE, *yes),
                "running",
                1,
                NO_NAMESPACE,
            )


def server_down_cases(commands: Iterable[Command], workflow_file: Path) -> Iterator[Case]:
    """Every command that needs a server, with the server stopped: one Error line."""
    for cmd in commands:
        needs_server = bool(cmd.path) and cmd.path[0] not in ("config", "version")
        needs_server = needs_server and not cmd.local
        if not needs_server:
            continue
        name = "-".join(cmd.key)
        args = list(_argv(cmd))
        if cmd.key in TAKES_A_FILE:  # a real file: the server is the problem
            args = list(_real_file(tuple(args), workflow_file))
        if any(p.name == "yes" for p in cmd.params):
            args.append("-y")
        yield Case(f"{name}:server-down", cmd.prog, tuple(args), "offline", 1, "unreachable")
        for fmt in _formats(cmd)[1:2]:  # one more format: the error is not JSON
            yield Case(
                f"{name}:server-down-o-{fmt}",
                cmd.prog,
                (*args, "-o", fmt),
                "offline",
                1,
                "unreachable",
            )


def run(case: Case, envs: dict[str, dict[str, str]], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**envs[case.where], **dict(case.env)}
    try:
        return subprocess.run(
            [exe(case.prog), *case.args],
            env=env,
            input=case.input,
            capture_output=True,
            text=True,
            timeout=90,
            cwd=cwd,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        return subprocess.CompletedProcess(exc.cmd, -9, out, "timed out after 90 s")


FORK_RUNNER = Path(__file__).with_name("fork_runner.py")


def run_all(
    cases: list[Case], envs: dict[str, dict[str, str]], cwd: Path
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run every case in its own process, a few at a time: forked from one process that
    imported the command lines once (fork_runner.py), or with NEGATIVE_SUITE_EXEC=1
    through the installed console scripts."""
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    workers = max(2, min(6, (os.cpu_count() or 2) * 2))
    if os.environ.get("NEGATIVE_SUITE_EXEC") == "1":
        with ThreadPoolExecutor(workers) as pool:
            results = pool.map(lambda c: run(c, envs, cwd), cases)
            return dict(zip(ids, results, strict=True))
    request = {
        "workers": workers,
        "cases": [
            {
                "prog": c.prog,
                "args": list(c.args),
                "env": {**envs[c.where], **dict(c.env)},
                "input": c.input,
                "cwd": str(cwd),
            }
            for c in cases
        ],
    }
    done = subprocess.run(
        [sys.executable, str(FORK_RUNNER)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=900,
        cwd=cwd,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answers = json.loads(done.stdout)
    return {
        c.id: subprocess.CompletedProcess([c.prog, *c.args], **a)
        for c, a in zip(cases, answers, strict=True)
    }


def check(case: Case, result: subprocess.CompletedProcess[str]) -> None:
    """No traceback, the exit code, and exactly one `Error:` line (none on success)."""
    shown = (
        f"$ {case.prog} {' '.join(case.args)}\n--- stdout:\n{result.stdout}\n"
        f"--- stderr:\n{result.stderr}"
    )
    output = result.stdout + result.stderr
    assert "Traceback" not in output, shown
    exits = case.exit if isinstance(case.exit, tuple) else (case.exit,)
    assert result.returncode in exits, f"exit {result.returncode}, not {case.exit}\n{shown}"
    # stdout and stderr apart: a prompt without a newline must not hide an Error: line.
    lines = result.stdout.splitlines() + result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("Error:")]
    if case.error is None:
        assert errors == [], shown
    else:
        assert len(errors) == 1, f"{len(errors)} Error: lines\n{shown}"
        assert case.error in errors[0], f"{case.error!r} not in the Error: line\n{shown}"
    if case.error is None and case.fmt == "json":
        json.loads(result.stdout)
    if case.error is None and case.fmt == "yaml":
        yaml.safe_load(result.stdout)


def tree(path: Path) -> dict[str, Any]:
    """Every file under `path` with its size: "nothing stored" compares two of these."""
    if not path.exists():
        return {}
    return {
        str(p.relative_to(path)): p.stat().st_size if p.is_file() else "dir"
        for p in sorted(path.rglob("*"))
    }
