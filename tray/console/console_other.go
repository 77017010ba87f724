//go:build !windows

package console

// AttachParentConsole does nothing outside Windows, where a program always has the standard
// streams its parent gave it. It reports false.
func AttachParentConsole() bool { return false }
