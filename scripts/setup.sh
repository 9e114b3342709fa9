#!/usr/bin/env bash
# Brings a fresh Debian 12 machine to the point where GoPlay can run, and does nothing that
# is already done: installs missing packages, starts dockerd when no engine answers, builds
# the solution and creates the sandbox images (no registry: they are built locally).
#
#   scripts/setup.sh [Debug|Release] [--tests]
#
# --tests also installs what only the tests need (Chromium for the browser tests).
#
# Used by scripts/start.sh and scripts/test.sh; safe to run any number of times.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONFIGURATION=${1:-Debug}
WITH_TESTS=0
[ "${2:-}" = "--tests" ] && WITH_TESTS=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }
# as_root, apt_install, start_engine
. "$ROOT/scripts/lib.sh"
# fetch_go_toolchains
. "$ROOT/scripts/toolchains.sh"

install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  [ -x /usr/bin/docker-init ] || missing+=(tini)
  command -v go >/dev/null 2>&1 || missing+=(golang-go)
  command -v goimports >/dev/null 2>&1 || [ -x /usr/lib/go/bin/goimports ] || missing+=(golang-golang-x-tools)
  command -v ldd >/dev/null 2>&1 || missing+=(libc-bin)
  # The zone database the runner image carries (time.LoadLocation in programs).
  [ -f /usr/share/zoneinfo/tzdata.zi ] || missing+=(tzdata)
  # The front end is bundled with Vite during the build.
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ "$WITH_TESTS" -eq 1 ]; then
    # The browser tests drive Debian's Chromium; fonts so screenshots show text.
    [ -x /usr/bin/chromium ] || missing+=(chromium fonts-dejavu-core)
    # Screenshots of the examples show Chinese text (the hello example prints 世界).
    [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
    # Real proxies for the goplay client's proxy tests (HTTP CONNECT and SOCKS5).
    command -v tinyproxy >/dev/null 2>&1 || missing+=(tinyproxy)
    command -v microsocks >/dev/null 2>&1 || missing+=(microsocks)
    # The compose test: Debian's docker-compose, debootstrap for the local base images
    # (deploy/base-images.sh), and Prometheus (its binary goes into the local Prometheus image
    # and the Prometheus integration test runs it).
    command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
    [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
    [ -x /usr/bin/prometheus ] || missing+=(prometheus)
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    apt_install "${missing[@]}"
  fi
  if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
    log "Node.js 20.19 or later is required to bundle the front end (found $(node --version)); install it from nodejs.org or NodeSource"
    exit 1
  fi
  if ! command -v dotnet >/dev/null 2>&1; then
    log "the .NET 10 SDK is required (dotnet on PATH); this machine image is expected to have it"
    exit 1
  fi
}

build_solution() {
  log "building ($CONFIGURATION)"
  # The server alone unless the tests run: the tests and the other tools would only add
  # time to a first start.
  local target="$ROOT/GoPlay.slnx"
  [ "$WITH_TESTS" -eq 1 ] || target="$ROOT/src/Playground.Web/Playground.Web.csproj"
  dotnet build "$target" -c "$CONFIGURATION" -nologo -clp:NoSummary -v:quiet
}

web() {
  dotnet run --no-build --no-launch-profile -c "$CONFIGURATION" --project "$ROOT/src/Playground.Web" -- "$@" \
    --Logging:LogLevel:Default=Warning --Logging:LogLevel:Playground=Information
}

# The Go toolchains the configuration names (Sandbox:Toolchains), unpacked from Debian's archive
# without installing them (toolchains.sh).
fetch_toolchains() {
  local directory="" releases=()
  while IFS='=' read -r key value; do
    case "$key" in
      directory) directory=$value ;;
      release) releases+=("$value") ;;
    esac
  done < <(web toolchains)
  [ -n "$directory" ] || { log "could not read the toolchain configuration"; exit 1; }
  if [ "$WITH_TESTS" -eq 1 ] || [ ${#releases[@]} -le 1 ]; then
    fetch_go_toolchains "$directory" "${releases[@]}"
    return
  fi
  # The newest release (the default) first; the others download while it is prepared, and
  # the server, started after both, prepares them in the background.
  mapfile -t releases < <(printf '%s\n' "${releases[@]}" | sort -t. -k1,1nr -k2,2nr)
  fetch_go_toolchains "$directory" "${releases[0]}"
  # At the lowest priority: unpacking them must not slow the default's preparation.
  (
    renice -n 19 -p "$BASHPID" >/dev/null 2>&1 || true
    ionice -c 3 -p "$BASHPID" >/dev/null 2>&1 || true
    fetch_go_toolchains "$directory" "${releases[@]:1}"
  ) &
  FETCHING=$!
}
FETCHING=

# The default toolchain only, or (with --tests, whose suites run every version) all of them.
# A started server prepares the others in the background.
prepare_sandbox() {
  log "creating sandbox images and warming the Go build cache (first time: about a minute per Go version)"
  if [ "$WITH_TESTS" -eq 1 ]; then web prepare-sandbox all; else web prepare-sandbox; fi
}

install_packages
start_engine
build_solution
fetch_toolchains
prepare_sandbox
if [ -n "$FETCHING" ]; then wait "$FETCHING"; fi
