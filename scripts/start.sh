#!/usr/bin/env bash
# Starts GoPlay on http://127.0.0.1:5080 (PORT=… to change), installing what it needs first.
# Extra arguments go to Playground.Web, e.g. --urls http://0.0.0.0:8080 or --Sandbox:RunWallTime=00:00:30
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/scripts/setup.sh" Release
echo "GoPlay: http://127.0.0.1:${PORT:-5080}" >&2
exec dotnet run --no-build --no-launch-profile -c Release --project "$ROOT/src/Playground.Web" -- \
  --urls "http://127.0.0.1:${PORT:-5080}" "$@"
