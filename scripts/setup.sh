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

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  [ -x /usr/bin/docker-init ] || missing+=(tini)
  command -v go >/dev/null 2>&1 || missing+=(golang-go)
  command -v goimports >/dev/null 2>&1 || [ -x /usr/lib/go/bin/goimports ] || missing+=(golang-golang-x-tools)
  command -v ldd >/dev/null 2>&1 || missing+=(libc-bin)
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
    log "installing ${missing[*]}"
    # Packages with services (prometheus) must not start them: a policy-rc.d answering 101
    # ("action forbidden") while apt runs, unless the machine already has one.
    local policy_added=0 rc=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      as_root sh -c 'printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
      policy_added=1
    fi
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
    [ "$policy_added" -eq 0 ] || as_root rm -f /usr/sbin/policy-rc.d
    [ "$rc" -eq 0 ] || exit "$rc"
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

engine_answers() { docker info >/dev/null 2>&1; }

start_engine() {
  if engine_answers; then
    return
  fi
  if [ -n "${DOCKER_HOST:-}" ]; then
    log "DOCKER_HOST=$DOCKER_HOST does not answer; not starting a local engine"
    exit 1
  fi
  log "starting dockerd (log: /var/log/goplay-dockerd.log)"
  as_root sh -c 'nohup setsid dockerd >/var/log/goplay-dockerd.log 2>&1 &'
  for _ in $(seq 1 120); do
    if engine_answers; then
      log "docker engine is up"
      return
    fi
    sleep 0.5
  done
  log "dockerd did not come up; last lines of its log:"
  tail -n 30 /var/log/goplay-dockerd.log >&2 || true
  exit 1
}

build_solution() {
  log "building ($CONFIGURATION)"
  dotnet build "$ROOT/GoPlay.slnx" -c "$CONFIGURATION" -nologo -clp:NoSummary -v:quiet
}

prepare_sandbox() {
  log "creating sandbox images and warming the Go build cache (first time: about a minute)"
  dotnet run --no-build --no-launch-profile -c "$CONFIGURATION" --project "$ROOT/src/Playground.Web" -- prepare-sandbox \
    --Logging:LogLevel:Default=Warning --Logging:LogLevel:Playground=Information
}

install_packages
start_engine
build_solution
prepare_sandbox
