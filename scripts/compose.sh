#!/usr/bin/env bash
# Runs GoPlay with docker compose on this Docker host (docker-compose.yml): Playground.Proxy in
# front on http://127.0.0.1:$GOPLAY_PORT, Playground.Web behind it creating sandbox containers on
# the host's engine, Prometheus scraping both on http://127.0.0.1:$PROMETHEUS_PORT. No container
# registry is used: every image is produced on this machine.
#
#   scripts/compose.sh up       build (below), start, wait until /health/ready answers through the proxy
#   scripts/compose.sh build    install what is missing (docker-compose, debootstrap, prometheus)
#                               and start the engine; scripts/setup.sh Release (solution build,
#                               sandbox images on the engine) while deploy/base-images.sh
#                               produces the base images; publish Web and Proxy to
#                               artifacts/publish/; build goplay-web:local and goplay-proxy:local
#   scripts/compose.sh down     stop and remove the stack (see "down keeps" below)
#   scripts/compose.sh ARGS...  any other compose command for the project: ps, logs -f web, ...
#
# Environment (defaults in brackets):
#   COMPOSE_PROJECT_NAME  compose project [goplay]
#   GOPLAY_PORT           host port of the proxy [8080]
#   PROMETHEUS_PORT       host port of Prometheus [9090]
#   GOPLAY_ADDRESS        host address both ports bind to [127.0.0.1]
#   GOPLAY_DATA_DIR       host directory for snippets, module cache and module socket
#                         [/var/lib/goplay]; it is mounted into Web at the same path
#   RUNTIME_IMAGE         ASP.NET Core 10 base of the app images [goplay-base/aspnet:10.0-local];
#                         mcr.microsoft.com/dotnet/aspnet:10.0 where a registry is reachable
#   PROMETHEUS_IMAGE      [goplay-base/prometheus:local]; prom/prometheus:v2.53.3 elsewhere
#   GOPLAY_UP_TIMEOUT     seconds `up` waits for readiness [300]
# When both image variables name other images, deploy/base-images.sh is not run.
#
# down keeps: the images, GOPLAY_DATA_DIR (shared snippets: data) and the sandbox's Go build
# cache volume (goplay-gocache-*, shared with scripts/start.sh). It removes the containers (Web
# removes its sandbox containers when it stops), the network and the module socket. Compose
# creates no volumes: Prometheus keeps its data on a tmpfs for the life of the stack.
#
# Prefers the `docker compose` plugin, else Debian's docker-compose (1.29). Safe to rerun.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-goplay}
export GOPLAY_PORT=${GOPLAY_PORT:-8080}
export PROMETHEUS_PORT=${PROMETHEUS_PORT:-9090}
export GOPLAY_ADDRESS=${GOPLAY_ADDRESS:-127.0.0.1}
GOPLAY_DATA_DIR=$(realpath -m "${GOPLAY_DATA_DIR:-/var/lib/goplay}")
export GOPLAY_DATA_DIR
# The owner label of Web's sandbox containers: one per project, so two stacks on one engine
# (a test stack next to a real one) never remove each other's containers.
export GOPLAY_INSTANCE="$COMPOSE_PROJECT_NAME-web"
LOCAL_BASES=0
if [ -z "${RUNTIME_IMAGE:-}" ] || [ -z "${PROMETHEUS_IMAGE:-}" ]; then
  LOCAL_BASES=1
fi
export RUNTIME_IMAGE=${RUNTIME_IMAGE:-goplay-base/aspnet:10.0-local}
export PROMETHEUS_IMAGE=${PROMETHEUS_IMAGE:-goplay-base/prometheus:local}
UP_TIMEOUT=${GOPLAY_UP_TIMEOUT:-300}
PUBLISH="$ROOT/artifacts/publish"
BASE_LOG="$ROOT/deploy/.cache/base-images.log"

log() { printf '\033[1m[compose]\033[0m %s\n' "$*" >&2; }

# as_root, apt_install, start_engine
. "$ROOT/scripts/lib.sh"

# Times each step, so slow ones show in the log (and in CI): step LABEL COMMAND...
step() {
  local label=$1 started=$SECONDS
  shift
  "$@"
  log "$label: $((SECONDS - started)) s"
}

COMPOSE=()
find_compose() {
  if docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    COMPOSE=(docker-compose)
  fi
}

compose() { "${COMPOSE[@]}" -p "$COMPOSE_PROJECT_NAME" -f "$ROOT/docker-compose.yml" "$@"; }

install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  [ ${#COMPOSE[@]} -gt 0 ] || missing+=(docker-compose)
  if [ "$LOCAL_BASES" -eq 1 ]; then
    [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
    [ -x /usr/bin/prometheus ] || missing+=(prometheus)
  fi
  [ ${#missing[@]} -gt 0 ] || return 0
  apt_install "${missing[@]}"
  find_compose
}

# The base images and Web's Go toolchain stage are mostly downloads and dpkg; the solution
# build is mostly compiling. Run side by side they take little more than the longer of the two.
BASE_PID=
start_base_images() {
  mkdir -p "$(dirname "$BASE_LOG")"
  if [ "$LOCAL_BASES" -eq 0 ]; then
    log "using $RUNTIME_IMAGE and $PROMETHEUS_IMAGE"
    return
  fi
  log "producing the base images in the background (log: ${BASE_LOG#"$ROOT"/})"
  # The toolchain stage has no COPY, so an empty context suffices; the real build reuses it
  # from the engine's build cache. Its own session, so a failed build can stop it whole.
  # shellcheck disable=SC2016 # expanded by the inner bash
  setsid bash -c '
    set -euo pipefail
    "$1/deploy/base-images.sh"
    empty=$(mktemp -d)
    trap "rm -rf $empty" EXIT
    docker build -q --target toolchain --build-arg "RUNTIME_IMAGE=$2" -f "$1/src/Playground.Web/Dockerfile" "$empty" >/dev/null
  ' base-images "$ROOT" "$RUNTIME_IMAGE" >"$BASE_LOG" 2>&1 &
  BASE_PID=$!
}

stop_base_images() {
  if [ -n "$BASE_PID" ] && kill -0 "$BASE_PID" 2>/dev/null; then
    kill -- "-$BASE_PID" 2>/dev/null || true
  fi
}

wait_base_images() {
  [ -n "$BASE_PID" ] || return 0
  local pid=$BASE_PID
  BASE_PID=
  if ! wait "$pid"; then
    log "producing the base images failed; ${BASE_LOG#"$ROOT"/}:"
    tail -n 30 "$BASE_LOG" >&2
    exit 1
  fi
}

setup() {
  "$ROOT/scripts/setup.sh" Release
}

# setup.sh built the server only (it builds what start.sh needs); publish builds the rest.
publish() {
  local name project
  for name in web proxy; do
    case $name in web) project=Playground.Web ;; proxy) project=Playground.Proxy ;; esac
    rm -rf "${PUBLISH:?}/$name"
    dotnet publish "$ROOT/src/$project" -c Release -o "$PUBLISH/$name" -nologo -v:quiet -clp:NoSummary >/dev/null
  done
}

build_images() {
  local image old=() id i
  for image in goplay-web:local goplay-proxy:local; do
    old+=("$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)")
  done
  compose build web proxy >"$ROOT/artifacts/compose-build.log" 2>&1 || {
    log "building the app images failed; last lines of artifacts/compose-build.log:"
    tail -n 30 "$ROOT/artifacts/compose-build.log" >&2
    exit 1
  }
  # A rebuild leaves the previous image untagged; remove it unless a running stack still uses it.
  i=0
  for image in goplay-web:local goplay-proxy:local; do
    id=$(docker image inspect --format '{{.Id}}' "$image")
    if [ -n "${old[$i]}" ] && [ "${old[$i]}" != "$id" ]; then
      docker rmi "${old[$i]}" >/dev/null 2>&1 || true
    fi
    i=$((i + 1))
  done
}

build() {
  find_compose
  install_packages
  start_engine
  trap stop_base_images EXIT
  start_base_images
  step "setup.sh Release (build, sandbox images)" setup
  step "base images (beyond the build)" wait_base_images
  trap - EXIT
  step "publish" publish
  step "app images" build_images
}

ready_url() {
  local host=$GOPLAY_ADDRESS
  [ "$host" != "0.0.0.0" ] || host=127.0.0.1
  echo "http://$host:$GOPLAY_PORT/health/ready"
}

# Ready through the proxy means: proxy up, Web up, the engine answering, sandbox images there.
wait_ready() {
  local url deadline
  url=$(ready_url)
  deadline=$((SECONDS + UP_TIMEOUT))
  log "waiting for $url"
  until curl -fsS -o /dev/null --max-time 5 "$url" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "not ready after $UP_TIMEOUT s; the stack stays up for inspection (scripts/compose.sh down removes it)"
      compose ps >&2 || true
      compose logs --no-color --tail=60 >&2 || true
      exit 1
    fi
    sleep 1
  done
}

up() {
  build
  as_root mkdir -p "$GOPLAY_DATA_DIR"
  step "compose up" compose up -d --no-build
  step "ready through the proxy" wait_ready
  log "GoPlay: http://$GOPLAY_ADDRESS:$GOPLAY_PORT/   Prometheus: http://$GOPLAY_ADDRESS:$PROMETHEUS_PORT/"
}

# Web removes its sandbox containers and its socket when it stops; when it could not (killed,
# crashed), they are removed here so down leaves nothing, and said loudly.
down() {
  find_compose
  if [ ${#COMPOSE[@]} -eq 0 ]; then
    log "neither 'docker compose' nor docker-compose is installed: nothing can be running"
    return 0
  fi
  step "compose down" compose down --remove-orphans
  local left
  left=$(docker ps -aq --filter "label=io.goplay.owner=$GOPLAY_INSTANCE")
  if [ -n "$left" ]; then
    log "WARNING: Web left $(echo "$left" | wc -l) sandbox container(s) behind; removing them"
    echo "$left" | xargs docker rm -f >/dev/null
  fi
  if [ -S "$GOPLAY_DATA_DIR/modules/modules.sock" ]; then
    log "WARNING: Web left its module socket behind; removing it"
    rm -f "$GOPLAY_DATA_DIR/modules/modules.sock"
  fi
}

case "${1:-}" in
  up) up ;;
  build) build ;;
  down) down ;;
  "")
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
  *)
    find_compose
    compose "$@"
    ;;
esac
