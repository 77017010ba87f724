#!/usr/bin/env bash
# Builds pimtray's release archives, with checksums, from this source tree:
#
#   build/release.sh                       archives for linux and windows, amd64 and arm64, in dist/
#   VERSION=v1.2.3 OUT=/tmp/rel build/release.sh
#   TARGETS="linux/amd64" build/release.sh
#
#   VERSION  stamped into the binary (pimtray --version) and the file names;
#            default: git describe --tags --always --dirty
#   OUT      output folder (default dist/); its old pimtray-* archives and SHA256SUMS are replaced
#   TARGETS  GOOS/GOARCH pairs (default: linux/amd64 linux/arm64 windows/amd64 windows/arm64)
#   SOURCE_DATE_EPOCH  time of the archive entries (default: the last commit's)
#
# Each archive holds one folder, pimtray-VERSION-OS-ARCH/, with the binary, LICENSE and
# README.md; the Linux ones also share/applications/pimtray.desktop and the icon in
# share/icons/hicolor (copy share/ to ~/.local/share/ to install them). The Windows binary is a
# GUI-subsystem exe with icon, version information and manifest (go-winres). Binaries are
# built without cgo: fyne.io/systray speaks D-Bus in pure Go on Linux and calls Win32 directly
# on Windows. macOS needs cgo and a Mac: see build/macos/build-app.sh.
#
# The source tree is copied first, so the .syso resource files go-winres writes never land in
# the working tree. build/check-archives.sh verifies the result at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

WINRES=github.com/tc-hib/go-winres@v0.3.3
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
OUT=${OUT:-$ROOT/dist}
TARGETS=${TARGETS:-linux/amd64 linux/arm64 windows/amd64 windows/arm64}
# Archive entries carry the last commit's time, so the same commit packs to the same bytes.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 946684800)}
export SOURCE_DATE_EPOCH

say() { printf 'release: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[[ $VERSION =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]] || die "VERSION '$VERSION' must be letters, digits, '.', '_', '+' or '-'"
for f in LICENSE README.md go.mod assets/icons/pimtray.ico; do
  [ -f "$f" ] || die "$f is missing: run from a complete checkout"
done
command -v go >/dev/null || die "go is not installed"
command -v sha256sum >/dev/null || die "sha256sum is not installed"

# Windows wants a numeric a.b.c.d file version: v1.2.3-4-gabcdef gives 1.2.3.0, anything
# without a leading x.y.z gives 0.0.0.0.
numeric_version() {
  if [[ $1 =~ ^v?([0-9]+)\.([0-9]+)\.([0-9]+) ]]; then
    echo "${BASH_REMATCH[1]}.${BASH_REMATCH[2]}.${BASH_REMATCH[3]}"
  else
    echo "0.0.0"
  fi
}
NUMERIC=$(numeric_version "$VERSION")

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

say "copying the source tree"
mkdir -p "$WORK/src"
excludes=(--exclude=./.git --exclude=./dist)
case "$OUT/" in
  "$ROOT"/*) excludes+=("--exclude=./${OUT#"$ROOT"/}") ;;
esac
tar -C "$ROOT" "${excludes[@]}" -cf - . | tar -C "$WORK/src" -xf -
SRC=$WORK/src

go build -o "$WORK/bin/archive" ./build/internal/archive

windows_arches=()
for t in $TARGETS; do
  [[ $t == windows/* ]] && windows_arches+=("${t#windows/}")
done
if [ ${#windows_arches[@]} -gt 0 ]; then
  say "making Windows resources (icon, version $VERSION, manifest) with $WINRES"
  json=$SRC/build/windows/winres.json
  sed -i \
    -e "s/\"file_version\": \"0.0.0.0\"/\"file_version\": \"$NUMERIC.0\"/" \
    -e "s/\"product_version\": \"0.0.0.0\"/\"product_version\": \"$NUMERIC.0\"/" \
    -e "s/\"FileVersion\": \"0.0.0.0\"/\"FileVersion\": \"$NUMERIC.0\"/" \
    -e "s/\"ProductVersion\": \"0.0.0.0\"/\"ProductVersion\": \"$VERSION\"/" \
    -e "s/\"version\": \"0.0.0.0\"/\"version\": \"$NUMERIC.0\"/" \
    "$json"
  grep -q "\"ProductVersion\": \"$VERSION\"" "$json" || die "could not stamp the version into $json"
  arches=$(IFS=,; echo "${windows_arches[*]}")
  (cd "$WORK" && go run "$WINRES" make --in "$json" --arch "$arches" --out "$SRC/rsrc")
  for a in "${windows_arches[@]}"; do
    [ -f "$SRC/rsrc_windows_$a.syso" ] || die "go-winres made no resource file for windows/$a"
  done
fi

rm -f "$OUT"/pimtray-*.tar.gz "$OUT"/pimtray-*.zip "$OUT"/SHA256SUMS
archives=()
for t in $TARGETS; do
  goos=${t%/*} goarch=${t#*/}
  name=pimtray-$VERSION-$goos-$goarch
  stage=$WORK/stage/$name
  mkdir -p "$stage"
  ldflags="-s -w -X main.version=$VERSION"
  exe=pimtray
  case $goos in
    windows) ldflags="$ldflags -H windowsgui" exe=pimtray.exe ;;
    linux) ;;
    *) die "target $t: only linux and windows are built here (macOS: build/macos/build-app.sh on a Mac)" ;;
  esac
  say "building $t"
  (cd "$SRC" && CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch \
    go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$stage/$exe" .)
  cp LICENSE README.md "$stage/"
  if [ "$goos" = linux ]; then
    install -D -m 0644 build/linux/pimtray.desktop "$stage/share/applications/pimtray.desktop"
    for size in 16 22 24 32 48 64 128 256; do
      install -D -m 0644 "assets/icons/pimtray-$size.png" "$stage/share/icons/hicolor/${size}x$size/apps/pimtray.png"
    done
    archive=$name.tar.gz
  else
    archive=$name.zip
  fi
  "$WORK/bin/archive" pack "$OUT/$archive" "$stage"
  archives+=("$archive")
done

(cd "$OUT" && sha256sum "${archives[@]}" >SHA256SUMS)
say "wrote ${#archives[@]} archives and SHA256SUMS to $OUT"

TARGETS=$TARGETS VERSION=$VERSION "$ROOT/build/check-archives.sh" "$OUT"
