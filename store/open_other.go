//go:build !unix

package store

import "os"

// openNonBlocking opens path for reading. Windows has no named pipes in the file system
// (they live under \\.\pipe\) and opening a file never waits.
func openNonBlocking(path string) (*os.File, error) {
	return os.Open(path)
}
