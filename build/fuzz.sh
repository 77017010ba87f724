#!/usr/bin/env bash
# fuzz.sh — runs every fuzz target of the module for a while each (issue 7: the decoders of
# Azure's answers, the configuration and state files, the reminder scheduler, ...).
#
#   build/fuzz.sh                 # 10 s per target (the short run for CI)
#   FUZZTIME=30s build/fuzz.sh    # longer
#   build/fuzz.sh ./pim/...       # only these packages
#
# `go test` (the README's test command) already runs each target on its seeds — the files of
# ../shared/pim-vectors among them — and on the crashers kept in testdata/fuzz. A crasher
# found here is written to the package's testdata/fuzz/<Target>/ by go test: commit it with
# the fix, and it stays a regression test.
#
# Go's fuzzing engine has failures of its own on a loaded machine: "context deadline
# exceeded" when -fuzztime ends while a worker is busy, and "fuzzing process hung or
# terminated unexpectedly" when a worker misses its 10 s heartbeat (golang/go#56238,
# golang/go#52569). So a failed run is judged by its input, not by its exit status alone:
#   - an input was written and fails again when run on its own: a real crasher, the run fails
#     and the input stays for the fix;
#   - an input was written but passes on its own: the engine's failure; said, the input removed;
#   - no input was written and the failure is "context deadline exceeded": the time ran out with
#     no input failing, which is a pass;
#   - no input was written otherwise: the target is run once more, and fails the run if it fails again.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

fuzz_once() { # pkg target -> 0 passed, 1 real failure, 2 the engine's own failure
	local pkg=$1 target=$2 dir input
	if go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" >"$log" 2>&1; then
		tail -n 3 "$log"
		return 0
	fi
	cat "$log"
	input=$(sed -n "s|.*Failing input written to testdata/fuzz/${target}/\([0-9a-f]*\).*|\1|p" "$log" | tail -n 1)
	if [ -z "$input" ]; then
		if grep -A1 -- "^--- FAIL: ${target} " "$log" | grep -q '^    context deadline exceeded$'; then
			echo "-- -fuzztime ended while a worker was busy: the fuzzing engine's own failure; no input failed"
			return 0
		fi
		return 2
	fi
	dir=$(go list -f '{{.Dir}}' "$pkg")
	echo "-- running the written input on its own: go test $pkg -run '^${target}\$/^${input}\$'"
	if go test "$pkg" -count=1 -run "^${target}\$/^${input}\$" >"$log" 2>&1; then
		tail -n 3 "$log"
		echo "-- it passes on its own: the fuzzing engine failed, not $target; the input is removed"
		rm -f "$dir/testdata/fuzz/$target/$input"
		rmdir "$dir/testdata/fuzz/$target" "$dir/testdata/fuzz" "$dir/testdata" 2>/dev/null || true
		return 2
	fi
	tail -n 20 "$log"
	echo "-- CRASHER: $dir/testdata/fuzz/$target/$input fails on its own; fix it and commit the input"
	return 1
}

failed=0
for pkg in $(go list "${pkgs[@]}"); do
	for target in $(go test "$pkg" -list '^Fuzz' 2>/dev/null | grep '^Fuzz' || true); do
		echo "== $pkg $target ($fuzztime)"
		rc=0
		fuzz_once "$pkg" "$target" || rc=$?
		if [ "$rc" -eq 2 ]; then
			echo "-- no input fails on its own: the fuzzing engine failed, not the target; once more"
			rc=0
			fuzz_once "$pkg" "$target" || rc=$?
		fi
		if [ "$rc" -ne 0 ]; then
			echo "-- FAILED: $pkg $target"
			failed=1
		fi
	done
done
exit $failed
