// Package opener opens a file for the user (the configuration, the log) with whatever the
// desktop has: its handler for the file type, else an editor, else the folder it is in.
// Each way is tried in turn until one works; when none does, the error says what was
// tried and where the file is, for the tray to show.
package opener

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Opener opens a file for the user to read or edit.
type Opener interface {
	Open(path string) error
}

// way is one way to open a file: a program and its arguments. wait: the program ends
// once it has handed the file on (xdg-open), so its exit status says whether that worked;
// otherwise it is the program that shows the file (an editor), and starting it is success.
type way struct {
	name string
	args []string
	wait bool
	// do, when set, is the way itself (a system call, no program to find): name only
	// names it in the error.
	do func(path string) error
}

// Chain tries ways in order.
type Chain struct {
	// ways lists the ways for a path (the platform's, see ways_*.go).
	ways func(path string) []way
	// lookPath and start are exec.LookPath and the process start; tests keep them.
	lookPath func(string) (string, error)
	// Timeout bounds a way that is waited for; default 10s.
	Timeout time.Duration
}

// New is the platform's chain.
func New() *Chain { return &Chain{ways: platformWays, lookPath: exec.LookPath} }

// Error is the failure of every way: what was tried, and the path to open by hand.
type Error struct {
	Path  string
	Tried []string // "xdg-open: exit status 4"
}

func (e *Error) Error() string {
	if len(e.Tried) == 0 {
		return fmt.Sprintf("no program to open %s was found; open it by hand", e.Path)
	}
	return fmt.Sprintf("could not open %s (%s); open it by hand", e.Path, strings.Join(e.Tried, "; "))
}

// Open tries each way until one works.
func (c *Chain) Open(path string) error {
	abs, err := filepath.Abs(path)
	if err == nil {
		path = abs
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	fail := &Error{Path: path}
	for _, w := range c.ways(path) {
		if w.do != nil {
			if err := w.do(path); err != nil {
				fail.Tried = append(fail.Tried, w.name+": "+err.Error())
				continue
			}
			return nil
		}
		prog, err := c.lookPath(w.name)
		if err != nil {
			continue // not installed: not worth a word
		}
		if err := run(prog, w, timeout); err != nil {
			fail.Tried = append(fail.Tried, filepath.Base(w.name)+": "+err.Error())
			continue
		}
		return nil
	}
	return fail
}

func run(prog string, w way, timeout time.Duration) error {
	if !w.wait {
		cmd := exec.Command(prog, w.args...)
		if err := cmd.Start(); err != nil {
			return err
		}
		go cmd.Wait() // the editor runs on; reap it when it ends
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, w.args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return errors.New("no answer")
	}
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			if i := strings.IndexByte(msg, '\n'); i >= 0 {
				msg = msg[:i]
			}
			return fmt.Errorf("%v (%s)", err, msg)
		}
		return err
	}
	return nil
}

// editorWays are $VISUAL and $EDITOR, each in a terminal (a terminal editor needs one).
func editorWays(path string, terminals [][]string) []way {
	var out []way
	for _, env := range []string{"VISUAL", "EDITOR"} {
		ed := strings.Fields(os.Getenv(env))
		if len(ed) == 0 {
			continue
		}
		for _, t := range terminals {
			args := append(append(append([]string(nil), t[1:]...), ed...), path)
			out = append(out, way{name: t[0], args: args})
		}
	}
	return out
}
