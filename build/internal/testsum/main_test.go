package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func readLines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	return strings.Split(strings.TrimSpace(string(b)), "\n"), err
}

func TestSummaryPrintsPackagesFailuresAndSkipsWithReasons(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	s := &summary{out: &out, outputs: map[key][]string{}, skips: map[string][]string{}}
	const pkg = "github.com/pimtray/pimtray/pim"
	for _, e := range []event{
		{Action: "output", Package: pkg, Test: "TestVectors", Output: "=== RUN   TestVectors\n"},
		{Action: "output", Package: pkg, Test: "TestVectors", Output: "    vectors.go:40: pim test vectors not found\n"},
		{Action: "output", Package: pkg, Test: "TestVectors", Output: "--- SKIP: TestVectors (0.00s)\n"},
		{Action: "skip", Package: pkg, Test: "TestVectors"},
		{Action: "output", Package: pkg, Test: "TestQuiet", Output: "=== RUN   TestQuiet\n"},
		{Action: "pass", Package: pkg, Test: "TestQuiet"},
		{Action: "pass", Package: pkg, Elapsed: 1.5},
		{Action: "output", Package: pkg + "/auth", Test: "TestBroken", Output: "    x_test.go:3: broken\n"},
		{Action: "fail", Package: pkg + "/auth", Test: "TestBroken"},
		{Action: "output", Package: pkg + "/auth", Output: "FAIL\tgithub.com/pimtray/pimtray/pim/auth\t0.1s\n"},
		{Action: "fail", Package: pkg + "/auth"},
	} {
		s.add(e)
	}
	s.finish()
	got := out.String()
	for _, want := range []string{
		"ok  \tgithub.com/pimtray/pimtray/pim\t1.500s\n",
		"    x_test.go:3: broken\n",
		"FAIL\tgithub.com/pimtray/pimtray/pim/auth\t0.1s\n",
		"skipped: 1 test, by reason:\n  1: pim test vectors not found\n     (pim TestVectors)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "TestQuiet") {
		t.Errorf("a passing test's output was printed:\n%s", got)
	}
	if !s.failed {
		t.Error("a failed package did not fail the summary")
	}
}

func TestSkipsFileRoundTrip(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/skips"
	s := &summary{skips: map[string][]string{"no tool": {"tray TestA", "tray TestB"}}}
	if err := s.appendSkips(path); err != nil {
		t.Fatal(err)
	}
	if err := s.appendSkips(path); err != nil { // a second run appends
		t.Fatal(err)
	}
	var n int
	data, _ := readLines(path)
	for _, l := range data {
		var r skipRecord
		if json.Unmarshal([]byte(l), &r) != nil || r.Reason != "no tool" {
			t.Fatalf("bad record %q", l)
		}
		n++
	}
	if n != 4 {
		t.Fatalf("%d records, want 4", n)
	}
}
