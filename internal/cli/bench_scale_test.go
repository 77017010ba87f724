package cli_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/fakeazure"
)

// BenchmarkCLIActivate: `pimtray activate ROLE --scope SCOPE` of a role listed a minute before,
// on the 440-role tenant with 1,000 past requests per plane, 100 ms added to every request (the
// issue's measurement): the requests each activation sends and its wall time, in-process from
// the command's start to its exit code (the process's own start is not in it). Each run
// activates another role (Azure and Entra roles whose policy asks a justification at most).
func BenchmarkCLIActivate(b *testing.B) {
	w := largeWorld(b, func(o *fakeazure.Options) { o.Latency = 100 * time.Millisecond })
	r := w.run("list", "--json")
	if r.code != 0 {
		b.Fatalf("list: %+v", r)
	}
	var roles []struct {
		Plane, Role, Scope string
		Policy             *struct{ Ticket, Approval, MFA bool }
	}
	if err := json.Unmarshal([]byte(r.stdout), &roles); err != nil {
		b.Fatal(err)
	}
	var todo [][]string
	for _, ro := range roles {
		if ro.Plane == "group" || ro.Policy == nil || ro.Policy.Ticket || ro.Policy.Approval || ro.Policy.MFA {
			continue
		}
		todo = append(todo, []string{"activate", ro.Role, "--scope", ro.Scope, "--reason", "bench", "--for", "1h"})
	}
	var walls []time.Duration
	var reqs []int
	for b.Loop() {
		b.StopTimer()
		if len(todo) == 0 {
			b.Fatal("no role left to activate")
		}
		args := todo[0]
		todo = todo[1:]
		w.clk.Advance(5 * time.Minute)       // what the last run knew is old now
		if r := w.run("list"); r.code != 0 { // "listed a minute before"
			b.Fatalf("list: %+v", r)
		}
		w.clk.Advance(time.Minute)
		w.fake.ResetLog()
		b.StartTimer()
		start := time.Now()
		r := w.run(args...)
		wall := time.Since(start)
		b.StopTimer()
		if r.code != 0 {
			b.Fatalf("%v: %+v", args, r)
		}
		walls = append(walls, wall)
		reqs = append(reqs, len(w.azureRequests()))
		b.StartTimer()
	}
	slices.Sort(walls)
	total := 0
	for _, n := range reqs {
		total += n
	}
	b.ReportMetric(float64(total)/float64(len(reqs)), "requests/activation")
	b.ReportMetric(float64(slices.Max(reqs)), "requests/activation-max")
	b.ReportMetric(float64(walls[len(walls)/2].Microseconds())/1000, "ms-p50")
	b.ReportMetric(float64(walls[len(walls)-1].Microseconds())/1000, "ms-max")
}
