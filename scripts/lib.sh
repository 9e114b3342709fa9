# Shell functions shared by scripts/setup.sh, scripts/compose.sh and deploy/base-images.sh.
# Sourced, not run; the sourcing script defines log() with its own prefix.

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs Debian packages without starting their services: Debian's prometheus package would
# otherwise start a prometheus daemon on the host. A policy-rc.d answering 101 ("action
# forbidden") does that while apt runs, unless the machine already has one of its own.
apt_install() {
  log "installing $*"
  local added=0 rc=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    as_root sh -c 'printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
    added=1
  fi
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null || rc=$?
  [ "$added" -eq 0 ] || as_root rm -f /usr/sbin/policy-rc.d
  return "$rc"
}

engine_answers() { docker info >/dev/null 2>&1; }

# Starts dockerd when no engine answers (and DOCKER_HOST does not name another one).
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
