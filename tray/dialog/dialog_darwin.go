//go:build darwin

package dialog

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// The texts reach AppleScript as run-handler arguments, so no quoting of user text is
// ever needed.
const askScript = `on run argv
	set theTitle to item 1 of argv
	set thePrompt to item 2 of argv
	set theDefault to item 3 of argv
	set hidden to (item 4 of argv) is "secret"
	activate
	set r to display dialog thePrompt default answer theDefault with title theTitle hidden answer hidden buttons {"Cancel", "OK"} default button "OK" cancel button "Cancel"
	return text returned of r
end run`

func ask(ctx context.Context, q Question) (string, bool, error) {
	path, err := exec.LookPath("osascript")
	if err != nil {
		return "", false, fmt.Errorf("%w: osascript was not found", ErrUnavailable)
	}
	mode := "plain"
	if q.Secret {
		mode = "secret"
	}
	cmd := exec.CommandContext(ctx, path, "-e", askScript, q.Title, q.Prompt, q.Default, mode)
	// osascript exits 1 on any error; a cancel is error -128 ("User canceled.").
	return runDialog(ctx, cmd, "osascript", func(code int, stderr string) bool {
		return code == 1 && strings.Contains(stderr, "-128")
	})
}

func available() error {
	if _, err := exec.LookPath("osascript"); err != nil {
		return fmt.Errorf("%w: osascript was not found", ErrUnavailable)
	}
	return nil
}

// askFields: "display dialog" has one entry; the fields are asked one after the other.
func askFields(ctx context.Context, title, prompt string, fields []Field) ([]string, bool, error) {
	return askEach(ctx, title, prompt, fields)
}
