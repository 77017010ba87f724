package notify

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pimtray/pimtray/internal/engine"
)

// logRecorder is a slog handler that keeps every record, for "logged once" checks.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.records = append(r.records, rec)
	r.mu.Unlock()
	return nil
}
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *logRecorder) WithGroup(string) slog.Handler      { return r }

// count is how many records at level or above contain substr.
func (r *logRecorder) count(level slog.Level, substr string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, rec := range r.records {
		if rec.Level >= level && strings.Contains(rec.Message, substr) {
			n++
		}
	}
	return n
}

func newLog() (*slog.Logger, *logRecorder) {
	rec := &logRecorder{}
	return slog.New(rec), rec
}

// fakeBeeep replaces beeep for a test: it records what would be shown and returns err.
type fakeBeeep struct {
	mu    sync.Mutex
	shown [][2]string
	err   error
}

func useFakeBeeep(t *testing.T, err error) *fakeBeeep {
	t.Helper()
	f := &fakeBeeep{err: err}
	old := beeepNotify
	beeepNotify = func(title, message string, _ any) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.shown = append(f.shown, [2]string{title, message})
		return f.err
	}
	t.Cleanup(func() { beeepNotify = old })
	return f
}

func (f *fakeBeeep) calls() [][2]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][2]string(nil), f.shown...)
}

func reminder(id, key, title string) engine.Notice {
	return engine.Notice{
		ID: id, Kind: engine.NoticeReminder, Key: key, Title: title,
		Body:    "Owner on IT ends at 17:42.",
		Actions: []string{engine.ActionReactivate, engine.ActionDismiss},
	}
}

func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.NRGBA{R: 200, G: 10, B: 20, A: 128})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestTextOnlyBody(t *testing.T) {
	tests := []struct {
		name string
		n    engine.Notice
		want string
	}{
		{"reminder points to the tray", reminder("a", "k", "t"), "Owner on IT ends at 17:42.\n" + TrayPointer},
		{"empty body", engine.Notice{Actions: []string{engine.ActionReactivate}}, TrayPointer},
		{"no re-activation offered", engine.Notice{Body: "Approved.", Actions: []string{engine.ActionDismiss}}, "Approved."},
		{"no actions", engine.Notice{Body: "Failed."}, "Failed."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := textOnlyBody(tt.n); got != tt.want {
				t.Errorf("textOnlyBody = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestToastArgs(t *testing.T) {
	ids := []string{"owner|2025-03-10T10:00:00Z|15m0s", `a"b<c>&d]]>`, "", "ünïcode/ scope"}
	keys := []string{"", "azure|t|/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/b24988ac|/subscriptions/s1"}
	for _, id := range ids {
		for _, key := range keys {
			for _, action := range []string{engine.ActionReactivate, engine.ActionDismiss, engine.ActionOpen} {
				args := toastArgs(action, id, key)
				if strings.ContainsAny(args, `"<>&'`) {
					t.Errorf("toastArgs(%q, %q, %q) = %q: not safe in an XML attribute", action, id, key, args)
				}
				ev, ok := parseToastArgs(args)
				if !ok || ev != (ActionEvent{NoticeID: id, Action: action, Key: key}) {
					t.Errorf("parseToastArgs(toastArgs(%q, %q, %q)) = %+v, %v", action, id, key, ev, ok)
				}
			}
		}
	}
	// A toast from before the key was added still parses.
	if ev, ok := parseToastArgs("pimtray:reactivate:YQ"); !ok || ev != (ActionEvent{NoticeID: "a", Action: "reactivate"}) {
		t.Errorf("old toast arguments: %+v, %v", ev, ok)
	}
	for _, bad := range []string{"", "https://example.com", "pimtray:", "pimtray:reactivate", "pimtray:rm-rf:YQ", "pimtray:dismiss:!!", "pimtray:dismiss:YQ:!!"} {
		if ev, ok := parseToastArgs(bad); ok {
			t.Errorf("parseToastArgs(%q) = %+v, want rejected", bad, ev)
		}
	}
	if got := toastText("a]]>b"); strings.Contains(got, "]]>") {
		t.Errorf("toastText kept a CDATA end: %q", got)
	}
}

func TestImageDataHint(t *testing.T) {
	v, err := imageDataHint(testPNG(t))
	if err != nil {
		t.Fatal(err)
	}
	if sig := v.Signature().String(); sig != "(iiibiiay)" {
		t.Errorf("image-data signature %s, want (iiibiiay)", sig)
	}
	d := v.Value().(imageData)
	if d.Width != 4 || d.Height != 3 || d.RowStride != 16 || len(d.Data) != 48 || !d.HasAlpha || d.Channels != 4 {
		t.Errorf("image-data = %+v", d)
	}
	// not premultiplied: the half-transparent pixel keeps its colour
	if px := d.Data[1*16+1*4 : 1*16+1*4+4]; px[0] != 200 || px[3] != 128 {
		t.Errorf("pixel = %v, want straight alpha 200,10,20,128", px)
	}
	if _, err := imageDataHint([]byte("not a png")); err == nil {
		t.Error("a broken icon decoded")
	}
}

func TestIconFile(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	if p, err := iconFile(Options{IconPath: "/usr/share/icons/x.png", Icon: []byte("x")}); err != nil || p != "/usr/share/icons/x.png" {
		t.Errorf("iconFile with IconPath = %q, %v", p, err)
	}
	if p, err := iconFile(Options{}); err != nil || p != "" {
		t.Errorf("iconFile without icon = %q, %v", p, err)
	}
	icon := testPNG(t)
	p, err := iconFile(Options{Icon: icon})
	if err != nil || !filepath.IsAbs(p) {
		t.Fatalf("iconFile = %q, %v", p, err)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, icon) {
		t.Error("icon file content differs")
	}
	if p2, err := iconFile(Options{Icon: icon}); err != nil || p2 != p {
		t.Errorf("second iconFile = %q, %v", p2, err)
	}
}

// The demo's notification icon lands in the demo's own folder, not the real app's.
func TestIconFileInTheAppsOwnFolder(t *testing.T) {
	userCache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", userCache)
	demoDir := filepath.Join(t.TempDir(), "pimtray-demo")
	p, err := iconFile(Options{Icon: testPNG(t), CacheDir: demoDir})
	if err != nil || filepath.Dir(p) != demoDir {
		t.Fatalf("iconFile = %q, %v; want it in %s", p, err, demoDir)
	}
	if entries, _ := os.ReadDir(userCache); len(entries) != 0 {
		t.Fatalf("the user cache got %v", entries)
	}
}

func TestCallWithTimeout(t *testing.T) {
	if err := callWithTimeout(time.Second, func() error { panic("boom") }); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("panic not turned into an error: %v", err)
	}
	block := make(chan struct{})
	defer close(block)
	// The hung call is released only when the test ends: returning at all, with the time-out's
	// error, is the proof (no wall-clock bound: the machine may be loaded).
	if err := callWithTimeout(50*time.Millisecond, func() error { <-block; return nil }); err == nil || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Errorf("a hung call: %v, want the time-out's error", err)
	}
	want := errors.New("x")
	if err := callWithTimeout(time.Second, func() error { return want }); err != want {
		t.Errorf("err = %v", err)
	}
}

func TestTextNotifier(t *testing.T) {
	log, rec := newLog()
	fb := useFakeBeeep(t, nil)
	n := newTextNotifier(Options{Log: log}.withDefaults())
	if err := n.Show(reminder("n1", "owner", "Owner · IT ends in 15 minutes")); err != nil {
		t.Fatal(err)
	}
	got := fb.calls()
	if len(got) != 1 || got[0][0] != "Owner · IT ends in 15 minutes" || !strings.HasSuffix(got[0][1], TrayPointer) {
		t.Errorf("beeep got %q", got)
	}
	if c := n.Capabilities(); c.Backend != BackendBeeep || c.Actions {
		t.Errorf("caps = %+v", c)
	}
	fb.err = errors.New("no notification service")
	for range 3 {
		if err := n.Show(reminder("n2", "owner", "t")); !errors.Is(err, ErrUnavailable) {
			t.Errorf("Show error = %v, want ErrUnavailable", err)
		}
	}
	if c := rec.count(slog.LevelWarn, "not available"); c != 1 {
		t.Errorf("failure logged %d times at warn, want once", c)
	}
	if err := n.CloseNotice("n1"); err != nil {
		t.Error(err)
	}
	n.Close()
	n.Close()
	if _, ok := <-n.Actions(); ok {
		t.Error("Actions not closed by Close")
	}
}
