#!/usr/bin/env bash
# The mutation pass over the core modules (tools/mutations.yaml, tools/mutate.py):
# prints a line per mutant, the survivors with the rule each breaks, and the score.
#   scripts/mutation.sh [--list] [--check] [--id ID ...] [--min-score 90] [--timeout S]
# It runs in a copy of the repository; the working tree is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
exec nice -n "${MUTATION_NICE:-10}" .venv/bin/python tools/mutate.py "$@"
