//go:build linux

package main

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/fakeazure"
)

// TestDemoFilesAtRest runs the real binary's demo with debug logging in an empty home —
// commands, then the tray when a desktop bus is installed — and checks what it leaves on
// disk (issue 7, files at rest): every pimtray file 0600 in a 0700 folder, and the fake
// Azure's secret marker (in every token and code it issues) in no file, no output.
func TestDemoFilesAtRest(t *testing.T) {
	t.Parallel()
	bin := benchBinary(t)
	home := t.TempDir()
	var d *benchDesktop
	_, errBus := exec.LookPath("dbus-daemon")
	_, errKeyring := exec.LookPath("gnome-keyring-daemon")
	if (errBus == nil && errKeyring == nil) || os.Getenv("CI") == "true" {
		d = benchStartDesktop(t, true) // the sign-in is sealed on disk, its key in the keyring
	} else {
		t.Log("no dbus-daemon or gnome-keyring-daemon: commands only, the sign-in kept in memory")
	}
	// The commands run without a session bus (sign-in in memory): with a keyring, a demo
	// sign-in kept by one command does not work for the next (see BENCHMARKS.md).
	env := benchHomeEnv(nil, home)
	var outputs bytes.Buffer
	for _, args := range [][]string{
		{"--demo", "--debug", "list"},
		{"--demo", "--debug", "activate", "Security Reader"},
		{"--demo", "--debug", "activate", "Owner", "--scope", "IT", "--reason", "files at rest"},
		{"--demo", "--debug", "status", "--json"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("pimtray %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		outputs.Write(out.Bytes())
	}
	if d != nil {
		// The tray writes the last known state and its log file.
		p := benchStartTray(t, bin, benchHomeEnv(d, home), "--demo", "--debug")
		m := d.waitMenu(t, p, 20*time.Second)
		m.waitFor(t, p, 20*time.Second, 20*time.Millisecond, "the demo's favourites",
			benchShowsState([]string{"Global Administrator", "Owner · IT", "Contributor · MySubscription"}))
		deadline := time.Now().Add(10 * time.Second)
		for _, err := os.Stat(benchStateFile(home)); err != nil; _, err = os.Stat(benchStateFile(home)) {
			if time.Now().After(deadline) {
				t.Fatalf("the tray wrote no state file: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		p.stop(t)
		outputs.WriteString(p.out.String())
	}
	if strings.Contains(outputs.String(), fakeazure.SecretMarker) {
		t.Errorf("the secret marker is in pimtray's output:\n%s", outputs.String())
	}

	want := map[string]bool{benchConfigFile(home): false, filepath.Join(filepath.Dir(benchStateFile(home)), "demo-azure.json"): false}
	if d != nil {
		want[benchStateFile(home)] = false
		want[filepath.Join(filepath.Dir(benchStateFile(home)), "pimtray-demo.log")] = false
	}
	sealed := 0
	err := filepath.WalkDir(home, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		ours := strings.Contains(path, string(filepath.Separator)+"pimtray-demo")
		switch {
		case e.IsDir() && ours && info.Mode().Perm() != 0o700:
			t.Errorf("folder %s is %v, want 0700", path, info.Mode().Perm())
		case !e.IsDir() && ours && info.Mode().Perm() != 0o600:
			t.Errorf("file %s is %v, want 0600", path, info.Mode().Perm())
		case !e.IsDir() && !ours:
			t.Errorf("pimtray wrote %s outside its own folders", path)
		}
		if e.IsDir() {
			return nil
		}
		if _, ok := want[path]; ok {
			want[path] = true
		}
		if strings.HasSuffix(path, ".sealed") {
			sealed++
		}
		if strings.Contains(filepath.Base(path), ".tmp") {
			t.Logf("a temporary file was left behind: %s", path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(fakeazure.SecretMarker)) {
			t.Errorf("%s holds the fake's secret marker: a token or code written in plaintext", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for path, seen := range want {
		if !seen {
			t.Errorf("expected %s: the test looked at nothing", path)
		}
	}
	if d != nil && sealed == 0 {
		t.Errorf("no sealed sign-in cache on disk although a keyring runs")
	}
	if d != nil && d.keyring != nil {
		_ = filepath.WalkDir(d.keyring.DataDir, func(path string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				if data, err := os.ReadFile(path); err == nil && bytes.Contains(data, []byte(fakeazure.SecretMarker)) {
					t.Errorf("the keyring file %s holds the fake's secret marker: only the sealing key belongs there", path)
				}
			}
			return nil
		})
	}
}
