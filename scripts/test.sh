#!/usr/bin/env bash
# Runs every test project against the real Docker engine and Go toolchain, installing and
# starting what they need first (scripts/setup.sh). Prints one closing line summing all
# projects: "N passed, N failed, N skipped". Exits non-zero on any failure.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RESULTS="$ROOT/TestResults"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! "$ROOT/scripts/setup.sh" Debug --tests; then
  echo "set-up failed: nothing was tested"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

rm -rf "$RESULTS"
passed=0 failed=0 skipped=0
# Every sandbox host the tests start labels its containers with an owner under this prefix;
# the suites and the leak check below look only at those, so a GoPlay that scripts/start.sh
# runs on the same engine is neither counted nor touched.
export GOPLAY_TEST_OWNER="test-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
count() { grep -o "$1=\"[0-9]*\"" "$2" | head -1 | grep -o '[0-9]*'; }

# One project at a time: the suites share the owner prefix, and the machine has two cores.
for project in "$ROOT"/tests/*.Tests/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" --no-build -c Debug --logger "trx;LogFileName=$name.trx" \
    --logger "console;verbosity=normal" --results-directory "$RESULTS"
  rc=$?
  trx="$RESULTS/$name.trx"
  if [ -f "$trx" ]; then
    p=$(count passed "$trx"); f=$(count failed "$trx"); t=$(count total "$trx"); e=$(count executed "$trx")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + t - e))
    # A crash or a fixture clean-up failure can fail the run without failing a test.
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); echo "  $name: test host failed (exit $rc)" | tee -a "$RESULTS/failed.txt"; fi
    # Remembered for the end: CI shows only the tail of a long log.
    awk -v project="$name" -f "$ROOT/scripts/trx-failures.awk" "$trx" >> "$RESULTS/failed.txt"
  else
    failed=$((failed + 1)); mkdir -p "$RESULTS"; echo "  $name: no results (exit $rc)" | tee -a "$RESULTS/failed.txt"
  fi
done

# Suite-level invariant: nothing the sandbox created outlives the tests.
owned() {
  docker ps -a --filter label=io.goplay.managed=true --format '{{.ID}} {{.Label "io.goplay.owner"}} {{.Image}} {{.Status}}' \
    | awk -v prefix="$GOPLAY_TEST_OWNER" 'index($2, prefix) == 1'
}
left=$(owned | wc -l)
if [ "$left" -eq 0 ]; then
  passed=$((passed + 1)); echo "leak check: no sandbox containers left"
else
  failed=$((failed + 1)); echo "leak check FAILED: $left sandbox container(s) left" | tee -a "$RESULTS/failed.txt"
  owned >&2
fi

if [ -s "$RESULTS/failed.txt" ]; then
  echo "failed tests, with the start of each message (the rest above and in $RESULTS/*.trx):"
  cat "$RESULTS/failed.txt"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
