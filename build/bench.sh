#!/usr/bin/env bash
# bench.sh — runs pimtray's measurements (issue 7) and prints them as a markdown table:
# figure, measured, target, met?
#
#   build/bench.sh            # everything, about 4 minutes on 2 cores
#   BENCH_RAW=dir build/bench.sh   # also keep the raw `go test -bench` output in dir
#
# Needs Linux with dbus-daemon and gnome-keyring (the real tray runs on a private session
# bus; see internal/testkit/desktoptest). The Go benchmarks live in internal/engine/bench_measure_test.go (the
# engine with the real pim client against the fake Azure) and bench_tray_test.go (the real
# binary); BENCHMARKS.md holds a run's output and explains every figure.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
raw=${BENCH_RAW:-$work}
mkdir -p "$raw"

go build -o "$work/pimtray" .
export PIMTRAY_BENCH_BINARY="$work/pimtray"
# A benchmark build whose --demo serves the large tenant (issue 10); never released.
go build -tags benchlarge -o "$work/pimtray-large" .
export PIMTRAY_BENCH_LARGE_BINARY="$work/pimtray-large"
export PIMTRAY_IDLE_WINDOW=${PIMTRAY_IDLE_WINDOW:-60s}

bench() { # bench NAME PKG PATTERN BENCHTIME
	local name=$1 pkg=$2 pattern=$3 benchtime=$4
	echo "running $pattern ($pkg, -benchtime $benchtime)..." >&2
	go test "$pkg" -run '^$' -bench "$pattern" -benchtime "$benchtime" -count 1 -timeout 20m >"$raw/$name.txt" 2>&1 || {
		cat "$raw/$name.txt" >&2
		exit 1
	}
}

bench engine-click ./internal/engine 'BenchmarkClickToCountdown' 10x
bench engine-refresh ./internal/engine 'BenchmarkRefreshThreePlanes' 5x
bench engine-background ./internal/engine 'BenchmarkBackground' 1x
bench tray-coldstart . 'BenchmarkColdStart' 5x
bench tray-click . 'BenchmarkTrayClickToCountdown' 2x
bench tray-hour . 'BenchmarkSimulatedHour' 1x
bench tray-idle . 'BenchmarkIdle' 1x
bench engine-large ./internal/engine 'BenchmarkLargeTenant' 1x
bench cli-activate ./internal/cli 'BenchmarkCLIActivate' 20x
bench tray-large . 'BenchmarkLargeTray' 3x
bench engine-approver ./internal/engine 'BenchmarkApproverPolling' 1x

# m FILE BENCH UNIT: the value reported with UNIT on the line of benchmark BENCH.
m() {
	awk -v b="$2" -v u="$3" '
		index($1, b "-") == 1 || $1 == b {
			for (i = 2; i <= NF; i++) if ($i == u) { print $(i-1); exit }
		}' "$raw/$1.txt"
}
fmt() { printf '%.*f' "$1" "$2"; } # fmt DECIMALS VALUE
mb() { awk -v v="$1" 'BEGIN { printf "%.1f", v * 1.048576 }'; } # MiB to MB
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? "yes" : "**no**" }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b) ? "yes" : "**no**" }'; }

req=() rmax=() wire=() wmax=() label=() lmax=()
for p in entra azure group; do
	req+=("$(m engine-click "BenchmarkClickToCountdown/$p" requests/activation)")
	rmax+=("$(m engine-click "BenchmarkClickToCountdown/$p" requests/activation-max)")
	wire+=("$(m engine-click "BenchmarkClickToCountdown/$p" ms-click-to-wire-p50)")
	wmax+=("$(m engine-click "BenchmarkClickToCountdown/$p" ms-click-to-wire-max)")
	label+=("$(m engine-click "BenchmarkClickToCountdown/$p" ms-click-to-label-p50)")
	lmax+=("$(m engine-click "BenchmarkClickToCountdown/$p" ms-click-to-label-max)")
done
high() { printf '%s\n' "$@" | sort -g | tail -1; }
reqmax=$(high "${rmax[@]}")
wiremax=$(high "${wmax[@]}")
p50max=$(high "${wire[@]}")
labelmax=$(high "${lmax[@]}")

all=$(m engine-refresh BenchmarkRefreshThreePlanes ms-three-planes)
slow=$(m engine-refresh BenchmarkRefreshThreePlanes ms-slowest-plane)
ratio=$(m engine-refresh BenchmarkRefreshThreePlanes ratio)

bg() { m engine-background "BenchmarkBackground/$1" "$2"; }
ap() { m engine-approver "BenchmarkApproverPolling/$1" "$2"; }

cold=$(m tray-coldstart BenchmarkColdStart/keyring ms-to-menu)
coldmax=$(m tray-coldstart BenchmarkColdStart/keyring ms-to-menu-max)
coldnk=$(m tray-coldstart BenchmarkColdStart/no-keyring ms-to-menu)
coldnkmax=$(m tray-coldstart BenchmarkColdStart/no-keyring ms-to-menu-max)
rssstart=$(m tray-coldstart BenchmarkColdStart/keyring MiB-RSS-after-start)

tclick=$(m tray-click BenchmarkTrayClickToCountdown ms-click-to-countdown)
tclickmax=$(m tray-click BenchmarkTrayClickToCountdown ms-click-to-countdown-max)

hstart=$(m tray-hour BenchmarkSimulatedHour MiB-RSS-after-start)
hend=$(m tray-hour BenchmarkSimulatedHour MiB-RSS-after-hour)
hpeak=$(m tray-hour BenchmarkSimulatedHour MiB-RSS-peak)
hnotes=$(m tray-hour BenchmarkSimulatedHour notifications)

idle() { m tray-idle BenchmarkIdle "$1"; }

# Issue 4: nothing wakes up when nothing counts down (the engine's only timed wake-ups are
# its refreshes, one per 5 minutes) and never more than once a second when something does.
wakemet=$(awk -v w="$(bg nothing_active engine-wakeups/10min)" -v r="$(bg nothing_active tray-redraws/10min)" \
	-v w2="$(bg countdown_in_its_last_10_minutes engine-wakeups/10min)" -v r2="$(bg countdown_in_its_last_10_minutes tray-redraws/10min)" \
	'BEGIN { print (w <= 2 && r == 0 && w2 + r2 <= 600) ? "yes" : "**no**" }')

# Issue 10: the large tenant (440 roles over 200 scopes, pages of 100).
lg() { m engine-large "BenchmarkLargeTenant/history=$1" "$2"; }
lstart=$(lg 1000 requests/start) lrefresh0=$(lg 0 requests/refresh) lrefresh=$(lg 1000 requests/refresh) lclick=$(lg 1000 requests/click)
creq=$(m cli-activate BenchmarkCLIActivate requests/activation) creqmax=$(m cli-activate BenchmarkCLIActivate requests/activation-max)
cp50=$(m cli-activate BenchmarkCLIActivate ms-p50) cmax=$(m cli-activate BenchmarkCLIActivate ms-max)
treq=$(m tray-large BenchmarkLargeTray requests/start)
trss=$(mb "$(m tray-large BenchmarkLargeTray MiB-RSS-after-start)") trssmax=$(mb "$(m tray-large BenchmarkLargeTray MiB-RSS-max)")
tanon=$(mb "$(m tray-large BenchmarkLargeTray MiB-RSS-anon)") tfile=$(mb "$(m tray-large BenchmarkLargeTray MiB-RSS-file)")
refreshmet=$(awk -v a="$lrefresh0" -v b="$lrefresh" 'BEGIN { print (a == b && b <= 15) ? "yes" : "**no**" }')

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)

cat <<EOF
Machine: $(nproc) CPUs ($cpu_model), $mem memory, $(go version | cut -d' ' -f3-4), $(uname -sr);
load average at the end: $(cut -d' ' -f1-3 /proc/loadavg).

| Figure | Measured | Target | Met? |
|---|---|---|---|
| HTTP requests per activation of a favourite (warm token, cached eligibility and policy; Entra / Azure / Groups; mean of 10 clicks over an hour, worst) | $(fmt 2 "${req[0]}") / $(fmt 2 "${req[1]}") / $(fmt 2 "${req[2]}"); worst $(fmt 0 "$reqmax") | 1 (the floor) | $(le "$reqmax" 1) |
| Click to activation request on the wire, engine + real client, 100 ms injected per request (median; worst) | $(fmt 2 "${wire[0]}") / $(fmt 2 "${wire[1]}") / $(fmt 2 "${wire[2]}") ms; worst $(fmt 1 "$wiremax") ms | < 50 ms | median $(lt "$p50max" 50), worst $(lt "$wiremax" 50) |
| Click to the label counting down, engine (same run: one 100 ms request; median; worst) | $(fmt 1 "${label[0]}") / $(fmt 1 "${label[1]}") / $(fmt 1 "${label[2]}") ms; worst $(fmt 1 "$labelmax") ms | — (one request's latency) | — |
| Click to the countdown in the real tray menu over D-Bus (dbusmenu Event → GetLayout), demo | $(fmt 1 "$tclick") ms mean; worst $(fmt 1 "$tclickmax") ms | — | — |
| Cold start to menu published with cached state (real binary, private bus + watcher; sign-in cached in the keyring) | $(fmt 1 "$cold") ms mean; worst $(fmt 1 "$coldmax") ms | < 300 ms | $(lt "$coldmax" 300) |
| Same, demo without a keyring (signs in to its fake Azure before the menu) | $(fmt 1 "$coldnk") ms mean; worst $(fmt 1 "$coldnkmax") ms | < 300 ms | $(lt "$coldnkmax" 300) |
| Memory (RSS) after start (first refresh done) | $(mb "$rssstart") MB | < 40 MB | $(lt "$(mb "$rssstart")" 40) |
| Memory (RSS) after an hour of simulated use (demo at 240×: 12 refreshes, 12 activations, $(fmt 0 "$hnotes") notifications) | $(mb "$hend") MB (at start $(mb "$hstart") MB; peak $(mb "$hpeak") MB) | < 40 MB | $(lt "$(mb "$hpeak")" 40) |
| Refresh of all three planes, 300 ms per request: wall time against the slowest plane alone | $(fmt 0 "$all") ms vs $(fmt 0 "$slow") ms = $(fmt 2 "$ratio")× | ≤ 1.2× | $(le "$ratio" 1.2) |
| Idle, nothing active: CPU and wake-ups per 10 min (real binary, $(fmt 0 "$(idle s-window)") s watched, scaled, + 2 refreshes) | $(fmt 3 "$(idle cpu-s-precise/10min-idle)") s CPU; $(fmt 0 "$(idle wakeups/10min-idle)") wake-ups | — (nearly free) | — |
| Idle, one countdown running (label changes each minute) | $(fmt 3 "$(idle cpu-s-precise/10min-countdown)") s CPU; $(fmt 0 "$(idle wakeups/10min-countdown)") wake-ups | — | — |
| Engine timer wake-ups + tray redraws per 10 simulated min (fake clock): nothing active / countdown / last 10 min / pending approval | $(fmt 0 "$(bg nothing_active engine-wakeups/10min)")+$(fmt 0 "$(bg nothing_active tray-redraws/10min)") / $(fmt 0 "$(bg countdown_running engine-wakeups/10min)")+$(fmt 0 "$(bg countdown_running tray-redraws/10min)") / $(fmt 0 "$(bg countdown_in_its_last_10_minutes engine-wakeups/10min)")+$(fmt 0 "$(bg countdown_in_its_last_10_minutes tray-redraws/10min)") / $(fmt 0 "$(bg waiting_for_approval engine-wakeups/10min)")+$(fmt 0 "$(bg waiting_for_approval tray-redraws/10min)") | nothing but the refresh when nothing counts down (2 per 10 min); ≤ 1/s | $wakemet |
| Large tenant: \`pimtray activate ROLE --scope SCOPE\` of a role listed a minute before (440 roles, 1,000 past requests per plane, 100 ms per request; in-process, command start to exit code; 20 roles in turn): requests, mean (worst) | $(fmt 2 "$creq") ($(fmt 0 "$creqmax")) | ≤ 2 (1 the goal) | $(le "$creqmax" 2) |
| Same: wall time, median (worst) | $(fmt 0 "$cp50") ms ($(fmt 0 "$cmax") ms) | ≤ 250 ms median | $(le "$cp50" 250) |
| Large tenant: a background refresh (worst of 3, while the other roles' policies fill in), requests with no history / with 1,000 past requests per plane | $(fmt 0 "$lrefresh0") / $(fmt 0 "$lrefresh") | ≤ 15, not growing | $refreshmet |
| Large tenant: the tray's start (first refresh, favourites' policies, the first policy reads), requests: engine with 2 favourites / the real tray (benchmark build, counted in its log) | $(fmt 0 "$lstart") / $(fmt 0 "$treq") | ≤ 40 | $(le "$(high "$lstart" "$treq")" 40) |
| Large tenant: requests per click on a favourite | $(fmt 0 "$lclick") | 1 | $(le "$lclick" 1) |
| Large tenant: memory (RSS) of the real tray after its start (VmRSS; anon / file) | $trss MB (worst $trssmax MB; $tanon / $tfile MB) | < 30 MB | $(lt "$trssmax" 30) |
| Background requests per hour when nothing changes (fake clock; nothing active / a countdown / pending approval) | $(fmt 0 "$(bg nothing_active requests/hour)") / $(fmt 0 "$(bg countdown_running requests/hour)") / $(fmt 0 "$(bg waiting_for_approval requests/hour)") | — | — |
| Approver polling, requests per hour of the approval listings (5-min refresh, fake clock): Graph refuses them (403) / nothing waits anywhere / 2 waiting / 50 waiting | $(fmt 0 "$(ap 'Graph_refuses_the_approvals_(403),_nothing_waits_in_Azure' approver-requests/hour)") / $(fmt 0 "$(ap nothing_waiting_on_any_plane approver-requests/hour)") / $(fmt 0 "$(ap 2_waiting approver-requests/hour)") / $(fmt 0 "$(ap 50_waiting approver-requests/hour)") | ≤ 1 per plane per refresh where something waits; ≤ 1 per plane per hour elsewhere | $(le "$(ap 50_waiting approver-requests/hour)" 36) |
EOF
