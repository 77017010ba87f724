#!/usr/bin/env bash
# Times the two Go test steps of build/test.sh in the checkout it is run from (issue 13):
# the -race step over every package but the root and tray, and the tray step without -race.
#   build/go-steps-time.sh                 one after the other, as test.sh ran them up to 7ee02f6
#   build/go-steps-time.sh --side-by-side  the tray step beside the -race step, as test.sh runs them now
# Copy it out of the tree to time an older commit: (cd /tmp/old && /tmp/go-steps-time.sh).
# The build cache is warmed first (each step once with no test), so only the tests are timed.
set -u
mode=${1:-}
norace='^github.com/pimtray/pimtray(/tray)?$'
race_pkgs=$(go list ./... | grep -Ev "$norace" | grep -v '/build/wine$')
tray_pkgs=$(go list ./... | grep -E "$norace")
go test -race -count=1 -run '^$' $race_pkgs >/dev/null 2>&1
go test -count=1 -run '^$' $tray_pkgs >/dev/null 2>&1
par=""
grep -q -- '-parallel 4' build/test.sh && par="-parallel 4"
# GORACE as test.sh sets it, where the commit's test.sh does.
race_env=()
grep -q 'atexit_sleep_ms=0' build/test.sh && race_env=(GORACE=atexit_sleep_ms=0)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
start=$(date +%s.%N)
if [ "$mode" = "--side-by-side" ]; then
  (go test -count=1 $par -timeout 8m $tray_pkgs >"$out/tray" 2>&1; echo $? >"$out/tray.rc") &
  tray_pid=$!
  env "${race_env[@]}" go test -race -count=1 -timeout 8m $race_pkgs >"$out/race" 2>&1
  race_rc=$?
  mid=$(date +%s.%N)
  wait "$tray_pid"
else
  env "${race_env[@]}" go test -race -count=1 -timeout 8m $race_pkgs >"$out/race" 2>&1
  race_rc=$?
  mid=$(date +%s.%N)
  go test -count=1 $par -timeout 8m $tray_pkgs >"$out/tray" 2>&1
  echo $? >"$out/tray.rc"
fi
end=$(date +%s.%N)
tray_from=$mid
[ "$mode" = "--side-by-side" ] && tray_from=$start
printf '%s (%s): -race step %.1f s (exit %d), tray step %.1f s (exit %s), both %.1f s; load %s\n' \
  "$(git log --oneline -1 | cut -c1-7)" "${mode:-one after the other}" "$(echo "$mid - $start" | bc)" "$race_rc" \
  "$(echo "$end - $tray_from" | bc)" "$(cat "$out/tray.rc")" "$(echo "$end - $start" | bc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
grep -hE '^(--- FAIL|FAIL)' "$out/race" "$out/tray" | head -20
