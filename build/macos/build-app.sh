#!/usr/bin/env bash
# Builds pimtray.app on a Mac (macOS binaries need cgo and Apple's toolchain, so they cannot be
# cross-built from Linux). One command, from anywhere in the checkout:
#
#   build/macos/build-app.sh
#
# Needs: Go, and the Xcode command line tools (xcode-select --install) for clang, lipo,
# iconutil, plutil and codesign.
#
#   VERSION  stamped into the binary and Info.plist (default: git describe --tags --always --dirty)
#   OUT      output folder (default dist/)
#   ARCHS    architectures to build (default "arm64 amd64", joined into one universal binary)
#   SIGN     codesign identity (default "-", an ad-hoc signature; set a Developer ID to ship)
#
# It writes OUT/pimtray.app (no Dock icon: LSUIElement) and OUT/pimtray-VERSION-macos.zip with
# its SHA-256 in OUT/pimtray-VERSION-macos.zip.sha256. Install by dragging pimtray.app into
# /Applications.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
OUT=${OUT:-$ROOT/dist}
ARCHS=${ARCHS:-arm64 amd64}
SIGN=${SIGN:--}

die() { printf 'build-app: %s\n' "$*" >&2; exit 1; }
[ "$(uname -s)" = Darwin ] || die "run this on macOS"
for tool in go lipo iconutil plutil codesign ditto; do
  command -v "$tool" >/dev/null || die "$tool is missing (install Go, and the tools with: xcode-select --install)"
done
[[ $VERSION =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]] || die "VERSION '$VERSION' must be letters, digits, '.', '_', '+' or '-'"

# Info.plist versions must be numbers: v1.2.3-4-gabcdef gives 1.2.3.
if [[ $VERSION =~ ^v?([0-9]+)\.([0-9]+)\.([0-9]+) ]]; then
  NUMERIC="${BASH_REMATCH[1]}.${BASH_REMATCH[2]}.${BASH_REMATCH[3]}"
else
  NUMERIC=0.0.0
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
APP=$OUT/pimtray.app
rm -rf "$APP"
mkdir -p "$APP/Contents/MacOS" "$APP/Contents/Resources"

slices=()
for arch in $ARCHS; do
  echo "build-app: building darwin/$arch" >&2
  CGO_ENABLED=1 GOOS=darwin GOARCH=$arch \
    go build -trimpath -buildvcs=false -ldflags "-s -w -X main.version=$VERSION" -o "$WORK/pimtray-$arch" .
  slices+=("$WORK/pimtray-$arch")
done
lipo -create -output "$APP/Contents/MacOS/pimtray" "${slices[@]}"

echo "build-app: drawing the icon" >&2
(cd assets && go run gen/main.go -iconset "$WORK/pimtray.iconset")
iconutil --convert icns --output "$APP/Contents/Resources/pimtray.icns" "$WORK/pimtray.iconset"

sed "s/@NUMERIC_VERSION@/$NUMERIC/g" build/macos/Info.plist >"$APP/Contents/Info.plist"
plutil -lint "$APP/Contents/Info.plist" >/dev/null
cp LICENSE "$APP/Contents/Resources/"

codesign --force --deep --sign "$SIGN" "$APP"
codesign --verify --strict "$APP"

zip=$OUT/pimtray-$VERSION-macos.zip
rm -f "$zip"
ditto -c -k --keepParent "$APP" "$zip"
(cd "$OUT" && shasum -a 256 "$(basename "$zip")" >"$(basename "$zip").sha256")
echo "build-app: wrote $APP and $zip" >&2
