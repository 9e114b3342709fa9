#!/usr/bin/env bash
# Produces, without any container registry, the base images GoPlay's compose stack builds on:
#
#   goplay-base/debian:bookworm-local  Debian 12 minbase from debootstrap (ca-certificates,
#                                      libssl3, zlib1g, tzdata), with bookworm-security and
#                                      bookworm-updates applied; the official images' apt
#                                      and dpkg settings (no docs, no caches, policy-rc.d)
#   goplay-base/aspnet:10.0-local      that + the host's ASP.NET Core 10 runtime, laid out and
#                                      configured as mcr.microsoft.com/dotnet/aspnet:10.0
#                                      (deploy/aspnet/Dockerfile)
#   goplay-base/prometheus:local       that Debian + Debian's prometheus binary, laid out as
#                                      prom/prometheus (deploy/prometheus/Dockerfile)
#
#   deploy/base-images.sh            build what is missing or out of date
#   deploy/base-images.sh --refresh  rebuild all three from a new debootstrap (security updates)
#
# Where a registry is reachable none of this is needed: the Dockerfiles default to the official
# images (RUNTIME_IMAGE, PROMETHEUS_IMAGE). Idempotent: an image is skipped when it exists and
# matches the host's .NET runtime / prometheus version. The debootstrap'ed root file system is
# kept as a tarball in deploy/.cache/ (git-ignored), so a removed image comes back in seconds.
# Needs root (debootstrap, chroot), a running Docker engine, the .NET 10 runtime under the
# dotnet on PATH; installs debootstrap and prometheus with apt when missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEPLOY="$ROOT/deploy"
CACHE="$DEPLOY/.cache"
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# The apps target net10.0; the runtime copied into the image is the host's newest 10.0.x.
DOTNET_CHANNEL=10.0
DEBIAN_IMAGE=goplay-base/debian:bookworm-local
ASPNET_IMAGE=goplay-base/aspnet:$DOTNET_CHANNEL-local
PROMETHEUS_IMAGE=goplay-base/prometheus:local
ROOTFS_TAR="$CACHE/debian-$DEBIAN_SUITE-minbase.tar"
REFRESH=0
[ "${1:-}" = "--refresh" ] && REFRESH=1

log() { printf '\033[1m[base-images]\033[0m %s\n' "$*" >&2; }

# as_root, apt_install
. "$ROOT/scripts/lib.sh"

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

image_label() { docker image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

install_packages() {
  local missing=()
  [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
  [ -x /usr/bin/prometheus ] || missing+=(prometheus)
  if [ ${#missing[@]} -gt 0 ]; then
    apt_install "${missing[@]}"
  fi
  if ! docker info >/dev/null 2>&1; then
    log "the Docker engine does not answer; start it first (scripts/setup.sh does)"
    exit 1
  fi
}

# Writes the rootfs tarball: debootstrap, the official Debian images' container settings,
# the security and point-release updates, then everything a container does not need.
make_rootfs() {
  local rootfs="$CACHE/rootfs"
  as_root rm -rf "$rootfs"
  mkdir -p "$CACHE"
  log "debootstrap $DEBIAN_SUITE (minbase) from $DEBIAN_MIRROR (first time: about two minutes)"
  if ! as_root debootstrap --variant=minbase --include=ca-certificates,libssl3,zlib1g,tzdata \
      "$DEBIAN_SUITE" "$rootfs" "$DEBIAN_MIRROR" >"$CACHE/debootstrap.log" 2>&1; then
    log "debootstrap failed; last lines of $CACHE/debootstrap.log:"
    tail -n 20 "$CACHE/debootstrap.log" >&2
    exit 1
  fi

  # The same settings the official debian images carry: services never start inside a build,
  # apt keeps no package cache or translations, dpkg skips documentation.
  as_root tee "$rootfs/usr/sbin/policy-rc.d" >/dev/null <<'EOF'
#!/bin/sh
# Services must not start during image builds or package installs in containers.
exit 101
EOF
  as_root chmod 755 "$rootfs/usr/sbin/policy-rc.d"
  as_root tee "$rootfs/etc/apt/apt.conf.d/docker-clean" >/dev/null <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' | as_root tee "$rootfs/etc/apt/apt.conf.d/docker-no-languages" >/dev/null
  as_root tee "$rootfs/etc/dpkg/dpkg.cfg.d/docker" >/dev/null <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
  as_root tee "$rootfs/etc/apt/sources.list" >/dev/null <<EOF
deb $DEBIAN_MIRROR $DEBIAN_SUITE main
deb $DEBIAN_MIRROR $DEBIAN_SUITE-updates main
deb $DEBIAN_SECURITY_MIRROR $DEBIAN_SUITE-security main
EOF

  # debootstrap installs the point release; security fixes published since come from here.
  log "applying $DEBIAN_SUITE-security and $DEBIAN_SUITE-updates"
  if ! { as_root chroot "$rootfs" apt-get update -qq &&
         as_root chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive apt-get upgrade -y -qq \
           -o Dpkg::Options::=--force-unsafe-io; } >>"$CACHE/debootstrap.log" 2>&1; then
    log "apt-get upgrade in the new root failed; last lines of $CACHE/debootstrap.log:"
    tail -n 20 "$CACHE/debootstrap.log" >&2
    exit 1
  fi

  # Documentation dpkg installed before the exclusions existed, apt state, logs, and the
  # host's name and resolver (the engine provides both at run time).
  as_root find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  as_root find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  as_root rm -rf "$rootfs"/usr/share/{man,groff,info,lintian,linda,locale}/* \
    "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
    "$rootfs"/var/log/apt/* "$rootfs"/var/log/*.log "$rootfs"/tmp/* "$rootfs"/root/.bash_history
  as_root truncate -s 0 "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"

  as_root tar --numeric-owner --xattrs -C "$rootfs" \
    --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -cf "$ROOTFS_TAR.tmp" .
  mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
  as_root rm -rf "$rootfs"
  log "root file system cached in ${ROOTFS_TAR#"$ROOT"/} ($(du -h "$ROOTFS_TAR" | cut -f1))"
}

debian_image() {
  if [ "$REFRESH" -eq 0 ] && image_exists "$DEBIAN_IMAGE"; then
    return
  fi
  if [ "$REFRESH" -eq 1 ] || [ ! -f "$ROOTFS_TAR" ]; then
    make_rootfs
  fi
  log "importing $DEBIAN_IMAGE"
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --change "LABEL io.goplay.base=debian io.goplay.created=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    "$ROOTFS_TAR" "$DEBIAN_IMAGE" >/dev/null
}

# The newest installed runtime of the channel the apps target, e.g. 10.0.12.
host_runtime_version() {
  local dotnet_root=$1 v
  v=$(find "$dotnet_root/shared/Microsoft.AspNetCore.App" -mindepth 1 -maxdepth 1 -name "$DOTNET_CHANNEL.*" -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$v" ] || [ ! -d "$dotnet_root/shared/Microsoft.NETCore.App/$v" ]; then
    log "no ASP.NET Core $DOTNET_CHANNEL.x runtime (with its matching Microsoft.NETCore.App) under $dotnet_root/shared"
    exit 1
  fi
  echo "$v"
}

aspnet_image() {
  local dotnet_root version fxr context
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  version=$(host_runtime_version "$dotnet_root")
  if [ "$REFRESH" -eq 0 ] && [ "$(image_label "$ASPNET_IMAGE" io.goplay.aspnet-version)" = "$version" ]; then
    return
  fi
  fxr=$(find "$dotnet_root/host/fxr" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
  log "building $ASPNET_IMAGE (ASP.NET Core $version from $dotnet_root)"
  # Only the runtime: the muxer, hostfxr and the two shared frameworks (no SDK, no packs).
  context="$CACHE/aspnet-context"
  rm -rf "$context"
  mkdir -p "$context/dotnet/host/fxr" "$context/dotnet/shared/Microsoft.NETCore.App" "$context/dotnet/shared/Microsoft.AspNetCore.App"
  cp -a "$dotnet_root/dotnet" "$dotnet_root/LICENSE.txt" "$dotnet_root/ThirdPartyNotices.txt" "$context/dotnet/"
  cp -a "$dotnet_root/host/fxr/$fxr" "$context/dotnet/host/fxr/"
  cp -a "$dotnet_root/shared/Microsoft.NETCore.App/$version" "$context/dotnet/shared/Microsoft.NETCore.App/"
  cp -a "$dotnet_root/shared/Microsoft.AspNetCore.App/$version" "$context/dotnet/shared/Microsoft.AspNetCore.App/"
  docker build -q -f "$DEPLOY/aspnet/Dockerfile" -t "$ASPNET_IMAGE" \
    --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" --build-arg "DOTNET_VERSION=$version" --build-arg "ASPNET_VERSION=$version" \
    "$context" >/dev/null
  rm -rf "$context"
}

prometheus_image() {
  local version context
  version=$(/usr/bin/prometheus --version 2>&1 | head -n 1 | awk '{print $3}')
  if [ "$REFRESH" -eq 0 ] && [ "$(image_label "$PROMETHEUS_IMAGE" io.goplay.prometheus-version)" = "$version" ]; then
    return
  fi
  log "building $PROMETHEUS_IMAGE (Debian's prometheus $version)"
  context="$CACHE/prometheus-context"
  rm -rf "$context"
  mkdir -p "$context"
  cp /usr/bin/prometheus "$context/prometheus"
  cp "$DEPLOY/prometheus/prometheus.yml" "$context/prometheus.yml"
  docker build -q -f "$DEPLOY/prometheus/Dockerfile" -t "$PROMETHEUS_IMAGE" \
    --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" --build-arg "PROMETHEUS_VERSION=$version" \
    "$context" >/dev/null
  rm -rf "$context"
}

install_packages
debian_image
aspnet_image
prometheus_image
log "ready: $DEBIAN_IMAGE, $ASPNET_IMAGE, $PROMETHEUS_IMAGE"
