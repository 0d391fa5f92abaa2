"""Regenerate the committed gRPC stubs from proto/*.proto.

Each proto/<name>.proto maps to a package given in TARGETS; generated modules are
rewritten to import their siblings relatively so they work inside the package.
`python tools/gen_proto.py --check` exits 1 when the committed stubs are stale.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {
    "notification_service.proto": ROOT / "src/notification_service/proto",
    "aiflow.proto": ROOT / "src/ai_flow/proto",
}


def _generate(proto: str, out: Path) -> None:
    include = str(Path(protoc.__file__).parent / "_proto")
    args = [
        "protoc",
        f"-I{ROOT / 'proto'}",
        f"-I{include}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        str(ROOT / "proto" / proto),
    ]
    if protoc.main(args) != 0:
        raise SystemExit(f"protoc failed for {proto}")
    for path in out.glob("*_pb2*.py*"):
        text = path.read_text()
        text = re.sub(r"^import (\w+_pb2) as", r"from . import \1 as", text, flags=re.M)
        path.write_text(text)


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for proto, target in TARGETS.items():
        if not (ROOT / "proto" / proto).exists():
            continue
        with tempfile.TemporaryDirectory() as tmp:
            _generate(proto, Path(tmp))
            for generated in sorted(Path(tmp).iterdir()):
                dest = target / generated.name
                if check:
                    if not dest.exists() or dest.read_text() != generated.read_text():
                        stale.append(str(dest.relative_to(ROOT)))
                else:
                    target.mkdir(parents=True, exist_ok=True)
                    dest.write_text(generated.read_text())
    if stale:
        print("stale generated stubs (run python tools/gen_proto.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
