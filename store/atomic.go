package store

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// WriteFileAtomic is writeFileAtomic for the files other packages own (the engine's last known
// state): one way of writing a file safely.
func WriteFileAtomic(path string, data []byte) error { return writeFileAtomic(path, data) }

// writeFileAtomic replaces path with data so that a reader (or a crash) sees either the old
// file or the new one, never half of one: a temporary file in the same folder, written,
// fsynced and renamed over path; then the folder is fsynced so the rename itself survives a
// power cut. The file is 0600 and its folder is created 0700.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := ensurePrivateDir(dir); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", displayPath(path), err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	// CreateTemp makes the file 0600 already; say so explicitly in case that ever changes.
	if err = f.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("write %s: %w", displayPath(path), err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", displayPath(path), err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", displayPath(path), err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", displayPath(path), err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", displayPath(path), err)
	}
	syncDir(dir)
	return nil
}

// syncDir fsyncs a folder so a rename in it is durable. Best effort: not every platform
// can open a folder for syncing (Windows cannot), and the data itself is already synced.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
