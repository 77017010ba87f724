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
# Beside the archives (when linux and windows targets are built):
#   pimtray-VERSION-linux-ARCH.deb and .rpm   the binary in /usr/bin, the desktop entry, the
#       icons in the hicolor theme, the AppStream metainfo, the manual page, the licence and a
#       changelog; made with nfpm (build/linux/nfpm.yaml, nfpm from the tools module build/tools)
#   winget/manifests/p/pimtray/pimtray/VERSION/   the winget manifest set for the portable zips
#   homebrew/Casks/pimtray.rb   the Homebrew cask for the macOS .app zip (its sha256 is filled in
#       when OUT holds pimtray-VERSION-macos.zip from build/macos/build-app.sh; see the release
#       workflow)
# SHA256SUMS covers the archives and the packages.
#
# Why nfpm and not goreleaser: goreleaser v2.15.1 (the newest the module proxy serves for this
# Go) took 7m55s to build here from a cold cache (323 modules) against nfpm's 32s, and its
# winget and cask pipes want archives goreleaser built itself, while the macOS .app comes from
# build/macos/build-app.sh on a Mac. The archives stay this script's own, byte for byte.
#
# The source tree is copied first, so the .syso resource files go-winres writes never land in
# the working tree. build/check-archives.sh verifies the archives at the end;
# build/release-check.sh lints and installs the packages and checks the manifests.
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
# Character counts (the changelog's line lengths) in characters, not bytes.
export LC_ALL=C.UTF-8

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
# Debian and RPM versions: v1.2.3 gives 1.2.3, v1.2.3-rc1 gives 1.2.3~rc1 (sorts before
# 1.2.3), git describe's v1.2.3-4-gabcdef gives 1.2.3+4.gabcdef (after 1.2.3), a bare commit
# abcdef gives 0.0.0+gabcdef, -dirty adds .dirty. Neither format allows '-' here.
pkg_version() {
  local v=${1#v} base pre="" meta="" dirty=""
  if [[ $v == *-dirty ]]; then dirty=dirty v=${v%-dirty}; fi
  if [[ $v =~ ^(.+)-([0-9]+)-g([0-9a-f]+)$ ]]; then
    v=${BASH_REMATCH[1]} meta="${BASH_REMATCH[2]}.g${BASH_REMATCH[3]}"
  fi
  if [[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]]; then
    base=${BASH_REMATCH[0]} pre=${v#"$base"}
  else
    base=0.0.0 meta="g$v${meta:+.$meta}"
  fi
  if [[ $pre == +* ]]; then meta="${pre#+}${meta:+.$meta}" pre=""; fi
  pre=${pre#-}
  meta="$meta${dirty:+${meta:+.}$dirty}"
  local out=$base
  [ -n "$pre" ] && out+="~${pre//[-_+]/.}"
  [ -n "$meta" ] && out+="+${meta//[-_+]/.}"
  echo "$out"
}

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

windows_arches=() linux_stages=()
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

# A macOS zip from build/macos/build-app.sh stays (the release workflow puts it here first).
rm -f "$OUT"/pimtray-*-linux-*.tar.gz "$OUT"/pimtray-*-windows-*.zip "$OUT"/pimtray-*.deb "$OUT"/pimtray-*.rpm "$OUT"/SHA256SUMS
rm -rf "$OUT/winget" "$OUT/homebrew"
archives=() packages=()
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
  if [ "$goos" = linux ]; then
    linux_stages+=("$goarch=$stage")
  fi
done

# .deb and .rpm, from the same binary as the Linux archive.
if [ ${#linux_stages[@]} -gt 0 ]; then
  PKG_VERSION=$(pkg_version "$VERSION")
  say "packaging .deb and .rpm (version $PKG_VERSION) with nfpm from build/tools"
  (cd build/tools && go build -o "$WORK/bin/nfpm" github.com/goreleaser/nfpm/v2/cmd/nfpm)
  day=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
  meta=$WORK/pkgmeta
  mkdir -p "$meta"
  sed -e "s/@VERSION@/$PKG_VERSION/g" -e "s/@DATE@/$day/g" -e "s/@TAG@/$VERSION/g" \
    build/linux/io.github.pimtray.pimtray.metainfo.xml >"$meta/io.github.pimtray.pimtray.metainfo.xml"
  # The manual page's commands and options come from the binary's own help.
  host_bin=""
  for entry in "${linux_stages[@]}"; do
    if [ "$(go env GOOS)" = linux ] && [ "${entry%%=*}" = "$(go env GOARCH)" ]; then host_bin=${entry#*=}/pimtray; fi
  done
  if [ -z "$host_bin" ]; then
    host_bin=$WORK/bin/pimtray-host
    (cd "$SRC" && CGO_ENABLED=0 go build -trimpath -buildvcs=false -o "$host_bin" .)
  fi
  build/linux/man-commands.sh "$host_bin" >"$meta/commands.roff" || die "could not write the manual page's commands"
  sed -e "s/^\.TH PIMTRAY 1 \"\"/.TH PIMTRAY 1 \"$day\" \"pimtray $VERSION\"/" build/linux/pimtray.1 |
    awk -v f="$meta/commands.roff" '$0 == "@COMMANDS@" { while ((getline l < f) > 0) print l; next } { print }' |
    gzip -9n >"$meta/pimtray.1.gz"
  rm "$meta/commands.roff"
  { printf 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n'
    printf 'Upstream-Name: pimtray\nSource: https://github.com/pimtray/pimtray\n\n'
    printf 'Files: *\nCopyright: The pimtray developers\nLicense: MIT\n'
    sed -e 's/^$/./' -e 's/^/ /' LICENSE; } >"$meta/copyright"
  # The changelog: this version's commits since the previous tag (at most 50).
  prev=$(git describe --tags --abbrev=0 HEAD^ 2>/dev/null || true)
  notes=$(git log --no-merges --format=%s -n 50 ${prev:+"$prev"..}HEAD 2>/dev/null || true)
  [ -n "$notes" ] || notes="Release $VERSION"
  notes="https://github.com/pimtray/pimtray/releases/tag/$VERSION"$'\n'"$notes"
  when=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
  for packager in deb rpm; do
    dir=$WORK/nfpm-$packager
    mkdir -p "$dir"
    # Debian writes the package version; nfpm's RPM changelog template wants a semver.
    semver=$PKG_VERSION-1
    [ "$packager" = rpm ] && semver=$(sed -e 's/~/-/' -e 's/+.*//' <<<"$PKG_VERSION")
    { printf -- '- semver: "%s"\n  date: %s\n' "$semver" "$when"
      printf '  packager: "The pimtray developers <pimtray@users.noreply.github.com>"\n'
      printf '  deb:\n    urgency: medium\n    distributions: [stable]\n  changes:\n'
      # Debian wants changelog lines of at most 80 characters: a longer subject is cut at
      # a word, the release notes have it whole.
      while IFS= read -r line; do
        if [ "${#line}" -gt 74 ]; then line="${line:0:73}" line="${line% *}…"; fi
        printf '    - note: %s\n' "$(printf '%s' "$line" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/.*/"&"/')"
      done <<<"$notes"; } >"$dir/changelog.yml"
  done
  for entry in "${linux_stages[@]}"; do
    goarch=${entry%%=*} stage=${entry#*=}
    for packager in deb rpm; do
      pkg=pimtray-$VERSION-linux-$goarch.$packager
      synopsis=""
      [ "$packager" = deb ] && synopsis="Azure PIM roles in the system tray"$'\n'
      log=$(cd "$WORK/nfpm-$packager" && META=$meta BIN=$stage/pimtray ROOT=$ROOT DEB_SYNOPSIS=$synopsis \
        PKG_VERSION=$PKG_VERSION PKG_ARCH=$goarch \
        "$WORK/bin/nfpm" package --config "$ROOT/build/linux/nfpm.yaml" --packager "$packager" \
        --target "$OUT/$pkg" 2>&1) || die "nfpm could not make $pkg: $log"
      packages+=("$pkg")
    done
  done
fi

mac=()
[ -f "$OUT/pimtray-$VERSION-macos.zip" ] && mac=("pimtray-$VERSION-macos.zip")
(cd "$OUT" && sha256sum "${archives[@]}" ${packages[@]+"${packages[@]}"} ${mac[@]+"${mac[@]}"} >SHA256SUMS)
say "wrote ${#archives[@]} archives, ${#packages[@]} packages${mac[0]:+, the checksum of ${mac[0]}} and SHA256SUMS to $OUT"

# The winget manifests for the Windows zips, and the cask (whose zip comes from a Mac).
if [ ${#windows_arches[@]} -gt 0 ]; then
  go run ./build/internal/manifests -version "$VERSION" -dist "$OUT" -out "$OUT"
fi

TARGETS=$TARGETS VERSION=$VERSION "$ROOT/build/check-archives.sh" "$OUT"
