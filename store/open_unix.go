//go:build unix

package store

import (
	"os"
	"syscall"
)

// openNonBlocking opens path for reading without waiting for a writer (a named pipe).
func openNonBlocking(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
