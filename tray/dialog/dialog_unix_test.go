//go:build unix && !darwin

package dialog

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/engine"
)

// fakeTool installs an executable shell script named name in a fresh directory that is
// then the whole PATH, with a graphical display set. The script records its arguments,
// one per line, in the returned file.
func fakeTool(t *testing.T, name, body string) (argsFile string) {
	t.Helper()
	dir := t.TempDir()
	argsFile = filepath.Join(dir, "args")
	script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '" + argsFile + "'\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":/bin:/usr/bin")
	t.Setenv("DISPLAY", ":99")
	t.Setenv("WAYLAND_DISPLAY", "")
	return argsFile
}

// onlyPath makes dir the whole PATH, so no real dialog tool is found.
func onlyPath(t *testing.T, dir string) {
	t.Setenv("PATH", dir)
}

func readArgs(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the dialog tool was not run: %v", err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestAsk(t *testing.T) {
	ticket := Question{Title: "Ticket needed", Prompt: "Ticket number for Contributor · MySubscription?", Default: "INC-1"}
	secret := Question{Title: "Password", Prompt: "Your password?", Default: "should-not-appear", Secret: true}
	tests := []struct {
		name       string
		tool       string
		script     string
		q          Question
		wantAnswer string
		wantOK     bool
		wantErr    string // substring; "" means no error
		wantArgs   []string
	}{
		{
			name: "zenity answer", tool: "zenity", script: "echo 'INC-42'", q: ticket,
			wantAnswer: "INC-42", wantOK: true,
			wantArgs: []string{"--entry", "--title", "Ticket needed", "--text", ticket.Prompt, "--entry-text", "INC-1"},
		},
		{
			name: "zenity keeps inner spaces and quotes", tool: "zenity", script: `printf '%s\n' "  it's \"urgent\"  "`, q: ticket,
			wantAnswer: `  it's "urgent"  `, wantOK: true,
		},
		{
			name: "zenity cancel sends nothing", tool: "zenity", script: "exit 1", q: ticket,
			wantOK: false,
		},
		{
			name: "zenity failure is an error", tool: "zenity", script: "echo 'cannot open display: :99' >&2; exit 255", q: ticket,
			wantErr: "the zenity dialog failed: cannot open display: :99",
		},
		{
			name: "zenity secret hides the text and drops the default", tool: "zenity", script: "echo hunter2", q: secret,
			wantAnswer: "hunter2", wantOK: true,
			wantArgs: []string{"--entry", "--title", "Password", "--text", "Your password?", "--hide-text"},
		},
		{
			name: "kdialog when zenity is missing", tool: "kdialog", script: "echo 'INC-7'", q: ticket,
			wantAnswer: "INC-7", wantOK: true,
			wantArgs: []string{"--title", "Ticket needed", "--inputbox", ticket.Prompt, "INC-1"},
		},
		{
			name: "kdialog cancel", tool: "kdialog", script: "exit 1", q: ticket,
			wantOK: false,
		},
		{
			name: "kdialog secret", tool: "kdialog", script: "echo s3cret", q: secret,
			wantAnswer: "s3cret", wantOK: true,
			wantArgs: []string{"--title", "Password", "--password", "Your password?"},
		},
		{
			name: "default title", tool: "zenity", script: "echo x", q: Question{Prompt: "Why?"},
			wantAnswer: "x", wantOK: true,
			wantArgs: []string{"--entry", "--title", "pimtray", "--text", "Why?"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			argsFile := fakeTool(t, tc.tool, tc.script)
			answer, ok, err := Ask(context.Background(), tc.q)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Ask() error = %v, want it to contain %q", err, tc.wantErr)
				}
				if ok {
					t.Fatal("Ask() ok = true on an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Ask() error = %v", err)
			}
			if answer != tc.wantAnswer || ok != tc.wantOK {
				t.Fatalf("Ask() = %q, %v; want %q, %v", answer, ok, tc.wantAnswer, tc.wantOK)
			}
			if tc.wantArgs != nil {
				got := readArgs(t, argsFile)
				if strings.Join(got, "\x00") != strings.Join(tc.wantArgs, "\x00") {
					t.Fatalf("%s arguments = %q, want %q", tc.tool, got, tc.wantArgs)
				}
			}
			if tc.q.Secret {
				for _, a := range readArgs(t, argsFile) {
					if strings.Contains(a, tc.q.Default) {
						t.Fatalf("a secret question put its default on the command line: %q", a)
					}
				}
			}
		})
	}
}

func TestAskWithoutATool(t *testing.T) {
	onlyPath(t, t.TempDir())
	t.Setenv("DISPLAY", ":99")
	_, ok, err := Ask(context.Background(), Question{Prompt: "Why?"})
	if !errors.Is(err, ErrUnavailable) || ok {
		t.Fatalf("Ask() = ok %v, err %v; want ErrUnavailable", ok, err)
	}
	if !strings.Contains(err.Error(), "install zenity or kdialog") {
		t.Fatalf("error %q doesn't say what to install", err)
	}
}

func TestAskWithoutADisplay(t *testing.T) {
	fakeTool(t, "zenity", "echo never")
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	_, ok, err := Ask(context.Background(), Question{Prompt: "Why?"})
	if !errors.Is(err, ErrUnavailable) || ok {
		t.Fatalf("Ask() = ok %v, err %v; want ErrUnavailable", ok, err)
	}
	if !strings.Contains(err.Error(), "no graphical display") {
		t.Fatalf("error %q doesn't say why", err)
	}
}

// The core may give up waiting (it is stopping): the dialog goes away and Ask returns.
func TestAskEndsWithItsContext(t *testing.T) {
	fakeTool(t, "zenity", "exec sleep 30")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, ok, err := Ask(ctx, Question{Prompt: "Why?"})
	if ok || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Ask() = ok %v, err %v; want the context's error", ok, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Ask() took %v after its context ended", d)
	}
}

func TestPrompterAsksTheEnginesQuestion(t *testing.T) {
	argsFile := fakeTool(t, "zenity", "echo 'Monthly patching'")
	answer, ok, err := Prompter{}.Ask(context.Background(), engine.Question{
		Key: "entra|t|r|/", Role: "Global Administrator", Field: engine.FieldJustification,
		Title: "Justification for Global Administrator", Text: "Global Administrator requires a justification.",
	})
	if err != nil || !ok || answer != "Monthly patching" {
		t.Fatalf("Ask() = %q, %v, %v", answer, ok, err)
	}
	want := []string{"--entry", "--title", "Justification for Global Administrator", "--text", "Global Administrator requires a justification."}
	if got := readArgs(t, argsFile); strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Fatalf("zenity arguments = %q, want %q", got, want)
	}
}
