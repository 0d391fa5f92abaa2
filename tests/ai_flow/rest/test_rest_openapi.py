"""The committed OpenAPI document (docs/openapi.json) is the one the server serves."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]


def test_the_committed_openapi_json_is_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_openapi.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_server_serves_it_and_the_docs(api: httpx.Client) -> None:
    root = str(api.base_url).removesuffix("/api/v1/")
    served = httpx.get(f"{root}/openapi.json").json()
    assert served == json.loads((ROOT / "docs" / "openapi.json").read_text())
    assert served["openapi"].startswith("3.")
    docs = httpx.get(f"{root}/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_every_route_documents_its_errors_as_one_message() -> None:
    spec = json.loads((ROOT / "docs" / "openapi.json").read_text())
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if path.endswith("/health"):
                continue
            for status in ("404", "409", "422"):
                ref = operation["responses"][status]["content"]["application/json"]["schema"]
                assert ref == {"$ref": "#/components/schemas/ErrorOut"}, (method, path)
