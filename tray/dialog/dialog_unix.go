//go:build unix && !darwin

package dialog

import (
	"context"
	"fmt"
	"os"
	"os/exec"
)

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

// cancelledOnExit1 is how zenity and kdialog say "cancelled": exit status 1.
func cancelledOnExit1(code int, _ string) bool { return code == 1 }
