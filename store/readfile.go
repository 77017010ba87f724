package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// Size limits of the files pimtray reads. Each is far above what pimtray writes and far below
// what would hurt: a file is read whole into memory, so a limit is what keeps a symlink to
// /dev/zero, a runaway log or a hostile file from exhausting memory.
const (
	// MaxConfigSize: a configuration is a few kilobytes (a hundred favourites is ~30 KB).
	MaxConfigSize = 1 << 20 // 1 MiB
	// MaxStateSize: the last known state holds every eligible role and activation of every
	// tenant; 5,000 roles with their policies is ~4 MB.
	MaxStateSize = 16 << 20 // 16 MiB
	// MaxSealedSize: the sealed sign-in cache is ~10 KB per account; a few tenants and client
	// ids stay well under 1 MiB.
	MaxSealedSize = 4 << 20 // 4 MiB
)

// FileError is a file pimtray will not read: not a regular file, or too large.
type FileError struct {
	Path string
	Msg  string // "is not a regular file (a named pipe)"
}

func (e *FileError) Error() string { return displayPath(e.Path) + " " + e.Msg }

// ReadFile reads a regular file of at most limit bytes. A missing file is fs.ErrNotExist (as
// os.ReadFile says); a folder, a named pipe, a device or a socket — also through a symlink — or
// a file over the limit is a *FileError, found without blocking and without reading it. The
// checks are made on the opened file (not on the path before opening), so a file swapped in
// between cannot slip past them; it is opened non-blocking, so a named pipe with no writer
// cannot hang the read.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := openNonBlocking(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &FileError{Path: path, Msg: "is not a regular file (" + kindOf(st.Mode()) + "): pimtray reads only ordinary files"}
	}
	if st.Size() > limit {
		return nil, tooLarge(path, limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit { // it grew while being read
		return nil, tooLarge(path, limit)
	}
	return data, nil
}

func tooLarge(path string, limit int64) error {
	return &FileError{Path: path, Msg: fmt.Sprintf("is larger than %s, more than pimtray ever writes: move it away", sizeText(limit))}
}

func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeCharDevice != 0, m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not an ordinary file"
}

// IsFileError tells whether err is a *FileError.
func IsFileError(err error) bool {
	var fe *FileError
	return errors.As(err, &fe)
}
