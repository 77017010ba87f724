//go:build darwin

package dialog

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
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

// chooseScript: argv is title, prompt, OK label, then one line per row ("N. cells").
const chooseScript = `on run argv
	set theItems to items 4 thru -1 of argv
	activate
	set r to choose from list theItems with title (item 1 of argv) with prompt (item 2 of argv) OK button name (item 3 of argv)
	if r is false then error number -128
	return item 1 of r
end run`

const confirmScript = `on run argv
	activate
	display dialog (item 2 of argv) with title (item 1 of argv) buttons {"Cancel", item 3 of argv} default button 2 cancel button "Cancel"
	return "ok"
end run`

func osascript() (string, error) {
	path, err := exec.LookPath("osascript")
	if err != nil {
		return "", fmt.Errorf("%w: osascript was not found", ErrUnavailable)
	}
	return path, nil
}

// cancelled: osascript exits 1 on any error; a cancel is error -128 ("User canceled.").
func cancelled(code int, stderr string) bool { return code == 1 && strings.Contains(stderr, "-128") }

func ask(ctx context.Context, q Question) (string, bool, error) {
	path, err := osascript()
	if err != nil {
		return "", false, err
	}
	mode := "plain"
	if q.Secret {
		mode = "secret"
	}
	cmd := exec.CommandContext(ctx, path, "-e", askScript, q.Title, q.Prompt, q.Default, mode)
	return runDialog(ctx, cmd, "osascript", cancelled)
}

func choose(ctx context.Context, l List) (string, bool, error) {
	path, err := osascript()
	if err != nil {
		return "", false, err
	}
	args := []string{"-e", chooseScript, l.Title, l.Prompt, l.OK}
	for i, r := range l.Rows {
		args = append(args, strconv.Itoa(i)+". "+strings.Join(r, " · "))
	}
	out, ok, err := runDialog(ctx, exec.CommandContext(ctx, path, args...), "osascript", cancelled)
	if n, _, found := strings.Cut(out, ". "); found {
		out = n
	}
	return out, ok, err
}

func confirm(ctx context.Context, c Confirmation) (bool, error) {
	path, err := osascript()
	if err != nil {
		return false, err
	}
	_, ok, err := runDialog(ctx, exec.CommandContext(ctx, path, "-e", confirmScript, c.Title, c.Prompt, c.OK), "osascript", cancelled)
	return ok, err
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
