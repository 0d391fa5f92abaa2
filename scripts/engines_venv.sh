#!/usr/bin/env bash
# Builds (once, cached) the venv with the real engines used by the `engine` tests:
# pinned pyspark and apache-flink in ONE venv outside the repo, so it survives clean clones.
#
#   scripts/engines_venv.sh           build if missing or if a pin changed, then print the paths
#   scripts/engines_venv.sh --check   print the paths if built and current, else exit 3 (never builds)
#
# Output on stdout (shell-sourceable, `eval "$(scripts/engines_venv.sh)"`):
#   ENGINES_PYTHON=<venv>/bin/python
#   FLINK_HOME=<site-packages>/pyflink    (flink, start-cluster.sh, conf/ live in FLINK_HOME/bin, /conf)
#   SPARK_HOME=<site-packages>/pyspark    (spark-submit, spark-sql, spark-class in SPARK_HOME/bin)
# Progress goes to stderr. Environment:
#   AIFLOW_ENGINES_VENV   venv location (default ~/.cache/aiflow/engines-venv)
#   AIFLOW_ENGINES_PYTHON base interpreter (default python3; pyspark 4.3 needs >= 3.11)
# A cold build downloads ~1.3 GB of wheels and takes minutes; a cached run takes well under 2 s.
set -euo pipefail

# Both pin py4j: apache-flink ==0.10.9.7, pyspark >=0.10.9.7,<0.10.9.10, so one venv resolves.
PINS=(pyspark==4.3.0 apache-flink==2.3.0)

VENV="${AIFLOW_ENGINES_VENV:-$HOME/.cache/aiflow/engines-venv}"
BASE_PYTHON="${AIFLOW_ENGINES_PYTHON:-python3}"
STAMP="$VENV/.aiflow-engines-stamp"
PATHS="$VENV/.aiflow-engines-paths"

mode=build
case "${1:-}" in
    "") ;;
    --check) mode=check ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

wanted_stamp() {
    printf 'pins: %s\npython: %s\n' "${PINS[*]}" \
        "$("$BASE_PYTHON" -c 'import sys; print(sys.version.split()[0])')"
}

is_current() {
    [[ -x "$VENV/bin/python" && -f "$PATHS" && -f "$STAMP" ]] \
        && [[ "$(cat "$STAMP")" == "$(wanted_stamp)" ]]
}

if is_current; then
    cat "$PATHS"
    exit 0
fi
if [[ $mode == check ]]; then
    echo "engines venv $VENV is not built or out of date: run scripts/engines_venv.sh" >&2
    exit 3
fi

mkdir -p "$(dirname "$VENV")"
# One builder at a time (two test sessions, or a test session and a shell).
exec 9>"$VENV.lock"
flock 9
if is_current; then  # another process built it while we waited
    cat "$PATHS"
    exit 0
fi

start=$SECONDS
echo "building engines venv $VENV (${PINS[*]}); takes a few minutes" >&2
rm -rf "$VENV"
"$BASE_PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >&2
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PINS[@]}" >&2
"$VENV/bin/python" -m pip check >&2

site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
for tool in pyflink/bin/flink pyflink/bin/start-cluster.sh pyspark/bin/spark-submit \
    pyspark/bin/spark-sql pyspark/bin/spark-class; do
    [[ -f "$site/$tool" ]] || { echo "missing $site/$tool" >&2; exit 1; }
    chmod +x "$site/$tool"
done
chmod +x "$site"/pyflink/bin/*.sh "$site"/pyspark/bin/* 2>/dev/null || true

printf 'ENGINES_PYTHON=%s\nFLINK_HOME=%s\nSPARK_HOME=%s\n' \
    "$VENV/bin/python" "$site/pyflink" "$site/pyspark" >"$PATHS"
wanted_stamp >"$STAMP"  # written last: a half-built venv is never "current"
echo "engines venv built in $((SECONDS - start)) s" >&2
cat "$PATHS"
