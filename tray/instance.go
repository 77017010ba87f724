package tray

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// ErrAlreadyRunning is returned by AcquireSingleInstance when another pimtray tray of
// the same user holds the lock.
// A constant: no caller can reassign it.
const ErrAlreadyRunning = sentinel("pimtray is already running in the tray")

// errLocked is the OS saying the lock is held elsewhere.
var errLocked = errors.New("lock held by another process")

// lockFileName is the lock's file in the directory given to AcquireSingleInstance.
const lockFileName = "pimtray.lock"

// AcquireSingleInstance takes the per-user tray lock: an exclusive, non-blocking OS file
// lock (flock on Unix, LockFileEx on Windows) on dir/pimtray.lock, created if needed. The
// OS drops the lock when the process ends, even on a crash, so a stale file never blocks
// a new start. A second tray gets ErrAlreadyRunning. release gives the lock back; it may
// be called more than once. The file keeps the holder's process id, for people.
func AcquireSingleInstance(dir string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the lock directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the lock file %s: %w", path, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, ErrAlreadyRunning
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// Informational only: the lock, not the content, decides.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return sync.OnceFunc(func() {
		_ = unlockFile(f)
		_ = f.Close()
	}), nil
}

// sentinel is the type of tray's error constants.
type sentinel string

func (e sentinel) Error() string { return string(e) }
