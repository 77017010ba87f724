//go:build darwin

package opener

// platformWays: the file's handler, TextEdit, then the file shown in the Finder.
func platformWays(path string) []way {
	return []way{
		{name: "open", args: []string{path}, wait: true},
		{name: "open", args: []string{"-t", path}, wait: true},
		{name: "open", args: []string{"-R", path}, wait: true},
	}
}
