//go:build unix && !darwin

package dialog

import (
	"context"
	"errors"
	"os"
	"os/exec"
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
	// Only dir on PATH (with the one tool a script needs), so a real zenity or kdialog
	// installed on the machine is never found instead.
	if sleep, err := exec.LookPath("sleep"); err == nil {
		_ = os.Symlink(sleep, filepath.Join(dir, "sleep"))
	}
	t.Setenv("PATH", dir)
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

func TestPrompterPrefillsTheSavedAnswer(t *testing.T) {
	argsFile := fakeTool(t, "zenity", "echo 'patch night'")
	if _, _, err := (Prompter{}).Ask(context.Background(), engine.Question{Title: "T", Text: "Why?", Default: "last time's"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"--entry", "--title", "T", "--text", "Why?", "--entry-text", "last time's"}
	if got := readArgs(t, argsFile); strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Fatalf("zenity arguments = %q, want %q", got, want)
	}
}

func TestFormIsOneZenityDialog(t *testing.T) {
	argsFile := fakeTool(t, "zenity", `printf 'release day\037CHG-5\n'`)
	answers, ok, err := Prompter{}.AskForm(context.Background(), engine.Form{
		Title: "Activate Contributor", Text: "Contributor requires a justification and a ticket number.",
		Questions: []engine.Question{{Label: "Justification", Default: "patch night"}, {Label: "Ticket number"}},
	})
	if err != nil || !ok || len(answers) != 2 || answers[0] != "release day" || answers[1] != "CHG-5" {
		t.Fatalf("AskForm() = %q, %v, %v", answers, ok, err)
	}
	want := []string{"--forms", "--title", "Activate Contributor", "--text", "Contributor requires a justification and a ticket number.",
		"--separator", "\x1f", "--add-entry", "Justification (empty keeps: patch night)", "--add-entry", "Ticket number"}
	if got := readArgs(t, argsFile); strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Fatalf("zenity arguments = %q, want %q", got, want)
	}
}

func TestFormEmptyEntryKeepsTheSavedAnswer(t *testing.T) {
	fakeTool(t, "zenity", `printf '\037CHG-5\n'`)
	answers, ok, err := AskForm(context.Background(), "T", "P", []Field{{Label: "Justification", Default: "patch night"}, {Label: "Ticket number"}})
	if err != nil || !ok || answers[0] != "patch night" || answers[1] != "CHG-5" {
		t.Fatalf("AskForm() = %q, %v, %v", answers, ok, err)
	}
}

func TestFormCancel(t *testing.T) {
	fakeTool(t, "zenity", "exit 1")
	if answers, ok, err := AskForm(context.Background(), "T", "P", []Field{{Label: "a"}, {Label: "b"}}); ok || err != nil || answers != nil {
		t.Fatalf("AskForm() = %q, %v, %v; want a cancel", answers, ok, err)
	}
}

// kdialog has no forms: two prompts, one after the other.
func TestFormWithKdialogAsksEachField(t *testing.T) {
	argsFile := fakeTool(t, "kdialog", "echo answer")
	answers, ok, err := AskForm(context.Background(), "T", "P", []Field{{Label: "Justification", Default: "x"}, {Label: "Ticket number"}})
	if err != nil || !ok || len(answers) != 2 || answers[0] != "answer" || answers[1] != "answer" {
		t.Fatalf("AskForm() = %q, %v, %v", answers, ok, err)
	}
	// The last call was the ticket's.
	want := []string{"--title", "T", "--inputbox", "P", "", "Ticket number:", ""} // the prompt spans lines
	if got := readArgs(t, argsFile); strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Fatalf("kdialog arguments = %q, want %q", got, want)
	}
}

func TestNoDialogIsTheEnginesErrNoDialog(t *testing.T) {
	onlyPath(t, t.TempDir())
	t.Setenv("DISPLAY", ":99")
	err := Prompter{}.CanPrompt()
	if !errors.Is(err, engine.ErrNoDialog) || err.Error() != "no input dialog available: install zenity or kdialog" {
		t.Fatalf("CanPrompt() = %v", err)
	}
	_, _, err = Prompter{}.Ask(context.Background(), engine.Question{Text: "Why?"})
	if !errors.Is(err, engine.ErrNoDialog) {
		t.Fatalf("Ask() = %v", err)
	}
	fakeTool(t, "zenity", "echo x")
	if err := (Prompter{}).CanPrompt(); err != nil {
		t.Fatalf("CanPrompt() with zenity = %v", err)
	}
}
