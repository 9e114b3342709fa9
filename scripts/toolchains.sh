# Go toolchains from Debian's archive, unpacked without installing them. Sourced by setup.sh
# (after lib.sh); the sourcing script defines log().
#
# Debian 12 carries Go 1.19 only; newer releases are in other suites of the same archive:
# golang-1.21-go … golang-1.23-go in bookworm-backports, golang-1.24-go in trixie,
# golang-1.25-go and later in trixie-backports. Adding trixie to the host's sources would let
# apt upgrade the host (libc and all) from it, so a private apt configuration lists those
# suites for `apt-get download` alone: the host's sources, lists and dpkg state stay as they
# are. The toolchains' go binaries are statically linked and run on Debian 12.
#
#   fetch_go_toolchains DIRECTORY RELEASE...
#
# leaves DIRECTORY/1.NN/usr/lib/go-1.NN (a GOROOT) for each release the archive has, and
# DIRECTORY/x-tools/usr/bin/goimports (a goimports whose parser reads current Go). What is
# already there is kept; a release the archive lacks is reported, not fatal.

GO_TOOLCHAIN_SUITES="bookworm-backports trixie trixie-backports"

fetch_go_toolchains() {
  local directory=$1; shift
  local missing=() release
  for release in "$@"; do
    [ -x "$directory/$release/usr/lib/go-$release/bin/go" ] || missing+=("$release")
  done
  local want_tools=0
  [ -x "$directory/x-tools/usr/bin/goimports" ] || want_tools=1
  if [ ${#missing[@]} -eq 0 ] && [ "$want_tools" -eq 0 ]; then
    return
  fi

  local apt_dir="$directory/.apt"
  as_root mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sources.list.d" "$apt_dir/preferences.d" "$apt_dir/debs"
  local mirror suite list=""
  # The archive the host already uses (no other host is reached).
  mirror=$(sed -n 's/^URIs:[[:space:]]*\(http[^ ]*debian\)\/*$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
  [ -n "$mirror" ] || mirror=$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\(http[^ ]*debian\)\/*[[:space:]]\+bookworm[[:space:]].*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n 1)
  [ -n "$mirror" ] || mirror="http://deb.debian.org/debian"
  for suite in $GO_TOOLCHAIN_SUITES; do
    list+="deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main"$'\n'
  done
  printf '%s' "$list" | as_root tee "$apt_dir/sources.list" >/dev/null
  local apt_opts=(
    -o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o "Dir::Etc::sourceparts=$apt_dir/sources.list.d"
    -o "Dir::Etc::preferencesparts=$apt_dir/preferences.d"
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o "Dir::State::status=/dev/null"
    -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1"
  )
  log "reading Go toolchain packages from $GO_TOOLCHAIN_SUITES"
  # Without the archive the server still runs, with the toolchains it has (it lists the
  # others as unavailable): a warning, not a failed set-up.
  if ! as_root apt-get "${apt_opts[@]}" -qq update; then
    log "WARNING: the Debian archive could not be read; Go ${missing[*]} not installed"
    return 0
  fi

  local packages=() available=()
  for release in "${missing[@]}"; do
    if apt-cache "${apt_opts[@]}" show "golang-$release-go" >/dev/null 2>&1; then
      packages+=("golang-$release-go" "golang-$release-src")
      available+=("$release")
    else
      log "Go $release is not in the archive: left out (the server lists it as unavailable)"
    fi
  done
  [ "$want_tools" -eq 1 ] && packages+=(golang-golang-x-tools)
  [ ${#packages[@]} -gt 0 ] || return 0
  log "downloading ${packages[*]}"
  as_root rm -f "$apt_dir/debs/"*.deb
  if ! (cd "$apt_dir/debs" && as_root apt-get "${apt_opts[@]}" -qq download "${packages[@]}"); then
    log "WARNING: downloading ${packages[*]} failed; those Go versions are not installed"
    return 0
  fi

  # Each release is unpacked beside its final place and moved there whole, so a half-unpacked
  # toolchain never looks installed.
  for release in "${available[@]}"; do
    (
      local target="$directory/$release" stage="$directory/.stage-$release"
      as_root rm -rf "$stage" && as_root mkdir -p "$stage"
      for deb in "$apt_dir/debs/golang-$release-go_"*.deb "$apt_dir/debs/golang-$release-src_"*.deb; do
        as_root dpkg-deb -x "$deb" "$stage"
      done
      as_root rm -rf "$target" && as_root mv "$stage" "$target"
      log "Go $release: $("$target/usr/lib/go-$release/bin/go" version 2>&1)"
    ) &
  done
  wait
  if [ "$want_tools" -eq 1 ]; then
    local stage="$directory/.stage-x-tools"
    as_root rm -rf "$stage" && as_root mkdir -p "$stage"
    as_root dpkg-deb -x "$apt_dir/debs/"golang-golang-x-tools_*.deb "$stage"
    as_root rm -rf "$directory/x-tools" && as_root mv "$stage" "$directory/x-tools"
  fi
  as_root rm -rf "$apt_dir/debs"
}
