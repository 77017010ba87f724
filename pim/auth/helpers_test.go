package auth_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// walkFiles calls f with every regular file under root and its contents.
func walkFiles(t *testing.T, root string, f func(path string, data []byte)) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f(path, data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
