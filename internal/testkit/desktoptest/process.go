package desktoptest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Process is a child process started for a test (often the test binary itself, run
// again in a child mode) whose standard output lines the test can wait for and count,
// and whose standard input it can write to.
type Process struct {
	Cmd *exec.Cmd

	p      *proc
	stdin  io.WriteCloser
	stderr SyncBuffer

	mu      sync.Mutex
	lines   []string
	eof     bool
	changed chan struct{}
}

// StartProcess starts cmd (with its Env as set, BusEnv(addr) typically) and stops it at
// cleanup: SIGTERM, then a kill after five seconds. When the test failed, the child's
// standard error is logged.
func StartProcess(t testing.TB, cmd *exec.Cmd) *Process {
	t.Helper()
	pr := &Process{Cmd: cmd, changed: make(chan struct{})}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("desktoptest: %v", err)
	}
	pr.stdin = stdin
	// An *os.File, not a pipe of exec's own: Wait then never races the reader for output.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatalf("desktoptest: %v", err)
	}
	cmd.Stdout = w
	cmd.Stderr = &pr.stderr
	p, err := startProc(cmd)
	w.Close()
	if err != nil {
		r.Close()
		t.Fatalf("desktoptest: start %s: %v", cmd.Path, err)
	}
	pr.p = p
	go pr.read(r)
	t.Cleanup(func() {
		p.stop(5 * time.Second)
		if t.Failed() {
			t.Logf("%s standard error:\n%s", cmd.Path, pr.stderr.String())
		}
	})
	return pr
}

func (pr *Process) read(r *os.File) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		pr.mu.Lock()
		pr.lines = append(pr.lines, sc.Text())
		close(pr.changed)
		pr.changed = make(chan struct{})
		pr.mu.Unlock()
	}
	pr.mu.Lock()
	pr.eof = true
	close(pr.changed)
	pr.changed = make(chan struct{})
	pr.mu.Unlock()
}

// Lines are the standard output lines so far.
func (pr *Process) Lines() []string {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return slices.Clone(pr.lines)
}

// CountLines is how many output lines so far start with prefix.
func (pr *Process) CountLines(prefix string) int {
	n := 0
	for _, l := range pr.Lines() {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// WaitForLine waits for an output line starting with prefix and returns the first one.
func (pr *Process) WaitForLine(t testing.TB, timeout time.Duration, prefix string) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		pr.mu.Lock()
		lines, eof, changed := slices.Clone(pr.lines), pr.eof, pr.changed
		pr.mu.Unlock()
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) {
				return l
			}
		}
		if eof {
			t.Fatalf("desktoptest: the child ended its output without a line starting %q; output:\n%s\nstandard error:\n%s",
				prefix, strings.Join(lines, "\n"), pr.stderr.String())
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("desktoptest: waited %v for a line starting %q; output:\n%s", timeout, prefix, strings.Join(lines, "\n"))
		}
	}
}

// Send writes one line to the child's standard input.
func (pr *Process) Send(t testing.TB, line string) {
	t.Helper()
	if _, err := io.WriteString(pr.stdin, line+"\n"); err != nil {
		t.Fatalf("desktoptest: write to the child: %v", err)
	}
}

// Stderr is the child's standard error so far.
func (pr *Process) Stderr() string { return pr.stderr.String() }

// Signal sends sig to the child.
func (pr *Process) Signal(t testing.TB, sig os.Signal) {
	t.Helper()
	if err := pr.Cmd.Process.Signal(sig); err != nil {
		t.Fatalf("desktoptest: signal the child: %v", err)
	}
}

// Wait waits for the child to end by itself and returns its exit code.
func (pr *Process) Wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-pr.p.done:
	case <-time.After(timeout):
		t.Fatalf("desktoptest: the child did not end within %v", timeout)
	}
	var ee *exec.ExitError
	switch err := pr.p.err; {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	default:
		t.Fatalf("desktoptest: wait for the child: %v", err)
	}
	return -1
}

// Exited reports whether the child has ended.
func (pr *Process) Exited() bool { return pr.p.exited() }

// String names the child for messages.
func (pr *Process) String() string {
	return fmt.Sprintf("%s (pid %d)", pr.Cmd.Path, pr.Cmd.Process.Pid)
}
