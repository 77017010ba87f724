//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchLargeBinaryEnv names a benchmark build of pimtray whose --demo serves the large tenant
// (go build -tags benchlarge; build/bench.sh builds and sets it).
const benchLargeBinaryEnv = "PIMTRAY_BENCH_LARGE_BINARY"

// benchRequestsLogged counts the Graph and ARM requests the demo's in-process fake Azure
// logged (one debug line each; the identity plane's are the demo's own sign-in).
func benchRequestsLogged(tb testing.TB, home string) int {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(home, ".local", "state", "pimtray-demo", "pimtray-demo.log"))
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, `msg="fakeazure request"`) && !strings.Contains(line, "plane=identity") {
			n++
		}
	}
	return n
}

// BenchmarkLargeTray: the real tray serving the large tenant (440 roles over 200 scopes, 1,000
// past requests per plane, pages of 100) from a first start: the requests until its first
// refresh and the policy reads after it are done (no new request for 3 s), and its resident
// memory then, read from /proc as BenchmarkColdStart reads it. Two favourites, one Entra, one
// Azure.
func BenchmarkLargeTray(b *testing.B) {
	bin := os.Getenv(benchLargeBinaryEnv)
	if bin == "" {
		b.Skip(benchLargeBinaryEnv + " is not set (build/bench.sh builds it with -tags benchlarge)")
	}
	d := benchStartDesktop(b, false)
	var requests, rss int64
	var worstRSS, anonSum, fileSum int64
	for b.Loop() {
		b.StopTimer()
		home := b.TempDir()
		benchWriteConfig(b, home, "1h", map[string]any{"logLevel": "debug"})
		p := benchStartTray(b, bin, benchHomeEnv(d, home), "--demo")
		d.waitMenu(b, p, 60*time.Second)
		last, since := -1, time.Now()
		for deadline := time.Now().Add(120 * time.Second); ; {
			n := benchRequestsLogged(b, home)
			if n != last {
				last, since = n, time.Now()
			} else if n > 0 && time.Since(since) > 3*time.Second {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("requests still coming after 2 minutes (%d); output:\n%s", n, p.out.String())
			}
			time.Sleep(200 * time.Millisecond)
		}
		f, err := benchReadProc(p.pid())
		if err != nil {
			b.Fatal(err)
		}
		anon, file := benchRSSParts(b, p.pid())
		anonSum, fileSum = anonSum+anon, fileSum+file
		requests += int64(last)
		rss += f.RSSKiB
		worstRSS = max(worstRSS, f.RSSKiB)
		p.stop(b)
		d.watcher.WaitForItems(b, 0, 10*time.Second)
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(float64(requests)/n, "requests/start")
	b.ReportMetric(benchMiB(rss)/n, "MiB-RSS-after-start")
	b.ReportMetric(benchMiB(worstRSS), "MiB-RSS-max")
	b.ReportMetric(benchMiB(anonSum)/n, "MiB-RSS-anon")
	b.ReportMetric(benchMiB(fileSum)/n, "MiB-RSS-file")
}

// benchRSSParts reads RssAnon (the heap, stacks) and RssFile (the binary's pages) of a process.
func benchRSSParts(tb testing.TB, pid int) (anonKiB, fileKiB int64) {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "RssAnon:":
			anonKiB = v
		case "RssFile:":
			fileKiB = v
		}
	}
	return anonKiB, fileKiB
}
