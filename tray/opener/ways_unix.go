//go:build unix && !darwin

package opener

import "path/filepath"

// terminals that run a command given after their last argument here.
var terminals = [][]string{
	{"x-terminal-emulator", "-e"}, {"xfce4-terminal", "-x"}, {"gnome-terminal", "--"},
	{"konsole", "-e"}, {"xterm", "-e"},
}

// textEditors are graphical editors found on the common desktops.
var textEditors = []string{"gnome-text-editor", "gedit", "mousepad", "kate", "kwrite", "xed", "pluma", "featherpad"}

// platformWays: the desktop's handler (xdg-open, gio), $VISUAL/$EDITOR in a terminal, a
// graphical text editor, then the folder (the user finds the file there).
func platformWays(path string) []way {
	ways := []way{
		{name: "xdg-open", args: []string{path}, wait: true},
		{name: "gio", args: []string{"open", path}, wait: true},
	}
	ways = append(ways, editorWays(path, terminals)...)
	for _, e := range textEditors {
		ways = append(ways, way{name: e, args: []string{path}})
	}
	dir := filepath.Dir(path)
	return append(ways,
		way{name: "xdg-open", args: []string{dir}, wait: true},
		way{name: "gio", args: []string{"open", dir}, wait: true},
	)
}
