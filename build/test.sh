#!/usr/bin/env bash
# pimtray's one test command: installs what the tests need (Debian/Ubuntu: a D-Bus daemon,
# gnome-keyring, Xvfb, dunst, bash-completion, zsh, fish, dbus-launch) when it is missing, then
# runs every check CI runs.
# The tests start their own private D-Bus session buses, keyrings and tray hosts; nothing here
# touches the user's desktop session.
#   ./build/test.sh            everything (what CI runs)
#   FUZZTIME=30s ./build/test.sh   longer fuzzing
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

need=()
for bin in dbus-daemon dbus-launch gnome-keyring-daemon Xvfb dunst dunstctl notify-send; do
  command -v "$bin" >/dev/null 2>&1 || need+=("$bin")
done
# The CLI's completion scripts are tested in a real bash with bash-completion, zsh and fish.
[ -f /usr/share/bash-completion/bash_completion ] || need+=(bash-completion)
for bin in zsh fish; do command -v "$bin" >/dev/null 2>&1 || need+=("$bin"); done
if [ ${#need[@]} -gt 0 ]; then
  step "installing test dependencies (missing: ${need[*]})"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends \
    dbus-daemon dbus-bin dbus-x11 gnome-keyring xvfb dunst libnotify-bin bash-completion zsh fish >/dev/null
fi

step "gofmt"
bad=$(gofmt -l $(git ls-files '*.go') 2>/dev/null || true)
if [ -n "$bad" ]; then echo "gofmt would change:"; echo "$bad"; exit 1; fi

step "go vet (linux, windows)"
go vet ./...
GOOS=windows go vet ./...

step "build (linux, windows)"
go build -o /dev/null .
GOOS=windows go build -o /dev/null .

# Everything but the tray child processes runs under the race detector; fyne.io/systray has an
# internal data race, so the packages that run a real tray run without -race.
norace='^github.com/pimtray/pimtray(/tray)?$'
race_pkgs=$(go list ./... | grep -Ev "$norace")
tray_pkgs=$(go list ./... | grep -E "$norace")
# The Windows smoke run under Wine (build/wine) runs in its own step below.
race_pkgs=$(echo "$race_pkgs" | grep -v '/build/wine$')

# go test's usual output (a line per package, what failed), with the skipped tests noted and
# summed up at the end: a test that skips (no ../shared, a missing tool) is said, not hidden.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/testsum" ./build/internal/testsum
gotest() { go test -json "$@" | "$tmp/testsum" -skips "${skips:-$tmp/skips}"; }

# The two Go test steps run side by side: the -race step is bound by the CPU, the tray
# end-to-end tests mostly wait on real time (an activation running out, a tray host), so the
# tray step costs almost nothing beside it (issue 13: the Go steps took 68.6 s one after the
# other at 5a1aca3). Its output is kept and printed after the -race step's, whole.
step "tests with -race (and beside them, the tray end-to-end tests)"
started=$SECONDS
# The tray packages run without -race (see above), four tests at once even on two cores.
( skips="$tmp/skips.tray" gotest -count=1 -parallel 4 -timeout 8m $tray_pkgs >"$tmp/tray.out" 2>&1 ) &
tray_pid=$!
# GORACE=atexit_sleep_ms=0: a race-built binary otherwise sleeps 1 s on its way out (the race
# runtime's default atexit_sleep_ms=1000, time for goroutines still running to report a race):
# every package's test binary, and every pimtray command internal/cli's scripts run (88; their
# script_test.go sets it for them too, for a go test run by hand). A race found while the
# tests run still fails the step (halt_on_error and exitcode keep their defaults: the test
# fails, the binary exits 66); only a race in the last moment of a binary's exit, after its
# tests are done, could go unreported.
# Options of your own in GORACE come after ours and win.
race_rc=0
GORACE="atexit_sleep_ms=0${GORACE:+ $GORACE}" gotest -race -count=1 -timeout 8m $race_pkgs || race_rc=$?
race_took=$((SECONDS - started))
tray_rc=0
wait "$tray_pid" || tray_rc=$?
step "tray end-to-end tests (real tray over a private D-Bus session bus; ran beside the -race step)"
cat "$tmp/tray.out"
touch "$tmp/skips.tray"
cat "$tmp/skips.tray" >>"$tmp/skips"
echo "the two Go test steps: ${race_took} s for the -race step, $((SECONDS - started)) s for both"
if [ "$race_rc" -ne 0 ] || [ "$tray_rc" -ne 0 ]; then
  echo "tests failed (-race step: exit $race_rc, tray step: exit $tray_rc)"
  exit 1
fi

step "fuzzing (${FUZZTIME:-5s} per target)"
FUZZTIME=${FUZZTIME:-5s} build/fuzz.sh

# --- release: archives, .deb/.rpm, winget/Homebrew manifests, workflows (issue 17) ---------
step "release: packages, manifests and workflows (build/release-check.sh)"
release_need=()
for bin in lintian rpmlint rpm2cpio desktop-file-validate appstreamcli ruby shellcheck; do
  command -v "$bin" >/dev/null 2>&1 || release_need+=("$bin")
done
if [ ${#release_need[@]} -gt 0 ]; then
  echo "installing the release checkers (missing: ${release_need[*]})"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends lintian rpmlint rpm cpio desktop-file-utils appstream ruby shellcheck >/dev/null
fi
(cd build/tools && go vet ./... && gotest -count=1 ./...)
build/release-check.sh

# --- Windows under Wine (issue 16) ------------------------------------------------------------
# The real pimtray.exe in a fresh Wine prefix on a private Xvfb display, against the fake Azure:
# the command line and its exit codes, the sign-in kept in Credential Manager, the tray, its
# menu, the native dialog driven with xdotool, Start at login's Run value, no token in the
# prefix. Under 2 minutes once the packages are in (build/wine/wine_test.go).
windows_under_wine() {
  step "Windows under Wine (build/wine)"
  local wine_need=()
  for bin in wine wineboot wineserver Xvfb xdotool xwininfo import x86_64-w64-mingw32-gcc; do
    command -v "$bin" >/dev/null 2>&1 || wine_need+=("$bin")
  done
  if [ ${#wine_need[@]} -gt 0 ]; then
    echo "installing Wine and its helpers (missing: ${wine_need[*]})"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
      --no-install-recommends wine wine64 xvfb xdotool imagemagick x11-utils mingw-w64 >/dev/null
  fi
  PIMTRAY_WINE=1 gotest -count=1 -timeout 5m ./build/wine
}
windows_under_wine

step "skipped tests"
touch "$tmp/skips"
"$tmp/testsum" -report "$tmp/skips"

step "all checks passed"
