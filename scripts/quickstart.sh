#!/usr/bin/env bash
# Runs the spec's Quickstart end to end on this machine and stops the servers again:
# both servers from scratch, examples/quickstart_workflow.py uploaded and executed,
# the task executions printed. Exits non-zero unless every task SUCCEEDED.
#
# Needs `pip install -e .` into .venv first. Settings (environment variables):
#   AIFLOW_HOME        AIFlow home (default: a fresh temporary directory, kept afterwards)
#   NOTIFICATION_HOME  notification home (default: $AIFLOW_HOME/notification_service)
#   AIFLOW_PORT        AIFlow server port (default 50051, or a free port if that is busy)
#   AIFLOW_INTERNAL_PORT  its internal RPC port for task runtimes (default 50000, or a
#                      free port if that is busy)
#   AIFLOW_REST_PORT   its web UI and REST API port (default 8000, or a free port if busy)
#   NOTIFICATION_PORT  notification server port (default 50052, which the verbatim
#                      workflow file uses; another port runs a copy of the file using it)
#   AIFLOW_BIN         directory of the `aiflow` and `notification` scripts (.venv/bin)
#   QUICKSTART_TIMEOUT seconds to wait for the execution to finish (default 120)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${AIFLOW_BIN:-$ROOT/.venv/bin}
PY=$BIN/python
WORKFLOW_FILE=$ROOT/examples/quickstart_workflow.py
TIMEOUT=${QUICKSTART_TIMEOUT:-120}

die() { echo "quickstart: $*" >&2; exit 1; }
step() { printf '\n$ %s\n' "$*"; "$@"; }
port_free() { "$PY" -c 'import socket,sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"; }
free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

[[ -x $BIN/aiflow && -x $BIN/notification ]] || die "no aiflow/notification in $BIN; run: python3 -m venv .venv && .venv/bin/pip install -e ."
export PATH=$BIN:$PATH
export AIFLOW_HOME=${AIFLOW_HOME:-$(mktemp -d "${TMPDIR:-/tmp}/aiflow_quickstart.XXXXXX")}
export NOTIFICATION_HOME=${NOTIFICATION_HOME:-$AIFLOW_HOME/notification_service}

NOTIFICATION_PORT=${NOTIFICATION_PORT:-50052}
port_free "$NOTIFICATION_PORT" || die "port $NOTIFICATION_PORT (notification server) is busy; \
stop what uses it or run with NOTIFICATION_PORT=<free port>"
if [[ -z ${AIFLOW_PORT:-} ]]; then
    AIFLOW_PORT=50051
    port_free "$AIFLOW_PORT" || AIFLOW_PORT=$(free_port)
fi
port_free "$AIFLOW_PORT" || die "port $AIFLOW_PORT (AIFlow server) is busy; run with AIFLOW_PORT=<free port>"
if [[ -z ${AIFLOW_INTERNAL_PORT:-} ]]; then
    AIFLOW_INTERNAL_PORT=50000
    port_free "$AIFLOW_INTERNAL_PORT" || AIFLOW_INTERNAL_PORT=$(free_port)
fi
if [[ -z ${AIFLOW_REST_PORT:-} ]]; then
    AIFLOW_REST_PORT=8000
    port_free "$AIFLOW_REST_PORT" || AIFLOW_REST_PORT=$(free_port)
fi
if [[ $NOTIFICATION_PORT != 50052 ]]; then
    # The verbatim file names localhost:50052; run a copy that names our port.
    mkdir -p "$AIFLOW_HOME"
    sed "s/localhost:50052/localhost:$NOTIFICATION_PORT/" "$WORKFLOW_FILE" >"$AIFLOW_HOME/quickstart_workflow.py"
    WORKFLOW_FILE=$AIFLOW_HOME/quickstart_workflow.py
fi
echo "AIFLOW_HOME=$AIFLOW_HOME"
echo "NOTIFICATION_HOME=$NOTIFICATION_HOME"

cleanup() {
    echo
    aiflow standalone stop || true
}
trap cleanup EXIT

# Configuration as in the spec's Quickstart, on the chosen ports.
step notification config init
sed -i.bak -e "s/^server_port: .*/server_port: $NOTIFICATION_PORT/" \
    -e "s/^advertised_uri: .*/advertised_uri: localhost:$NOTIFICATION_PORT/" \
    "$NOTIFICATION_HOME/notification_server.yaml"
step aiflow config init
sed -i.bak -e "s/^rpc_port: .*/rpc_port: $AIFLOW_PORT/" \
    -e "s/^internal_rpc_port: .*/internal_rpc_port: $AIFLOW_INTERNAL_PORT/" \
    -e "s/^rest_port: .*/rest_port: $AIFLOW_REST_PORT/" \
    -e "s/^notification_server_uri: .*/notification_server_uri: 127.0.0.1:$NOTIFICATION_PORT/" \
    "$AIFLOW_HOME/aiflow_server.yaml"
sed -i.bak -e "s/^server_address: .*/server_address: localhost:$AIFLOW_PORT/" \
    "$AIFLOW_HOME/aiflow_client.yaml"
# Both servers on the embedded SQLite default: db init (if needed) and start, as daemons.
step aiflow standalone -d

# Running a Workflow.
step aiflow workflow upload "$WORKFLOW_FILE"
step aiflow workflow list --namespace default
echo
echo "$ aiflow workflow-execution start quickstart_workflow --namespace default"
started=$(aiflow workflow-execution start quickstart_workflow --namespace default)
echo "$started"
ID=$(sed -n 's/^Workflow execution: \([0-9]*\) submitted\.$/\1/p' <<<"$started")
[[ -n $ID ]] || die "could not read the execution id from: $started"

echo
echo "Waiting up to ${TIMEOUT}s for workflow execution $ID to finish..."
deadline=$((SECONDS + TIMEOUT))
while :; do
    status=$(aiflow workflow-execution show "$ID" -o json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    case $status in SUCCESS | FAILED | STOPPED) break ;; esac
    ((SECONDS < deadline)) || die "workflow execution $ID is still $status after ${TIMEOUT}s"
    sleep 1
done
echo "Workflow execution $ID finished: $status"

# Viewing the Results.
step aiflow workflow-execution list quickstart_workflow --namespace default
step aiflow task-execution list "$ID"
echo
echo "Task logs: $AIFLOW_HOME/logs/quickstart_workflow/$ID/<task>/<sequence>.log"
for log in "$AIFLOW_HOME"/logs/quickstart_workflow/"$ID"/task*/1.log; do
    echo "--- $log"
    cat "$log"
done

not_ok=$(aiflow task-execution list "$ID" -o json | "$PY" -c '
import json, sys
tasks = json.load(sys.stdin)
bad = [t["task_name"] + "=" + t["status"] for t in tasks if t["status"] != "SUCCESS"]
if len(tasks) != 4:
    bad.append("expected 4 task executions, got %d" % len(tasks))
print(" ".join(bad))')
[[ -z $not_ok ]] || die "not every task succeeded: $not_ok"
echo
echo "Quickstart finished: all 4 tasks succeeded."
