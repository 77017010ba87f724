package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
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
	What string // what the file is, said before its path ("the sign-in file"); "" says only the path
}

func (e *FileError) Error() string {
	if e.What != "" {
		return e.What + " " + displayPath(e.Path) + " " + e.Msg
	}
	return displayPath(e.Path) + " " + e.Msg
}

// UnusableFile marks the error for packages that cannot name this type (pim/auth sees the
// sealed cache only as an MSAL cache): the file is there but pimtray will not read it, which
// is for the user to fix, not a sign-out.
func (e *FileError) UnusableFile() bool { return true }

// ReadFile reads a regular file of at most limit bytes. A missing file is fs.ErrNotExist (as
// os.ReadFile says); a folder, a named pipe, a device or a socket — also through a symlink — or
// a file over the limit is a *FileError, found without blocking and without reading it. The
// checks are made on the opened file (not on the path before opening), so a file swapped in
// between cannot slip past them; it is opened non-blocking, so a named pipe with no writer
// cannot hang the read.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := openChecked(path, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit { // it grew while being read
		return nil, tooLarge(path, limit)
	}
	return data, nil
}

// CheckFile tells, without reading it, what ReadFile would refuse: nil for a regular file
// within limit, fs.ErrNotExist when there is none, else a *FileError (or the open's error).
func CheckFile(path string, limit int64) error {
	f, err := openChecked(path, limit)
	if err != nil {
		return err
	}
	return f.Close()
}

// openChecked opens path non-blocking and checks the opened file: regular, within limit.
func openChecked(path string, limit int64) (*os.File, error) {
	f, err := openNonBlocking(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, &FileError{Path: path, Msg: "is not a regular file (" + kindOf(st.Mode()) + "): pimtray reads only ordinary files"}
	}
	if st.Size() > limit {
		f.Close()
		return nil, tooLarge(path, limit)
	}
	return f, nil
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
