#!/usr/bin/env bash
# Checks the release archives build/release.sh wrote:
#
#   build/check-archives.sh [DIR]          (default dist/)
#
# - SHA256SUMS lists every archive in DIR and verifies;
# - every target (TARGETS, default linux and windows on amd64 and arm64) has its archive, of one
#   version (VERSION, default: the version in the archive names);
# - each archive holds pimtray-VERSION-OS-ARCH/ with the binary (executable), LICENSE and
#   README.md, and on Linux the .desktop file and icon;
# - each binary is for its OS and architecture, built without cgo, with the version stamped;
# - each Windows binary is a GUI-subsystem exe carrying its icon group, version information
#   and manifest (build/internal/pecheck);
# - the binary for this machine prints its version with --version.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=$(cd "${1:-$ROOT/dist}" && pwd)
TARGETS=${TARGETS:-linux/amd64 linux/arm64 windows/amd64 windows/arm64}

fail=0 failed_here=0
say() { printf 'check-archives: %s\n' "$*" >&2; }
bad() { say "FAIL: $*"; fail=1 failed_here=1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$ROOT" && go build -o "$WORK/archive" ./build/internal/archive && go build -o "$WORK/pecheck" ./build/internal/pecheck)

cd "$DIR"
[ -f SHA256SUMS ] || { say "FAIL: no SHA256SUMS in $DIR"; exit 1; }
sha256sum --check --strict --quiet SHA256SUMS || bad "SHA256SUMS does not verify"
for f in pimtray-*.tar.gz pimtray-*.zip; do
  [ -e "$f" ] || continue
  awk '{print $2}' SHA256SUMS | grep -qxF "$f" || bad "$f is not in SHA256SUMS"
done

if [ -z "${VERSION:-}" ]; then
  first=$(awk 'NR==1 {print $2}' SHA256SUMS)
  VERSION=$(sed -E 's/^pimtray-(.*)-[a-z0-9]+-[a-z0-9]+\.(tar\.gz|zip)$/\1/' <<<"$first")
fi
say "version $VERSION"

host_arch=$(go env GOARCH)
host_os=$(go env GOOS)
for t in $TARGETS; do
  goos=${t%/*} goarch=${t#*/} failed_here=0
  top=pimtray-$VERSION-$goos-$goarch
  exe=pimtray ext=tar.gz
  [ "$goos" = windows ] && exe=pimtray.exe ext=zip
  archive=$top.$ext
  if [ ! -f "$archive" ]; then
    bad "$archive is missing"
    continue
  fi
  grep -qE "^[0-9a-f]{64}  $archive\$" SHA256SUMS || bad "$archive has no checksum line"
  listing=$("$WORK/archive" list "$archive") || { bad "$archive cannot be read"; continue; }
  need=("0755 $top/$exe" "$top/LICENSE" "$top/README.md")
  if [ "$goos" = linux ]; then
    need+=("$top/share/applications/pimtray.desktop" "$top/share/icons/hicolor/256x256/apps/pimtray.png")
  fi
  for n in "${need[@]}"; do
    if [[ $n == "0755 "* ]]; then
      grep -qxF "$n" <<<"$listing" || bad "$archive: no executable ${n#0755 }"
    else
      grep -qE "^[0-7]{4} ${n//./\\.}\$" <<<"$listing" || bad "$archive: no $n"
    fi
  done

  bin=$WORK/$goos-$goarch-$exe
  "$WORK/archive" cat "$archive" "$top/$exe" >"$bin" || { bad "$archive: cannot extract $exe"; continue; }
  chmod +x "$bin"
  info=$(go version -m "$bin") || { bad "$archive: $exe is not a Go binary"; continue; }
  for want in "build	GOOS=$goos" "build	GOARCH=$goarch" "build	CGO_ENABLED=0"; do
    grep -qF "$want" <<<"$info" || bad "$archive: $exe lacks '${want#build	}'"
  done
  # -trimpath keeps -ldflags out of the build info, so look for the stamped string itself.
  grep -qaF -- "$VERSION" "$bin" || bad "$archive: $exe is not stamped with main.version=$VERSION"

  if [ "$goos" = windows ]; then
    "$WORK/pecheck" "$bin" >&2 || bad "$archive: $exe lacks its Windows resources"
  fi
  if [ "$goos" = "$host_os" ] && [ "$goarch" = "$host_arch" ]; then
    printed=$(timeout 20 "$bin" --version 2>&1 </dev/null) || bad "$archive: '$exe --version' failed: $printed"
    grep -qF -- "$VERSION" <<<"$printed" || bad "$archive: '$exe --version' printed '$printed', not $VERSION"
  fi
  if [ "$failed_here" -eq 0 ]; then say "ok $archive"; fi
done

if [ "$fail" -ne 0 ]; then
  say "some archives are not right"
  exit 1
fi
say "all archives are right"
