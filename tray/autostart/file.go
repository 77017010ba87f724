//go:build !windows

package autostart

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// setFileEnabled writes the entry file at a.Path() (on), content being its text, or removes
// it (off). Turning it off when it is already off is not an error.
func (a *Autostart) setFileEnabled(on bool, content func() ([]byte, error)) error {
	path, err := a.Path()
	if err != nil {
		return err
	}
	if !on {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("autostart: remove %s: %w", path, err)
		}
		return nil
	}
	if !filepath.IsAbs(a.execPath) {
		return fmt.Errorf("autostart: program path %q is not absolute", a.execPath)
	}
	data, err := content()
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, data); err != nil {
		return fmt.Errorf("autostart: write %s: %w", path, err)
	}
	return nil
}

// writeFileAtomic writes data to path through a temporary file in the same folder, so the
// session never reads a half-written entry. The folder is created when missing.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
