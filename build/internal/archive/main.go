// Command archive packs and reads pimtray's release archives the same way on every machine,
// without depending on the zip, unzip or tar found there:
//
//	archive pack OUT.tar.gz|OUT.zip DIR    pack DIR as one top-level folder
//	archive list ARCHIVE                   print "MODE NAME" per entry
//	archive cat ARCHIVE NAME               write one entry's content to stdout
//
// Packing is reproducible: entries are sorted, owned by root, dated SOURCE_DATE_EPOCH (or
// 2000-01-01 when unset), with modes 0755 for executables and folders and 0644 otherwise.
package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "archive:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	switch {
	case len(args) == 3 && args[0] == "pack":
		return pack(args[1], args[2], modTime())
	case len(args) == 2 && args[0] == "list":
		entries, err := read(args[1], "")
		if err != nil {
			return err
		}
		for _, e := range entries {
			fmt.Fprintf(stdout, "%04o %s\n", e.mode, e.name)
		}
		return nil
	case len(args) == 3 && args[0] == "cat":
		entries, err := read(args[1], args[2])
		if err != nil {
			return err
		}
		if len(entries) == 0 {
			return fmt.Errorf("%s has no entry %s", args[1], args[2])
		}
		_, err = stdout.Write(entries[0].data)
		return err
	default:
		return errors.New("usage: archive pack OUT.tar.gz|OUT.zip DIR | list ARCHIVE | cat ARCHIVE NAME")
	}
}

func modTime() time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC()
		}
	}
	return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
}

type file struct {
	name string // slash-separated, under the top-level folder; folders end in "/"
	mode fs.FileMode
	src  string // on disk, for files
}

// walk lists dir's tree, sorted, as entries under dir's base name.
func walk(dir string) ([]file, error) {
	top := filepath.Base(filepath.Clean(dir))
	var files []file
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := path.Join(top, filepath.ToSlash(rel))
		switch {
		case d.IsDir():
			files = append(files, file{name: name + "/", mode: 0o755})
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			mode := fs.FileMode(0o644)
			if info.Mode()&0o111 != 0 {
				mode = 0o755
			}
			files = append(files, file{name: name, mode: mode, src: p})
		default:
			return fmt.Errorf("%s is neither a file nor a folder", p)
		}
		return nil
	})
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	return files, err
}

func pack(out, dir string, mtime time.Time) (err error) {
	files, err := walk(dir)
	if err != nil {
		return fmt.Errorf("pack %s: %w", dir, err)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(out)
		}
	}()
	switch {
	case strings.HasSuffix(out, ".tar.gz"):
		return packTarGz(f, files, mtime)
	case strings.HasSuffix(out, ".zip"):
		return packZip(f, files, mtime)
	default:
		return fmt.Errorf("pack %s: want a .tar.gz or .zip name", out)
	}
}

func packTarGz(w io.Writer, files []file, mtime time.Time) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: int64(f.mode), ModTime: mtime, Uname: "root", Gname: "root", Format: tar.FormatPAX}
		if strings.HasSuffix(f.name, "/") {
			h.Typeflag = tar.TypeDir
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			continue
		}
		data, err := os.ReadFile(f.src)
		if err != nil {
			return err
		}
		h.Typeflag, h.Size = tar.TypeReg, int64(len(data))
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func packZip(w io.Writer, files []file, mtime time.Time) error {
	zw := zip.NewWriter(w)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: mtime}
		mode := f.mode
		if strings.HasSuffix(f.name, "/") {
			mode |= fs.ModeDir
			h.Method = zip.Store
		}
		h.SetMode(mode)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if f.src == "" {
			continue
		}
		data, err := os.ReadFile(f.src)
		if err != nil {
			return err
		}
		if _, err := fw.Write(data); err != nil {
			return err
		}
	}
	return zw.Close()
}

type entry struct {
	name string
	mode fs.FileMode
	data []byte // only for the entry asked for
}

// read lists an archive's entries; with want set, it returns only that entry, with its data.
func read(archive, want string) ([]entry, error) {
	f, err := os.Open(archive)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var entries []entry
	switch {
	case strings.HasSuffix(archive, ".tar.gz"):
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", archive, err)
		}
		tr := tar.NewReader(gz)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				return entries, nil
			}
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", archive, err)
			}
			e := entry{name: h.Name, mode: fs.FileMode(h.Mode).Perm()}
			if want == "" || h.Name == want {
				if want != "" {
					if e.data, err = io.ReadAll(tr); err != nil {
						return nil, fmt.Errorf("read %s: %w", archive, err)
					}
				}
				entries = append(entries, e)
			}
		}
	case strings.HasSuffix(archive, ".zip"):
		info, err := f.Stat()
		if err != nil {
			return nil, err
		}
		zr, err := zip.NewReader(f, info.Size())
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", archive, err)
		}
		for _, zf := range zr.File {
			if want != "" && zf.Name != want {
				continue
			}
			e := entry{name: zf.Name, mode: zf.Mode().Perm()}
			if want != "" {
				rc, err := zf.Open()
				if err != nil {
					return nil, fmt.Errorf("read %s: %w", archive, err)
				}
				e.data, err = io.ReadAll(rc)
				rc.Close()
				if err != nil {
					return nil, fmt.Errorf("read %s: %w", archive, err)
				}
			}
			entries = append(entries, e)
		}
		return entries, nil
	default:
		return nil, fmt.Errorf("read %s: want a .tar.gz or .zip file", archive)
	}
}
