// Command testsum reads `go test -json` on stdin and prints what `go test` prints without it
// (one line per package, the output of what failed), then how many tests were skipped and
// why, so a skip (a missing ../shared, a missing tool) is seen, not hidden behind "ok".
// It exits 1 when a package failed, as go test does.
//
//	go test -json ./... | testsum                 # the summary at the end
//	go test -json ./a | testsum -skips FILE       # skips noted in FILE (several runs)...
//	testsum -report FILE                          # ...and summed up once
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action      string
	Package     string
	Test        string
	Elapsed     float64
	Output      string
	ImportPath  string // build events
	FailedBuild string
}

type key struct{ pkg, test string }

type summary struct {
	out     io.Writer
	outputs map[key][]string
	skips   map[string][]string // reason -> tests
	nskip   int
	failed  bool
}

// skipRecord is one skipped test, as kept in a -skips file.
type skipRecord struct{ Reason, Test string }

func main() {
	skipsFile := flag.String("skips", "", "append the skipped tests to this file instead of summing them up")
	report := flag.String("report", "", "sum up the skipped tests noted in this file, and exit")
	flag.Parse()
	s := &summary{out: os.Stdout, outputs: map[key][]string{}, skips: map[string][]string{}}
	if *report != "" {
		data, err := os.ReadFile(*report)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testsum:", err)
			os.Exit(2)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var r skipRecord
			if json.Unmarshal([]byte(line), &r) == nil && r.Test != "" {
				s.skips[r.Reason] = append(s.skips[r.Reason], r.Test)
				s.nskip++
			}
		}
		s.finish()
		return
	}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			fmt.Fprintln(s.out, string(line)) // not an event: pass it on
			continue
		}
		s.add(e)
	}
	if *skipsFile != "" {
		if err := s.appendSkips(*skipsFile); err != nil {
			fmt.Fprintln(os.Stderr, "testsum:", err)
			os.Exit(2)
		}
	} else {
		s.finish()
	}
	if s.failed {
		os.Exit(1)
	}
}

func (s *summary) appendSkips(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for reason, tests := range s.skips {
		for _, t := range tests {
			if err := enc.Encode(skipRecord{Reason: reason, Test: t}); err != nil {
				f.Close()
				return err
			}
		}
	}
	return f.Close()
}

func (s *summary) add(e event) {
	k := key{e.Package, e.Test}
	switch e.Action {
	case "build-output":
		fmt.Fprint(s.out, e.Output)
	case "build-fail":
		s.failed = true
	case "output":
		s.outputs[k] = append(s.outputs[k], e.Output)
	case "skip":
		if e.Test == "" {
			fmt.Fprintf(s.out, "?   \t%s\t[no test files]\n", e.Package)
			return
		}
		reason := skipReason(s.outputs[k])
		s.skips[reason] = append(s.skips[reason], shortPkg(e.Package)+" "+e.Test)
		s.nskip++
		delete(s.outputs, k)
	case "pass":
		if e.Test == "" {
			fmt.Fprintf(s.out, "ok  \t%s\t%.3fs\n", e.Package, e.Elapsed)
		}
		delete(s.outputs, k)
	case "fail":
		s.failed = true
		for _, l := range s.outputs[k] {
			fmt.Fprint(s.out, l)
		}
		delete(s.outputs, k) // a package's own output ends with its "FAIL\tpkg" line
	}
}

// skipReason is what the test said when it skipped (t.Skip's message), without the framing.
func skipReason(lines []string) string {
	var said []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		// "file_test.go:12: message" -> "message"
		if i := strings.Index(t, ".go:"); i > 0 {
			if j := strings.Index(t[i+4:], ": "); j >= 0 {
				t = t[i+4+j+2:]
			}
		}
		said = append(said, t)
	}
	if len(said) == 0 {
		return "(no reason given)"
	}
	return strings.Join(said, " ")
}

func shortPkg(p string) string {
	const mod = "github.com/pimtray/pimtray"
	if p == mod {
		return "."
	}
	return strings.TrimPrefix(p, mod+"/")
}

func (s *summary) finish() {
	if s.nskip == 0 {
		fmt.Fprintln(s.out, "skipped: none")
		return
	}
	reasons := make([]string, 0, len(s.skips))
	for r := range s.skips {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool { return len(s.skips[reasons[i]]) > len(s.skips[reasons[j]]) })
	plural := "s"
	if s.nskip == 1 {
		plural = ""
	}
	fmt.Fprintf(s.out, "skipped: %d test%s, by reason:\n", s.nskip, plural)
	for _, r := range reasons {
		tests := s.skips[r]
		fmt.Fprintf(s.out, "  %d: %s\n", len(tests), r)
		const show = 4
		list := tests
		more := ""
		if len(list) > show {
			list, more = list[:show], fmt.Sprintf(", and %d more", len(tests)-show)
		}
		fmt.Fprintf(s.out, "     (%s%s)\n", strings.Join(list, ", "), more)
	}
}
