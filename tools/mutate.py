"""A hand-kept mutation pass over the core modules (tools/mutations.yaml).

Each mutation names a file under src/, an exact snippet (`find`) that must occur there
exactly once, its `replace`ment, the rule it breaks (`why`) and the few tests that
should fail when it is applied (`tests`). The tool never touches the working tree: it
copies the repository once into a temporary directory, runs every distinct test set
there unmutated (and refuses to score if one fails), then applies one mutant at a time
in the copy, runs its tests with the copy's `src` first on PYTHONPATH, and restores the
file. A mutant is KILLED when its tests fail, TIMEOUT when they run past `--timeout`
(counted as killed, reported apart), SURVIVED when they pass.

    scripts/mutation.sh                  # every mutant; exit 1 below --min-score
    scripts/mutation.sh --list           # ids, files and rules
    scripts/mutation.sh --id writer-first-sender-offsets [--id ...]
    scripts/mutation.sh --check          # only check that every `find` still applies
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = ROOT / "tools" / "mutations.yaml"
FIELDS = ("id", "file", "find", "replace", "why", "tests")


class MutationError(Exception):
    """The mutation set does not apply to the code as it is (names the ids)."""


@dataclass(frozen=True)
class Mutation:
    id: str
    file: str
    find: str
    replace: str
    why: str
    tests: tuple[str, ...]


def load(path: Path) -> list[Mutation]:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise MutationError(f"{path}: {exc}") from None
    items = data.get("mutations") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise MutationError(f"{path}: expected a list under 'mutations'")
    out: list[Mutation] = []
    seen: set[str] = set()
    problems: list[str] = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            problems.append(f"entry {n}: not a mapping")
            continue
        missing = [f for f in FIELDS if not item.get(f)]
        name = item.get("id", f"entry {n}")
        if missing:
            problems.append(f"{name}: missing {', '.join(missing)}")
            continue
        if name in seen:
            problems.append(f"{name}: duplicate id")
        seen.add(name)
        tests = item["tests"]
        tests = (tests,) if isinstance(tests, str) else tuple(tests)
        if not str(item["file"]).startswith("src/"):
            problems.append(f"{name}: file must be under src/ ({item['file']})")
        if item["find"] == item["replace"]:
            problems.append(f"{name}: replace equals find")
        out.append(
            Mutation(
                str(name), str(item["file"]), item["find"], item["replace"], item["why"], tests
            )
        )
    if problems:
        raise MutationError("; ".join(problems))
    return out


def check(mutations: list[Mutation], root: Path) -> None:
    """Every `find` occurs exactly once in its file, every test path exists."""
    problems = []
    for m in mutations:
        path = root / m.file
        if not path.is_file():
            problems.append(f"{m.id}: {m.file} does not exist")
            continue
        count = path.read_text().count(m.find)
        if count != 1:
            problems.append(f"{m.id}: `find` occurs {count} times in {m.file} (must be once)")
        for test in m.tests:
            test_file = test.split("::", 1)[0]
            if not (root / test_file).exists():
                problems.append(f"{m.id}: test {test_file} does not exist")
    if problems:
        raise MutationError("mutations that no longer apply:\n  " + "\n  ".join(problems))


def copy_repo(dest: Path) -> None:
    """Tracked files plus untracked (not ignored) ones under src/ and tests/."""
    tracked = _git("ls-files", "-z")
    untracked = _git("ls-files", "-z", "--others", "--exclude-standard", "src", "tests", "tools")
    for rel in sorted(set(tracked) | set(untracked)):
        src = ROOT / rel
        if not src.is_file():
            continue  # deleted in the working tree
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def _git(*args: str) -> list[str]:
    out = subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True).stdout
    return [p for p in out.decode().split("\0") if p]


def environment(copy: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(copy / "src") + (
        os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
    )
    env.pop("PYTEST_ADDOPTS", None)
    return env


def verify_imports(copy: Path, env: dict[str, str]) -> None:
    """The copy's packages win over the editable install (a plain path entry)."""
    code = "import ai_flow as a, notification_service as n; print(a.__file__, n.__file__)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=copy, env=env, capture_output=True, text=True
    )
    paths = out.stdout.split()
    if out.returncode != 0 or not paths or not all(p.startswith(str(copy / "src")) for p in paths):
        raise MutationError(f"the copy's src does not win on PYTHONPATH: {out.stdout}{out.stderr}")


@dataclass
class Outcome:
    status: str  # PASSED (tests passed), FAILED, TIMEOUT
    seconds: float
    output: str


def run_tests(tests: tuple[str, ...], copy: Path, env: dict[str, str], timeout: float) -> Outcome:
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    began = time.monotonic()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            cmd, cwd=copy, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            code = proc.wait(timeout)
            status = "PASSED" if code == 0 else "FAILED"
        except subprocess.TimeoutExpired:
            status = "TIMEOUT"
        _reap(proc, copy)
        log.seek(0)
        output = log.read().decode(errors="replace")
    return Outcome(status, time.monotonic() - began, output)


def _reap(proc: subprocess.Popen[bytes], copy: Path) -> None:
    """End what the run left behind: its process group, and processes it started in
    sessions of their own (servers, task runtimes) that still use the copy."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    marker = str(copy / "src")
    me = os.getuid()
    for p in psutil.process_iter(["pid", "uids"]):
        try:
            if p.pid == os.getpid() or p.info["uids"] is None or p.info["uids"].real != me:
                continue
            if p.environ().get("PYTHONPATH", "").startswith(marker):
                p.kill()
        except (psutil.Error, OSError):
            continue


class Workspace:
    """The repository copy, and one mutant at a time applied in it."""

    def __init__(self, copy: Path) -> None:
        self.copy = copy

    def apply(self, m: Mutation) -> str:
        path = self.copy / m.file
        original = path.read_text()
        if original.count(m.find) != 1:
            raise MutationError(f"{m.id}: `find` does not occur exactly once in {m.file}")
        self._write(path, original.replace(m.find, m.replace, 1))
        return original

    def restore(self, m: Mutation, original: str) -> None:
        self._write(self.copy / m.file, original)

    @staticmethod
    def _write(path: Path, text: str) -> None:
        path.write_text(text)
        # A same-size edit within the same second would keep a stale .pyc valid.
        for pyc in (path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"):
            pyc.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--id", action="append", default=[], help="run only this mutant")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--check", action="store_true", help="only check that all apply")
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds per mutant")
    parser.add_argument("--min-score", type=float, default=90.0, help="percent killed")
    parser.add_argument("--keep", action="store_true", help="keep the copy (prints it)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print survivors' output")
    args = parser.parse_args(argv)
    try:
        mutations = load(args.config)
        if args.id:
            unknown = sorted(set(args.id) - {m.id for m in mutations})
            if unknown:
                raise MutationError(f"unknown mutant id(s): {', '.join(unknown)}")
            mutations = [m for m in mutations if m.id in args.id]
        check(mutations, ROOT)
    except MutationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.list:
        for m in mutations:
            print(f"{m.id:40} {m.file}\n    {m.why}\n    tests: {' '.join(m.tests)}")
        print(f"{len(mutations)} mutants")
        return 0
    if args.check:
        print(f"all {len(mutations)} mutants apply")
        return 0
    began = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="aiflow-mutation-"))
    try:
        return _run(mutations, tmp / "repo", args, began)
    except MutationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"copy kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _run(mutations: list[Mutation], copy: Path, args: argparse.Namespace, began: float) -> int:
    copy_repo(copy)
    check(mutations, copy)
    env = environment(copy)
    verify_imports(copy, env)
    print(f"copy: {copy} (ai_flow and notification_service imported from its src)", flush=True)
    test_sets = sorted({m.tests for m in mutations})
    print(f"baseline: {len(test_sets)} test sets, unmutated", flush=True)
    for tests in test_sets:
        outcome = run_tests(tests, copy, env, args.timeout)
        print(f"  {outcome.status:8} {outcome.seconds:6.1f}s  {' '.join(tests)}", flush=True)
        if outcome.status != "PASSED":
            print(outcome.output[-4000:], file=sys.stderr)
            raise MutationError(
                "the baseline fails: these tests do not pass unmutated, nothing is scored"
            )
    work = Workspace(copy)
    results: list[tuple[Mutation, Outcome]] = []
    for m in mutations:
        original = work.apply(m)
        try:
            outcome = run_tests(m.tests, copy, env, args.timeout)
        finally:
            work.restore(m, original)
        label = {"PASSED": "SURVIVED", "FAILED": "KILLED", "TIMEOUT": "TIMEOUT"}[outcome.status]
        print(f"{label:8} {m.id:44} {outcome.seconds:6.1f}s", flush=True)
        if label == "SURVIVED" and args.verbose:
            print(outcome.output[-2000:])
        results.append((m, outcome))
    survivors = [m for m, o in results if o.status == "PASSED"]
    timeouts = [m for m, o in results if o.status == "TIMEOUT"]
    killed = len(results) - len(survivors)
    score = 100.0 * killed / len(results) if results else 100.0
    if survivors:
        print("\nsurviving mutants:")
        for m in survivors:
            print(f"  {m.id} ({m.file}): {m.why}")
    if timeouts:
        print("\ntimed out (counted as killed):")
        for m in timeouts:
            print(f"  {m.id} ({m.file})")
    minutes = (time.monotonic() - began) / 60
    print(f"\nscore: {killed}/{len(results)} killed ({score:.1f}%)  [{minutes:.1f} min]")
    if score < args.min_score:
        print(f"below --min-score {args.min_score:g}%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
