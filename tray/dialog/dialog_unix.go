//go:build unix && !darwin

package dialog

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// available finds a display and zenity or kdialog.
func available() error {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return fmt.Errorf("%w: there is no graphical display to show it on", ErrUnavailable)
	}
	for _, tool := range []string{"zenity", "kdialog"} {
		if _, err := exec.LookPath(tool); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%w: install zenity or kdialog", ErrUnavailable)
}

// formSeparator splits zenity's form answers (a line can't hold it: the entries are one line).
const formSeparator = "\x1f"

// askFields uses zenity --forms: every field in one window. zenity's entries can't be
// pre-filled, so a field's label shows its saved answer and an empty entry keeps it.
// kdialog has no forms: there the fields are asked one after the other.
func askFields(ctx context.Context, title, prompt string, fields []Field) ([]string, bool, error) {
	if err := available(); err != nil {
		return nil, false, err
	}
	path, err := exec.LookPath("zenity")
	if err != nil {
		return askEach(ctx, title, prompt, fields)
	}
	args := []string{"--forms", "--title", title, "--text", prompt, "--separator", formSeparator}
	for _, f := range fields {
		args = append(args, "--add-entry", formLabel(f))
	}
	out, ok, err := runDialog(ctx, exec.CommandContext(ctx, path, args...), "zenity", cancelledOnExit1)
	if err != nil || !ok {
		return nil, ok, err
	}
	answers := strings.Split(out, formSeparator)
	if len(answers) != len(fields) {
		return nil, false, fmt.Errorf("the zenity form answered %d fields, want %d", len(answers), len(fields))
	}
	return answers, true, nil
}

// ask uses zenity (GNOME and most desktops), else kdialog (KDE).
func ask(ctx context.Context, q Question) (string, bool, error) {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return "", false, fmt.Errorf("%w: there is no graphical display to show it on", ErrUnavailable)
	}
	if path, err := exec.LookPath("zenity"); err == nil {
		args := []string{"--entry", "--title", q.Title, "--text", q.Prompt}
		if q.Secret {
			args = append(args, "--hide-text")
		} else if q.Default != "" {
			args = append(args, "--entry-text", q.Default)
		}
		return runDialog(ctx, exec.CommandContext(ctx, path, args...), "zenity", cancelledOnExit1)
	}
	if path, err := exec.LookPath("kdialog"); err == nil {
		args := []string{"--title", q.Title}
		if q.Secret {
			args = append(args, "--password", q.Prompt)
		} else {
			args = append(args, "--inputbox", q.Prompt, q.Default)
		}
		return runDialog(ctx, exec.CommandContext(ctx, path, args...), "kdialog", cancelledOnExit1)
	}
	return "", false, fmt.Errorf("%w: install zenity or kdialog", ErrUnavailable)
}

// tool finds zenity (GNOME and most desktops), else kdialog (KDE); err says what is missing.
func tool() (name, path string, err error) {
	if err := available(); err != nil {
		return "", "", err
	}
	for _, name := range []string{"zenity", "kdialog"} {
		if path, err := exec.LookPath(name); err == nil {
			return name, path, nil
		}
	}
	return "", "", fmt.Errorf("%w: install zenity or kdialog", ErrUnavailable)
}

// choose shows a zenity list (a hidden last column holds the row number, which is what
// it prints; typing searches the first column, so that one is the name), else a kdialog
// menu (the row number is the tag, the cells joined the text).
func choose(ctx context.Context, l List) (string, bool, error) {
	name, path, err := tool()
	if err != nil {
		return "", false, err
	}
	var args []string
	switch name {
	case "zenity":
		args = []string{"--list", "--title", l.Title, "--text", l.Prompt, "--ok-label", l.OK,
			"--width", "720", "--height", "520"}
		for _, c := range l.Columns {
			args = append(args, "--column", c)
		}
		last := strconv.Itoa(len(l.Columns) + 1)
		args = append(args, "--column", "#", "--hide-column", last, "--print-column", last)
		for i, r := range l.Rows {
			args = append(args, r...)
			args = append(args, strconv.Itoa(i))
		}
	default:
		args = []string{"--title", l.Title, "--ok-label", l.OK, "--menu", l.Prompt}
		for i, r := range l.Rows {
			args = append(args, strconv.Itoa(i), strings.Join(nonEmpty(r), " · "))
		}
	}
	return runDialog(ctx, exec.CommandContext(ctx, path, args...), name, cancelledOnExit1)
}

// confirm is zenity --question, else kdialog --yesno.
func confirm(ctx context.Context, c Confirmation) (bool, error) {
	name, path, err := tool()
	if err != nil {
		return false, err
	}
	var args []string
	switch name {
	case "zenity":
		args = []string{"--question", "--title", c.Title, "--text", c.Prompt, "--ok-label", c.OK, "--cancel-label", "Cancel"}
	default:
		args = []string{"--title", c.Title, "--yes-label", c.OK, "--no-label", "Cancel", "--yesno", c.Prompt}
	}
	_, ok, err := runDialog(ctx, exec.CommandContext(ctx, path, args...), name, cancelledOnExit1)
	return ok, err
}

func nonEmpty(cells []string) []string {
	var out []string
	for _, c := range cells {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// cancelledOnExit1 is how zenity and kdialog say "cancelled": exit status 1.
func cancelledOnExit1(code int, _ string) bool { return code == 1 }
