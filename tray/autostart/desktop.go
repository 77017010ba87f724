package autostart

import (
	"bufio"
	"fmt"
	"strings"
)

// desktopEntry returns the XDG autostart entry that starts command at login.
func desktopEntry(appName string, command []string) (string, error) {
	exec, err := desktopExec(command)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("[Desktop Entry]\n")
	b.WriteString("Type=Application\n")
	b.WriteString("Name=" + desktopString(appName) + "\n")
	b.WriteString("Comment=" + desktopString("Azure PIM roles in the system tray") + "\n")
	b.WriteString("Exec=" + exec + "\n")
	b.WriteString("Icon=" + desktopString(appName) + "\n")
	b.WriteString("Terminal=false\n")
	b.WriteString("X-GNOME-Autostart-enabled=true\n")
	return b.String(), nil
}

// desktopExec quotes a command for a desktop entry's Exec key (Desktop Entry Specification,
// "The Exec key"): an argument holding a reserved character is put in double quotes, with ",
// `, $ and \ escaped by a backslash; a literal % is written %% (field codes); then the value
// is escaped as a string value (\ as \\), so a literal backslash ends up as four.
func desktopExec(command []string) (string, error) {
	if len(command) == 0 || command[0] == "" {
		return "", fmt.Errorf("autostart: no program to start")
	}
	if strings.Contains(command[0], "=") {
		// The specification forbids "=" in the program's path, quoted or not.
		return "", fmt.Errorf("autostart: program path %q contains '=', which a desktop entry cannot start", command[0])
	}
	quoted := make([]string, len(command))
	for i, arg := range command {
		quoted[i] = strings.ReplaceAll(desktopQuote(arg), "%", "%%")
	}
	return desktopString(strings.Join(quoted, " ")), nil
}

// desktopReserved are the characters that force an argument into quotes.
const desktopReserved = " \t\n\"'\\><~|&;$*?#()`"

func desktopQuote(arg string) string {
	if arg != "" && !strings.ContainsAny(arg, desktopReserved) {
		return arg
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range arg {
		if strings.ContainsRune("\"`$\\", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// desktopString escapes a value of type string: backslash, newline, tab and carriage return.
func desktopString(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\t", `\t`, "\r", `\r`).Replace(s)
}

// desktopEntryEnabled reports whether an autostart entry's content asks to be started: the
// user (or a settings tool) may have switched it off with Hidden=true or
// X-GNOME-Autostart-enabled=false without removing the file.
func desktopEntryEnabled(content string) bool {
	inEntry := false
	sc := bufio.NewScanner(strings.NewReader(content))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			inEntry = line == "[Desktop Entry]"
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !inEntry || !ok {
			continue
		}
		switch strings.TrimSpace(key) {
		case "Hidden":
			if strings.TrimSpace(value) == "true" {
				return false
			}
		case "X-GNOME-Autostart-enabled":
			if strings.TrimSpace(value) == "false" {
				return false
			}
		}
	}
	return true
}
