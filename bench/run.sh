#!/usr/bin/env bash
# One command for the benchmark: starts GoPlay the way the README does (scripts/start.sh),
# runs bench/Playground.Bench against it over SignalR, prints the table, stops the server.
#   bash bench/run.sh [--repeat N] [--clients N] [--seconds N]
#   bash bench/run.sh --idle 2000 [--seconds N]   only: server memory holding N idle connections
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PORT=${PORT:-5099}
LOG=$(mktemp /tmp/goplay-bench-server.XXXXXX.log)

# A queue of 20 keeps the saturation figure quick to reach; everything else is the default.
# SERVER_ARGS adds server options for experiments (e.g. --Scheduler:Slots=3).
EXTRA=()
args=("$@")
for i in "${!args[@]}"; do
  # Every idle connection comes from this one address: lift the per-address cap (200) to N.
  if [[ ${args[$i]} == --idle ]]; then
    EXTRA=("--Connections:MaxPerClient=${args[$((i + 1))]}" "--Connections:MaxTotal=$((${args[$((i + 1))]} + 100))")
  fi
done
# Each bench client is a user of its own, named in X-Forwarded-For as an edge proxy would.
PORT=$PORT "$ROOT/scripts/start.sh" --Scheduler:QueueLimit=20 --Network:TrustedProxies:0=127.0.0.1 "${EXTRA[@]}" ${SERVER_ARGS:-} >"$LOG" 2>&1 &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT

for _ in $(seq 1 600); do
  curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
  kill -0 $SERVER 2>/dev/null || { echo "server exited; log: $LOG"; tail -n 40 "$LOG"; exit 1; }
  sleep 0.5
done
# Every Go version ready: the server prepares the non-default ones in the background after
# start, and that work must not run beside the measurements.
for _ in $(seq 1 2400); do
  curl -fs "http://127.0.0.1:$PORT/versions" | grep -q '"state":"preparing"' || break
  sleep 0.5
done
sleep 3 # let the warm pools fill

status=0
# The process serving the port (start.sh's dotnet run starts the server as its child).
PID=$(ss -Hltnp "sport = :$PORT" | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2)
dotnet run -c Release --project "$ROOT/bench/Playground.Bench" -- --server "http://127.0.0.1:$PORT/" --server-pid "${PID:-0}" "$@" || status=$?

# Every run's container is removed before its stream completes, and the pools go with the
# server: after a clean stop nothing of ours may be left.
kill -TERM $SERVER; wait $SERVER 2>/dev/null || true
trap - EXIT
left=$(docker ps -aq --filter label=io.goplay.managed | wc -l)
echo "sandbox containers left after the server stopped: $left"
[ "$left" -eq 0 ] || status=1
exit $status
