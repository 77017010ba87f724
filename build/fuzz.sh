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
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)

failed=0
for pkg in $(go list "${pkgs[@]}"); do
	for target in $(go test "$pkg" -list '^Fuzz' 2>/dev/null | grep '^Fuzz' || true); do
		echo "== $pkg $target ($fuzztime)"
		if ! go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" 2>&1 | tail -3; then
			failed=1
		fi
	done
done
exit $failed
