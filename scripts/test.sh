#!/usr/bin/env bash
# Installs the project with its test dependencies into .venv and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
.venv/bin/ruff check src tests tools bench
.venv/bin/ruff format --check src tests tools bench
.venv/bin/python tools/gen_proto.py --check
.venv/bin/python tools/gen_openapi.py --check
.venv/bin/mypy
# CI runs the engine tests too: build (cached outside the repo) the Flink/Spark venv first.
if [ "${CI:-}" = "true" ]; then ./scripts/engines_venv.sh; fi
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
