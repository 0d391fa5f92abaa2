"""The dependency floors in pyproject.toml are what the committed gRPC stubs need: a
pip that resolves an older grpcio or protobuf would install cleanly and then fail at
every command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STUBS = sorted(ROOT.glob("src/*/proto/*_pb2*.py"))


def _floor(package: str) -> tuple[int, ...]:
    text = (ROOT / "pyproject.toml").read_text()
    dependencies = text.split("dependencies = [", 1)[1].split("]", 1)[0]
    match = re.search(rf'"{package}>=([\d.]+)', dependencies)
    assert match, f"{package} has no floor in [project] dependencies"
    return tuple(int(p) for p in match.group(1).split("."))


def test_the_grpcio_floor_is_what_the_stubs_were_generated_for() -> None:
    needed = set()
    for path in STUBS:
        found = re.search(r"GRPC_GENERATED_VERSION = '([\d.]+)'", path.read_text())
        if found:
            needed.add(tuple(int(p) for p in found.group(1).split(".")))
    assert needed, "no *_pb2_grpc.py stub found"
    assert _floor("grpcio") >= max(needed)


def test_the_protobuf_floor_is_what_the_stubs_need() -> None:
    needed = set()
    for path in STUBS:
        found = re.search(
            r"ValidateProtobufRuntimeVersion\(\s*_runtime_version\.Domain\.PUBLIC,\s*(\d+),\s*(\d+),\s*(\d+),",
            path.read_text(),
        )
        if found:
            needed.add(tuple(int(g) for g in found.groups()))
    assert needed, "no *_pb2.py stub found"
    assert _floor("protobuf") >= max(needed)
