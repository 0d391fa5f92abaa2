"""Regenerate the committed OpenAPI document of the REST API (docs/openapi.json).

`python tools/gen_openapi.py --check` exits 1 when the committed document is stale.
The document is FastAPI's rendering of the routes: a FastAPI release that renders it
differently makes the check fail until it is regenerated.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "openapi.json"


def render() -> str:
    from ai_flow.rest import create_app

    return json.dumps(create_app().openapi(), indent=2, sort_keys=True) + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        if not TARGET.exists() or TARGET.read_text() != text:
            print(f"stale {TARGET.relative_to(ROOT)} (run python tools/gen_openapi.py)")
            return 1
        return 0
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
