//go:build unix && !darwin

package dialog

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

var roles = List{
	Title: "Find a role", Prompt: "Pick a role to activate", OK: "Activate",
	Columns: []string{"Role", "Scope"},
	Rows:    [][]string{{"Owner", "IT"}, {"Contributor", "rg-shop"}, {"Reader", ""}},
}

func TestChoose(t *testing.T) {
	tests := []struct {
		name      string
		tool      string
		script    string
		l         List
		wantIndex int
		wantOK    bool
		wantErr   string
		wantArgs  []string
	}{
		{
			name: "zenity prints the hidden row number", tool: "zenity", script: "echo 1", l: roles,
			wantIndex: 1, wantOK: true,
			wantArgs: []string{"--list", "--title", "Find a role", "--text", "Pick a role to activate", "--ok-label", "Activate",
				"--width", "720", "--height", "520", "--column", "Role", "--column", "Scope",
				"--column", "#", "--hide-column", "3", "--print-column", "3",
				"Owner", "IT", "0", "Contributor", "rg-shop", "1", "Reader", "", "2"},
		},
		{name: "zenity cancel", tool: "zenity", script: "exit 1", l: roles, wantOK: false},
		{name: "zenity OK with nothing picked", tool: "zenity", script: "echo", l: roles, wantOK: false},
		{name: "zenity several picked takes the first", tool: "zenity", script: "echo '2|0'", l: roles, wantIndex: 2, wantOK: true},
		{name: "an answer that is not a row", tool: "zenity", script: "echo 7", l: roles, wantErr: `answered "7", not a row`},
		{name: "zenity failure", tool: "zenity", script: "echo 'Gtk-WARNING: cannot open display' >&2; exit 255", l: roles,
			wantErr: "the zenity dialog failed: Gtk-WARNING: cannot open display"},
		{
			name: "kdialog menu with the row number as tag", tool: "kdialog", script: "echo 2", l: roles,
			wantIndex: 2, wantOK: true,
			wantArgs: []string{"--title", "Find a role", "--ok-label", "Activate", "--menu", "Pick a role to activate",
				"0", "Owner · IT", "1", "Contributor · rg-shop", "2", "Reader"},
		},
		{name: "kdialog cancel", tool: "kdialog", script: "exit 1", l: roles, wantOK: false},
		{name: "a row with too few cells", tool: "zenity", script: "echo 0",
			l: List{Columns: []string{"Role", "Scope"}, Rows: [][]string{{"Owner"}}}, wantErr: "one cell per column"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			argsFile := fakeTool(t, tc.tool, tc.script)
			i, ok, err := Choose(context.Background(), tc.l)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || ok {
					t.Fatalf("Choose() = %d, %v, %v; want an error containing %q", i, ok, err, tc.wantErr)
				}
				return
			}
			if err != nil || ok != tc.wantOK || (ok && i != tc.wantIndex) {
				t.Fatalf("Choose() = %d, %v, %v; want %d, %v, nil", i, ok, err, tc.wantIndex, tc.wantOK)
			}
			if tc.wantArgs != nil {
				if got := readArgs(t, argsFile); strings.Join(got, "\x00") != strings.Join(tc.wantArgs, "\x00") {
					t.Fatalf("%s arguments =\n%q\nwant\n%q", tc.tool, got, tc.wantArgs)
				}
			}
		})
	}
}

func TestChooseAnEmptyListShowsNothing(t *testing.T) {
	argsFile := fakeTool(t, "zenity", "echo 0")
	if _, ok, err := Choose(context.Background(), List{Columns: []string{"Role"}}); ok || err != nil {
		t.Fatalf("Choose(no rows) = %v, %v; want not ok, no error", ok, err)
	}
	if _, err := readArgsIfAny(argsFile); err == nil {
		t.Fatal("zenity was run for an empty list")
	}
}

func TestChooseWithoutATool(t *testing.T) {
	onlyPath(t, t.TempDir())
	t.Setenv("DISPLAY", ":99")
	_, ok, err := Choose(context.Background(), roles)
	if !errors.Is(err, ErrUnavailable) || ok || !strings.Contains(err.Error(), "install zenity or kdialog") {
		t.Fatalf("Choose() = %v, %v; want ErrUnavailable saying what to install", ok, err)
	}
}

func TestConfirm(t *testing.T) {
	q := Confirmation{Title: "Sign out", Prompt: "Sign out of Contoso?", OK: "Sign out"}
	tests := []struct {
		name, tool, script string
		want               bool
		wantErr            string
		wantArgs           []string
	}{
		{name: "zenity OK", tool: "zenity", script: "exit 0", want: true,
			wantArgs: []string{"--question", "--title", "Sign out", "--text", "Sign out of Contoso?", "--ok-label", "Sign out", "--cancel-label", "Cancel"}},
		{name: "zenity cancel", tool: "zenity", script: "exit 1", want: false},
		{name: "zenity failure", tool: "zenity", script: "echo broken >&2; exit 5", wantErr: "the zenity dialog failed: broken"},
		{name: "kdialog yes", tool: "kdialog", script: "exit 0", want: true,
			wantArgs: []string{"--title", "Sign out", "--yes-label", "Sign out", "--no-label", "Cancel", "--yesno", "Sign out of Contoso?"}},
		{name: "kdialog no", tool: "kdialog", script: "exit 1", want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			argsFile := fakeTool(t, tc.tool, tc.script)
			ok, err := Confirm(context.Background(), q)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || ok {
					t.Fatalf("Confirm() = %v, %v; want an error containing %q", ok, err, tc.wantErr)
				}
				return
			}
			if err != nil || ok != tc.want {
				t.Fatalf("Confirm() = %v, %v; want %v", ok, err, tc.want)
			}
			if tc.wantArgs != nil {
				if got := readArgs(t, argsFile); strings.Join(got, "\x00") != strings.Join(tc.wantArgs, "\x00") {
					t.Fatalf("%s arguments = %q, want %q", tc.tool, got, tc.wantArgs)
				}
			}
		})
	}
}

func readArgsIfAny(file string) (string, error) {
	b, err := os.ReadFile(file)
	return string(b), err
}
