//go:build !unix

package opener

// platformWays: the file's handler (through explorer's association), Notepad, then the file
// selected in Explorer. (Explorer exits 1 even when it worked, so it is started, not waited for.)
func platformWays(path string) []way {
	return []way{
		{name: "rundll32.exe", args: []string{"url.dll,FileProtocolHandler", path}, wait: true},
		{name: "notepad.exe", args: []string{path}},
		{name: "explorer.exe", args: []string{"/select," + path}},
	}
}
